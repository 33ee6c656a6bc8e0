"""How each searchable entity is read out of the relational tables.

A :class:`View` says, for one entity, where each schema field's value comes from (an SQL
expression over the joined tables — these feed the search documents the store builds), which
text quick search looks at, and the shape of a search result item (a JSON template that SQLite
fills with ``json_object``, so a page of results never passes through Python dicts).

Items follow ZE's shapes (zql-reference §3.3): a test case hit is a tree node with a nested
``testcase``; an execution is a schedule with ``tcrTreeTestcase.testcase`` and
``lastTestResult.executionStatus`` as a status id string; a requirement is a flat object.

>>> VIEWS["execution"].fields["status"]
's.name'
>>> json_sql({"id": "t.id", "flags": {"automated": boolean("t.automated")}})
"json_object('id', t.id, 'flags', json_object('automated', json(CASE WHEN t.automated THEN \
'true' ELSE 'false' END)))"
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

from zql.sandbox.servers import ServerProfile

__all__ = ["VIEWS", "Maybe", "Template", "View", "boolean", "item_template", "json_sql"]


@dataclass(frozen=True, slots=True)
class Maybe:
    """A nested object that is ``null`` unless ``condition`` holds (``lastTestResult``).

    >>> json_sql({"r": Maybe("x > 0", {"x": "x"})})
    "json_object('r', json(CASE WHEN x > 0 THEN json_object('x', x) END))"
    """

    condition: str
    template: Template


Template: TypeAlias = "dict[str, str | Template | Maybe]"

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def boolean(expr: str) -> str:
    """A JSON ``true``/``false`` from an SQLite integer (SQLite has no boolean type).

    >>> boolean("t.automated")
    "json(CASE WHEN t.automated THEN 'true' ELSE 'false' END)"
    """
    return f"json(CASE WHEN {expr} THEN 'true' ELSE 'false' END)"


def json_sql(template: Template) -> str:
    """The ``json_object(...)`` expression that builds ``template`` (keys are constants).

    >>> json_sql({"a": "1"})
    "json_object('a', 1)"
    """
    parts: list[str] = []
    for key, value in template.items():
        if not _KEY.match(key):
            raise ValueError(f"template key {key!r} is not a plain name")
        if isinstance(value, Maybe):
            sql = f"json(CASE WHEN {value.condition} THEN {json_sql(value.template)} END)"
        elif isinstance(value, dict):
            sql = json_sql(value)
        else:
            sql = value
        parts.append(f"'{key}', {sql}")
    return "json_object(" + ", ".join(parts) + ")"


@dataclass(frozen=True, slots=True)
class View:
    """One searchable entity: its main table, joins, field sources and item template.

    >>> VIEWS["testcase"].alias, VIEWS["requirement"].table
    ('t', 'requirements')
    """

    entity: str
    table: str
    alias: str
    #: JOIN clauses after ``{table} {alias}``, giving the aliases the expressions below use
    joins: str
    #: lowercase schema field name -> SQL expression of its display value
    fields: dict[str, str]
    #: lowercase multi-valued field name -> ``SELECT item_id, value`` over all items
    multi: dict[str, str]
    #: expressions whose text quick search (``zql=false``) matches
    quick: tuple[str, ...]
    release: str
    project: str
    modified: str
    item: Template


def _customs(alias: str, names: tuple[str, ...], checkbox: str | None = None) -> Template:
    out: Template = {n: f"{alias}.{n}" for n in names}
    if checkbox:
        out[checkbox] = boolean(f"{alias}.{checkbox}")
    return out


def _testcase(t: str, creator: str, release: str, project: str) -> Template:
    return {
        "id": f"{t}.version_id",
        "testcaseId": f"{t}.testcase_id",
        "versionNumber": f"{t}.version",
        "name": f"{t}.name",
        "contents": f"{t}.contents",
        "comments": f"{t}.comment",
        "altId": f"{t}.alt_id",
        "priority": f"{t}.priority",
        "tag": f"{t}.tags",
        "tags": f"json({t}.tags_json)",
        "automated": boolean(f"{t}.automated"),
        "estimatedTime": f"{t}.estimated_time",
        "creatorId": f"{t}.creator_id",
        "creator": f"{creator}.username",
        "releaseId": f"{t}.release_id",
        "releaseName": f"{release}.name",
        "projectId": f"{t}.project_id",
        "projectName": f"{project}.name",
        "createDatetime": f"{t}.created_on",
        "lastModifiedOn": f"{t}.modified_on",
        "customProperties": _customs(t, ("customtext", "custompicklist", "customnumber"),
                                     "customcheckbox"),
    }


_TC_FIELDS = {
    "testcaseid": "t.testcase_id", "estimatedtime": "t.estimated_time", "altid": "t.alt_id",
    "priority": "t.priority", "version": "t.version", "versionid": "t.version_id",
    "release": "r.name", "project": "p.name",
}

VIEWS: dict[str, View] = {
    "testcase": View(
        entity="testcase", table="testcases", alias="t",
        joins="JOIN releases r ON r.id = t.release_id JOIN projects p ON p.id = t.project_id "
              "LEFT JOIN folders f ON f.id = t.folder_id "
              "LEFT JOIN users cu ON cu.id = t.creator_id",
        fields={**_TC_FIELDS, "creator": "cu.username", "folder": "f.name",
                "comment": "t.comment", "name": "t.name", "contents": "t.contents",
                "automated": "t.automated", "customtext": "t.customtext",
                "custompicklist": "t.custompicklist", "customnumber": "t.customnumber",
                "customcheckbox": "t.customcheckbox"},
        multi={"tag": "SELECT tc_id, tag FROM testcase_tags"},
        quick=("t.name", "t.alt_id", "t.contents", "t.comment", "CAST(t.testcase_id AS TEXT)"),
        release="t.release_id", project="t.project_id", modified="t.modified_on",
        item={
            "id": "t.id",
            "tcrCatalogTreeId": "t.folder_id",
            "folderName": "f.name",
            "folderPath": "f.path",
            "releaseId": "t.release_id",
            "projectId": "t.project_id",
            "testcase": _testcase("t", "cu", "r", "p"),
        },
    ),
    "requirement": View(
        entity="requirement", table="requirements", alias="q",
        joins="JOIN releases r ON r.id = q.release_id JOIN projects p ON p.id = q.project_id "
              "LEFT JOIN users cu ON cu.id = q.creator_id",
        fields={"altid": "q.alt_id", "details": "q.details", "url": "q.url", "name": "q.name",
                "creator": "cu.username", "release": "r.name", "project": "p.name",
                "priority": "q.priority", "id": "q.id", "customtext": "q.customtext",
                "custompicklist": "q.custompicklist"},
        multi={"tag": "SELECT req_id, tag FROM requirement_tags"},
        quick=("q.name", "q.details", "q.alt_id"),
        release="q.release_id", project="q.project_id", modified="q.modified_on",
        item={
            "id": "q.id",
            "name": "q.name",
            "details": "q.details",
            "altId": "q.alt_id",
            "url": "q.url",
            "priority": "q.priority",
            "tag": "q.tags",
            "tags": "json(q.tags_json)",
            "releaseId": "q.release_id",
            "releaseIds": "json_array(q.release_id)",
            "releaseName": "r.name",
            "projectId": "q.project_id",
            "projectName": "p.name",
            "creatorId": "q.creator_id",
            "creator": "cu.username",
            "createdOn": "q.created_on",
            "lastModifiedOn": "q.modified_on",
            "customProperties": _customs("q", ("customtext", "custompicklist")),
        },
    ),
    "execution": View(
        entity="execution", table="executions", alias="e",
        joins="JOIN testcases t ON t.id = e.tct_id JOIN releases r ON r.id = e.release_id "
              "JOIN projects p ON p.id = e.project_id JOIN cycles c ON c.id = e.cycle_id "
              "JOIN phases ph ON ph.id = e.phase_id JOIN statuses s ON s.id = e.status_id "
              "LEFT JOIN folders f ON f.id = t.folder_id "
              "LEFT JOIN users tu ON tu.id = e.tester_id "
              "LEFT JOIN users cu ON cu.id = e.creator_id "
              "LEFT JOIN users tcu ON tcu.id = t.creator_id",
        fields={**_TC_FIELDS, "notes": "e.notes", "cycle": "c.name", "creator": "cu.username",
                "executedby": "tu.username", "actualtime": "e.actual_time",
                "status": "s.name"},
        multi={"tag": "SELECT e.id, tt.tag FROM executions e "
                      "JOIN testcase_tags tt ON tt.tc_id = e.tct_id"},
        quick=("t.name", "e.notes", "t.alt_id"),
        release="e.release_id", project="e.project_id", modified="e.modified_on",
        item={
            "id": "e.id",
            "cyclePhaseId": "e.phase_id",
            "cyclePhaseName": "ph.name",
            "cycleId": "e.cycle_id",
            "cycleName": "c.name",
            "releaseId": "e.release_id",
            "releaseName": "r.name",
            "projectId": "e.project_id",
            "projectName": "p.name",
            "testerId": "e.tester_id",
            "executedBy": "tu.username",
            "createdBy": "cu.username",
            "assignmentDate": "e.assigned_on",
            "executionStatus": "CAST(e.status_id AS TEXT)",
            "status": "s.name",
            "actualTime": "e.actual_time",
            "notes": "e.notes",
            "attachmentCount": "0",
            "testerIdName": "tu.first_name || ' ' || tu.last_name",
            "tcrTreeTestcase": {
                "id": "t.id",
                "tcrCatalogTreeId": "t.folder_id",
                "folderName": "f.name",
                "testcase": _testcase("t", "tcu", "r", "p"),
            },
            "lastTestResult": Maybe("e.executed_on IS NOT NULL", {
                "id": "e.id",
                "releaseTestScheduleId": "e.id",
                "executionStatus": "CAST(e.status_id AS TEXT)",
                "executionDate": "e.executed_on",
                "testerId": "e.tester_id",
                "executedBy": "tu.username",
                "comment": "e.notes",
                "releaseId": "e.release_id",
            }),
        },
    ),
}


def _ms(expr: str) -> str:
    # "HH:MM:SS" (as stored and searched) -> whole milliseconds, NULL stays NULL
    return (f"(CAST(substr({expr}, 1, 2) AS INTEGER) * 3600 + CAST(substr({expr}, 4, 2) "
            f"AS INTEGER) * 60 + CAST(substr({expr}, 7, 2) AS INTEGER)) * 1000")


def item_template(entity: str, server: ServerProfile) -> Template:
    """The result item of ``entity`` as ``server`` shapes it: ``actualTime`` in milliseconds
    or ``HH:MM:SS``, and a never-run execution with no ``lastTestResult`` or one carrying the
    server's never-run status text.

    >>> from zql.sandbox.servers import PROFILES
    >>> item_template("execution", PROFILES["ze6"])["actualTime"]
    'e.actual_time'
    >>> item_template("execution", PROFILES["ze8"])["lastTestResult"]["executionStatus"]
    "CASE WHEN e.executed_on IS NULL THEN '-1' ELSE CAST(e.status_id AS TEXT) END"
    """
    item = VIEWS[entity].item
    if entity != "execution":
        return item
    out = dict(item)
    if server.actual_time == "ms":
        out["actualTime"] = _ms("e.actual_time")
    last = item["lastTestResult"]
    assert isinstance(last, Maybe)
    if server.never_run is not None:
        if not re.fullmatch(r"-?[0-9]+", server.never_run):
            raise ValueError(f"never_run must be a status id, not {server.never_run!r}")
        status = (f"CASE WHEN e.executed_on IS NULL THEN '{server.never_run}' "
                  "ELSE CAST(e.status_id AS TEXT) END")
        out["executionStatus"] = status
        out["lastTestResult"] = {**last.template, "executionStatus": status}
    return out
