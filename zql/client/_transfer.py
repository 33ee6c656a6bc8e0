"""What a driver is asked to do (send one attempt, or sleep) and how it reads an answer.

The core turns every operation into a stream of steps: :class:`Attempt` (send this call, read
its body, hand back the response) and :class:`Sleep` (wait before a retry). A driver — the sync
or the async client — only performs them. :class:`BodyReader` is the one place a body is read:
it caps its size and checks the attempt's deadline between chunks, so an endless or dripping
answer ends with an error instead of growing or hanging.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from zql.client._errors import TimeoutError, UnexpectedResponseError

if TYPE_CHECKING:
    from zql.client._core import Call

__all__ = ["DEFAULT_MAX_RESPONSE", "Attempt", "BodyReader", "Sleep"]

#: Largest answer body read (after decompression). A search page of 500 rows is about 1 MB.
DEFAULT_MAX_RESPONSE = 64 * 1024 * 1024
_DROP = frozenset({"content-encoding", "content-length", "transfer-encoding"})


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait this many seconds (before a retry)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Attempt:
    """Send ``call`` once and read the whole answer by ``deadline`` (``time.monotonic``).

    ``timeout`` is the httpx timeout for this attempt: the client's, with every phase cut to
    the time left.
    """

    call: Call
    deadline: float
    timeout: httpx.Timeout
    max_bytes: int = DEFAULT_MAX_RESPONSE

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())


def attempt_timeout(timeout: httpx.Timeout, left: float) -> httpx.Timeout:
    """Each phase of ``timeout`` cut to ``left`` seconds (a phase without a limit gets it).

    >>> attempt_timeout(httpx.Timeout(60.0, connect=10.0), 5.0)
    Timeout(timeout=5.0)
    >>> attempt_timeout(httpx.Timeout(60.0, connect=10.0), 30.0).connect
    10.0
    """
    def cut(value: float | None) -> float:
        return left if value is None else min(value, left)

    return httpx.Timeout(connect=cut(timeout.connect), read=cut(timeout.read),
                         write=cut(timeout.write), pool=cut(timeout.pool))


def total_time(timeout: httpx.Timeout) -> float | None:
    """The whole-request budget a timeout stands for: its read timeout (None: no limit).

    >>> total_time(httpx.Timeout(60.0, connect=10.0)), total_time(httpx.Timeout(None))
    (60.0, None)
    """
    read = timeout.read
    return read if read is not None and math.isfinite(read) else None


class BodyReader:
    """Collects an answer's chunks within the size cap and the deadline.

    >>> req = httpx.Request("GET", "https://h/x")
    >>> reader = BodyReader(Attempt(None, time.monotonic() + 60, httpx.Timeout(5), max_bytes=4),
    ...                     req)
    >>> reader.feed(b"abc")
    >>> reader.feed(b"de")
    Traceback (most recent call last):
      ...
    zql.client.UnexpectedResponseError: the answer is larger than 4 bytes (max_response_size): \
stopped reading (GET https://h/x)
    """

    def __init__(self, attempt: Attempt, request: httpx.Request) -> None:
        self.attempt = attempt
        self.request = request
        self.size = 0
        self.chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        """Take one chunk; raise when the body is too large or the deadline has passed."""
        self.size += len(chunk)
        if self.size > self.attempt.max_bytes:
            raise UnexpectedResponseError(
                f"the answer is larger than {_size(self.attempt.max_bytes)} "
                "(max_response_size): stopped reading", request=self.request)
        self.chunks.append(chunk)
        if time.monotonic() > self.attempt.deadline:
            raise deadline_error(self.request)

    def response(self, streamed: httpx.Response) -> httpx.Response:
        """A complete, read response with the collected body (decoded already)."""
        headers = [(k, v) for k, v in streamed.headers.multi_items() if k.lower() not in _DROP]
        body = b"".join(self.chunks)
        self.chunks = []
        return httpx.Response(streamed.status_code, headers=headers, content=body,
                              request=streamed.request, extensions={
                                  "http_version": streamed.extensions.get("http_version",
                                                                          b"HTTP/1.1")})


def deadline_error(request: httpx.Request) -> TimeoutError:
    """The error for an answer not complete by the attempt's deadline."""
    error = TimeoutError("timed out: no complete answer within the time allowed (timeout)",
                         request=request)
    error.request_sent = True
    return error


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MiB"
    return f"{count} bytes"
