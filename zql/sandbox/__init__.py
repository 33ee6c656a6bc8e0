"""A local Zephyr-compatible server over a real SQLite store, with realistic sample data.

``with Sandbox() as sb:`` builds the data set, serves the ZE REST subset this toolkit uses on a
free loopback port in a background thread, and stops it when the block ends. Tests, the shell
and ``make demo`` run against it; ``zql sandbox`` runs it from the command line.
Needs the ``sandbox`` extra (starlette, uvicorn); ``import zql`` never imports this package.

>>> import httpx
>>> with Sandbox(size="small", seed=1) as sb:
...     r = httpx.get(sb.api_url + "/advancesearch",
...                   headers={"Authorization": f"Bearer {sb.token}"},
...                   params={"entitytype": "execution", "zql": "true", "word": 'status = "Fail"'})
...     r.status_code, r.json()[0]["resultSize"] > 0
(200, True)
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import threading
import time
from types import TracebackType
from typing import Any

from zql.sandbox.control import Control
from zql.sandbox.data import SIZES
from zql.sandbox.model import sandbox_schema
from zql.sandbox.servers import DEFAULT_SERVER, PROFILES, ServerProfile, profile
from zql.sandbox.store import Store, StoreError

__all__ = ["PROFILES", "Control", "Sandbox", "SandboxError", "ServerProfile", "Store",
           "StoreError", "is_loopback", "sandbox_schema"]

_API_PATH = "/flex/services/rest/latest"
_START_TIMEOUT = 15.0


class SandboxError(Exception):
    """The sandbox cannot start: bad options, a port in use, missing extra.

    >>> Sandbox(page_cap=0)
    Traceback (most recent call last):
      ...
    zql.sandbox.SandboxError: page_cap must be >= 1, not 0
    """


class Sandbox:
    """A running sandbox server. Credentials are generated unless given.

    ``user`` is ``"NAME:PASSWORD"`` or a ``(name, password)`` pair (default: ``admin`` with a
    random password); ``readonly_user`` the same for the read-only account (default:
    ``viewer`` with a random password and token, ``readonly_token``) whose writes answer 403.
    ``host`` must be a loopback address unless ``public=True`` (see :func:`is_loopback`).
    ``server`` is a server profile (``ze6``, ``ze7``, ``ze8``, ``cloud``; see
    :mod:`zql.sandbox.servers`); ``page_cap`` defaults to the profile's. ``db`` is a file to
    build the data set into once and reuse (``large``). ``control`` changes behaviour while
    running; ``store`` reads the data directly.

    >>> sb = Sandbox(token="t", user="ann:secret", server="cloud")
    >>> sb.username, sb.password, "secret" in repr(sb), sb.running, sb.server.name
    ('ann', 'secret', False, False, 'cloud')
    >>> sb.readonly_username, len(sb.readonly_password) > 8
    ('viewer', True)
    """

    def __init__(self, size: str = "small", seed: int = 1, *, host: str = "127.0.0.1",
                 port: int = 0, db: str | os.PathLike[str] | None = None,
                 token: str | None = None, user: str | tuple[str, str] | None = None,
                 readonly_user: str | tuple[str, str] | None = None,
                 readonly_token: str | None = None, server: str = DEFAULT_SERVER,
                 page_cap: int | None = None, cookie_ttl: int = 5400, latency_ms: float = 0,
                 fail_rate: float = 0.0, quirks: bool = False, public: bool = False) -> None:
        if size not in SIZES:
            raise SandboxError(f"unknown size {size!r}; one of: {', '.join(SIZES)}")
        try:
            self.server: ServerProfile = profile(server)
        except ValueError as err:
            raise SandboxError(str(err)) from None
        page_cap = self.server.page_cap if page_cap is None else page_cap
        for name, value, low in (("page_cap", page_cap, 1), ("cookie_ttl", cookie_ttl, 1),
                                 ("latency_ms", latency_ms, 0), ("port", port, 0)):
            if value < low:
                raise SandboxError(f"{name} must be >= {low}, not {value}")
        if port > 65535:
            raise SandboxError(f"port must be <= 65535, not {port}")
        if not public and not is_loopback(host):
            try:
                socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (OSError, UnicodeError) as err:
                raise SandboxError(f"cannot listen on {host}:{port}: {err}") from None
            raise SandboxError(
                f"{host!r} is not a loopback address: the sandbox would listen beyond this "
                "machine and hand out its credentials to anyone who can reach it; bind to "
                "127.0.0.1 (the default) or pass public=True (--public) to do it anyway")
        self.public = public
        if not 0.0 <= fail_rate <= 1.0:
            raise SandboxError(f"fail_rate must be between 0 and 1, not {fail_rate}")
        self.size = size
        self.seed = seed
        self.host = host
        self.port = port
        self.db = db
        self.token = token or secrets.token_urlsafe(24)
        self.username, self.password = _parse_user(user)
        self.readonly_username, self.readonly_password = _parse_user(readonly_user, "viewer")
        if self.readonly_username == self.username:
            raise SandboxError("the read-only user needs a name of its own")
        self.readonly_token = readonly_token or secrets.token_urlsafe(24)
        self.control = Control(seed=seed, page_cap=page_cap, cookie_ttl=cookie_ttl,
                               latency_ms=latency_ms, fail_rate=fail_rate, quirks=quirks)
        self._url: str | None = None
        self._store: Store | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    def __repr__(self) -> str:
        state = self._url or "stopped"
        return (f"<Sandbox {self.size} seed={self.seed} server={self.server.name} {state} "
                f"user={self.username!r}>")

    @property
    def running(self) -> bool:
        """Whether the server is up."""
        return self._url is not None

    @property
    def url(self) -> str:
        """The origin, e.g. ``http://127.0.0.1:54321`` (no path).

        >>> Sandbox().url
        Traceback (most recent call last):
          ...
        zql.sandbox.SandboxError: the sandbox is not running
        """
        if self._url is None:
            raise SandboxError("the sandbox is not running")
        return self._url

    @property
    def api_url(self) -> str:
        """The API base: ``url`` + ``/flex/services/rest/latest``."""
        return self.url + _API_PATH

    @property
    def store(self) -> Store:
        """The data store (open while running)."""
        if self._store is None:
            raise SandboxError("the sandbox is not running")
        return self._store

    # ---- lifecycle

    def start(self) -> Sandbox:
        """Build or open the data, bind the port and serve in a background thread."""
        if self._thread is not None:
            raise SandboxError("the sandbox is already running")
        try:
            import uvicorn

            from zql.sandbox._server import QuickStopServer
            from zql.sandbox.app import Credentials, create_app
        except ImportError as err:
            raise SandboxError(f"the sandbox needs the 'sandbox' extra ({err.name} is missing): "
                               "pip install 'zephyr-zql[sandbox]'") from None
        # Bind first: a port in use is reported at once, not after building the data set.
        self._socket = _bind(self.host, self.port)
        try:
            self._store = Store.open(self.size, self.seed, self.db, self.server)
        except BaseException as err:
            self._socket.close()
            self._socket = None
            if isinstance(err, (StoreError, OSError)):
                raise SandboxError(str(err)) from None
            raise
        port = self._socket.getsockname()[1]
        app = create_app(self._store, self.control,
                         Credentials(self.token, self.username, self.password,
                                     self.readonly_token, self.readonly_username,
                                     self.readonly_password), self.server)
        config = uvicorn.Config(app, log_level="warning", access_log=False, log_config=None,
                                lifespan="off", timeout_graceful_shutdown=2)
        self._server = QuickStopServer(config)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._socket]},
                                        name=f"zql-sandbox-{port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise SandboxError("the sandbox server did not start")
            time.sleep(0.005)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Stop serving and close everything (idempotent)."""
        self.control.release_gates()
        if self._thread is not None:
            self._server.stop_soon()
            self._thread.join()
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._close_store()
        self._url = None

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` resolves to is a loopback one (127.0.0.0/8, ::1).

    ``0``, ``0x0``, ``0.0``, ``0.0.0.0`` and ``::`` mean "every interface": not loopback. A
    name that does not resolve is not loopback either (it is refused before binding).

    >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "127.3.4.5")]
    [True, True, True, True]
    >>> [is_loopback(h) for h in ("0", "0x0", "0.0", "0.0.0.0", "::", "", "10.1.2.3")]
    [False, False, False, False, False, False, False]
    """
    if not host.strip():
        return False  # an empty host binds every interface
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]) for info in infos}
    try:
        return bool(addresses) and all(
            ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
    except ValueError:
        return False


def _parse_user(user: str | tuple[str, str] | None, default: str = "admin") -> tuple[str, str]:
    if user is None:
        return default, secrets.token_urlsafe(12)
    if isinstance(user, tuple):
        name, password = user
    else:
        name, sep, password = user.partition(":")
        if not sep:
            raise SandboxError("user must be NAME:PASSWORD")
    if not name or not password:
        raise SandboxError("user needs a non-empty name and password (NAME:PASSWORD)")
    return name, password


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as err:
        raise SandboxError(f"cannot listen on {host}:{port}: {err}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        raise SandboxError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    return sock
