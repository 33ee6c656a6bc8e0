"""Authentication as ``httpx.Auth`` classes: API token (Bearer), Basic, and session cookie.

Each class has one generator flow that serves the sync and the async client alike. The cookie
flow logs in with ``GET …/user/current`` and Basic, keeps the ``token`` cookie, and on a 401
(or a 200 whose body is a string describing one) logs in again once and replays the request.
Concurrent requests that fail together share one re-login: the flow asks its driver for a lock
around the login, and a generation counter tells a waiter that someone else already logged in.
``repr`` never shows a secret.
"""

from __future__ import annotations

import base64
import enum
import threading
from collections.abc import AsyncGenerator, Generator
from http.cookies import CookieError, SimpleCookie

import anyio
import httpx

from zql.client._errors import ConfigurationError, is_unauthorized

__all__ = ["COOKIE_NAME", "BasicAuth", "BearerAuth", "CookieAuth"]

#: The session cookie Zephyr sets on login.
COOKIE_NAME = "token"


def _check_header_text(what: str, value: str, *, hint: str) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"the {what} is empty")
    if not value.isascii():
        raise ConfigurationError(f"the {what} contains non-ASCII characters, which {hint}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ConfigurationError(f"the {what} contains control characters")


def basic_header(username: str, password: str) -> str:
    """The ``Authorization`` value for Basic auth; non-ASCII credentials are refused.

    >>> basic_header("alice", "pw")
    'Basic YWxpY2U6cHc='
    >>> basic_header("zoë", "pw")
    Traceback (most recent call last):
      ...
    zql.client.ConfigurationError: the username contains non-ASCII characters, which \
Basic authentication cannot carry: use an API token instead (ZEPHYR_TOKEN)
    """
    hint = "Basic authentication cannot carry: use an API token instead (ZEPHYR_TOKEN)"
    _check_header_text("username", username, hint=hint)
    _check_header_text("password", password, hint=hint)
    if ":" in username:
        raise ConfigurationError("the username contains ':', which Basic authentication cannot "
                                 "carry: use an API token instead (ZEPHYR_TOKEN)")
    raw = f"{username}:{password}".encode("ascii")
    return "Basic " + base64.b64encode(raw).decode("ascii")


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <token>`` (API tokens; the only method that works with SSO).

    >>> import httpx
    >>> auth = BearerAuth("s3cret")
    >>> request = next(auth.auth_flow(httpx.Request("GET", "https://h/")))
    >>> request.headers["Authorization"], repr(auth)
    ('Bearer s3cret', 'BearerAuth(token=***)')
    """

    def __init__(self, token: str) -> None:
        _check_header_text("API token", token, hint="no Zephyr token contains")
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header and send."""
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(token=***)"


class BasicAuth(httpx.Auth):
    """``Authorization: Basic …`` on every request. ASCII credentials only.

    >>> BasicAuth("alice", "pw")
    BasicAuth(username='alice', password=***)
    """

    def __init__(self, username: str, password: str) -> None:
        self._header = basic_header(username, password)
        self.username = username

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the header and send."""
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=***)"


class _Step(enum.Enum):
    """What a flow asks its driver for besides sending a request."""

    LOCK = "lock"
    UNLOCK = "unlock"


_Flow = Generator["httpx.Request | _Step", "httpx.Response | None", None]


class CookieAuth(httpx.Auth):
    """Session-cookie auth: log in once with Basic, then send ``Cookie: token=…``.

    ``logins`` counts successful logins. If the server answers the login without a ``token``
    cookie, the flow falls back to sending Basic on every request.

    >>> import httpx
    >>> auth = CookieAuth("alice", "pw", "https://h/flex/services/rest/latest/user/current")
    >>> flow = auth.auth_flow(httpx.Request("GET", "https://h/flex/services/rest/latest/user"))
    >>> login = next(flow)
    >>> login.url.path, login.headers["Authorization"]
    ('/flex/services/rest/latest/user/current', 'Basic YWxpY2U6cHc=')
    >>> replay = flow.send(httpx.Response(200, headers={"Set-Cookie": "token=abc; Path=/flex"}))
    >>> replay.headers["Cookie"], auth.logins, repr(auth)
    ('token=abc', 1, "CookieAuth(username='alice', password=***, logged_in=True)")
    """

    requires_response_body = True

    def __init__(self, username: str, password: str, login_url: str) -> None:
        self._header = basic_header(username, password)
        self.username = username
        self.login_url = login_url
        self.logins = 0
        self._cookie: str | None = None
        self._basic_only = False
        # Bumped on every login attempt; a request compares it with the value it started from.
        self._generation = 0
        self._thread_lock = threading.Lock()
        self._async_lock: anyio.Lock | None = None

    def __repr__(self) -> str:
        return (f"CookieAuth(username={self.username!r}, password=***, "
                f"logged_in={self._cookie is not None})")

    @property
    def logged_in(self) -> bool:
        """Whether a session cookie is held."""
        return self._cookie is not None

    @property
    def session(self) -> str | None:
        """The session cookie's value (a secret: for scrubbing messages, never for display)."""
        return self._cookie

    def forget(self) -> str | None:
        """Drop the session cookie (after a logout) and return it, for the logout request."""
        cookie, self._cookie = self._cookie, None
        return cookie

    # ---- the flow (one implementation for sync and async)

    def _flow(self, request: httpx.Request) -> _Flow:
        relogin = True
        if self._cookie is None and not self._basic_only:
            outcome = yield from self._login(request, self._generation)
            if outcome is _Login.FAILED:
                return  # the failed login answer is the final response
            # A concurrent request's login just failed: do not try the password again.
            relogin = self.logged_in or self._basic_only
        generation = self._generation
        self._authorize(request)
        response = yield request
        assert response is not None
        if not relogin or self._basic_only or not is_unauthorized(response):
            return
        outcome = yield from self._login(request, generation)
        if outcome is _Login.FAILED or not (self.logged_in or self._basic_only):
            return
        self._authorize(request)
        yield request  # replay once; whatever it gets is final

    def _login(self, request: httpx.Request, seen: int) -> Generator[
            httpx.Request | _Step, httpx.Response | None, _Login]:
        yield _Step.LOCK
        if self._generation != seen:
            yield _Step.UNLOCK
            return _Login.SHARED  # another request (re)logged in while this one waited
        login = httpx.Request("GET", self.login_url, headers={
            "Authorization": self._header, "Accept": "application/json",
            "User-Agent": request.headers.get("User-Agent", "zephyr-zql")})
        response = yield login
        assert response is not None
        self._generation += 1
        ok = response.status_code == 200 and not is_unauthorized(response)
        self._cookie = _token_cookie(response) if ok else None
        if ok and self._cookie is None:
            self._basic_only = True  # a server without sessions: Basic on every request
        self.logins += ok
        yield _Step.UNLOCK
        return _Login.DONE if ok else _Login.FAILED

    def _authorize(self, request: httpx.Request) -> None:
        if self._basic_only:
            request.headers["Authorization"] = self._header
        elif self._cookie is not None:
            _set_cookie(request, COOKIE_NAME, self._cookie)

    # ---- drivers: httpx asks to override these when a flow uses concurrency primitives

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """The flow without locking (one request at a time)."""
        flow = self._flow(request)
        response: httpx.Response | None = None
        try:
            while True:
                step = flow.send(response)
                response = None
                if isinstance(step, httpx.Request):
                    response = yield step
        except StopIteration:
            return

    def sync_auth_flow(
            self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """The flow for :class:`httpx.Client`, with a thread lock around logins."""
        flow = self._flow(request)
        response: httpx.Response | None = None
        held = False
        try:
            while True:
                step = flow.send(response)
                response = None
                if step is _Step.LOCK:
                    self._thread_lock.acquire()
                    held = True
                elif step is _Step.UNLOCK:
                    self._thread_lock.release()
                    held = False
                else:
                    response = yield step
                    response.read()
        except StopIteration:
            return
        finally:
            if held:
                self._thread_lock.release()

    async def async_auth_flow(
            self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """The flow for :class:`httpx.AsyncClient`, with an async lock around logins."""
        if self._async_lock is None:
            self._async_lock = anyio.Lock()
        lock = self._async_lock
        flow = self._flow(request)
        response: httpx.Response | None = None
        held = False
        try:
            while True:
                step = flow.send(response)
                response = None
                if step is _Step.LOCK:
                    await lock.acquire()
                    held = True
                elif step is _Step.UNLOCK:
                    lock.release()
                    held = False
                else:
                    response = yield step
                    await response.aread()
        except StopIteration:
            return
        finally:
            if held:
                lock.release()


class _Login(enum.Enum):
    DONE = "done"
    SHARED = "shared"
    FAILED = "failed"


def _token_cookie(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        if COOKIE_NAME in jar and jar[COOKIE_NAME].value:
            return jar[COOKIE_NAME].value
    return None


def _set_cookie(request: httpx.Request, name: str, value: str) -> None:
    # Keep other cookies (load-balancer stickiness) but replace any stale session token.
    pairs = [p.strip() for p in request.headers.get("cookie", "").split(";")]
    kept = [p for p in pairs if p and p.split("=", 1)[0].strip() != name]
    request.headers["Cookie"] = "; ".join([*kept, f"{name}={value}"])
