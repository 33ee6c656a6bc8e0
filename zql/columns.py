"""Columns of search results: choosing them, and sorting by the names people see.

A column is either a flat column of the entity (what :func:`zql.client.flatten` gives: ``id``,
``name``, ``status``, ``executedOn`` …) or a dotted path into the server's raw item
(``lastTestResult.executionStatus``) for power users. ``zql search --columns``, the shell's
``\\columns`` and the Python API all go through :func:`choose_columns`.

Sorting: ``--order``/``\\order`` take a column name (or a ZQL field name) and :func:`sort_key`
maps it to the server's sort field through :data:`SORT_FIELDS`, the one table of that mapping.
Unknown names get a did-you-mean before any request; a column the server cannot sort by
(``None`` in the table) is said so. Pure: no I/O.

>>> choose_columns("id,name,status", ["id", "name", "status", "priority"])
('id', 'name', 'status')
>>> sort_key("execution", "modified")
SortKey(field='lastModifiedOn', column='modified')
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zql.schema import Schema

__all__ = ["SORT_FIELDS", "ColumnError", "SortKey", "choose_columns", "did_you_mean",
           "path_value", "sort_key"]

#: Column -> the server's sort field (``order`` of ``/advancesearch``), per entity; ``None``:
#: the server cannot sort by that column. INFERRED for real servers (ZE documents ``order`` as
#: "a field", default ``orderId``; the sandbox sorts by any single-valued ZQL field, ``orderId``
#: and ``lastModifiedOn``); no ZE sort field is known for the execution date, creation dates,
#: tags (several per item), an execution's test case name or its phase.
SORT_FIELDS: dict[str, dict[str, str | None]] = {
    "testcase": {
        "id": "testcaseId", "name": "name", "priority": "priority", "tags": None,
        "automated": "automated", "release": "release", "project": "project",
        "folder": "folder", "creator": "creator", "altId": "altId", "version": "version",
        "estimatedTime": "estimatedTime", "created": None, "modified": "lastModifiedOn",
    },
    "execution": {
        "id": "orderId", "testcaseId": "testcaseId", "name": None, "status": "status",
        "priority": "priority", "executedBy": "executedBy", "executedOn": None,
        "cycle": "cycle", "phase": None, "release": "release", "project": "project",
        "tags": None, "actualTime": "actualtime", "notes": "notes",
        "modified": "lastModifiedOn",
    },
    "requirement": {
        "id": "orderId", "name": "name", "altId": "altId", "priority": "priority",
        "tags": None, "release": "release", "project": "project", "creator": "creator",
        "url": "url", "created": None, "modified": "lastModifiedOn",
    },
}
#: Sort fields every entity has besides its columns and ZQL fields.
_SYSTEM_SORT = ("orderId", "lastModifiedOn")


class ColumnError(ValueError):
    """An unknown column or sort name; the message is one line with a did-you-mean.

    >>> str(ColumnError("x"))
    'x'
    """


@dataclass(frozen=True, slots=True)
class SortKey:
    """What to send as ``order``: the server's field and the column it was asked as."""

    field: str
    column: str


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice (case-insensitive), else ``""``.

    >>> did_you_mean("prority", ["priority", "project"]), did_you_mean("zzz", ["a"])
    ("; did you mean 'priority'?", '')
    """
    options = list(dict.fromkeys(choices))
    folded = {c.casefold(): c for c in options}
    close = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    return f"; did you mean {folded[close[0]]!r}?" if close else ""


def choose_columns(spec: str | Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    """The columns asked for (``"id,name"`` or a list), checked against ``known``.

    Names match case-insensitively and come back spelled as ``known`` spells them; a name with
    a dot is a path into the raw item and is taken as written. Duplicates are dropped.

    >>> choose_columns(["ID", "executedOn", "lastTestResult.comment"], ["id", "executedOn"])
    ('id', 'executedOn', 'lastTestResult.comment')
    >>> choose_columns("id,prority", ["id", "priority"])
    Traceback (most recent call last):
      ...
    zql.columns.ColumnError: unknown column 'prority'; did you mean 'priority'? (columns: id, \
priority; a dotted path such as lastTestResult.executionStatus reads the raw item)
    >>> choose_columns(" , ", ["id"])
    Traceback (most recent call last):
      ...
    zql.columns.ColumnError: no columns given (columns: id)
    """
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    names = [n.strip() for n in names if n.strip()]
    listing = ", ".join(known)
    if not names:
        raise ColumnError(f"no columns given (columns: {listing})")
    by_fold = {k.casefold(): k for k in known}
    chosen: list[str] = []
    for name in names:
        column = by_fold.get(name.casefold())
        if column is None and "." in name.strip("."):
            column = name
        if column is None:
            raise ColumnError(
                f"unknown column {name!r}{did_you_mean(name, known)} (columns: {listing}; a "
                "dotted path such as lastTestResult.executionStatus reads the raw item)")
        if column not in chosen:
            chosen.append(column)
    return tuple(chosen)


def path_value(item: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` in a raw item (None when a step is missing).

    >>> path_value({"a": {"b": [1, 2]}}, "a.b"), path_value({"a": 1}, "a.b")
    ([1, 2], None)
    """
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def sort_key(entity: str, name: str, schema: Schema | None = None) -> SortKey:
    """The server's sort field for a column name (or a ZQL field, or ``orderId``).

    ``entity`` is a canonical entity name. With ``schema`` its fields (custom ones included)
    are accepted too, as the server sorts by them.

    >>> sort_key("execution", "executedby")
    SortKey(field='executedBy', column='executedBy')
    >>> sort_key("execution", "prority")
    Traceback (most recent call last):
      ...
    zql.columns.ColumnError: cannot sort executions by 'prority'; did you mean 'priority'?
    >>> sort_key("execution", "executedOn")
    Traceback (most recent call last):
      ...
    zql.columns.ColumnError: the server cannot sort executions by executedOn; it can sort \
by id, testcaseId, status, priority, executedBy, cycle, release, project, actualTime, notes, \
modified
    """
    columns = SORT_FIELDS.get(entity, {})
    plural = {"testcase": "test cases"}.get(entity, entity + "s")
    by_fold = {c.casefold(): c for c in columns}
    column = by_fold.get(name.casefold())
    if column is not None:
        field = columns[column]
        if field is None:
            can = ", ".join(c for c, f in columns.items() if f is not None)
            raise ColumnError(f"the server cannot sort {plural} by {column}; it can sort by "
                              f"{can}")
        return SortKey(field, column)
    fields = [f.name for f in schema.fields(entity) if not f.multi] if schema else []
    for known in (*fields, *_SYSTEM_SORT):
        if known.casefold() == name.casefold():
            return SortKey(known, known)
    choices = [c for c, f in columns.items() if f is not None] + fields + list(_SYSTEM_SORT)
    raise ColumnError(f"cannot sort {plural} by {name!r}{did_you_mean(name, choices)}")
