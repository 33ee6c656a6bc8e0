"""When to try a request again, and how long to wait first: pure policy, no sleeping here.

Retried: 429, 502, 503 and 504 answers and transport errors (timeouts, refused or reset
connections), for idempotent requests only — except a failed *connect*, which never reached the
server and is safe to repeat for any request. Never retried: any other 4xx. The wait grows
exponentially with "equal jitter" (half fixed, half random) up to ``max_backoff``; a
``Retry-After`` from the server is honoured instead. Both the number of retries and the total
time (waits plus requests) are bounded.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from zql.client._errors import (
    RateLimitedError,
    ServerError,
    TransportError,
    ZephyrError,
)

__all__ = ["DEFAULT_RETRY", "Retry", "RetryState"]


@dataclass(frozen=True, slots=True)
class Retry:
    """A retry policy. ``total`` is the number of retries after the first attempt.

    >>> import random
    >>> policy = Retry(total=3, backoff=1.0, rng=random.Random(0))
    >>> err = ServerError("server error (503)")
    >>> err.status_code = 503
    >>> [round(policy.delay(n, err, elapsed=0.0) or 0, 2) for n in range(4)]
    [0.92, 1.76, 2.84, 0]
    >>> err.retry_after = 7.0
    >>> policy.delay(0, err, elapsed=0.0)
    7.0
    """

    total: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_time: float = 120.0
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @classmethod
    def coerce(cls, value: int | Retry | None) -> Retry:
        """A policy from ``retries=``: an int is the retry count, None means no retries.

        >>> Retry.coerce(2).total, Retry.coerce(None).total
        (2, 0)
        """
        if isinstance(value, Retry):
            return value
        if value is None:
            return cls(total=0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"retries must be a non-negative int or a Retry, not {value!r}")
        return cls(total=value)

    def retryable(self, error: ZephyrError, *, idempotent: bool = True) -> bool:
        """Whether ``error`` may be retried at all.

        >>> Retry().retryable(RateLimitedError("rate limited (429)"))
        True
        >>> Retry().retryable(TimeoutError("timed out"), idempotent=False)
        False
        """
        if isinstance(error, TransportError):
            return not error.permanent and (idempotent or not error.request_sent)
        if not idempotent:
            return False
        if isinstance(error, RateLimitedError):
            return 429 in self.statuses
        return isinstance(error, ServerError) and error.status_code in self.statuses

    def delay(self, attempt: int, error: ZephyrError, *, elapsed: float,
              idempotent: bool = True) -> float | None:
        """Seconds to wait before retry number ``attempt`` (0-based), or None to give up.

        >>> Retry(total=1).delay(1, RateLimitedError("x"), elapsed=0.0) is None
        True
        """
        if attempt >= self.total or not self.retryable(error, idempotent=idempotent):
            return None
        if error.retry_after is not None:
            wait = error.retry_after
        else:
            step = min(self.max_backoff, self.backoff * 2**attempt)
            wait = step / 2 + self.rng.uniform(0, step / 2)
        if elapsed + wait > self.max_time:
            return None
        return wait


#: The policy clients use unless told otherwise.
DEFAULT_RETRY = Retry()


class RetryState:
    """The attempts of one logical request: call :meth:`next_delay` after each failure.

    >>> state = RetryState(Retry(total=1, backoff=0.0), idempotent=True)
    >>> err = ServerError("server error (502)"); err.status_code = 502
    >>> state.next_delay(err)
    0.0
    >>> state.next_delay(err)
    Traceback (most recent call last):
      ...
    zql.client.ServerError: server error (502)
    """

    def __init__(self, policy: Retry, *, idempotent: bool) -> None:
        self.policy = policy
        self.idempotent = idempotent
        self.attempt = 0
        self.start = time.monotonic()

    def next_delay(self, error: ZephyrError) -> float:
        """How long to wait before the next attempt; raises ``error`` when there is none."""
        wait = self.policy.delay(self.attempt, error, elapsed=time.monotonic() - self.start,
                                 idempotent=self.idempotent)
        if wait is None:
            raise error
        self.attempt += 1
        return wait
