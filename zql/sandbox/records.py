"""Single records, trees and lists read out of the store for :mod:`zql.sandbox.reads`.

The HTTP layer stays free of SQL: these functions turn the relational tables into the shapes
public clients read (zql-reference §3.4, issue 16). Where a shape is not documented it is
INFERRED from what the clients read, and said so here:

- a test-case tree node is ``{"id", "name", "type": "Phase", "description", "parentId"
  (0 at the root), "releaseId", "projectId", "revision": 0, "testcaseCount",
  "categories": [child nodes]}`` (the Jenkins plugin's ``TCRCatalogTreeDTO``);
- ``/testcasetree/hierarchy/{id}`` is the list of ids from the root down to ``id`` (the
  Jenkins plugin reads a ``List<Long>``);
- test steps are parsed from the test case's ``contents``: each numbered line is a step,
  an ``Expected: …`` line is the result of the step before it.

>>> from zql.sandbox.store import Store
>>> with Store.open() as store:
...     node = folder_tree(store, release_id=1)[0]
...     node["type"], node["parentId"], hierarchy(store, node["categories"][0]["id"])[0] \
== node["id"] if node["categories"] else True
('Phase', 0, True)
"""

from __future__ import annotations

import re
from typing import Any

from zql.sandbox.sql import MATCH_ALL, Order, Where
from zql.sandbox.store import Page, Store

__all__ = [
    "LIST_LIMIT",
    "execution_page",
    "folder_tree",
    "hierarchy",
    "project",
    "testcases_in_folder",
    "teststeps",
]

#: the most rows one list request (``/execution``, ``/testcase/tree``) returns; clients ask
#: for ``pagesize=10000`` and read everything at once (INFERRED bound: ZE documents none)
LIST_LIMIT = 10_000

_STEP = re.compile(r"\s*(\d+)[.)]\s*(.*)")
_EXPECTED = re.compile(r"\s*expected\s*:\s*(.*)", re.IGNORECASE)


def project(store: Store, project_id: int) -> dict[str, Any] | None:
    """``GET /project/{id}``: one project with its lead and start date, or None.

    >>> from zql.sandbox.store import Store
    >>> with Store.open() as store:
    ...     sorted(project(store, 1)), project(store, 99)
    (['description', 'id', 'leadId', 'name', 'shortName', 'startDate'], None)
    """
    rows = store.dicts("SELECT id, name, short_name AS shortName, description, "
                       "lead_id AS leadId, created_on AS startDate FROM projects WHERE id = ?",
                       (project_id,))
    return rows[0] if rows else None


def folder_tree(store: Store, *, release_id: int | None = None,
                project_id: int | None = None, root: int | None = None
                ) -> list[dict[str, Any]]:
    """Test-case tree nodes with their children: the roots of a release or a project, or the
    one node ``root``.

    >>> from zql.sandbox.store import Store
    >>> with Store.open() as store:
    ...     [n["name"] for n in folder_tree(store, project_id=1)][:2]
    ['Accessibility', 'Authentication']
    """
    sql = ("SELECT f.id, f.name, f.parent_id, f.release_id, r.project_id, f.path, "
           "(SELECT count(*) FROM testcases t WHERE t.folder_id = f.id) AS n FROM folders f "
           "JOIN releases r ON r.id = f.release_id")
    if root is not None:
        release = store.rows("SELECT release_id FROM folders WHERE id = ?", (root,))
        if not release:
            return []
        rows = store.dicts(sql + " WHERE f.release_id = ? ORDER BY f.id", (release[0][0],))
    elif release_id is not None:
        rows = store.dicts(sql + " WHERE f.release_id = ? ORDER BY f.id", (release_id,))
    else:
        rows = store.dicts(sql + " WHERE r.project_id = ? ORDER BY f.id", (project_id,))
    nodes = {row["id"]: _node(row) for row in rows}
    for row in rows:
        if row["parent_id"] is not None and row["parent_id"] in nodes:
            nodes[row["parent_id"]]["categories"].append(nodes[row["id"]])
    if root is not None:
        return [nodes[root]] if root in nodes else []
    return [nodes[r["id"]] for r in rows if r["parent_id"] is None]


def _node(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "type": "Phase",
            "description": row["path"], "parentId": row["parent_id"] or 0,
            "releaseId": row["release_id"], "projectId": row["project_id"], "revision": 0,
            "testcaseCount": row["n"], "categories": []}


def hierarchy(store: Store, folder_id: int) -> list[int]:
    """The ids from the root folder down to ``folder_id`` (empty when there is no such
    folder).

    >>> from zql.sandbox.store import Store
    >>> with Store.open() as store:
    ...     hierarchy(store, 99999)
    []
    """
    rows = store.rows("WITH RECURSIVE up(id, parent_id, depth) AS ("
                      "SELECT id, parent_id, 0 FROM folders WHERE id = ? UNION ALL "
                      "SELECT f.id, f.parent_id, up.depth + 1 FROM folders f "
                      "JOIN up ON f.id = up.parent_id WHERE up.depth < 64) "
                      "SELECT id FROM up ORDER BY depth DESC", (folder_id,))
    return [r[0] for r in rows]


def testcases_in_folder(store: Store, folder_id: int, offset: int, limit: int) -> Page:
    """One page of the test cases in a folder (``GET /testcase/tree/{id}``), by id.

    >>> from zql.sandbox.store import Store
    >>> with Store.open() as store:
    ...     page = testcases_in_folder(store, 1, 0, 2)
    ...     page.total >= len(page.items), {r["tcrCatalogTreeId"] for r in page.results()}
    (True, {1})
    """
    where = Where("d.id IN (SELECT id FROM testcases WHERE folder_id = ?)", (folder_id,))
    return store.search("testcase", where, first=offset, limit=limit)


def teststeps(store: Store, version_id: int) -> dict[str, Any] | None:
    """``GET /testcase/{testcaseVersionId}/teststep``: the steps of one test-case version.

    >>> from zql.sandbox.store import Store
    >>> with Store.open() as store:
    ...     steps = teststeps(store, 5003)
    ...     [s["orderId"] for s in steps["steps"]], steps["steps"][-1]["result"] != ""
    ([1, 2], True)
    """
    rows = store.rows("SELECT id, version_id, contents FROM testcases WHERE version_id = ?",
                      (version_id,))
    if not rows:
        return None
    tree_id, version, contents = rows[0]
    steps: list[dict[str, Any]] = []
    for line in (contents or "").splitlines():
        numbered, expected = _STEP.match(line), _EXPECTED.match(line)
        if expected and steps:
            steps[-1]["result"] = expected.group(1)
        elif numbered:
            order = len(steps) + 1
            steps.append({"id": version * 100 + order, "orderId": order,
                          "step": numbered.group(2), "data": "", "result": ""})
    return {"id": version, "tcId": version, "testcaseVersionId": version, "tctId": tree_id,
            "maxId": len(steps), "steps": steps}


def execution_page(store: Store, *, release_id: int | None, phase_id: int | None,
                   tester_id: int | None, include_anyone: bool, order: Order, offset: int,
                   limit: int) -> Page:
    """The executions ``GET /execution`` lists: of a release and/or a cycle phase,
    optionally of one tester (``include_anyone``: plus the unassigned ones).

    >>> from zql.sandbox.store import Store
    >>> with Store.open() as store:
    ...     page = execution_page(store, release_id=None, phase_id=1, tester_id=None,
    ...                           include_anyone=False, order=Order(), offset=0, limit=3)
    ...     {r["cyclePhaseId"] for r in page.results()}, len(page.items)
    ({1}, 3)
    """
    where = MATCH_ALL
    if release_id is not None:
        where = where & Where("d.release_id = ?", (release_id,))
    if phase_id is not None:
        where = where & Where("d.id IN (SELECT id FROM executions WHERE phase_id = ?)",
                              (phase_id,))
    if tester_id is not None:
        anyone = " OR tester_id IS NULL" if include_anyone else ""
        where = where & Where(f"d.id IN (SELECT id FROM executions WHERE tester_id = ?{anyone})",
                              (tester_id,))
    return store.search("execution", where, order=order, first=offset, limit=limit)
