"""The sandbox's HTTP API: a Starlette app speaking the ZE REST subset (zql-reference §3).

Every route is served under both ``/flex/services/rest/latest`` and ``/flex/services/rest/v3``.
A small ASGI gate in front records each request and injects latency and faults; each endpoint
authenticates (Bearer token, Basic, or the ``token`` cookie) and answers JSON, errors as
``{"errorMsg", "errorCode"}``. Nothing here knows SQL: search goes through
:mod:`zql.sandbox.sql` and :class:`~zql.sandbox.store.Store`.

>>> from zql.sandbox.control import Control
>>> from zql.sandbox.store import Store
>>> app = create_app(Store.open(), Control(), Credentials("t0k3n", "admin", "pw"))
>>> sorted({r.path for r in app.routes})
['/flex/services/rest/latest', '/flex/services/rest/v3', '/flex/services/rest/v4']
>>> app.state.store.close()
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from zql.sandbox import admin, reads, writes
from zql.sandbox.api import (
    ApiError,
    Context,
    Credentials,
    Handler,
    Quirk,
    RouteTable,
    blocking,
    bool_param,
    entity_param,
    int_param,
    json_body,
    path_id,
)
from zql.sandbox.control import Control, gate_routes
from zql.sandbox.model import lookup_key, sandbox_schema
from zql.sandbox.servers import DEFAULT_SERVER, ServerProfile
from zql.sandbox.sql import (
    MATCH_ALL,
    QueryError,
    Where,
    compile_query,
    order_by,
    quick_search,
)
from zql.sandbox.store import Page, Store
from zql.schema import ENTITIES, Schema

__all__ = ["API_PREFIXES", "ApiError", "Credentials", "create_app", "metadata"]

#: Where the API lives; ZE serves ``latest`` and ``v3`` alike.
API_PREFIXES = ("/flex/services/rest/latest", "/flex/services/rest/v3", admin.V4_PREFIX)
_DEFAULT_PAGE = 50
_METADATA_ENTITY = {"testcase": "testcase", "requirement": "requirement",
                    "execution": "testSchedule"}
#: the ``type`` of a search page block: only execution pages carry one (``testSchedule``)
_PAGE_TYPE = {"execution": "testSchedule"}
_log = logging.getLogger("zql.sandbox")


def metadata(schema: Schema | None = None) -> dict[str, list[dict[str, Any]]]:
    """The ``GET /v3/zql/metadata`` answer built from the sandbox schema.

    >>> entry = metadata()["testSchedule"][-1]
    >>> entry["name"], entry["lookupKey"], sorted(entry["operatorToFieldMap"])
    ('status', 'status', ['!=', '=', 'in'])
    """
    schema = schema or sandbox_schema()
    out: dict[str, list[dict[str, Any]]] = {}
    for entity in ENTITIES:
        name = _METADATA_ENTITY[entity]
        entries = []
        for spec in schema.fields(entity):
            key = lookup_key(spec)
            entry: dict[str, Any] = {
                "entityName": name, "name": spec.name, "dataType": spec.type,
                "lookup": key is not None, "lookupKey": key, "visible": not spec.api_only,
                "operatorToFieldMap": {text: spec.name for text in spec.operator_texts}}
            if spec.custom:
                entry["customFieldKind"] = spec.custom
            entries.append(entry)
        out[name] = entries
    return out


# --------------------------------------------------------------------------- core routes


class _Core:
    """Sessions, lookups, custom fields, ZQL metadata and search."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.store = ctx.store
        self.control = ctx.control
        self.metadata = metadata(ctx.store.schema)

    def routes(self) -> RouteTable:
        server = self.ctx.server
        table: RouteTable = [
            ("GET", "/user/current", self.current_user),
            ("DELETE", "/user/logout", self.logout),
            ("GET", "/user", self.users),
            ("GET", "/project/lite", self.projects),
            ("GET", "/release", self.releases),
            ("GET", "/release/project/{project_id}", self.project_releases),
            ("GET", "/cycle/release/{release_id}", self.cycles),
            ("GET", "/zql/metadata", self.zql_metadata),
            ("GET", "/zql/val/{key}", self.zql_values),
        ]
        variants: RouteTable = [
            ("GET", "/advancesearch", self.search_get),
            ("POST", "/advancesearch", self.search_post),
            ("POST", "/advancesearch/zql", self.search_zql),
        ]
        return table + [r for r in variants if server.serves(f"{r[0]} {r[1]}")]

    async def current_user(self, request: Request) -> Response:
        username: str = request.state.user
        response = JSONResponse(self.ctx.user(username))
        if request.headers.get("authorization", "").lower().startswith("basic"):
            self.control.count_login()
            token = self.control.open_session(username)
            secure = "; Secure" if request.url.scheme == "https" else ""
            response.headers.append(
                "set-cookie",
                f"token={token}; Max-Age={self.control.cookie_ttl}; Path=/flex; HttpOnly{secure}")
        return response

    async def logout(self, request: Request) -> Response:
        cookie = request.cookies.get("token")
        if cookie:
            self.control.close_session(cookie)
        response = JSONResponse({"status": "logged out"})
        response.headers.append("set-cookie", "token=; Max-Age=0; Path=/flex; HttpOnly")
        return response

    async def users(self, request: Request) -> Response:
        return JSONResponse(self.store.users())

    async def projects(self, request: Request) -> Response:
        return JSONResponse(self.store.projects())

    async def releases(self, request: Request) -> Response:
        project = int_param(request.query_params, "projectid", None)
        return JSONResponse(self.store.releases(project_id=project))

    async def project_releases(self, request: Request) -> Response:
        project = path_id(request, "project_id")
        if not self.store.exists("projects", project):
            raise ApiError(404, f"no project with id {project}")
        return JSONResponse(self.store.releases(project_id=project))

    async def cycles(self, request: Request) -> Response:
        release = path_id(request, "release_id")
        if not self.store.exists("releases", release):
            raise ApiError(404, f"no release with id {release}")
        return JSONResponse(self.store.cycles(release))

    async def zql_metadata(self, request: Request) -> Response:
        return JSONResponse(self.metadata)

    async def zql_values(self, request: Request) -> Response:
        key = request.path_params["key"].lower()
        keys = self.store.lookup_keys()
        if key not in keys:
            raise ApiError(404, f"no values for lookup key {key!r}; keys: {', '.join(keys)}")
        params = request.query_params
        values = self.store.lookup(
            key, params.get("partialtext", ""), release_id=int_param(params, "releaseid", None),
            offset=int_param(params, "offset", 0) or 0,
            limit=int_param(params, "pagesize", 20, minimum=1) or 20)
        return JSONResponse([{"value": v} for v in values])

    async def search_get(self, request: Request) -> Response:
        return await self._search(dict(request.query_params))

    async def search_post(self, request: Request) -> Response:
        return await self._search(await _search_body(request))

    async def search_zql(self, request: Request) -> Response:
        # POST /advancesearch/zql: the same body, ZQL implied (one SDK sends only
        # entitytype and word).
        return await self._search({**await _search_body(request), "zql": True})

    async def _search(self, params: Mapping[str, object]) -> Response:
        entity = entity_param(params.get("entitytype"))
        word = str(params.get("word") or "")
        is_zql = bool_param(params, "zql", False)
        where_extra = MATCH_ALL
        for name, col in (("releaseid", "release_id"), ("projectid", "project_id")):
            value = int_param(params, name, None)
            if value is not None:
                where_extra = where_extra & Where(f"d.{col} = ?", (value,))
        order_name = params.get("order")
        ascending = bool_param(params, "isascorder", True)
        is_cfield = bool_param(params, "is_cfield", False)
        first = int_param(params, "firstresult", 0) or 0
        cap = self.control.page_cap
        wanted = int_param(params, "maxresults", min(_DEFAULT_PAGE, cap))
        schema = self.store.schema

        def run() -> Page:
            where = compile_query(word, entity, schema) if is_zql else quick_search(word)
            order = order_by(entity, str(order_name) if order_name is not None else None,
                             ascending=ascending, is_cfield=is_cfield, schema=schema)
            return self.store.search(entity, where & where_extra, order=order, first=first,
                                     limit=min(wanted or 0, cap),
                                     kind=_PAGE_TYPE.get(entity))

        page = await blocking(run)
        bare = self.control.quirks or self.ctx.server.page_shape == "bare"
        return Response(page.body(bare=bare), media_type="application/json")


async def _search_body(request: Request) -> dict[str, object]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    if "word" in body and not isinstance(body["word"], str):
        raise ApiError(400, "word must be a string")
    for key in ("order", "entityType", "entitytype"):
        if key in body and not isinstance(body[key], str | None):
            raise ApiError(400, f"{key} must be a string")
    # The POST body spells the GET parameters in camelCase (some clients in lowercase).
    return {_BODY_NAMES.get(str(k), str(k).lower()): v for k, v in body.items()}


_BODY_NAMES = {"entityType": "entitytype", "firstResult": "firstresult",
               "maxResults": "maxresults", "releaseId": "releaseid", "projectId": "projectid",
               "isAscOrder": "isascorder", "isCfield": "is_cfield"}


class _Gate:
    """ASGI middleware: record the request, add latency, inject faults, then hold it at a
    test's gate (see :meth:`Control.gate`)."""

    def __init__(self, app: ASGIApp, control: Control) -> None:
        self.app = app
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        self.control.record(scope["method"], path, scope["query_string"].decode("latin-1"))
        if self.control.latency_ms > 0:
            await asyncio.sleep(self.control.latency_ms / 1000)
        fault = self.control.take_fault() if path.startswith("/flex/services/rest/") else None
        if fault is not None:
            status, retry_after = fault
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            message = "too many requests; retry later" if status == 429 else \
                "injected fault" if status != 503 else "service unavailable (injected fault)"
            await ApiError(status, message, headers=headers).response()(scope, receive, send)
            return
        gate = self.control.gate_for(scope["method"], path)  # after faults: a held request
        if gate is not None:                                  # has taken none, nor will
            await gate.hold()
        await self.app(scope, receive, send)


def _endpoint(ctx: Context, fn: Handler, *, public: bool = False) -> Handler:
    """Authenticate (unless ``public``), run ``fn``, and turn what it raises into answers."""

    async def endpoint(request: Request) -> Response:
        try:
            if not public:
                request.state.user, request.state.readonly = ctx.authenticate(request)
            return await fn(request)
        except ApiError as err:
            return err.response()
        except QueryError as err:
            return ApiError(400, str(err), err.details()).response()
        except Quirk as quirk:
            return quirk.response
        except Exception as err:  # a bug: one line in the log, no traceback to the client
            _log.warning("zql sandbox: %s %s failed: %s", request.method, request.url.path,
                         type(err).__name__)
            return ApiError(500, f"internal sandbox error ({type(err).__name__})").response()

    endpoint.__name__ = fn.__name__
    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {404: f"no such endpoint: {request.url.path}",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(
        status, HTTPStatus(status).phrase)
    return ApiError(status, message).response()


#: Routes served without authentication (connection tests): path -> handler factory.
_PUBLIC = ("/healthcheck",)


def create_app(store: Store, control: Control, creds: Credentials,
               server: ServerProfile | str | None = None) -> Starlette:
    """The ASGI application serving ``store`` with the knobs of ``control``, shaped like
    ``server`` (a profile name or :class:`~zql.sandbox.servers.ServerProfile`; default: the
    store's own).
    """
    ctx = Context(store, control, creds, server or store.server or DEFAULT_SERVER)
    # THE route-registration point: each module contributes its (method, path, handler)s.
    table: RouteTable = [
        *_Core(ctx).routes(),
        *admin.routes(ctx),
        *reads.routes(ctx),
        *writes.routes(ctx),
        *gate_routes(ctx.control),  # tests hold responses of a sandbox run as a process
    ]
    routes = [Route(path, _endpoint(ctx, fn, public=path in _PUBLIC), methods=[method])
              for method, path, fn in table]
    app = Starlette(routes=[Mount(prefix, routes=routes) for prefix in API_PREFIXES],
                    exception_handlers={HTTPException: _http_error})
    app.state.store = store
    app.state.context = ctx
    app.add_middleware(_Gate, control=control)
    return app
