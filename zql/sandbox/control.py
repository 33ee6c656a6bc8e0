"""Runtime knobs of a running sandbox, for fault and reliability tests, and its sessions.

Tests flip these while the server runs: expire every session, make the next requests fail,
change the page cap, turn quirks on. Plain attributes are read on every request; the rest is
guarded by one lock, since the server thread and the test thread both touch it.

>>> c = Control(seed=1)
>>> c.fail_next(2, status=429, retry_after=3)
>>> c.take_fault(), c.take_fault(), c.take_fault()
((429, 3), (429, 3), None)
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import deque

from zql.sandbox.write_control import WriteControl

__all__ = ["Control"]


class Control:
    """Thread-safe runtime settings and observations of one sandbox.

    ``requests`` lists ``(method, path, query_string)`` of every request seen, in order;
    ``logins`` counts successful Basic logins at ``/user/current``.

    >>> c = Control(seed=1, cookie_ttl=60)
    >>> token = c.open_session("admin")
    >>> c.session_user(token)
    'admin'
    >>> c.expire_sessions(); c.session_user(token) is None
    True
    """

    def __init__(self, *, seed: int = 1, page_cap: int = 500, cookie_ttl: int = 5400,
                 latency_ms: float = 0, fail_rate: float = 0.0, quirks: bool = False,
                 retry_after: int = 1) -> None:
        self.page_cap = page_cap
        self.cookie_ttl = cookie_ttl
        self.latency_ms = latency_ms
        self.fail_rate = fail_rate
        self.quirks = quirks
        #: Retry-After (seconds) of the random 429s that ``fail_rate`` injects
        self.retry_after = retry_after
        self.requests: list[tuple[str, str, str]] = []
        self.logins = 0
        self._lock = threading.Lock()
        self._rng = random.Random(f"zql-sandbox-faults:{seed}")
        self._faults: deque[tuple[int, int | None]] = deque()
        self._sessions: dict[str, tuple[str, float]] = {}
        #: faults and gates of the write endpoints (:mod:`zql.sandbox.write_control`)
        self.writes = WriteControl(seed=seed)

    def __repr__(self) -> str:
        return (f"<Control page_cap={self.page_cap} quirks={self.quirks} "
                f"latency_ms={self.latency_ms} fail_rate={self.fail_rate} "
                f"sessions={len(self._sessions)} requests={len(self.requests)}>")

    # ---- faults

    def fail_next(self, n: int, status: int = 503, retry_after: int | None = None) -> None:
        """Answer the next ``n`` API requests with ``status`` (and ``Retry-After`` if given).

        >>> Control().fail_next(-1)
        Traceback (most recent call last):
          ...
        ValueError: n must be >= 0, not -1
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, not {n}")
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status (400-599), not {status}")
        with self._lock:
            self._faults.extend([(status, retry_after)] * n)

    def take_fault(self) -> tuple[int, int | None] | None:
        """The fault for the request being served, if any: queued ones first, then random
        ones at ``fail_rate`` (half 429 with ``Retry-After``, half 503; seeded, reproducible).

        >>> c = Control(seed=3, fail_rate=1.0)
        >>> sorted({c.take_fault() for _ in range(50)})
        [(429, 1), (503, None)]
        """
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            if self.fail_rate > 0 and self._rng.random() < self.fail_rate:
                return (429, self.retry_after) if self._rng.random() < 0.5 else (503, None)
        return None

    # ---- observations

    def record(self, method: str, path: str, query: str) -> None:
        """Note one request (the server calls this first thing).

        >>> c = Control(); c.record("GET", "/x", "a=1"); c.requests
        [('GET', '/x', 'a=1')]
        """
        with self._lock:
            self.requests.append((method, path, query))

    def count_login(self) -> None:
        """Count one successful Basic login."""
        with self._lock:
            self.logins += 1

    # ---- sessions (the ``token`` cookie)

    def open_session(self, username: str) -> str:
        """Start a session for ``username``; returns the cookie value (a UUID).

        >>> len(Control().open_session("admin"))
        36
        """
        token = str(uuid.uuid4())
        with self._lock:
            self._sessions[token] = (username, time.monotonic() + self.cookie_ttl)
        return token

    def session_user(self, token: str) -> str | None:
        """The user of a live session, or None (unknown, logged out or expired).

        >>> Control().session_user("nope") is None
        True
        """
        with self._lock:
            entry = self._sessions.get(token)
            if entry is None:
                return None
            if time.monotonic() >= entry[1]:
                del self._sessions[token]
                return None
            return entry[0]

    def close_session(self, token: str) -> None:
        """End one session (logout)."""
        with self._lock:
            self._sessions.pop(token, None)

    def expire_sessions(self) -> None:
        """Invalidate every cookie issued so far: the next call with one gets 401."""
        with self._lock:
            self._sessions.clear()
