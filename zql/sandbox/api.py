"""What every sandbox route module shares: errors, parameters, credentials, authentication.

The routes live in several modules (:mod:`zql.sandbox.app` for search and lookups,
:mod:`zql.sandbox.admin` for preferences and users, :mod:`zql.sandbox.reads` for the other
read paths); each exposes ``routes(ctx) -> [(method, path, handler)]`` and
:func:`zql.sandbox.app.create_app` registers them. A handler raises :class:`ApiError` for an
error answer; ``request.state.user`` holds the authenticated user name and
``request.state.readonly`` whether it is the read-only account (writes answer 403 for it:
:meth:`Context.require_writer`).

>>> ApiError(404, "no such release: 9").response().status_code
404
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import json
import re
import sqlite3
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, TypeAlias, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zql.sandbox.control import Control
from zql.sandbox.servers import ServerProfile, profile
from zql.sandbox.store import Store
from zql.schema import ENTITIES

__all__ = [
    "MAX_BODY",
    "ApiError",
    "Context",
    "Credentials",
    "Handler",
    "Quirk",
    "RouteTable",
    "blocking",
    "bool_param",
    "entity_param",
    "int_param",
    "json_body",
    "path_id",
]

Handler: TypeAlias = Callable[[Request], Awaitable[Response]]
#: what a route module's ``routes(ctx)`` returns: ``(method, path, handler)`` triples
RouteTable: TypeAlias = list[tuple[str, str, Handler]]

_WHOLE = re.compile(r"-?[0-9]{1,18}")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Credentials:
    """The sandbox's accounts: an API token and a Basic login for the administrator, and the
    same for a read-only user (writes answer 403 for it).

    >>> Credentials("t", "admin", "pw")
    Credentials(username='admin', readonly_username='viewer')
    """

    token: str
    username: str
    password: str
    readonly_token: str = ""
    readonly_username: str = "viewer"
    readonly_password: str = ""

    def __repr__(self) -> str:  # secrets never appear in reprs or logs
        return (f"Credentials(username={self.username!r}, "
                f"readonly_username={self.readonly_username!r})")


class ApiError(Exception):
    """An error answer: HTTP status, ``errorMsg`` and extra JSON keys.

    >>> ApiError(400, "bad", {"code": "ZQL1"}).response().body
    b'{"errorMsg":"bad","errorCode":"Bad Request","code":"ZQL1"}'
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


class Quirk(Exception):
    """Carries a deliberately odd response (a quirk or a profile's shape) out of a handler."""

    def __init__(self, response: Response) -> None:
        super().__init__("quirk")
        self.response = response


# --------------------------------------------------------------------------- parameters


def entity_param(value: object) -> str:
    """The ``entitytype`` of a request: ``testcase``, ``requirement`` or ``execution``.

    ``testexecution`` (seen in one public script) means ``execution``.

    >>> entity_param("TestExecution")
    'execution'
    """
    if value is None or value == "":
        raise ApiError(400, f"entitytype is required: one of {', '.join(ENTITIES)}")
    text = str(value).strip().lower()
    text = "execution" if text == "testexecution" else text
    if text not in ENTITIES:
        raise ApiError(400, f"unknown entitytype {str(value)!r}; one of {', '.join(ENTITIES)}")
    return text


def int_param(params: Mapping[str, object], name: str, default: int | None,
              minimum: int = 0) -> int | None:
    """A whole-number parameter; a 400 naming it when it is not one.

    >>> int_param({"offset": "7"}, "offset", 0), int_param({}, "offset", 0)
    (7, 0)
    """
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


def bool_param(params: Mapping[str, object], name: str, default: bool) -> bool:
    """A ``true``/``false`` parameter (any case); a 400 naming it otherwise.

    >>> bool_param({"zql": "TRUE"}, "zql", False)
    True
    """
    value = params.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # parameters spell booleans the JSON way
            value = json.loads(value.strip().lower())
    if isinstance(value, bool):
        return value
    raise ApiError(400, f"{name} must be true or false, not {json.dumps(value)}")


def path_id(request: Request, name: str) -> int:
    """A numeric path parameter; 404 when it is not a number."""
    value = int_param(request.path_params, name, None)
    if value is None:
        raise ApiError(404, f"no {name} in the path")
    return value


#: the largest request body the sandbox reads (a search or a 500-id bulk write is far less)
MAX_BODY = 1 << 20


async def json_body(request: Request) -> Any:
    """The request body as JSON (``null`` when empty); 400 when it is not JSON, 413 when it
    is larger than :data:`MAX_BODY` (read no further than that)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, f"the request body is larger than {MAX_BODY:,} bytes")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "the request body is not valid JSON") from None


async def blocking(fn: Callable[[], _T]) -> _T:
    """Run parsing and SQLite work in the thread pool, off the event loop, so one big query
    never holds the other requests; SQLite limits it hits become a 400 (never a 500).
    """
    try:
        return await run_in_threadpool(fn)
    except RecursionError:
        raise ApiError(400, "the query is nested too deeply for the sandbox to run") from None
    except sqlite3.Error as err:
        raise ApiError(400, f"the query is too large for the sandbox to run ({err}); split "
                       "it into smaller queries") from None



# --------------------------------------------------------------------------- context


class Context:
    """One running sandbox as the handlers see it: store, knobs, accounts, server profile."""

    def __init__(self, store: Store, control: Control, creds: Credentials,
                 server: ServerProfile | str = "ze7") -> None:
        self.store = store
        self.control = control
        self.creds = creds
        self.server = profile(server) if isinstance(server, str) else server

    # ---- authentication

    def unauthorized(self, message: str) -> ApiError:
        """A 401 in this server's shape (flat, or the nested message of some servers)."""
        if self.server.nested_401:
            inner = json.dumps({"message": message, "errorCode": 401})
            return _Nested401(message, inner)
        return ApiError(401, message)

    def _bad_credentials(self, message: str) -> Exception:
        if self.control.quirks:
            # Some ZE servers answer 200 with a JSON *string* that describes the 401.
            inner = json.dumps({"errorMsg": message, "errorCode": 401})
            return Quirk(JSONResponse(inner, status_code=200))
        return self.unauthorized(message)

    def _accounts(self) -> list[tuple[str, str, str, bool]]:
        out = [(self.creds.token, self.creds.username, self.creds.password, False)]
        if self.creds.readonly_token and self.creds.readonly_password:
            out.append((self.creds.readonly_token, self.creds.readonly_username,
                        self.creds.readonly_password, True))
        return out

    def _basic(self, header: str) -> tuple[str, bool] | None:
        try:
            decoded = base64.b64decode(header.split(None, 1)[1], validate=True).decode()
            user, _, password = decoded.partition(":")
        except (IndexError, ValueError, binascii.Error, UnicodeDecodeError):
            return None
        found = None
        for _, name, secret, readonly in self._accounts():  # compare all: constant work
            same = hmac.compare_digest(user.encode(), name.encode()) & \
                hmac.compare_digest(password.encode(), secret.encode())
            if same:
                found = (name, readonly)
        return found

    def authenticate(self, request: Request) -> tuple[str, bool]:
        """``(user name, read-only?)`` of a request; raises a 401 otherwise."""
        header = request.headers.get("authorization", "")
        scheme = header.split(None, 1)[0].lower() if header else ""
        if scheme == "bearer":
            given = header.split(None, 1)[1].strip() if " " in header.strip() else ""
            found = None
            for token, name, _, readonly in self._accounts():
                if hmac.compare_digest(given.encode(), token.encode()):
                    found = (name, readonly)
            if found is None:
                raise self._bad_credentials("invalid API token")
            return found
        if scheme == "basic":
            user = self._basic(header)
            if user is None:
                raise self._bad_credentials("invalid user name or password")
            return user
        if header:
            raise self.unauthorized("unsupported Authorization scheme: use Bearer or Basic")
        cookie = request.cookies.get("token")
        if cookie:
            session = self.control.session_user(cookie)
            if session is None:
                raise self.unauthorized("the session has expired or was logged out; log in "
                                        "again")
            return session, session == self.creds.readonly_username
        raise self.unauthorized("authentication required: Bearer token, Basic or the token "
                                "cookie")

    @staticmethod
    def require_writer(request: Request) -> None:
        """Refuse a write by the read-only account: 403 (write routes call this first)."""
        if getattr(request.state, "readonly", False):
            raise ApiError(403, f"user {request.state.user!r} has read-only access: "
                           "this operation needs write permission")

    def user(self, username: str) -> dict[str, Any]:
        """The user record of a login name (the data set's administrator or viewer)."""
        users = self.store.users()
        if username == self.creds.readonly_username:
            record = dict(next((u for u in users if u["role"] == "Read Only"), users[-1]))
        else:  # the login account is the data set's user 1 ("Sandbox Administrator")
            record = dict(users[0])
        record["username"] = username
        return record


class _Nested401(ApiError):
    """A 401 whose body nests the message as a JSON string: ``{"message": "{...}"}``."""

    def __init__(self, message: str, inner: str) -> None:
        super().__init__(401, message)
        self.inner = inner

    def response(self) -> Response:
        return JSONResponse({"message": self.inner}, status_code=401)
