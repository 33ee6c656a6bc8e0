"""The sandbox's SQLite store: relational tables, search documents, lookups and paging.

Built from :mod:`zql.sandbox.data` in memory (``small``, in well under a second) or once into a
file (``large``) that later runs reuse when its size, seed and layout match. Besides the
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
import hashlib
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

from zql.ast import Op
from zql.sandbox import data
from zql.sandbox.model import column, fold, lookup_key, multi_table, sandbox_schema
from zql.sandbox.servers import DEFAULT_SERVER, ServerProfile, profile
from zql.sandbox.sql import MATCH_ALL, Order, Subquery, Where
from zql.sandbox.views import VIEWS, Template, View, item_template, json_sql
from zql.schema import ENTITIES, FieldSpec

__all__ = ["Page", "Store", "StoreError"]

# Bump when tables, documents or generated data change: stored files then get rebuilt.
_LAYOUT = 4
_SQL_TYPES = {"string": "TEXT", "long": "INTEGER", "int": "INTEGER", "boolean": "INTEGER",
              "decimal": "REAL"}
_COUNT_CACHE = 512
#: small data sets already built in this process, by seed: a new in-memory store is a copy
#: (``sqlite3.Connection.backup``, milliseconds) instead of a rebuild (a test run starts dozens)
_SMALL_BUILT: dict[tuple[int, tuple[tuple[int, str], ...]], sqlite3.Connection] = {}
_SMALL_LOCK = threading.Lock()
_BY_ID = Order()
_EQUALITY_OPS = frozenset({Op.EQ, Op.NE, Op.IN, Op.IS, Op.IS_NOT})


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


def _extra_statuses(server: ServerProfile) -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in server.custom_statuses]


def _fingerprint(server: ServerProfile) -> str:
    # Layout + schema + table definitions + the server's own statuses (they are in the
    # data): any change makes a stored file stale.
    text = json.dumps([_LAYOUT, sandbox_schema().to_json(), data.TABLES, sorted(data.SIZES),
                       _extra_statuses(server)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
                _built_small(seed, server).backup(conn)
            else:
                _build(conn, size, seed, server)
            return cls(conn, size, seed, server=server)
        target = Path(path).resolve()
        if _stored_meta(target) != {"fingerprint": _fingerprint(server), "size": size,
                                    "seed": str(seed)}:
            _build_file(target, size, seed, server)
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
        _refresh_documents(conn, _entity(entity), ids)

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


def _build_file(target: Path, size: str, seed: int, server: ServerProfile) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        _build(conn, size, seed, server)
    finally:
        conn.close()
    tmp.replace(target)


def _build(conn: sqlite3.Connection, size: str, seed: int, server: ServerProfile) -> None:
    with conn:  # one transaction: fast, and all-or-nothing
        for table, columns in data.TABLES.items():
            conn.execute(f"CREATE TABLE {table} ({columns})")
        for table, rows in data.generate(size, seed, _extra_statuses(server)):
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
        conn.execute("CREATE INDEX testcase_tags_tc ON testcase_tags (tc_id)")
        conn.execute("CREATE INDEX requirement_tags_req ON requirement_tags (req_id)")
        for entity, view in VIEWS.items():
            _build_documents(conn, entity, view)
        _build_lookups(conn)
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("fingerprint", _fingerprint(server)), ("size", size), ("seed", str(seed))])
    conn.execute("ANALYZE")


def _folded(value: object) -> object:
    if isinstance(value, str):
        return fold(value) if value else None  # an empty text counts as no value
    return value


def _document_source(entity: str, view: View, *, only: bool = False) -> tuple[str, int]:
    """The SELECT computing the search documents of ``entity`` (of the ids in a JSON array
    parameter when ``only``), and its column count."""
    specs = [s for s in sandbox_schema().fields(entity) if not s.multi]
    # A schema field the sandbox has no data for is simply always empty.
    exprs = [view.fields.get(s.name.lower(), "NULL") for s in specs]
    quick = " || char(10) || ".join(f"coalesce({q}, '')" for q in view.quick)
    where = f" WHERE {view.alias}.id IN (SELECT value FROM json_each(?))" if only else ""
    return (f"SELECT {view.alias}.id, {view.release}, {view.project}, {view.modified}, "
            f"{quick}, {', '.join(exprs)} FROM {view.table} {view.alias} {view.joins}{where}",
            5 + len(specs))


def _build_documents(conn: sqlite3.Connection, entity: str, view: View) -> None:
    specs = [s for s in sandbox_schema().fields(entity) if not s.multi]
    cols = ", ".join(f"{column(s.name)} {_SQL_TYPES[s.type]}" for s in specs)
    conn.execute(f"CREATE TABLE doc_{entity} (id INTEGER PRIMARY KEY, release_id INTEGER, "
                 f"project_id INTEGER, modified INTEGER, quick TEXT, {cols})")
    source, width = _document_source(entity, view)
    rows = ([_folded(v) for v in row] for row in conn.execute(source).fetchall())
    conn.executemany(f"INSERT INTO doc_{entity} VALUES ({', '.join('?' * width)})", rows)
    for name in ("release_id", "project_id", "modified"):
        conn.execute(f"CREATE INDEX doc_{entity}_{name} ON doc_{entity} ({name})")
    for spec in specs:
        if _indexed(spec):
            col = column(spec.name)
            conn.execute(f"CREATE INDEX doc_{entity}_{col} ON doc_{entity} ({col})")
    for spec in sandbox_schema().fields(entity):
        if spec.multi:
            _build_multi(conn, entity, view, spec)


def _refresh_documents(conn: sqlite3.Connection, entity: str, ids: Sequence[int]) -> None:
    """Recompute the search documents (and multi-value rows) of ``ids`` after a write.

    Only the columns whose value changed are updated, so a status change touches one index,
    not all of them."""
    view = VIEWS[entity]
    param = (json.dumps(list(ids)),)
    source, _ = _document_source(entity, view, only=True)
    cur = conn.execute(f"SELECT * FROM doc_{entity} WHERE id IN "
                       "(SELECT value FROM json_each(?))", param)
    names = [d[0] for d in cur.description]
    old = {row[0]: row for row in cur.fetchall()}
    updates: dict[tuple[str, ...], list[tuple[object, ...]]] = {}
    for row in conn.execute(source, param).fetchall():
        new = [_folded(v) for v in row]
        before = old.get(new[0])
        if before is None:
            conn.execute(f"INSERT INTO doc_{entity} VALUES ({', '.join('?' * len(new))})", new)
            continue
        changed = tuple(i for i, (a, b) in enumerate(zip(before, new, strict=True)) if a != b)
        if changed:
            updates.setdefault(tuple(names[i] for i in changed), []).append(
                (*(new[i] for i in changed), new[0]))
    for columns, rows in updates.items():
        sets = ", ".join(f"{c} = ?" for c in columns)
        conn.executemany(f"UPDATE doc_{entity} SET {sets} WHERE id = ?", rows)
    for spec in sandbox_schema().fields(entity):
        multi = view.multi.get(spec.name.lower())
        if not spec.multi or multi is None:
            continue
        table = multi_table(entity, spec)
        now: dict[int, list[str]] = {}
        for doc, value in conn.execute(f"WITH mv(item, value) AS ({multi}) SELECT item, value "
                                       "FROM mv WHERE item IN (SELECT value FROM json_each(?))",
                                       param).fetchall():
            if value:
                now.setdefault(doc, []).append(fold(value))
        was: dict[int, list[str]] = {}
        for doc, value in conn.execute(f"SELECT doc_id, value FROM {table} WHERE doc_id IN "
                                       "(SELECT value FROM json_each(?)) ORDER BY rowid",
                                       param).fetchall():
            was.setdefault(doc, []).append(value)
        stale = [d for d in set(now) | set(was) if now.get(d) != was.get(d)]
        if stale:
            conn.executemany(f"DELETE FROM {table} WHERE doc_id = ?", [(d,) for d in stale])
            conn.executemany(f"INSERT INTO {table} VALUES (?, ?)",
                             [(d, v) for d in stale for v in now.get(d, [])])


def _indexed(spec: FieldSpec) -> bool:
    # Equality-style fields are filtered on; `name` is what people sort by. Long texts are
    # only ever scanned for substrings, where an index does not help.
    return spec.name.lower() == "name" or not spec.operators.isdisjoint(_EQUALITY_OPS)


def _build_multi(conn: sqlite3.Connection, entity: str, view: View, spec: FieldSpec) -> None:
    table = multi_table(entity, spec)
    conn.execute(f"CREATE TABLE {table} (doc_id INTEGER NOT NULL, value TEXT NOT NULL)")
    source = view.multi.get(spec.name.lower())
    if source is not None:
        rows = ((doc_id, fold(value)) for doc_id, value in conn.execute(source).fetchall()
                if value)
        conn.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)
    conn.execute(f"CREATE INDEX {table}_value ON {table} (value, doc_id)")
    conn.execute(f"CREATE INDEX {table}_doc ON {table} (doc_id)")


def _build_lookups(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE lookup_values (key TEXT NOT NULL, release_id INTEGER, "
                 "value TEXT NOT NULL, fold TEXT NOT NULL, "
                 "PRIMARY KEY (key, release_id, value))")
    for entity, view in VIEWS.items():
        for spec in sandbox_schema().fields(entity):
            key = lookup_key(spec)
            name = spec.name.lower()
            if key is None:
                continue
            if spec.multi and name in view.multi:
                source = (f"WITH mv(item, value) AS ({view.multi[name]}) "
                          f"SELECT DISTINCT {view.release}, mv.value FROM mv "
                          f"JOIN {view.table} {view.alias} ON {view.alias}.id = mv.item")
            elif name in view.fields:
                expr = view.fields[name]
                source = (f"SELECT DISTINCT {view.release}, {expr} FROM {view.table} "
                          f"{view.alias} {view.joins} WHERE {expr} IS NOT NULL")
            else:
                continue
            rows = [(key, release, str(value), fold(str(value)))
                    for release, value in conn.execute(source).fetchall() if value != ""]
            conn.executemany("INSERT OR IGNORE INTO lookup_values VALUES (?, ?, ?, ?)", rows)


def _built_small(seed: int, server: ServerProfile) -> sqlite3.Connection:
    """The small data set for ``seed`` (and the server's own statuses, which are in the
    data), built once per process (read only through backups)."""
    key = (seed, tuple(_extra_statuses(server)))
    with _SMALL_LOCK:
        built = _SMALL_BUILT.get(key)
        if built is None:
            built = sqlite3.connect(":memory:", check_same_thread=False)
            _build(built, "small", seed, server)
            _SMALL_BUILT[key] = built
        return built
