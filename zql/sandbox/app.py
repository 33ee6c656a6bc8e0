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
['/flex/services/rest/latest', '/flex/services/rest/v3']
>>> app.state.store.close()
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from zql.sandbox.control import Control, gate_routes
from zql.sandbox.model import CUSTOM_FIELDS, lookup_key, sandbox_schema
from zql.sandbox.sql import QueryError, Where, compile_query, order_by, quick_search
from zql.sandbox.store import Store
from zql.schema import ENTITIES, Schema, SchemaError

__all__ = ["API_PREFIXES", "ApiError", "Credentials", "create_app", "metadata"]

#: Where the API lives; ZE serves ``latest`` and ``v3`` alike.
API_PREFIXES = ("/flex/services/rest/latest", "/flex/services/rest/v3")
_DEFAULT_PAGE = 50
_WHOLE = re.compile(r"-?[0-9]{1,18}")
_METADATA_ENTITY = {"testcase": "testcase", "requirement": "requirement",
                    "execution": "testSchedule"}


@dataclass(frozen=True, slots=True)
class Credentials:
    """The sandbox's one account: an API token, and a user name and password for Basic.

    >>> Credentials("t", "admin", "pw")
    Credentials(username='admin')
    """

    token: str
    username: str
    password: str

    def __repr__(self) -> str:  # secrets never appear in reprs or logs
        return f"Credentials(username={self.username!r})"


class ApiError(Exception):
    """An error answer: HTTP status, ``errorMsg`` and extra JSON keys.

    >>> ApiError(404, "no such release: 9").response().status_code
    404
    """

    def __init__(self, status: int, message: str, extra: Mapping[str, object] | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def response(self) -> Response:
        """The JSON error response."""
        body = {"errorMsg": self.message, "errorCode": HTTPStatus(self.status).phrase,
                **self.extra}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


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


# --------------------------------------------------------------------------- parameters


def _entity(value: object) -> str:
    if value is None or value == "":
        raise ApiError(400, f"entitytype is required: one of {', '.join(ENTITIES)}")
    text = str(value).strip().lower()
    if text not in ENTITIES:
        raise ApiError(400, f"unknown entitytype {str(value)!r}; one of {', '.join(ENTITIES)}")
    return text


def _int(params: Mapping[str, object], name: str, default: int | None,
         minimum: int = 0) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    text = str(value).strip() if isinstance(value, int | str) else ""
    # bool is an int to Python, not to a JSON client; 18 digits keep SQLite's int64 happy.
    if isinstance(value, bool) or not _WHOLE.fullmatch(text):
        raise ApiError(400, f"{name} must be a whole number, not {json.dumps(value)}")
    number = int(text)
    if number < minimum:
        raise ApiError(400, f"{name} must be >= {minimum}, not {number}")
    return number


def _bool(params: Mapping[str, object], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # parameters spell booleans the JSON way
            value = json.loads(value.strip().lower())
    if isinstance(value, bool):
        return value
    raise ApiError(400, f"{name} must be true or false, not {json.dumps(value)}")


def _path_id(request: Request, name: str) -> int:
    value = _int(request.path_params, name, None)
    if value is None:
        raise ApiError(404, f"no {name} in the path")
    return value


# --------------------------------------------------------------------------- the app


class _Api:
    """The endpoints, bound to one store, control and account."""

    def __init__(self, store: Store, control: Control, creds: Credentials) -> None:
        self.store = store
        self.control = control
        self.creds = creds
        self.metadata = metadata(store.schema)

    # ---- authentication

    def _bad_credentials(self, message: str) -> Exception:
        if self.control.quirks:
            # Some ZE servers answer 200 with a JSON *string* that describes the 401.
            inner = json.dumps({"errorMsg": message, "errorCode": 401})
            return _Quirk(JSONResponse(inner, status_code=200))
        return ApiError(401, message)

    def _basic(self, header: str) -> str | None:
        try:
            decoded = base64.b64decode(header.split(None, 1)[1], validate=True).decode()
            user, _, password = decoded.partition(":")
        except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
            return None
        same_user = hmac.compare_digest(user.encode(), self.creds.username.encode())
        same_pw = hmac.compare_digest(password.encode(), self.creds.password.encode())
        return user if same_user and same_pw else None

    def authenticate(self, request: Request) -> str:
        """The user name a request is authenticated as; raises 401 otherwise."""
        header = request.headers.get("authorization", "")
        scheme = header.split(None, 1)[0].lower() if header else ""
        if scheme == "bearer":
            given = header.split(None, 1)[1].strip() if " " in header.strip() else ""
            if hmac.compare_digest(given.encode(), self.creds.token.encode()):
                return self.creds.username
            raise self._bad_credentials("invalid API token")
        if scheme == "basic":
            user = self._basic(header)
            if user is None:
                raise self._bad_credentials("invalid user name or password")
            return user
        if header:
            raise ApiError(401, "unsupported Authorization scheme: use Bearer or Basic")
        cookie = request.cookies.get("token")
        if cookie:
            user = self.control.session_user(cookie)
            if user is None:
                raise ApiError(401, "the session has expired or was logged out; log in again")
            return user
        raise ApiError(401, "authentication required: Bearer token, Basic or the token cookie")

    def _user(self, username: str) -> dict[str, Any]:
        # The login account is the data set's user 1 ("Sandbox Administrator").
        user = dict(self.store.users()[0])
        user["username"] = username
        return user

    # ---- endpoints

    async def current_user(self, request: Request) -> Response:
        username: str = request.state.user
        response = JSONResponse(self._user(username))
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
        return JSONResponse(self.store.releases())

    async def project_releases(self, request: Request) -> Response:
        project = _path_id(request, "project_id")
        if not self.store.exists("projects", project):
            raise ApiError(404, f"no project with id {project}")
        return JSONResponse(self.store.releases(project_id=project))

    async def cycles(self, request: Request) -> Response:
        release = _path_id(request, "release_id")
        if not self.store.exists("releases", release):
            raise ApiError(404, f"no release with id {release}")
        return JSONResponse(self.store.cycles(release))

    async def custom_fields(self, request: Request) -> Response:
        raw = request.path_params["entity"]
        try:
            entity = Schema.entity_name(raw)
        except SchemaError:
            raise ApiError(400, f"unknown entity {raw!r}; one of {', '.join(ENTITIES)}") \
                from None
        fields = [{
            "id": 100 + ENTITIES.index(entity) * 10 + i, "entityName": entity,
            "fieldName": c.display_name, "displayName": c.display_name,
            "searchFieldName": c.search_name, "fieldType": c.kind, "searchable": True,
            "mandatory": False,
            "fieldTypeMetadata": [{"id": j, "value": o} for j, o in enumerate(c.options, 1)],
        } for i, c in enumerate(CUSTOM_FIELDS[entity], 1)]
        return JSONResponse(fields)

    async def zql_metadata(self, request: Request) -> Response:
        return JSONResponse(self.metadata)

    async def zql_values(self, request: Request) -> Response:
        key = request.path_params["key"].lower()
        keys = self.store.lookup_keys()
        if key not in keys:
            raise ApiError(404, f"no values for lookup key {key!r}; keys: {', '.join(keys)}")
        params = request.query_params
        values = self.store.lookup(
            key, params.get("partialtext", ""), release_id=_int(params, "releaseid", None),
            offset=_int(params, "offset", 0) or 0,
            limit=_int(params, "pagesize", 20, minimum=1) or 20)
        return JSONResponse([{"value": v} for v in values])

    async def search_get(self, request: Request) -> Response:
        return self._search(dict(request.query_params))

    async def search_post(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"null")
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "the request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "the request body must be a JSON object")
        if "word" in body and not isinstance(body["word"], str):
            raise ApiError(400, "word must be a string")
        for key in ("order", "entityType"):
            if key in body and not isinstance(body[key], str | None):
                raise ApiError(400, f"{key} must be a string")
        # The POST body spells the GET parameters in camelCase.
        names = {"entityType": "entitytype", "firstResult": "firstresult",
                 "maxResults": "maxresults", "releaseId": "releaseid", "projectId": "projectid",
                 "isAscOrder": "isascorder", "isCfield": "is_cfield"}
        return self._search({names.get(str(k), str(k)): v for k, v in body.items()})

    def _search(self, params: Mapping[str, object]) -> Response:
        entity = _entity(params.get("entitytype"))
        word = str(params.get("word") or "")
        where = compile_query(word, entity, self.store.schema) if _bool(params, "zql", False) \
            else quick_search(word)
        for name, col in (("releaseid", "release_id"), ("projectid", "project_id")):
            value = _int(params, name, None)
            if value is not None:
                where = where & Where(f"d.{col} = ?", (value,))
        order_name = params.get("order")
        order = order_by(entity, str(order_name) if order_name is not None else None,
                         ascending=_bool(params, "isascorder", True),
                         is_cfield=_bool(params, "is_cfield", False), schema=self.store.schema)
        first = _int(params, "firstresult", 0) or 0
        cap = self.control.page_cap
        wanted = _int(params, "maxresults", min(_DEFAULT_PAGE, cap))
        page = self.store.search(entity, where, order=order, first=first,
                                 limit=min(wanted or 0, cap))
        return Response(page.body(bare=self.control.quirks), media_type="application/json")


class _Quirk(Exception):
    """Carries a deliberately odd response (quirks mode) out of an endpoint."""

    def __init__(self, response: Response) -> None:
        super().__init__("quirk")
        self.response = response


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


def _endpoint(api: _Api, fn: Callable[[Request], Awaitable[Response]]) -> Callable[
        [Request], Awaitable[Response]]:
    """Authenticate, run ``fn``, and turn the errors it raises into their answers."""

    async def endpoint(request: Request) -> Response:
        try:
            request.state.user = api.authenticate(request)
            return await fn(request)
        except ApiError as err:
            return err.response()
        except QueryError as err:
            return ApiError(400, str(err), err.details()).response()
        except _Quirk as quirk:
            return quirk.response

    endpoint.__name__ = fn.__name__
    return endpoint


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = {404: f"no such endpoint: {request.url.path}",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(
        status, HTTPStatus(status).phrase)
    return ApiError(status, message).response()


def create_app(store: Store, control: Control, creds: Credentials) -> Starlette:
    """The ASGI application serving ``store`` with the knobs of ``control``."""
    api = _Api(store, control, creds)
    table: list[tuple[str, str, Callable[[Request], Awaitable[Response]]]] = [
        ("GET", "/user/current", api.current_user),
        ("DELETE", "/user/logout", api.logout),
        ("GET", "/user", api.users),
        ("GET", "/project/lite", api.projects),
        ("GET", "/release", api.releases),
        ("GET", "/release/project/{project_id}", api.project_releases),
        ("GET", "/cycle/release/{release_id}", api.cycles),
        ("GET", "/field/entity/{entity}", api.custom_fields),
        ("GET", "/advancesearch", api.search_get),
        ("POST", "/advancesearch", api.search_post),
        ("GET", "/zql/metadata", api.zql_metadata),
        ("GET", "/zql/val/{key}", api.zql_values),
        *gate_routes(control),  # tests hold responses of a sandbox run as a process
    ]
    routes = [Route(path, _endpoint(api, fn), methods=[method]) for method, path, fn in table]
    app = Starlette(routes=[Mount(prefix, routes=routes) for prefix in API_PREFIXES],
                    exception_handlers={HTTPException: _http_error})
    app.state.store = store
    app.add_middleware(_Gate, control=control)
    return app
