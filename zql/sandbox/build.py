"""Building the sandbox database: tables from :mod:`zql.sandbox.data`, search documents,
lookup values, and recomputing documents after a write (:meth:`Store.refresh`).

:mod:`zql.sandbox.store` opens and reads what this builds; the layout version and the
fingerprint that say when a stored file is stale live here, with the code they describe.

>>> import sqlite3
>>> from zql.sandbox.servers import profile
>>> conn = sqlite3.connect(":memory:")
>>> build(conn, "small", 1, profile("ze8"))
>>> conn.execute("SELECT count(*) FROM statuses").fetchone()
(7,)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from zql.ast import Op
from zql.sandbox import data
from zql.sandbox.model import column, fold, lookup_key, multi_table, sandbox_schema
from zql.sandbox.servers import ServerProfile
from zql.sandbox.views import VIEWS, View
from zql.schema import FieldSpec

__all__ = ["build", "build_file", "built_small", "fingerprint", "refresh_documents"]

# Bump when tables, documents or generated data change: stored files then get rebuilt.
_LAYOUT = 4
_SQL_TYPES = {"string": "TEXT", "long": "INTEGER", "int": "INTEGER", "boolean": "INTEGER",
              "decimal": "REAL"}
#: small data sets already built in this process, by seed: a new in-memory store is a copy
#: (``sqlite3.Connection.backup``, milliseconds) instead of a rebuild (a test run starts dozens)
_SMALL_BUILT: dict[tuple[int, tuple[tuple[int, str], ...]], sqlite3.Connection] = {}
_SMALL_LOCK = threading.Lock()
_EQUALITY_OPS = frozenset({Op.EQ, Op.NE, Op.IN, Op.IS, Op.IS_NOT})


def _extra_statuses(server: ServerProfile) -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in server.custom_statuses]


def fingerprint(server: ServerProfile) -> str:
    # Layout + schema + table definitions + the server's own statuses (they are in the
    # data): any change makes a stored file stale.
    text = json.dumps([_LAYOUT, sandbox_schema().to_json(), data.TABLES, sorted(data.SIZES),
                       _extra_statuses(server)], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def build_file(target: Path, size: str, seed: int, server: ServerProfile) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        build(conn, size, seed, server)
    finally:
        conn.close()
    tmp.replace(target)


def build(conn: sqlite3.Connection, size: str, seed: int, server: ServerProfile) -> None:
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
            ("fingerprint", fingerprint(server)), ("size", size), ("seed", str(seed))])
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


def refresh_documents(conn: sqlite3.Connection, entity: str, ids: Sequence[int]) -> None:
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


def built_small(seed: int, server: ServerProfile) -> sqlite3.Connection:
    """The small data set for ``seed`` (and the server's own statuses, which are in the
    data), built once per process (read only through backups)."""
    key = (seed, tuple(_extra_statuses(server)))
    with _SMALL_LOCK:
        built = _SMALL_BUILT.get(key)
        if built is None:
            built = sqlite3.connect(":memory:", check_same_thread=False)
            build(built, "small", seed, server)
            _SMALL_BUILT[key] = built
        return built
