"""Server metadata for the shell, loaded in the background and swapped in atomically.

Nothing here ever blocks typing. The shell starts with the bundled schema; a daemon thread
fetches the server's schema and its release and project names, then replaces the immutable
:class:`Snapshot` with one assignment (readers see the old or the new one, never a mix).
Field values for completion are fetched on demand, one daemon job per field, and cached per
server, release, entity and field; until they arrive :meth:`Metadata.values` answers None, which
the completion engine shows as "loading".

>>> from zql.schema import load_schema
>>> meta = Metadata(load_schema("ze7"))
>>> meta.snapshot.state, meta.snapshot.schema.name
('offline', 'ze7')
>>> meta.values("testcase", load_schema().field("testcase", "project"), "")
()
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from zql.schema import FieldSpec, Schema

__all__ = ["Metadata", "MetadataClient", "Snapshot", "names_of", "short_reason"]

#: Longest value list kept per field; a longer answer is asked again per typed prefix.
VALUE_CAP = 500


class MetadataClient(Protocol):
    """What the metadata loader needs from :class:`zql.client.ZephyrClient`.

    >>> from zql.client import ZephyrClient
    >>> all(hasattr(ZephyrClient, name) for name in ("schema", "suggest", "releases", "projects"))
    True
    """

    def schema(self) -> Schema:
        """The server's ZQL schema."""

    def suggest(self, field: str, prefix: str = "", *, entity: str = "testcase",
                release: Any = None, limit: int = VALUE_CAP) -> Sequence[str]:
        """Values of ``field`` for completion."""

    def releases(self) -> Any:
        """The server's releases (dicts with a ``name``)."""

    def projects(self) -> Any:
        """The server's projects (dicts with a ``name``)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the shell knows about the server right now.

    ``state`` is ``offline`` (no server, or it failed: see ``reason``), ``connecting``,
    ``loading`` (connected, schema on its way) or ``connected``.

    >>> from zql.schema import load_schema
    >>> Snapshot(load_schema(), "offline", reason="no server").label
    'offline: no server'
    """

    schema: Schema
    state: str = "offline"
    reason: str = ""
    server: str = ""
    releases: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The connection state as the toolbar shows it.

        >>> from zql.schema import load_schema
        >>> Snapshot(load_schema(), "connected", server="zephyr.example.com").label
        'connected'
        """
        return f"{self.state}: {self.reason}" if self.reason else self.state


def names_of(items: Iterable[Any]) -> tuple[str, ...]:
    """Names from lookup results: dicts with ``name``, objects with ``.name``, or strings.

    >>> names_of([{"id": 1, "name": "R1"}, "R2", {"id": 3}])
    ('R1', 'R2')
    """
    out: list[str] = []
    for item in items or ():
        name = item.get("name") if isinstance(item, dict) else getattr(item, "name", item)
        if isinstance(name, str) and name and name not in out:
            out.append(name)
    return tuple(out)


def short_reason(err: BaseException) -> str:
    """One line naming what failed, without secrets (client errors already omit them) and
    without the request the client names, which the toolbar has no room for.

    >>> short_reason(OSError("connection refused\\nmore"))
    'connection refused'
    >>> short_reason(OSError("timed out (GET https://z/flex/services/rest/latest/user)"))
    'timed out'
    """
    lines = str(err).strip().splitlines()
    text = lines[0] if lines else type(err).__name__
    text = re.split(r" \((?:GET|POST|PUT|DELETE|HEAD) ", text, maxsplit=1)[0]
    return text[:120]


class Metadata:
    """Schema, names and value lists of one server, kept fresh in the background.

    ``on_change`` is called (from a background thread) whenever something new arrived, so the
    shell can redraw its toolbar or reopen the completion menu.

    >>> import time
    >>> from zql.schema import load_schema
    >>> class Server:  # what a client answers, without the network
    ...     def schema(self): return load_schema("ze6")
    ...     def suggest(self, field, prefix="", *, entity, release=None, limit=500):
    ...         return ["P1", "P2"]
    ...     def releases(self): return [{"id": 1, "name": "R1"}]
    ...     def projects(self): return []
    >>> meta = Metadata(load_schema("ze7"))
    >>> meta.attach(Server(), "here")
    >>> while meta.snapshot.releases == (): time.sleep(0.01)
    >>> meta.snapshot.state, meta.snapshot.schema.name, meta.snapshot.releases
    ('connected', 'ze6', ('R1',))
    """

    def __init__(self, fallback: Schema, *, on_change: Callable[[], None] | None = None) -> None:
        self.fallback = fallback
        self.snapshot = Snapshot(fallback)
        self.on_change = on_change or (lambda: None)
        self.release: str | None = None
        self._client: MetadataClient | None = None
        self._values: dict[tuple[Any, ...], tuple[str, ...]] = {}
        self._inflight: set[tuple[Any, ...]] = set()
        self._lock = threading.Lock()
        self._generation = 0
        #: bumped whenever something new arrives (values, schema, names)
        self.version = 0

    # ---- connection lifecycle (called by the shell's connection)

    def connecting(self, server: str) -> None:
        """The client is being set up (for example the sandbox is starting).

        >>> from zql.schema import load_schema
        >>> m = Metadata(load_schema()); m.connecting("sandbox"); m.snapshot.label
        'connecting'
        """
        self._swap(replace(self.snapshot, state="connecting", reason="", server=server))

    def failed(self, reason: str) -> None:
        """The server could not be reached or refused us: work offline with the bundled schema.

        >>> from zql.schema import load_schema
        >>> m = Metadata(load_schema()); m.failed("timeout"); m.snapshot.label
        'offline: timeout'
        """
        self._swap(replace(self.snapshot, state="offline", reason=reason))

    def attach(self, client: MetadataClient, server: str) -> None:
        """Use ``client`` from now on and start loading the schema and names (see the class
        example)."""
        with self._lock:
            self._client = client
        self._swap(replace(self.snapshot, state="loading", reason="", server=server))
        self.refresh()

    def detach(self) -> None:
        """Forget the client (it is being closed); background jobs stop using it.

        >>> from zql.schema import load_schema
        >>> m = Metadata(load_schema()); m.detach(); m.values("testcase",
        ...     load_schema().field("testcase", "tag"), "")
        ()
        """
        with self._lock:
            self._client = None
            self._generation += 1

    def refresh(self) -> None:
        """Drop cached values and reload the schema and names in the background.

        >>> from zql.schema import load_schema
        >>> m = Metadata(load_schema()); m.refresh(); m.snapshot.state  # no client: nothing to do
        'offline'
        """
        with self._lock:
            self._values.clear()
            self._inflight.clear()
            self._generation += 1
            generation = self._generation
            client = self._client
        if client is None:
            return
        self._swap(replace(self.snapshot, state="loading", reason=""))
        _spawn(self._load, client, generation)

    def set_release(self, release: str | None) -> None:
        """Values are per release: later lookups use ``release`` (cached entries stay).

        >>> from zql.schema import load_schema
        >>> m = Metadata(load_schema()); m.set_release("R1"); m.release
        'R1'
        """
        self.release = release

    # ---- answers (never block)

    def values(self, entity: str, spec: FieldSpec, prefix: str) -> Sequence[str] | None:
        """Cached server values for ``spec``; None while they load; () when there are none.

        A value source for :func:`zql.complete.complete`.

        >>> from zql.schema import load_schema
        >>> m = Metadata(load_schema())
        >>> m.values("testcase", load_schema().field("testcase", "automated"), "")  # no lookup
        ()
        """
        if spec.lookup is None:
            return ()
        with self._lock:
            client, generation = self._client, self._generation
            if client is None or self.snapshot.state == "offline":
                return ()
            whole = (self.release, entity, spec.name, "")
            if whole in self._values and len(self._values[whole]) < VALUE_CAP:
                return self._values[whole]
            key = whole if whole not in self._values else (*whole[:3], prefix.lower())
            if key in self._values:
                return self._values[key]
            if key in self._inflight:
                return None
            self._inflight.add(key)
        _spawn(self._fetch_values, client, generation, key, spec.name)
        return None

    # ---- background jobs

    def _load(self, client: MetadataClient, generation: int) -> None:
        try:
            schema = client.schema()
        except Exception as err:  # any failure: stay usable offline, say why
            if self._current(generation):
                self.failed(short_reason(err))
            return
        if not self._current(generation):
            return
        self._swap(replace(self.snapshot, schema=schema, state="connected", reason=""))
        releases: tuple[str, ...] = ()
        projects: tuple[str, ...] = ()
        try:
            releases = names_of(client.releases())
            projects = names_of(client.projects())
        except Exception:  # names only feed completion of \release and \project
            pass
        if self._current(generation):
            self._swap(replace(self.snapshot, releases=releases, projects=projects))

    def _fetch_values(self, client: MetadataClient, generation: int, key: tuple[Any, ...],
                      field: str) -> None:
        release, entity, _, prefix = key
        try:
            found = tuple(str(v) for v in client.suggest(field, prefix, entity=entity,
                                                         release=release, limit=VALUE_CAP))
        except Exception:  # a failed lookup offers nothing rather than "loading" forever
            found = ()
        with self._lock:
            if generation != self._generation:
                return
            self._values[key] = found[:VALUE_CAP] if prefix == "" else found
            self._inflight.discard(key)
            self.version += 1
        self.on_change()

    def _current(self, generation: int) -> bool:
        with self._lock:
            return generation == self._generation

    def _swap(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        with self._lock:
            self.version += 1
        self.on_change()


def _spawn(target: Callable[..., None], *args: Any) -> None:
    # Daemon threads: a hung server must never keep the shell from exiting.
    threading.Thread(target=target, args=args, daemon=True, name="zql-metadata").start()
