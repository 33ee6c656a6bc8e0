"""Runtime knobs of a running sandbox, for fault and reliability tests, and its sessions.

Tests flip these while the server runs: expire every session, make the next requests fail,
change the page cap, turn quirks on. Plain attributes are read on every request; the rest is
guarded by one lock, since the server thread and the test thread both touch it.

>>> c = Control(seed=1)
>>> c.fail_next(2, status=429, retry_after=3)
>>> c.take_fault(), c.take_fault(), c.take_fault()
((429, 3), (429, 3), None)

A *gate* holds matching requests until the test releases it, so a test waits on an event
instead of racing the clock ("interrupt the export while page 4 is on its way"):

>>> c = Control()
>>> with c.gate(path="/advancesearch", after=1) as g:
...     c.gate_for("GET", "/flex/services/rest/latest/advancesearch") is None  # 1st passes
...     c.gate_for("GET", "/flex/services/rest/latest/advancesearch") is g    # 2nd is held
True
True
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from zql.sandbox.write_control import WriteControl

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

__all__ = ["GATE_HOLD_MAX", "Control", "Gate", "RemoteGate", "gate_routes"]

#: The longest a gate holds a request (seconds): a forgotten gate cannot hang a server.
GATE_HOLD_MAX = 60.0
#: The longest ``wait_held`` waits by default (seconds).
_WAIT_DEFAULT = 15.0


class Gate:
    """Holds every request matching ``method``/``path`` after the first ``after`` ones, until
    :meth:`release` (or :data:`GATE_HOLD_MAX` seconds; then the request goes on as usual).

    ``path`` matches the end of the request path (``"/advancesearch"``); ``method`` is any
    method when None. Use it as a context manager: leaving the block releases the gate.

    >>> g = Gate("/x", after=0); g.release(); g.released, g.held
    (True, 0)
    """

    def __init__(self, path: str, *, after: int = 0, method: str | None = None) -> None:
        if after < 0:
            raise ValueError(f"after must be >= 0, not {after}")
        self.path = path
        self.after = after
        self.method = method.upper() if method else None
        #: requests held so far (a count, never decreases)
        self.held = 0
        self._seen = 0
        self._cond = threading.Condition()
        self._released = threading.Event()
        self._waiters: list[tuple[Any, Any]] = []  # (event loop, asyncio.Event)
        self._detach: Callable[[Gate], None] | None = None

    def __repr__(self) -> str:
        return (f"<Gate {self.method or '*'} *{self.path} after={self.after} "
                f"held={self.held} released={self.released}>")

    @property
    def released(self) -> bool:
        """Whether :meth:`release` was called."""
        return self._released.is_set()

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is this gate's (it counts towards ``after`` or is held)."""
        return path.endswith(self.path) and (self.method is None or method == self.method)

    def _admit(self) -> bool:
        """Count one matching request; True when it must be held."""
        with self._cond:
            if self._released.is_set():
                return False
            self._seen += 1
            return self._seen > self.after

    def wait_held(self, count: int = 1, timeout: float = _WAIT_DEFAULT) -> None:
        """Block until ``count`` requests are held; AssertionError after ``timeout`` seconds.

        >>> Gate("/x").wait_held(timeout=0)
        Traceback (most recent call last):
          ...
        AssertionError: no request to */x was held within 0 s (0 of 1 held)
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self.held >= count, timeout):
                raise AssertionError(
                    f"no request to {self.method or '*'}{self.path} was held within "
                    f"{timeout:g} s ({self.held} of {count} held)")

    def release(self) -> None:
        """Let every held request (and every later one) through. Idempotent."""
        with self._cond:
            self._released.set()
            waiters, self._waiters = self._waiters, []
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # the server's loop has already closed
                loop.call_soon_threadsafe(event.set)
        if self._detach is not None:
            self._detach(self)

    async def hold(self) -> None:
        """Wait (in the server's event loop) until released, at most :data:`GATE_HOLD_MAX`."""
        import asyncio

        event = asyncio.Event()
        with self._cond:
            if self._released.is_set():
                return
            self._waiters.append((asyncio.get_running_loop(), event))
            self.held += 1
            self._cond.notify_all()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), GATE_HOLD_MAX)

    def __enter__(self) -> Gate:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


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
        self._gates: list[Gate] = []
        #: faults of the write endpoints (:mod:`zql.sandbox.write_control`)
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

    # ---- gates

    def gate(self, path: str, *, after: int = 0, method: str | None = None) -> Gate:
        """Hold requests to ``path`` after the first ``after`` until the gate is released.

        >>> c = Control(); g = c.gate("/advancesearch", after=2); c.gates()
        [<Gate * */advancesearch after=2 held=0 released=False>]
        >>> g.release(); c.gates()
        []
        """
        new = Gate(path, after=after, method=method)
        new._detach = self._remove_gate
        with self._lock:
            self._gates.append(new)
        return new

    def gates(self) -> list[Gate]:
        """The gates not yet released."""
        with self._lock:
            return list(self._gates)

    def _remove_gate(self, gate: Gate) -> None:
        with self._lock:
            if gate in self._gates:
                self._gates.remove(gate)

    def gate_for(self, method: str, path: str) -> Gate | None:
        """The gate that must hold this request, if any (the server calls this per request;
        every matching gate counts it)."""
        holding = None
        for gate in self.gates():
            if gate.matches(method, path) and gate._admit() and holding is None:
                holding = gate
        return holding

    def release_gates(self) -> None:
        """Release every gate (the sandbox does this when it stops)."""
        for gate in self.gates():
            gate.release()

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


# --------------------------------------------------------------------------- gates over HTTP

#: Where the gate endpoints live, under the API base (authenticated like every API call).
GATES_PATH = "/_sandbox/gates"


def gate_routes(control: Control) -> list[tuple[str, str, Callable[[Request],
                                                                  Awaitable[Response]]]]:
    """``(method, path, endpoint)`` of the gate endpoints, for a sandbox run as a process:

    - ``POST {GATES_PATH}`` with ``{"path": ..., "after": N, "method": ...}`` → ``{"id": ...}``
    - ``GET {GATES_PATH}/{id}?held=N&timeout=S`` waits (at most 30 s) until N requests are held
      → ``{"id", "held", "released"}``
    - ``DELETE {GATES_PATH}/{id}`` releases the gate.

    :class:`RemoteGate` speaks this; tests in the same process use :meth:`Control.gate`.
    """
    import asyncio

    from starlette.responses import JSONResponse

    by_id: dict[int, Gate] = {}

    def state(gate_id: int, gate: Gate) -> JSONResponse:
        return JSONResponse({"id": gate_id, "held": gate.held, "released": gate.released})

    def find(request: Request) -> tuple[int, Gate] | JSONResponse:
        raw = request.path_params["gate_id"]
        gate = by_id.get(int(raw)) if raw.isdigit() else None
        if gate is None:
            return JSONResponse({"errorMsg": f"no gate {raw}", "errorCode": 404},
                                status_code=404)
        return int(raw), gate

    async def create(request: Request) -> Response:
        try:
            spec = await request.json()
            gate = control.gate(str(spec["path"]), after=int(spec.get("after", 0)),
                                method=spec.get("method"))
        except (ValueError, KeyError, TypeError) as err:
            return JSONResponse({"errorMsg": f"bad gate: {err}", "errorCode": 400},
                                status_code=400)
        gate_id = len(by_id) + 1
        by_id[gate_id] = gate
        return state(gate_id, gate)

    async def wait(request: Request) -> Response:
        found = find(request)
        if isinstance(found, JSONResponse):
            return found
        gate_id, gate = found
        try:
            count = int(request.query_params.get("held", "0"))
            timeout = min(float(request.query_params.get("timeout", "0")), 30.0)
        except ValueError as err:
            return JSONResponse({"errorMsg": str(err), "errorCode": 400}, status_code=400)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while gate.held < count and loop.time() < deadline:
            await asyncio.sleep(0.005)
        return state(gate_id, gate)

    async def release(request: Request) -> Response:
        found = find(request)
        if isinstance(found, JSONResponse):
            return found
        gate_id, gate = found
        gate.release()
        return state(gate_id, gate)

    item = GATES_PATH + "/{gate_id}"
    return [("POST", GATES_PATH, create), ("GET", item, wait), ("DELETE", item, release)]


class RemoteGate:
    """A :class:`Gate` in a sandbox running as another process, driven over HTTP.

    ``api_url`` is the sandbox's API base and ``token`` its API token (as ``zql sandbox``
    prints them). Same interface as :class:`Gate`: ``with RemoteGate(...) as g:
    ...; g.wait_held(); g.release()``.
    """

    def __init__(self, api_url: str, token: str, path: str, *, after: int = 0,
                 method: str | None = None) -> None:
        import httpx

        self._http = httpx.Client(base_url=api_url, timeout=45.0,
                                  headers={"Authorization": f"Bearer {token}"})
        self.path = path
        try:
            answer = self._http.post(GATES_PATH, json={"path": path, "after": after,
                                                       "method": method})
            answer.raise_for_status()
        except BaseException:
            self._http.close()
            raise
        self.id = int(answer.json()["id"])
        self.held = 0

    def __repr__(self) -> str:
        return f"<RemoteGate {self.id} *{self.path} held={self.held}>"

    def wait_held(self, count: int = 1, timeout: float = _WAIT_DEFAULT) -> None:
        """Block until ``count`` requests are held; AssertionError after ``timeout`` seconds."""
        answer = self._http.get(f"{GATES_PATH}/{self.id}",
                                params={"held": count, "timeout": timeout})
        answer.raise_for_status()
        self.held = int(answer.json()["held"])
        if self.held < count:
            raise AssertionError(f"no request to {self.path} was held within {timeout:g} s "
                                 f"({self.held} of {count} held)")

    def release(self) -> None:
        """Let every held request through, and stop talking to the sandbox. Idempotent."""
        if self._http.is_closed:
            return
        try:
            self._http.delete(f"{GATES_PATH}/{self.id}").raise_for_status()
        finally:
            self._http.close()

    def __enter__(self) -> RemoteGate:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
