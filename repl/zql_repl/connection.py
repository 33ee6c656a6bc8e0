"""The shell's server connection, opened in the background so the first prompt never waits.

An *opener* builds the client (and, for ``--sandbox``, starts the bundled sandbox first) in a
daemon thread; searches wait for it, cancellably, while typing and completion go on with the
bundled schema. A connection that cannot be opened leaves the shell offline with a one-line
reason.

>>> from zql.schema import load_schema
>>> from zql_repl.metadata import Metadata
>>> conn = Connection(None, Metadata(load_schema()))
>>> conn.start(); conn.wait(0.1)
Traceback (most recent call last):
  ...
zql_repl.connection.NotConnected: not connected to a server: start with --url, --profile or \
--sandbox
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ssl

from zql_repl.config import Credentials
from zql_repl.metadata import Metadata, short_reason

__all__ = ["Connection", "NotConnected", "Opened", "Opener", "url_opener"]

_CLOSE_WAIT = 15.0  # seconds to let a starting sandbox finish before closing it


class NotConnected(Exception):
    """No server to send a search to (offline, or the connection failed).

    >>> str(NotConnected("offline"))
    'offline'
    """


@dataclass(frozen=True, slots=True)
class Opened:
    """An open client, a short server label for the toolbar, and how to close both.

    >>> Opened("client", "zephyr.example.com", lambda: None).notes
    ()
    """

    client: Any
    server: str
    close: Callable[[], None]
    #: lines to show once connected (e.g. the sandbox's address), never containing secrets
    notes: tuple[str, ...] = ()


Opener = Callable[[], Opened]


class Connection:
    """Runs an opener in the background and hands the client to searches when it is ready.

    >>> from zql.schema import load_schema
    >>> conn = Connection(lambda: Opened("client", "here", lambda: print("closed")),
    ...                   Metadata(load_schema()))
    >>> conn.wait(5), conn.server
    ('client', 'here')
    >>> conn.close()
    closed
    """

    def __init__(self, opener: Opener | None, metadata: Metadata, *, server: str = "") -> None:
        self.opener = opener
        self.metadata = metadata
        self.server = server
        self.opened: Opened | None = None
        self.error: str | None = None if opener else (
            "not connected to a server: start with --url, --profile or --sandbox")
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._started = False

    def start(self) -> None:
        """Begin opening (returns at once); a second call does nothing.

        >>> from zql.schema import load_schema
        >>> meta = Metadata(load_schema())
        >>> Connection(None, meta).start(); meta.snapshot.label
        'offline: no server'
        """
        if self._started:
            return
        self._started = True
        if self.opener is None:
            self.metadata.failed("no server")
            self._ready.set()
            return
        self.metadata.connecting(self.server)
        self._thread = threading.Thread(target=self._open, daemon=True, name="zql-connect")
        self._thread.start()

    def _open(self) -> None:
        assert self.opener is not None
        try:
            opened = self.opener()
        except BaseException as err:
            self.error = f"cannot connect: {short_reason(err)}"
            self.metadata.failed(short_reason(err))
            self._ready.set()
            return
        if self._closed:
            opened.close()
            self._ready.set()
            return
        self.opened = opened
        self.server = opened.server
        self._ready.set()
        self.metadata.attach(opened.client, opened.server)

    @property
    def ready(self) -> bool:
        """Whether opening has finished (successfully or not).

        >>> from zql.schema import load_schema
        >>> c = Connection(None, Metadata(load_schema())); c.start(); c.ready
        True
        """
        return self._ready.is_set()

    def wait(self, timeout: float | None = None) -> Any:
        """The client, waiting up to ``timeout`` seconds; :class:`NotConnected` if there is none.

        Returns None if the opener is still running after ``timeout``. Starts opening if
        :meth:`start` was not called yet.

        >>> from zql.schema import load_schema
        >>> Connection(lambda: Opened("client", "here", lambda: None),
        ...            Metadata(load_schema())).wait(5)
        'client'
        """
        self.start()
        if not self._ready.wait(timeout):
            return None
        if self.opened is None:
            raise NotConnected(self.error or "not connected")
        return self.opened.client

    def close(self) -> None:
        """Close the client (and the sandbox); waits briefly for a half-finished opener.

        >>> from zql.schema import load_schema
        >>> Connection(None, Metadata(load_schema())).close()
        """
        self._closed = True
        self.metadata.detach()
        if self._thread is not None:
            self._thread.join(_CLOSE_WAIT)
        if self.opened is not None:
            opened, self.opened = self.opened, None
            opened.close()


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url if "://" in url else f"http://{url}")
    return parts.netloc or url


def url_opener(credentials: Credentials, *, timeout: float = 60.0,
               verify: bool | ssl.SSLContext = True) -> Opener:
    """An opener for a real server; the client checks nothing until the first request.

    >>> url_opener(Credentials("https://zephyr.example.com/flex/html5", token="t")).__name__
    'open_url'
    """

    def open_url() -> Opened:
        from zql.client import ZephyrClient

        client = ZephyrClient(credentials.url, token=credentials.token,
                              username=credentials.username, password=credentials.password,
                              auth=credentials.auth, timeout=timeout, verify=verify)
        return Opened(client, _host(credentials.url), client.close)

    return open_url
