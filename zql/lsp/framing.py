"""The language server's stdio transport: bounded frames, bad frames dropped, requests answered.

pygls' own stdio loop trusts the client: a ``Content-Length: 999999999999`` header makes it
allocate that much (MemoryError, the server exits), a frame without a usable length leaves it
out of step with the stream (it stops answering), and a request whose parameters do not fit
the protocol types (hover at character -1) gets no response at all. This module reads frames
itself, into a bounded buffer:

- a header block longer than :data:`MAX_HEADER` bytes, a missing, non-numeric or negative
  ``Content-Length``, or one over :data:`MAX_BODY` drops the frame with a logged error, and
  the reader finds the next ``Content-Length:`` header in the stream (never buffering more
  than the bounds allow);
- a body that is not JSON gets the JSON-RPC error -32700 (id null);
- a request with parameters the protocol types refuse gets -32602 *with its id*;
- a request before ``initialize`` gets -32002 (ServerNotInitialized), one after ``shutdown``
  -32600 (InvalidRequest), as the protocol asks.

Everything else goes to pygls unchanged (``protocol.handle_message``).

>>> buf = FrameBuffer()
>>> buf.feed(b'Content-Length: 2\\r\\n\\r\\n{}Content-Length: x\\r\\n\\r\\n{"a": 1}')
>>> buf.feed(b'Content-Length: 2\\r\\n\\r\\n[]')
>>> list(buf.frames())
[b'{}', FrameError("bad Content-Length b'x': dropped the frame"), b'[]']
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

__all__ = ["MAX_BODY", "MAX_HEADER", "FrameBuffer", "FrameError", "dispatch", "serve"]

#: Longest frame body accepted (a 10 MB document fits; a hostile length does not).
MAX_BODY = 64 * 1024 * 1024
#: Longest header block (the protocol defines two short headers).
MAX_HEADER = 8 * 1024
_HEADER = b"content-length:"
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CHUNK = 64 * 1024
log = logging.getLogger("zql.lsp")

# JSON-RPC / LSP error codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INVALID_PARAMS = -32602
SERVER_NOT_INITIALIZED = -32002


@dataclass(frozen=True, slots=True)
class FrameError:
    """A frame that was dropped, and why (logged; the stream goes on at the next header)."""

    reason: str

    def __repr__(self) -> str:
        return f"FrameError({self.reason!r})"


class FrameBuffer:
    """Bytes in, frame bodies out; never holds more than one frame within the bounds.

    >>> buf = FrameBuffer(max_body=10)
    >>> buf.feed(b"Content-Length: 999999999999\\r\\n\\r\\n{}Content-Length: 2\\r\\n\\r\\n{}")
    >>> list(buf.frames())
    [FrameError('frame of 999999999999 bytes over the 10-byte limit: dropped'), b'{}']
    >>> buf.feed(b"Content-Type: x\\r\\n\\r\\nContent-Length: 1\\r\\n\\r\\n1"); list(buf.frames())
    [FrameError('no Content-Length header: dropped the frame'), b'1']
    """

    def __init__(self, *, max_body: int = MAX_BODY, max_header: int = MAX_HEADER) -> None:
        self.max_body = max_body
        self.max_header = max_header
        self._buf = bytearray()
        self._skipping = False  # after a bad header: discard up to the next Content-Length
        self._skip_from = 0

    def feed(self, data: bytes) -> None:
        """Add bytes read from the stream."""
        self._buf += data

    def __len__(self) -> int:
        return len(self._buf)

    def frames(self) -> Iterator[bytes | FrameError]:
        """Every complete frame now in the buffer (bodies, or the errors of dropped frames)."""
        while True:
            if self._skipping and not self._resync():
                return
            found = _HEADER_END.search(self._buf, 0, self.max_header + 4)
            if found is None:
                if len(self._buf) > self.max_header:
                    # Not a header at the start: look for the next one after it.
                    yield self._drop(f"header over {self.max_header} bytes: dropped", start=1)
                    continue
                return
            length, problem = self._length(bytes(self._buf[:found.start()]))
            if problem is not None:
                del self._buf[:found.end()]
                yield self._drop(problem)
                continue
            if len(self._buf) < found.end() + length:
                return
            body = bytes(self._buf[found.end():found.end() + length])
            del self._buf[:found.end() + length]
            yield body

    def _length(self, header: bytes) -> tuple[int, str | None]:
        for line in header.splitlines():
            name, _, value = line.partition(b":")
            if name.strip().lower() + b":" != _HEADER:
                continue
            text = value.strip()
            if not text.isdigit():
                return 0, f"bad Content-Length {text!r}: dropped the frame"
            length = int(text)
            if length > self.max_body:
                return 0, f"frame of {length} bytes over the {self.max_body}-byte limit: dropped"
            return length, None
        return 0, "no Content-Length header: dropped the frame"

    def _drop(self, reason: str, *, start: int = 0) -> FrameError:
        log.error("lsp: %s", reason)
        self._skipping = True
        self._skip_from = start
        return FrameError(reason)

    def _resync(self) -> bool:
        """Discard up to the next ``Content-Length:``; False while none is in the buffer."""
        at = self._buf.lower().find(_HEADER, self._skip_from)
        if at < 0:
            # Keep a tail that may be the start of a split header, nothing more.
            del self._buf[:max(0, len(self._buf) - len(_HEADER))]
            self._skip_from = 0
            return False
        del self._buf[:at]
        self._skipping = False
        return True


def _error(msg_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


def dispatch(server: LanguageServer, body: bytes, state: dict[str, bool]) -> None:
    """Hand one frame body to pygls, or answer it with the right error ourselves.

    ``state`` remembers ``initialized`` across calls (pygls answers requests before
    ``initialize`` normally; the protocol says -32002).
    """
    from pygls.exceptions import JsonRpcException

    protocol = server.protocol
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        log.error("lsp: a frame that is not JSON (%s): dropped", err)
        protocol._send_data(_error(None, PARSE_ERROR, f"Parse error: {err}"))
        return
    if not isinstance(raw, dict):
        log.error("lsp: a frame that is not a JSON object: dropped")
        protocol._send_data(_error(None, INVALID_REQUEST, "Invalid Request: not an object"))
        return
    method, msg_id = raw.get("method"), raw.get("id")
    is_request = isinstance(method, str) and "id" in raw
    if is_request and not state.get("initialized") and method != "initialize":
        protocol._send_data(_error(msg_id, SERVER_NOT_INITIALIZED,
                                   f"server not initialized: {method} before initialize"))
        return
    if is_request and getattr(protocol, "_shutdown", False):
        protocol._send_data(_error(msg_id, INVALID_REQUEST,
                                   f"server shutting down: {method} after shutdown"))
        return
    try:
        message = json.loads(body, object_hook=protocol.structure_message)
    except JsonRpcException as err:
        log.error("lsp: %s with unusable params: %s", method, err)
        if is_request:
            protocol._send_data(_error(msg_id, INVALID_PARAMS,
                                       f"Invalid params for {method}: {err.message}"))
        return
    if method == "initialize" and is_request:
        state["initialized"] = True
    protocol.handle_message(message)


def serve(server: LanguageServer, stdin: BinaryIO, stdout: BinaryIO, *,
          max_body: int = MAX_BODY) -> None:
    """Serve JSON-RPC over ``stdin`` / ``stdout`` until EOF or ``exit``."""
    from pygls.io_ import StdoutWriter

    stop = server._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))
    try:
        asyncio.run(_loop(server, stdin, max_body, stop))
    except BrokenPipeError:
        log.error("lsp: connection to the client lost")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()  # type: ignore[no-untyped-call]


async def _loop(server: LanguageServer, stdin: BinaryIO, max_body: int,
                stop: threading.Event) -> None:
    loop = asyncio.get_running_loop()
    buffer = FrameBuffer(max_body=max_body)
    state: dict[str, bool] = {}
    read = getattr(stdin, "read1", stdin.read)
    while not stop.is_set():
        data = await loop.run_in_executor(server.thread_pool, read, _CHUNK)
        if not data:
            break
        buffer.feed(data)
        for frame in buffer.frames():
            if isinstance(frame, bytes):
                dispatch(server, frame, state)
