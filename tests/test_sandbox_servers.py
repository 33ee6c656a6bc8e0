"""Server profiles (issue 12 #7) and the configured-status endpoints, over real HTTP.

Each profile runs in a sandbox of its own (module-scoped, one per profile); nothing here
changes the shared ``sandbox`` fixture.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from zql.sandbox import PROFILES, Sandbox
from zql.sandbox.servers import SEARCH_VARIANTS
from zql.schema import load_schema

_LOV = "testresult.testresultStatus.LOV"


@pytest.fixture(scope="module", params=sorted(PROFILES))
def server(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(server=request.param) as sb:
        yield sb


def _http(sb: Sandbox, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=sb.api_url, timeout=30,
                        headers={"Authorization": f"Bearer {token or sb.token}"})


def _statuses(value: str) -> list[tuple[int, str, bool]]:
    return [(s["id"], s["value"], s["active"]) for s in json.loads(value)]


def test_status_preference_is_a_json_string_of_the_configured_list(server: Sandbox) -> None:
    with _http(server) as http:
        pref = http.get("/admin/preference", params={"key": _LOV}).json()
    assert set(pref) == {"name", "value", "defaultValue", "isCustomizable", "editable",
                         "accessLevel"}
    assert pref["name"] == _LOV and isinstance(pref["value"], str)
    defaults = [(s.id, s.name, s.active) for s in load_schema().values.statuses]
    custom = [(s.id, s.name, s.active) for s in server.server.custom_statuses]
    assert _statuses(pref["value"]) == defaults + custom
    assert _statuses(pref["defaultValue"]) == defaults


def test_v4_system_preferences_hold_the_same_key(server: Sandbox) -> None:
    with _http(server) as http:
        single = http.get("/admin/preference", params={"key": _LOV}).json()
        listed = http.get(server.url + "/flex/services/rest/v4/admin/preference/all/system")
    assert listed.status_code == 200
    assert [p for p in listed.json() if p["name"] == _LOV] == [single]
    cap = next(p for p in listed.json() if p["name"] == "api.records.maxallowed")
    assert cap["value"] == str(server.control.page_cap)


def test_custom_profiles_have_outscoped_active_and_deferred_inactive() -> None:
    for name in ("ze8", "cloud"):
        assert [(s.id, s.name, s.active) for s in PROFILES[name].custom_statuses] == [
            (11, "Outscoped", True), (12, "Deferred", False)]


def test_custom_status_rows_are_searchable_by_name() -> None:
    with Sandbox(server="ze8") as sb, _http(sb) as http:
        page = http.get("/advancesearch", params={
            "entitytype": "execution", "zql": "true", "word": 'status = "Deferred"'}).json()[0]
        assert page["resultSize"] > 0
        assert {r["lastTestResult"]["executionStatus"] for r in page["results"]} == {"12"}
        assert {r["status"] for r in page["results"]} == {"Deferred"}


def test_unknown_preference_is_404_and_a_missing_key_400(server: Sandbox) -> None:
    with _http(server) as http:
        assert http.get("/admin/preference", params={"key": "no.such"}).status_code == 404
        assert http.get("/admin/preference").status_code == 400


def test_read_only_user_authenticates_with_token_basic_and_cookie(server: Sandbox) -> None:
    with _http(server, server.readonly_token) as http:
        me = http.get("/user/current").json()
    assert me["username"] == server.readonly_username == "viewer"
    assert me["role"] == "Read Only"
    with httpx.Client(base_url=server.api_url, timeout=30) as http:
        basic = http.get("/user/current",
                         auth=(server.readonly_username, server.readonly_password))
        assert basic.status_code == 200 and "token" in basic.cookies
        assert http.get("/user/current").json()["username"] == "viewer"  # the cookie
        wrong = http.get("/user/current", auth=(server.readonly_username, server.password))
        assert wrong.status_code == 401


def test_read_only_user_is_flagged_for_write_routes() -> None:
    # Write routes (zql/sandbox/writes.py) call Context.require_writer first: a 403 for the
    # read-only account. A probe route shows the flag set by authentication.
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

    from zql.sandbox import app as app_module
    from zql.sandbox.api import ApiError, Context

    async def probe(request: Request) -> Response:
        try:
            Context.require_writer(request)
        except ApiError as err:
            return err.response()
        return JSONResponse({"ok": True})

    original = app_module.reads.routes
    app_module.reads.routes = lambda ctx: [*original(ctx), ("PUT", "/probe", probe)]
    try:
        with Sandbox() as sb:
            with _http(sb, sb.readonly_token) as http:
                refused = http.put("/probe")
            with _http(sb) as http:
                allowed = http.put("/probe")
    finally:
        app_module.reads.routes = original
    assert refused.status_code == 403 and "read-only" in refused.json()["errorMsg"]
    assert allowed.json() == {"ok": True}


def test_profiles_only_name_known_search_variants() -> None:
    for prof in PROFILES.values():
        assert set(prof.search_variants) <= set(SEARCH_VARIANTS)
        assert prof.serves("GET /advancesearch")  # documented for every version
