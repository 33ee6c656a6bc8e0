"""Flat rows for tables and CSV: the columns a person wants to see, from the server's items.

Items keep the server's nesting (a test case inside its tree node, a test case inside an
execution's schedule). Each column lists the paths it may be found at, first match wins, so
the same table serves the shapes different Zephyr versions return.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from zql.schema import Schema, Status, ValueFacts, load_schema

__all__ = ["flat_columns", "flatten", "status_names"]

#: Status ids -> names (executions carry the id as a string), from the schema's value facts.
_FACTS = load_schema().values
STATUS_NAMES = {str(s.id): s.name for s in _FACTS.statuses} | {
    str(_FACTS.not_executed.id): _FACTS.not_executed.name}

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


def status_names(statuses: Iterable[Status] | None = None,
                 facts: ValueFacts | None = None) -> dict[str, str]:
    """Status id (as text) → name: the given statuses (a server's) or the bundled defaults,
    plus the ids a never-run execution carries.

    >>> names = status_names([Status(1, "Pass"), Status(11, "Outscoped", active=False)])
    >>> names["11"], names["-1"], names["0"]
    ('Outscoped', 'Not Executed', 'Not Executed')
    """
    facts = facts or load_schema().values
    names = {str(s.id): s.name for s in (facts.statuses if statuses is None else statuses)}
    for ident in (*facts.not_executed_ids, str(facts.not_executed.id)):
        if ident:
            names.setdefault(ident, facts.not_executed.name)
    return names


def flatten(item: Mapping[str, Any], entity: str = "testcase", *,
            statuses: Iterable[Status] | None = None) -> dict[str, Any]:
    """A flat row of ``item``: one value per column of :func:`flat_columns` (None when absent).

    Tags become one comma-separated string, epoch-millisecond dates ISO 8601 (UTC), status ids
    names — of ``statuses`` (the server's, from ``client.statuses()``) or the bundled defaults;
    an execution that never ran (no ``lastTestResult``, or id ``0``/``-1``) reads
    "Not Executed".

    >>> row = flatten({"id": 9, "status": None, "lastTestResult": {"executionStatus": "2",
    ...     "executionDate": 1700000000000}, "tcrTreeTestcase": {"testcase": {
    ...     "testcaseId": 1001, "name": "Login", "tags": ["smoke", "ui"]}}}, "execution")
    >>> row["id"], row["testcaseId"], row["status"], row["executedOn"], row["tags"]
    (9, 1001, 'Fail', '2023-11-14T22:13:20Z', 'smoke, ui')
    >>> flatten({"id": 3, "lastTestResult": {"executionStatus": "12"}}, "execution",
    ...         statuses=[Status(12, "Deferred")])["status"]
    'Deferred'
    >>> flatten({"id": 4}, "execution")["status"]
    'Not Executed'
    """
    entity = Schema.entity_name(entity)
    columns = _COLUMNS[entity]
    names = _names(statuses)
    row = {name: _convert(kind, _first(item, paths), names)
           for name, (kind, paths) in columns.items()}
    if entity == "execution" and row["status"] is None and not item.get("lastTestResult"):
        row["status"] = names.get("-1", _FACTS.not_executed.name)
    return row


_DEFAULT_NAMES: dict[str, str] = {}


def _names(statuses: Iterable[Status] | None) -> dict[str, str]:
    if statuses is not None:
        key = tuple(statuses)
        cached = _BY_STATUSES.get(key)
        if cached is None:
            cached = _BY_STATUSES[key] = status_names(key)
            if len(_BY_STATUSES) > 64:
                del _BY_STATUSES[next(iter(_BY_STATUSES))]
        return cached
    if not _DEFAULT_NAMES:
        _DEFAULT_NAMES.update(status_names())
    return _DEFAULT_NAMES


_BY_STATUSES: dict[tuple[Status, ...], dict[str, str]] = {}


def _first(item: Mapping[str, Any], paths: tuple[str, ...]) -> Any:
    for path in paths:
        value: Any = item
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None and value != "":
            return value
    return None


def _convert(kind: str, value: Any, names: Mapping[str, str]) -> Any:
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
        return names.get(str(value), value)
    if isinstance(value, Mapping | list):
        return str(value)
    return value
