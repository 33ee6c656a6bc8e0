"""Which request carries which change, and how its answer reads: every endpoint choice in one place.

Facts and guesses (zql-reference §3.7; docs/update.md explains each):

- a status alone for many executions: ``PUT /execution/bulk?status={id}&testerid={me}``
  ``&allExecutions=false`` with ``{"ids": [...]}`` (public clients; answers the updated
  schedules);
- notes, an assignee, or several values per row (an undo): ``PUT /execution/bulk/execute`` with
  ``[{"rtsId", "status", "notes", "testerId", "executedOn"}]``; re-assigning through
  ``testerId`` there is **INFERRED** (:func:`assign_row` is the one place to correct it);
- test cases, one request each: ``PUT /testcase?forceCreateNewVersion=false`` with
  ``{"testcase": {"id", "testcaseId", "tag", "priority"}, "releaseId"}`` (documented by
  SmartBear). The bulk ``PUT /testcase/update`` is not used: the meaning of its
  ``tagsOperation`` is unknown, and a wrong guess could replace the tags of many test cases;
  the single request carries the complete new tag list, so its effect does not depend on a guess.
  That only the keys sent change is **INFERRED**.

>>> req = status_request([7, 8], status=4, me=1)
>>> req.method, req.path, req.json
('PUT', 'execution/bulk', {'ids': [7, 8]})
>>> req.params
{'status': '4', 'testerid': '1', 'allExecutions': 'false'}
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zql.update.model import Item

__all__ = [
    "MAX_BATCH",
    "Request",
    "assign_row",
    "case_request",
    "execute_request",
    "requests_for",
    "status_request",
    "updated_hits",
]

#: Public clients send at most 500 ids a request; so do we.
MAX_BATCH = 500
_NO = json.dumps(False)  # query parameters spell booleans the JSON way


@dataclass(frozen=True, slots=True)
class Request:
    """One write: method, path below the API root, query parameters, JSON body; ``ids`` are the
    items it carries.

    >>> print(Request("PUT", "execution/bulk", {"status": "4"}, {"ids": [1]}, (1,)).show())
    PUT execution/bulk?status=4 {"ids": [1]}
    """

    method: str
    path: str
    params: Mapping[str, str] | None
    json: Any
    ids: tuple[int, ...] = ()

    def show(self, *, width: int = 120) -> str:
        """The request as one line (long bodies shortened with the count of what was left out).

        Nothing secret is in a request: credentials travel in headers, which are not shown.
        """
        query = "&".join(f"{k}={v}" for k, v in (self.params or {}).items())
        body = json.dumps(self.json, ensure_ascii=False)
        if len(body) > width:
            body = body[: width - 20] + f"… ({len(self.ids)} items)"
        return f"{self.method} {self.path}{'?' + query if query else ''} {body}"


def status_request(ids: Sequence[int], *, status: int, me: int) -> Request:
    """One status for many executions: the bulk endpoint. ``me`` is the current user's id,
    sent as ``testerid`` (who ran it), as public clients do."""
    return Request("PUT", "execution/bulk",
                   {"status": str(status), "testerid": str(me), "allExecutions": _NO},
                   {"ids": list(ids)}, tuple(ids))


def assign_row(user_id: int | None) -> dict[str, Any]:
    """The part of a ``bulk/execute`` row that re-assigns an execution. INFERRED: no public
    client re-assigns a single execution; ``testerId`` in ``bulk/execute`` is the best guess.

    >>> assign_row(3)
    {'testerId': 3}
    """
    return {"testerId": user_id}


def _execute_row(item: Item, restore: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"rtsId": item.id}
    after = item.after
    if "status" in after:
        row["status"] = str(after["status"])
    if "notes" in after:
        row["notes"] = after["notes"]
    if "testerId" in after:
        row.update(assign_row(after["testerId"]))
    if restore and "executedOn" in after:
        row["executedOn"] = after["executedOn"]
    return row


def execute_request(items: Sequence[Item], *, restore: bool = False) -> Request:
    """Per-row values for many executions (``bulk/execute``); an undo also restores the
    execution date, so a run that had never executed reads "Not Executed" again.

    >>> item = Item(5, {}, {}, {"notes": "x", "testerId": 2})
    >>> execute_request([item]).json
    [{'rtsId': 5, 'notes': 'x', 'testerId': 2}]
    """
    return Request("PUT", "execution/bulk/execute", None,
                   [_execute_row(i, restore) for i in items], tuple(i.id for i in items))


def case_request(item: Item) -> Request:
    """One test case's new tags and/or priority (the whole tag list, space-separated).

    >>> item = Item(3, {"testcaseId": 1003, "versionId": 5009, "releaseId": 1}, {},
    ...             {"tags": ["smoke", "flaky"]})
    >>> case_request(item).json
    {'testcase': {'id': 5009, 'testcaseId': 1003, 'tag': 'smoke flaky'}, 'releaseId': 1}
    """
    tc: dict[str, Any] = {"id": item.ref.get("versionId"), "testcaseId": item.ref.get("testcaseId")}
    if "tags" in item.after:
        tc["tag"] = " ".join(item.after["tags"])
    if "priority" in item.after:
        tc["priority"] = item.after["priority"]
    return Request("PUT", "testcase", {"forceCreateNewVersion": _NO},
                   {"testcase": tc, "releaseId": item.ref.get("releaseId")}, (item.id,))


def requests_for(entity: str, items: Sequence[Item], *, status: int | None, me: int | None,
                 restore: bool = False) -> list[Request]:
    """The requests that carry ``items`` (one batch): the bulk status endpoint when only a
    status changes, ``bulk/execute`` otherwise; one request per test case.

    >>> items = [Item(1, {}, {}, {"status": "4"}), Item(2, {}, {}, {"status": "4"})]
    >>> [r.path for r in requests_for("execution", items, status=4, me=1)]
    ['execution/bulk']
    """
    if entity == "testcase":
        return [case_request(i) for i in items]
    if not restore and status is not None and me is not None \
            and all(tuple(i.after) == ("status",) for i in items):
        return [status_request([i.id for i in items], status=status, me=me)]
    return [execute_request(items, restore=restore)]


def updated_hits(entity: str, body: Any) -> list[Mapping[str, Any]]:
    """The updated items in a write's answer: a list of schedules, one schedule, or one
    test case hit; anything else is no information (the items are then read again).

    >>> updated_hits("execution", [{"id": 1}, "junk"])
    [{'id': 1}]
    """
    values = body if isinstance(body, list) else [body]
    return [v for v in values if isinstance(v, dict) and "id" in v
            and (entity != "testcase" or isinstance(v.get("testcase"), dict))]
