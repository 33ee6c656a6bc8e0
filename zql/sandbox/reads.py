"""The read paths public Zephyr clients use beyond search (issue 16).

``GET /execution`` (the schedule list a migration tool, a Node CLI and the Jenkins plugin
page through), ``GET /testcase?zqlquery=`` (test cases by ZQL, a bare page), the test-case
tree, single test cases and their steps, single cycles and projects, paged releases and the
custom field definitions. Shapes not documented anywhere are INFERRED in
:mod:`zql.sandbox.records` and :mod:`zql.sandbox.fields`; docs/sandbox.md lists them.

Lists return at most :data:`~zql.sandbox.records.LIST_LIMIT` rows a request; ``pagesize=0``
("all") beyond that is a 400 that says so, never a silent cut.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zql.sandbox import fields, records
from zql.sandbox.api import (
    ApiError,
    Context,
    RouteTable,
    blocking,
    bool_param,
    int_param,
    path_id,
)
from zql.sandbox.sql import Where, compile_query, order_by
from zql.sandbox.store import Page
from zql.schema import ENTITIES, Schema, SchemaError

__all__ = ["list_body", "routes"]

_DEFAULT_LIST = 50  # pagesize when a list request names none (INFERRED)


def list_body(page: Page) -> bytes:
    """A list answer: ``{"firstResult", "resultSize", "results"}`` (never array-wrapped).

    >>> list_body(Page(9, 0, [b'{"id": 1}']))
    b'{"firstResult": 0, "resultSize": 9, "results": [{"id": 1}]}'
    """
    return Page(page.total, page.first, page.items).body(bare=True)


def _json(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def _size(params: Mapping[str, str], default: int, cap: int) -> int:
    """``pagesize``: 0 means all (up to ``cap``); larger sizes are clamped to ``cap``."""
    size = int_param(params, "pagesize", default)
    return cap if not size else min(size, cap)


def _check_all(page: Page, params: Mapping[str, str], what: str) -> None:
    if params.get("pagesize", "").strip() == "0" and page.total > len(page.items) + page.first:
        raise ApiError(400, f"pagesize=0 asks for all {page.total} {what}; the sandbox answers "
                       f"at most {records.LIST_LIMIT} a request: page with offset and pagesize")


def routes(ctx: Context) -> RouteTable:
    """The routes of this module (see :func:`zql.sandbox.app.create_app`)."""
    store = ctx.store

    async def executions(request: Request) -> Response:
        params = {k.lower(): v for k, v in request.query_params.items()}
        release = int_param(params, "releaseid", None)
        phase = int_param(params, "cyclephaseid", None)
        if phase is None:
            phase = int_param(params, "phaseid", None)
        cycle = int_param(params, "cycleid", None)
        if release is None and phase is None:
            raise ApiError(400, "GET /execution needs releaseid, cyclephaseid, or cycleId and "
                           "phaseId")
        if cycle is not None and phase is not None and not store.rows(
                "SELECT 1 FROM phases WHERE id = ? AND cycle_id = ?", (phase, cycle)):
            raise ApiError(404, f"no phase {phase} in cycle {cycle}")
        order = order_by("execution", params.get("order") or None,
                         ascending=bool_param(params, "isascorder", True), schema=store.schema)
        tester = int_param(params, "testerid", None)
        anyone = bool_param(params, "includeanyoneuser", False)
        offset = int_param(params, "offset", 0) or 0
        size = _size(params, _DEFAULT_LIST, records.LIST_LIMIT)
        page = await blocking(lambda: records.execution_page(
            store, release_id=release, phase_id=phase, tester_id=tester, include_anyone=anyone,
            order=order, offset=offset, limit=size))
        _check_all(page, params, "executions")
        return _json(list_body(page))

    async def testcases_by_zql(request: Request) -> Response:
        params = request.query_params
        query = params.get("zqlquery")
        if query is None:
            raise ApiError(400, "GET /testcase needs zqlquery (a ZQL query over test cases)")
        release = int_param(params, "releaseid", None)
        first = int_param(params, "offset", 0) or 0
        cap = ctx.control.page_cap
        size = min(int_param(params, "pagesize", min(_DEFAULT_LIST, cap)) or 0, cap)

        def run() -> Page:
            where = compile_query(query, "testcase", store.schema)
            if release is not None:
                where = where & Where("d.release_id = ?", (release,))
            return store.search("testcase", where, first=first, limit=size)

        page = await blocking(run)
        return _json(b'{"resultSize": %d, "results": [%s]}' % (page.total,
                                                               b",".join(page.items)))

    async def testcase(request: Request) -> Response:
        tree_id = path_id(request, "id")
        items = store.items("testcase", [tree_id]) if store.exists("testcases", tree_id) else []
        if not items:
            raise ApiError(404, f"no test case with tree id {tree_id}")
        return _json(items[0])

    async def teststeps(request: Request) -> Response:
        version = path_id(request, "id")
        steps = records.teststeps(store, version)
        if steps is None:
            raise ApiError(404, f"no test case version {version}")
        return JSONResponse(steps)

    async def folder_testcases(request: Request) -> Response:
        folder = path_id(request, "id")
        if not store.exists("folders", folder):
            raise ApiError(404, f"no test case tree node {folder}")
        params = request.query_params
        offset = int_param(params, "offset", 0) or 0
        size = _size(params, _DEFAULT_LIST, records.LIST_LIMIT)
        page = await blocking(lambda: records.testcases_in_folder(store, folder, offset, size))
        _check_all(page, params, "test cases")
        return _json(list_body(page))

    async def project_tree(request: Request) -> Response:
        project = path_id(request, "id")
        if not store.exists("projects", project):
            raise ApiError(404, f"no project with id {project}")
        return JSONResponse(records.folder_tree(store, project_id=project))

    async def release_tree(request: Request) -> Response:
        release = path_id(request, "id")
        if not store.exists("releases", release):
            raise ApiError(404, f"no release with id {release}")
        return JSONResponse(records.folder_tree(store, release_id=release))

    async def tree_by_type(request: Request) -> Response:
        # GET /testcasetree?type=Phase&revisionid=0&releaseid=R (the Jenkins plugin)
        release = int_param(request.query_params, "releaseid", None)
        if release is None:
            raise ApiError(400, "GET /testcasetree needs releaseid")
        return JSONResponse(records.folder_tree(store, release_id=release))

    async def tree_node(request: Request) -> Response:
        found = records.folder_tree(store, root=path_id(request, "id"))
        if not found:
            raise ApiError(404, f"no test case tree node {request.path_params['id']}")
        return JSONResponse(found[0])

    async def tree_hierarchy(request: Request) -> Response:
        ids = records.hierarchy(store, path_id(request, "id"))
        if not ids:
            raise ApiError(404, f"no test case tree node {request.path_params['id']}")
        return JSONResponse(ids)

    async def cycle(request: Request) -> Response:
        found = store.cycles(cycle_id=path_id(request, "id"))
        if not found:
            raise ApiError(404, f"no cycle with id {request.path_params['id']}")
        return JSONResponse(found[0])

    async def project(request: Request) -> Response:
        found = records.project(store, path_id(request, "id"))
        if found is None:
            raise ApiError(404, f"no project with id {request.path_params['id']}")
        return JSONResponse(found)

    async def user_projects(request: Request) -> Response:
        path_id(request, "id")  # every sandbox user is a member of every project
        return JSONResponse(store.projects())

    async def paged_releases(request: Request) -> Response:
        project_id = path_id(request, "id")
        if not store.exists("projects", project_id):
            raise ApiError(404, f"no project with id {project_id}")
        params = request.query_params
        releases = store.releases(project_id=project_id)
        if not bool_param(params, "isascorder", True):
            releases.reverse()
        offset = int_param(params, "offset", 0) or 0
        size = _size(params, _DEFAULT_LIST, records.LIST_LIMIT)
        return JSONResponse({"firstResult": offset, "resultSize": len(releases),
                             "results": releases[offset:offset + size]})

    async def custom_fields(request: Request) -> Response:
        raw = request.path_params["entity"]
        try:
            entity = Schema.entity_name(raw)
        except SchemaError:
            raise ApiError(400, f"unknown entity {raw!r}; one of {', '.join(ENTITIES)}") \
                from None
        return JSONResponse(fields.definitions(entity))

    table: RouteTable = [
        ("GET", "/execution", executions),
        ("GET", "/testcase/tree/{id}", folder_testcases),
        ("GET", "/testcase/{id}/teststep", teststeps),
        ("GET", "/testcase/{id}", testcase),
        ("GET", "/testcasetree", tree_by_type),
        ("GET", "/testcasetree/projectrepository/{id}", project_tree),
        ("GET", "/testcasetree/phases/{id}", release_tree),
        ("GET", "/testcasetree/hierarchy/{id}", tree_hierarchy),
        ("GET", "/testcasetree/{id}", tree_node),
        ("GET", "/cycle/{id}", cycle),
        ("GET", "/project/user/{id}", user_projects),
        ("GET", "/project/{id}", project),
        ("GET", "/release/paged/project/{id}", paged_releases),
        ("GET", "/field/entity/{entity}", custom_fields),
    ]
    if ctx.server.serves("GET /testcase?zqlquery"):
        table.insert(0, ("GET", "/testcase", testcases_by_zql))
    return table
