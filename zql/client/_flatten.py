"""Flat rows for tables and CSV: the columns a person wants to see, from the server's items.

Items keep the server's nesting (a test case inside its tree node, a test case inside an
execution's schedule). Each column lists the paths it may be found at, first match wins, so
the same table serves the shapes different Zephyr versions return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from zql.schema import Schema

__all__ = ["flat_columns", "flatten", "flattener"]

#: Status ids as a default Zephyr install names them (executions carry the id as a string).
STATUS_NAMES = {"-1": "Not Executed", "1": "Pass", "2": "Fail", "3": "WIP", "4": "Blocked"}

_TC = "testcase."
_ETC = "tcrTreeTestcase.testcase."
# column -> (kind, candidate dotted paths)
_COLUMNS: dict[str, dict[str, tuple[str, tuple[str, ...]]]] = {
    "testcase": {
        "id": ("text", (_TC + "testcaseId", "testcaseId", "id")),
        "name": ("text", (_TC + "name", "name")),
        "priority": ("text", (_TC + "priority", "priority")),
        "tags": ("tags", (_TC + "tags", _TC + "tag", "tags", "tag")),
        "automated": ("bool", (_TC + "automated", "automated")),
        "release": ("text", (_TC + "releaseName", "releaseName")),
        "project": ("text", (_TC + "projectName", "projectName")),
        "folder": ("text", ("folderPath", "folderName")),
        "creator": ("text", (_TC + "creator", "creator")),
        "altId": ("text", (_TC + "altId", "altId")),
        "version": ("text", (_TC + "versionNumber", "versionNumber")),
        "estimatedTime": ("text", (_TC + "estimatedTime", "estimatedTime")),
        "created": ("date", (_TC + "createDatetime", _TC + "creationDate", "createDatetime")),
        "modified": ("date", (_TC + "lastModifiedOn", "lastModifiedOn")),
    },
    "execution": {
        "id": ("text", ("id",)),
        "testcaseId": ("text", (_ETC + "testcaseId", "testcaseId")),
        "name": ("text", (_ETC + "name",)),
        "status": ("status", ("status", "lastTestResult.executionStatus", "executionStatus")),
        "priority": ("text", (_ETC + "priority",)),
        "executedBy": ("text", ("executedBy", "lastTestResult.executedBy")),
        "executedOn": ("date", ("lastTestResult.executionDate", "executionDate")),
        "cycle": ("text", ("cycleName",)),
        "phase": ("text", ("cyclePhaseName",)),
        "release": ("text", ("releaseName", _ETC + "releaseName")),
        "project": ("text", ("projectName", _ETC + "projectName")),
        "tags": ("tags", (_ETC + "tags", _ETC + "tag")),
        "actualTime": ("text", ("actualTime",)),
        "notes": ("text", ("notes", "lastTestResult.comment")),
    },
    "requirement": {
        "id": ("text", ("id",)),
        "name": ("text", ("name",)),
        "altId": ("text", ("altId",)),
        "priority": ("text", ("priority",)),
        "tags": ("tags", ("tags", "tag")),
        "release": ("text", ("releaseName",)),
        "project": ("text", ("projectName",)),
        "creator": ("text", ("creator",)),
        "url": ("text", ("url",)),
        "created": ("date", ("createdOn",)),
        "modified": ("date", ("lastModifiedOn",)),
    },
}


def flat_columns(entity: str) -> list[str]:
    """The column names :func:`flatten` gives for ``entity``, in display order.

    >>> flat_columns("requirement")[:4]
    ['id', 'name', 'altId', 'priority']
    """
    return list(_COLUMNS[Schema.entity_name(entity)])


def flatten(item: Mapping[str, Any], entity: str = "testcase") -> dict[str, Any]:
    """A flat row of ``item``: one value per column of :func:`flat_columns` (None when absent).

    Tags become one comma-separated string, epoch-millisecond dates ISO 8601 (UTC), status ids
    names.

    >>> row = flatten({"id": 9, "status": None, "lastTestResult": {"executionStatus": "2",
    ...     "executionDate": 1700000000000}, "tcrTreeTestcase": {"testcase": {
    ...     "testcaseId": 1001, "name": "Login", "tags": ["smoke", "ui"]}}}, "execution")
    >>> row["id"], row["testcaseId"], row["status"], row["executedOn"], row["tags"]
    (9, 1001, 'Fail', '2023-11-14T22:13:20Z', 'smoke, ui')
    """
    columns = _COLUMNS[Schema.entity_name(entity)]
    return {name: _convert(kind, _first(item, paths)) for name, (kind, paths) in columns.items()}


def flattener(entity: str, columns: Iterable[str] | None = None
              ) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function giving the flat row of an item restricted to ``columns`` (all when None):
    the same values as :func:`flatten`, with the paths resolved once (reports read a couple of
    columns of every row, so this is their hot path).

    >>> status = flattener("execution", ["status"])
    >>> status({"lastTestResult": {"executionStatus": "1"}})
    {'status': 'Pass'}
    """
    table = _COLUMNS[Schema.entity_name(entity)]
    chosen = [(name, table[name][0], tuple(tuple(p.split(".")) for p in table[name][1]))
              for name in (table if columns is None else columns)]

    def flat(item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: _convert(kind, _walk(item, paths)) for name, kind, paths in chosen}

    return flat


def _first(item: Mapping[str, Any], paths: tuple[str, ...]) -> Any:
    return _walk(item, tuple(tuple(path.split(".")) for path in paths))


def _walk(item: Mapping[str, Any], paths: tuple[tuple[str, ...], ...]) -> Any:
    for parts in paths:
        value: Any = item
        for part in parts:
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None and value != "":
            return value
    return None


def _convert(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "tags":
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return ", ".join(str(value).replace(",", " ").split())
    if kind == "date" and isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 10**11 else value  # ZE sends epoch milliseconds
        return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "status":
        return STATUS_NAMES.get(str(value), value)
    if isinstance(value, Mapping | list):
        return str(value)
    return value
