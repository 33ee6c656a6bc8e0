"""The sandbox's SQLite store: relational tables, search documents, lookups and paging.

Built (:mod:`zql.sandbox.build`) from :mod:`zql.sandbox.data` in memory (``small``, in well
under a second) or once into a file (``large``) that later runs reuse when its size, seed and
layout match. Besides the
relational tables, each entity has a *search document* table — one row per item, one column per
schema field holding the folded (case-insensitive) value, side tables for multi-valued fields —
much as ZE indexes items for Elasticsearch. ZQL compiles to SQL over those documents
(:mod:`zql.sandbox.sql`); result items are built as JSON by SQLite from the relational tables
(:mod:`zql.sandbox.views`).

One connection, guarded by a lock: the server's threads, tests and benchmarks share it.

>>> from zql.sandbox.sql import compile_query
>>> with Store.open("small", seed=1) as store:
...     page = store.search("testcase", compile_query('priority = "high"', "testcase"), limit=2)
...     page.total > 0, len(page.items), page.results()[0]["testcase"]["priority"]
(True, 2, 'High')
"""

from __future__ import annotations

import collections
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from zql.sandbox import build, data
from zql.sandbox.model import column, fold, multi_table, sandbox_schema
from zql.sandbox.servers import DEFAULT_SERVER, ServerProfile, profile
from zql.sandbox.sql import MATCH_ALL, Order, Subquery, Where
from zql.sandbox.views import VIEWS, Template, View, item_template, json_sql
from zql.schema import ENTITIES

__all__ = ["Page", "Store", "StoreError"]

_COUNT_CACHE = 512
_BY_ID = Order()


class StoreError(Exception):
    """A database file that cannot be used (not a sandbox store, unreadable...).

    >>> str(StoreError("x"))
    'x'
    """


@dataclass(frozen=True, slots=True)
class Page:
    """One page of search results: the total hit count and each item as UTF-8 JSON.

    Items stay bytes from SQLite to the socket: a 500-item page never becomes Python objects
    on the server.

    >>> Page(3, 0, [b'{"id": 1}']).body()
    b'[{"firstResult": 0, "resultSize": 3, "results": [{"id": 1}]}]'
    """

    total: int
    first: int
    items: list[bytes]
    #: the page block's ``type`` (``testSchedule`` for executions), if any
    type: str | None = None

    def body(self, *, bare: bool = False) -> bytes:
        """The search response body: ZE's array-wrapped page object, or the bare object.

        >>> Page(0, 5, [], "testSchedule").body(bare=True)
        b'{"firstResult": 5, "resultSize": 0, "type": "testSchedule", "results": []}'
        """
        kind = b' "type": %s,' % json.dumps(self.type).encode() if self.type else b""
        head = b'{"firstResult": %d, "resultSize": %d,%s "results": [' % (
            self.first, self.total, kind)
        parts = [b"[" + head if not bare else head, b",".join(self.items),
                 b"]}" if bare else b"]}]"]
        return b"".join(parts)

    def results(self) -> list[Any]:
        """The items decoded.

        >>> Page(1, 0, [b'{"id": 7}']).results()
        [{'id': 7}]
        """
        return [json.loads(item) for item in self.items]


class Store:
    """The sandbox database. Open with :meth:`open`; close (or use ``with``) when done.

    >>> with Store.open("small", 1) as store:
    ...     store.size, [p["name"] for p in store.projects()][:2]
    ('small', ['Project Ironclad', 'Atlas Mobile'])
    """

    def __init__(self, conn: sqlite3.Connection, size: str, seed: int,
                 path: Path | None = None, server: ServerProfile | None = None) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self._counts: collections.OrderedDict[tuple[object, ...], int] = \
            collections.OrderedDict()
        self.size = size
        self.seed = seed
        self.path = path
        self._users: list[dict[str, Any]] | None = None
        self.server = server or profile(DEFAULT_SERVER)
        self.schema = sandbox_schema().with_statuses(self.server.statuses())
        self._item_sql = {e: self._items_query(v, item_template(e, self.server))
                          for e, v in VIEWS.items()}
        self._in_memory = path is None

    # ---- opening

    @classmethod
    def open(cls, size: str = "small", seed: int = 1,
             path: str | os.PathLike[str] | None = None,
             server: ServerProfile | str = DEFAULT_SERVER) -> Store:
        """Build in memory, or open ``path`` (building it first if missing or stale), with
        the data and item shapes of a server profile (:mod:`zql.sandbox.servers`).

        >>> Store.open("huge")
        Traceback (most recent call last):
          ...
        zql.sandbox.store.StoreError: unknown size 'huge'; one of: small, large
        """
        if size not in data.SIZES:
            raise StoreError(f"unknown size {size!r}; one of: {', '.join(data.SIZES)}")
        if isinstance(server, str):
            try:
                server = profile(server)
            except ValueError as err:
                raise StoreError(str(err)) from None
        if path is None:
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            if size == "small":
                build.built_small(seed, server).backup(conn)
            else:
                build.build(conn, size, seed, server)
            return cls(conn, size, seed, server=server)
        target = Path(path).resolve()
        if _stored_meta(target) != {"fingerprint": build.fingerprint(server), "size": size,
                                    "seed": str(seed)}:
            build.build_file(target, size, seed, server)
        try:
            conn = sqlite3.connect(target.as_uri() + "?mode=ro", uri=True,
                                   check_same_thread=False)
            conn.execute("PRAGMA mmap_size = 1073741824")
            conn.execute("PRAGMA cache_size = -262144")
        except sqlite3.Error as err:
            raise StoreError(f"cannot open {target}: {err}") from None
        return cls(conn, size, seed, target, server)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        where = str(self.path) if self.path else "memory"
        return f"<Store {self.size} seed={self.seed} in {where}>"

    # ---- raw access

    @contextmanager
    def _cursor(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cur = self._conn.cursor()
            try:
                yield cur
            finally:
                cur.close()

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """Run a read-only query (tests and benchmarks read rows straight from SQLite).

        >>> with Store.open() as store:
        ...     store.rows("SELECT count(*) FROM testcases")
        [(400,)]
        """
        with self._cursor() as cur:
            return cur.execute(sql, tuple(params)).fetchall()

    def on_progress(self, callback: Callable[[], int] | None, every: int = 1000) -> None:
        """Have SQLite call ``callback`` every ``every`` steps of a running statement (in the
        thread running it); a non-zero return aborts the statement. Tests use it to hold a
        query provably mid-run; ``None`` removes it.

        >>> with Store.open() as store:
        ...     store.on_progress(lambda: 0); store.on_progress(None)
        """
        with self._lock:
            self._conn.set_progress_handler(callback, every)

    def dicts(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, Any]]:
        """Run a read-only query; each row a dict keyed by column name.

        >>> with Store.open() as store:
        ...     store.dicts("SELECT id, name FROM projects WHERE id = ?", (1,))
        [{'id': 1, 'name': 'Project Ironclad'}]
        """
        with self._cursor() as cur:
            cur.execute(sql, tuple(params))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # ---- lookups

    def users(self) -> list[dict[str, Any]]:
        """Every user, as ``GET /user`` lists them.

        >>> with Store.open() as store:
        ...     store.users()[0]["username"]
        'admin'
        """
        if self._users is None:  # read on every authenticated request: read once
            users = self.dicts(
                "SELECT id, username, first_name AS firstName, last_name AS lastName, email, "
                "first_name || ' ' || last_name AS fullName, role FROM users ORDER BY id")
            for user in users:
                user["accountEnabled"] = True
            self._users = users
        return [dict(u) for u in self._users]

    def projects(self) -> list[dict[str, Any]]:
        """Every project (``GET /project/lite``).

        >>> with Store.open() as store:
        ...     sorted(store.projects()[0])
        ['description', 'id', 'name', 'shortName']
        """
        return self.dicts("SELECT id, name, short_name AS shortName, description "
                           "FROM projects ORDER BY id")

    def releases(self, project_id: int | None = None) -> list[dict[str, Any]]:
        """Releases, all or of one project (``GET /release``, ``/release/project/{id}``).

        >>> with Store.open() as store:
        ...     [r["name"] for r in store.releases(project_id=2)]
        ['Atlas 4.0', 'Atlas 4.1']
        """
        sql = ("SELECT r.id, r.name, r.description, r.project_id AS projectId, "
               "p.name AS projectName, r.status, r.start_date AS releaseStartDate, "
               "r.end_date AS releaseEndDate FROM releases r JOIN projects p "
               "ON p.id = r.project_id")
        if project_id is None:
            return self.dicts(sql + " ORDER BY r.id")
        return self.dicts(sql + " WHERE r.project_id = ? ORDER BY r.id", (project_id,))

    def cycles(self, release_id: int | None = None, *,
               cycle_id: int | None = None) -> list[dict[str, Any]]:
        """The cycles of a release (or the one cycle ``cycle_id``) with their phases
        (``GET /cycle/release/{id}``, ``GET /cycle/{id}``).

        >>> with Store.open() as store:
        ...     sorted(store.cycles(1)[0])[:3], [c["id"] for c in store.cycles(cycle_id=2)]
        (['build', 'cycleEndDate', 'cyclePhases'], [2])
        """
        column, value = ("id", cycle_id) if cycle_id is not None else ("release_id", release_id)
        cycles = self.dicts(
            "SELECT id, name, release_id AS releaseId, build, environment, "
            "start_date AS cycleStartDate, end_date AS cycleEndDate FROM cycles "
            f"WHERE {column} = ? ORDER BY id", (value,))
        for cycle in cycles:
            cycle["cyclePhases"] = self.dicts(
                "SELECT id, name, cycle_id AS cycleId FROM phases WHERE cycle_id = ? "
                "ORDER BY id", (cycle["id"],))
        return cycles

    def exists(self, table: str, item_id: int) -> bool:
        """Whether ``table`` (projects, releases...) has a row with this id.

        >>> with Store.open() as store:
        ...     store.exists("projects", 1), store.exists("projects", 99)
        (True, False)
        """
        if table not in data.TABLES:
            raise ValueError(f"unknown table {table!r}")
        return bool(self.rows(f"SELECT 1 FROM {table} WHERE id = ?", (item_id,)))

    def lookup_keys(self) -> list[str]:
        """The keys ``/v3/zql/val/{lookupKey}`` offers values for.

        >>> with Store.open() as store:
        ...     "executedby" in store.lookup_keys()
        True
        """
        return [r[0] for r in self.rows("SELECT DISTINCT key FROM lookup_values ORDER BY key")]

    def lookup(self, key: str, partial: str = "", *, release_id: int | None = None,
               offset: int = 0, limit: int = 20) -> list[str]:
        """Values of a lookup key containing ``partial`` (any case), sorted, paged.

        >>> with Store.open() as store:
        ...     store.lookup("status")
        ['Blocked', 'Fail', 'Not Executed', 'Pass', 'WIP']
        """
        sql = "SELECT value FROM lookup_values WHERE key = ? AND instr(fold, ?) > 0"
        params: list[object] = [key.lower(), fold(partial)]
        if release_id is not None:
            sql += " AND release_id = ?"
            params.append(release_id)
        sql += " GROUP BY value ORDER BY min(fold), value LIMIT ? OFFSET ?"
        return [r[0] for r in self.rows(sql, (*params, limit, offset))]

    # ---- search

    def count(self, entity: str, where: Where) -> int:
        """How many items match (cached until the next write).

        >>> with Store.open() as store:
        ...     store.count("execution", MATCH_ALL)
        1500
        """
        key = (entity, where.sql, where.params)
        with self._lock:
            if key in self._counts:
                self._counts.move_to_end(key)
                return self._counts[key]
            total: int = self._conn.execute(
                f"SELECT count(*) FROM doc_{_entity(entity)} d WHERE {where.sql}",
                self._bound(entity, where)).fetchone()[0]
            self._counts[key] = total
            if len(self._counts) > _COUNT_CACHE:
                self._counts.popitem(last=False)
            return total

    def clear_cache(self) -> None:
        """Forget cached counts (benchmarks time cold searches).

        >>> with Store.open() as store:
        ...     store.clear_cache()
        """
        with self._lock:
            self._counts.clear()

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (the sandbox's write endpoints, :mod:`zql.sandbox.writes`).

        A store opened from a file is read-only (the file is a reusable build): its first write
        copies the database into memory, so writes never reach the file. Cached counts are
        dropped after every write.

        >>> with Store.open() as store:
        ...     with store.writing() as conn:
        ...         _ = conn.execute("UPDATE executions SET notes = 'x' WHERE id = 1")
        ...     store.rows("SELECT notes FROM executions WHERE id = 1")
        [('x',)]
        """
        with self._lock:
            if self.path is not None and not self._in_memory:
                memory = sqlite3.connect(":memory:", check_same_thread=False)
                self._conn.backup(memory)
                self._conn.close()
                self._conn = memory
                self._in_memory = True
            try:
                with self._conn:
                    yield self._conn
            finally:
                self._counts.clear()

    @staticmethod
    def refresh(conn: sqlite3.Connection, entity: str, ids: Sequence[int]) -> None:
        """Recompute the search documents of ``ids`` inside :meth:`writing`, so later
        searches see the change.

        >>> from zql.sandbox.sql import compile_query
        >>> with Store.open() as store:
        ...     with store.writing() as conn:
        ...         _ = conn.execute("UPDATE executions SET notes = 'zebra' WHERE id = 1")
        ...         store.refresh(conn, "execution", [1])
        ...     store.page_ids("execution", compile_query('notes ~ "zebra"', "execution"))
        [1]
        """
        build.refresh_documents(conn, _entity(entity), ids)

    def page_ids(self, entity: str, where: Where, order: Order = _BY_ID, first: int = 0,
                 limit: int = 50) -> list[int]:
        """Ids of one page of matches, in order.

        >>> with Store.open() as store:
        ...     store.page_ids("testcase", MATCH_ALL, Order(ascending=False), 1, 2)
        [399, 398]
        """
        with self._lock:
            return [r[0] for r in self._conn.execute(
                f"SELECT d.id FROM doc_{_entity(entity)} d WHERE {where.sql} "
                f"ORDER BY {order.sql} LIMIT ? OFFSET ?",
                (*self._bound(entity, where), limit, first)).fetchall()]

    def _bound(self, entity: str, where: Where) -> tuple[object, ...]:
        # A Subquery parameter (a subtree nested too deeply for SQLite's parser) is run
        # first; its ids are bound as JSON for the outer query's json_each(?). Lock held.
        if not any(isinstance(p, Subquery) for p in where.params):
            return where.params
        out: list[object] = []
        for param in where.params:
            if isinstance(param, Subquery):
                ids = self._conn.execute(
                    f"SELECT d.id FROM doc_{_entity(entity)} d WHERE {param.where.sql}",
                    self._bound(entity, param.where)).fetchall()
                param = json.dumps([r[0] for r in ids])
            out.append(param)
        return tuple(out)

    def items(self, entity: str, ids: Sequence[int]) -> list[bytes]:
        """The JSON items for ``ids``, in that order.

        >>> with Store.open() as store:
        ...     json.loads(store.items("requirement", [3])[0])["id"]
        3
        """
        if not ids:
            return []
        return [r[0] for r in self.rows(self._item_sql[_entity(entity)],
                                        (json.dumps(list(ids)),))]

    def search(self, entity: str, where: Where = MATCH_ALL, *, order: Order = _BY_ID,
               first: int = 0, limit: int = 50, kind: str | None = None) -> Page:
        """Count, page and build the items: what ``GET /advancesearch`` answers.

        >>> from zql.sandbox.sql import compile_query
        >>> with Store.open() as store:
        ...     page = store.search("execution", compile_query('status = "fail"', "execution"))
        ...     {item["lastTestResult"]["executionStatus"] for item in page.results()}
        {'2'}
        """
        total = self.count(entity, where)
        if first >= total or limit <= 0:
            return Page(total, first, [], kind)
        return Page(total, first, self.items(entity, self.page_ids(entity, where, order, first,
                                                                   limit)), kind)

    def documents(self, entity: str) -> list[dict[str, Any]]:
        """Every search document of ``entity`` (for the reference evaluator): columns by
        name, multi-valued fields as tuples of their values.

        >>> with Store.open() as store:
        ...     doc = store.documents("testcase")[0]
        ...     doc["id"], doc["f_priority"], doc["f_tag"]
        (1, 'medium', ('sanity', 'regression'))
        """
        entity = _entity(entity)
        docs = self.dicts(f"SELECT * FROM doc_{entity} ORDER BY id")
        for spec in self.schema.fields(entity):
            if spec.multi:
                values: dict[int, list[str]] = {}
                for doc_id, value in self.rows(
                        f"SELECT doc_id, value FROM {multi_table(entity, spec)} ORDER BY rowid"):
                    values.setdefault(doc_id, []).append(value)
                for doc in docs:
                    doc[column(spec.name)] = tuple(values.get(doc["id"], ()))
        return docs

    @staticmethod
    def _items_query(view: View, item: Template) -> str:
        # json_each keeps the page order (its key is the position in the id list); BLOB hands
        # the UTF-8 text over as bytes, with no decoding and re-encoding on the way out.
        return (f"SELECT CAST({json_sql(item)} AS BLOB) FROM json_each(?) j "
                f"JOIN {view.table} {view.alias} ON {view.alias}.id = j.value {view.joins} "
                "ORDER BY j.key")


def _entity(entity: str) -> str:
    if entity not in VIEWS:
        raise ValueError(f"unknown entity {entity!r}; one of: {', '.join(ENTITIES)}")
    return entity


# --------------------------------------------------------------------------- building


def _stored_meta(path: Path) -> dict[str, str] | None:
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT key, value FROM meta").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        raise StoreError(f"{path} exists but is not a sandbox database; choose another "
                         "--db path or remove it") from None
    return dict(rows)
