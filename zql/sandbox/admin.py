"""Server settings and accounts: configured statuses, the system preferences, user filter,
and the unauthenticated health check.

The configured execution statuses (zql-reference §3.6) are a *preference* whose ``value`` is a
JSON **string** holding ``[{"id": 1, "value": "Pass", "active": true, …}, …]``, served at
``GET /admin/preference?key=testresult.testresultStatus.LOV`` and inside the list of
``GET /v4/admin/preference/all/system`` (the ``/flex/services/rest/v4`` prefix). The list is
the schema data's defaults plus the server profile's own (:mod:`zql.sandbox.servers`).

>>> from zql.sandbox.servers import PROFILES
>>> pref = status_preference(PROFILES["ze8"])
>>> pref["name"], json.loads(pref["value"])[-1]
('testresult.testresultStatus.LOV', {'id': 12, 'value': 'Deferred', 'active': False, \
'color': '#9e9e9e', 'description': 'Deferred'})
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from zql.sandbox.api import ApiError, Context, RouteTable, bool_param
from zql.sandbox.servers import ServerProfile
from zql.schema import Status

__all__ = ["STATUS_KEY", "V4_PREFIX", "preferences", "routes", "status_preference"]

#: the preference holding the configured execution statuses
STATUS_KEY = "testresult.testresultStatus.LOV"
#: where ``/admin/preference/all/system`` lives (the v4 API); the app mounts it separately
V4_PREFIX = "/flex/services/rest/v4"
# Colours a ZE admin screen shows per status: INFERRED (clients ignore them).
_COLOURS = {1: "#4caf50", 2: "#f44336", 3: "#ff9800", 4: "#2196f3"}


def _lov(statuses: tuple[Status, ...]) -> str:
    return json.dumps([{"id": s.id, "value": s.name, "active": s.active,
                        "color": _COLOURS.get(s.id, "#9e9e9e"), "description": s.name}
                       for s in statuses], separators=(",", ":"))


def status_preference(server: ServerProfile) -> dict[str, Any]:
    """The ``testresult.testresultStatus.LOV`` preference of a server profile.

    >>> from zql.sandbox.servers import PROFILES
    >>> [s["value"] for s in json.loads(status_preference(PROFILES["ze7"])["value"])]
    ['Pass', 'Fail', 'WIP', 'Blocked']
    """
    defaults = server.statuses()[: len(server.statuses()) - len(server.custom_statuses)]
    return {"name": STATUS_KEY, "value": _lov(server.statuses()), "defaultValue": _lov(defaults),
            "isCustomizable": True, "editable": True, "accessLevel": "SYSTEM"}


def preferences(server: ServerProfile, page_cap: int) -> list[dict[str, Any]]:
    """Every system preference the sandbox has (``GET /v4/admin/preference/all/system``).

    >>> from zql.sandbox.servers import PROFILES
    >>> [p["name"] for p in preferences(PROFILES["ze7"], 500)]
    ['testresult.testresultStatus.LOV', 'api.records.maxallowed']
    """
    cap = str(page_cap)
    return [status_preference(server),
            {"name": "api.records.maxallowed", "value": cap, "defaultValue": "500",
             "isCustomizable": True, "editable": True, "accessLevel": "SYSTEM"}]


def routes(ctx: Context) -> RouteTable:
    """The routes of this module (see :func:`zql.sandbox.app.create_app`)."""

    async def preference(request: Request) -> Response:
        key = request.query_params.get("key", "")
        found = [p for p in preferences(ctx.server, ctx.control.page_cap) if p["name"] == key]
        if not key:
            raise ApiError(400, "key is required, e.g. key=" + STATUS_KEY)
        if not found:
            raise ApiError(404, f"no preference {key!r}")
        return JSONResponse(found[0])

    async def system_preferences(request: Request) -> Response:
        return JSONResponse(preferences(ctx.server, ctx.control.page_cap))

    async def user_filter(request: Request) -> Response:
        # GET /user/filter: users with accountEnabled (all of the sandbox's are enabled);
        # `enabled=false` lists the disabled ones (none), as an admin screen filters them.
        enabled = bool_param(request.query_params, "enabled", True)
        users = [u for u in ctx.store.users() if u["accountEnabled"] is enabled]
        return JSONResponse(users)

    async def healthcheck(request: Request) -> Response:
        return JSONResponse({"status": "OK"})

    return [
        ("GET", "/admin/preference", preference),
        ("GET", "/admin/preference/all/system", system_preferences),
        ("GET", "/user/filter", user_filter),
        ("GET", "/healthcheck", healthcheck),
    ]
