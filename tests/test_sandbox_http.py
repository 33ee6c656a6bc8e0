"""The sandbox over real HTTP (read-only use of the shared ``sandbox`` fixture): endpoints,
authentication, search parameters, paging, sorting, errors and malformed input."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.property_budget import examples
from zql.sandbox import Sandbox
from zql.sandbox.app import API_PREFIXES
from zql.sandbox.model import fold, sandbox_schema
from zql.schema import ENTITIES, Schema


@pytest.fixture(scope="module")
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client already authenticated with the API token."""
    with httpx.Client(base_url=sandbox.api_url,
                      headers={"Authorization": f"Bearer {sandbox.token}"}) as client:
        yield client


@pytest.fixture(scope="module")
def _unauthenticated() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def bare(_unauthenticated: httpx.Client) -> httpx.Client:
    """A client with no credentials and an empty cookie jar, as ``httpx.get`` would be, but
    without building a client (and its TLS context, ~50 ms) for each call."""
    _unauthenticated.cookies.clear()
    return _unauthenticated


def _search(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get("/advancesearch", params={"zql": "true", **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    page: dict[str, Any] = body[0]
    return page


# --------------------------------------------------------------------------- endpoints


@pytest.mark.parametrize("prefix", API_PREFIXES)
@pytest.mark.parametrize(("path", "check"), [
    ("/user/current", lambda b: b["username"] == "admin" and b["id"] == 1),
    ("/user", lambda b: b[0]["username"] == "admin" and len(b) > 10),
    ("/project/lite", lambda b: [p["name"] for p in b][:1] == ["Project Ironclad"]),
    ("/release", lambda b: {r["projectId"] for r in b} == {1, 2, 3}),
    ("/release/project/2", lambda b: [r["name"] for r in b] == ["Atlas 4.0", "Atlas 4.1"]),
    ("/cycle/release/1", lambda b: b and all(c["releaseId"] == 1 and c["cyclePhases"]
                                             for c in b)),
    ("/field/entity/testcase", lambda b: [f["searchFieldName"] for f in b] ==
     ["customtext", "custompicklist", "customnumber", "customcheckbox"]),
    ("/field/entity/testSchedule", lambda b: b == []),
    ("/zql/metadata", lambda b: sorted(b) == ["requirement", "testSchedule", "testcase"]),
    ("/zql/val/status", lambda b: {"value": "Fail"} in b),
    ("/advancesearch?entitytype=testcase", lambda b: b[0]["resultSize"] > 0),
])
def test_every_endpoint_under_both_prefixes(sandbox: Sandbox, http: httpx.Client, prefix: str,
                                            path: str, check: Any) -> None:
    response = http.get(sandbox.url + prefix + path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert check(response.json())


def test_custom_field_definitions(http: httpx.Client) -> None:
    picklist = http.get("/field/entity/testcase").json()[1]
    assert picklist["kind"] == "picklist" and picklist["searchable"] is True
    assert isinstance(picklist["fieldTypeMetadata"], int)
    items = picklist["configs"][0]["options"]["items"]
    assert [line.split(",", 1)[1] for line in items.splitlines()][:2] == ["Web", "iOS"]


def test_metadata_round_trips_to_the_sandbox_schema(http: httpx.Client) -> None:
    meta = http.get("/zql/metadata").json()
    entry = next(e for e in meta["testcase"] if e["name"] == "priority")
    assert entry == {"entityName": "testcase", "name": "priority", "dataType": "string",
                     "lookup": True, "lookupKey": "priority", "visible": True,
                     "operatorToFieldMap": {o: "priority" for o in
                                            ("=", "!=", "in", "is", "is not")}}
    fetched = Schema.from_metadata(meta)
    for entity in ENTITIES:
        ours = {(f.name, f.type, f.operators, f.custom) for f in sandbox_schema().fields(entity)}
        theirs = {(f.name, f.type, f.operators, f.custom) for f in fetched.fields(entity)}
        assert theirs == ours, entity


@pytest.mark.parametrize(("params", "expected"), [
    ({}, ["Blocked", "Fail", "Not Executed", "Pass", "WIP"]),
    ({"partialtext": "ss"}, ["Pass"]),
    ({"offset": 1, "pagesize": 2}, ["Fail", "Not Executed"]),
])
def test_lookup_values(http: httpx.Client, params: dict[str, Any], expected: list[str]) -> None:
    assert [v["value"] for v in http.get("/zql/val/status", params=params).json()] == expected


def test_lookup_values_by_release(sandbox: Sandbox, http: httpx.Client) -> None:
    cycles = {c["name"] for c in http.get("/cycle/release/2").json()}
    got = http.get("/zql/val/cycle", params={"releaseid": 2, "pagesize": 100}).json()
    assert {v["value"] for v in got} == cycles


# --------------------------------------------------------------------------- authentication


def test_basic_login_sets_the_session_cookie(sandbox: Sandbox) -> None:
    with httpx.Client(base_url=sandbox.api_url) as client:
        before = sandbox.control.logins
        response = client.get("/user/current", auth=(sandbox.username, sandbox.password))
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        assert re.fullmatch(r"token=[0-9a-f-]{36}; Max-Age=5400; Path=/flex; HttpOnly", cookie)
        assert sandbox.control.logins == before + 1
        # httpx keeps the cookie (Path=/flex covers the API): no credentials needed now.
        assert client.get("/project/lite").status_code == 200
        assert client.delete("/user/logout").status_code == 200
        client.cookies.set("token", cookie.split(";")[0].split("=")[1])
        after = client.get("/project/lite")
        assert after.status_code == 401 and "log in again" in after.json()["errorMsg"]


@pytest.mark.parametrize(("headers", "message"), [
    ({}, "authentication required"),
    ({"Authorization": "Bearer wrong"}, "invalid API token"),
    ({"Authorization": "Bearer"}, "invalid API token"),
    ({"Authorization": "Basic bm9ib2R5Om5vcGU="}, "invalid user name or password"),
    ({"Authorization": "Basic !!!"}, "invalid user name or password"),
    ({"Authorization": "Digest abc"}, "unsupported Authorization scheme"),
    ({"Cookie": "token=00000000-0000-0000-0000-000000000000"}, "log in again"),
])
def test_unauthenticated_calls_get_401(sandbox: Sandbox, bare: httpx.Client,
                                       headers: dict[str, str], message: str) -> None:
    response = bare.get(sandbox.api_url + "/advancesearch?entitytype=testcase",
                        headers=headers)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "Unauthorized"
    assert message in response.json()["errorMsg"]


def test_basic_works_on_any_call_without_a_login(sandbox: Sandbox, bare: httpx.Client) -> None:
    before = sandbox.control.logins
    response = bare.get(sandbox.api_url + "/release", auth=(sandbox.username, sandbox.password))
    assert response.status_code == 200 and "set-cookie" not in response.headers
    assert sandbox.control.logins == before


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize(("entity", "query", "check"), [
    ("testcase", 'priority = "high"', lambda i: i["testcase"]["priority"] == "High"),
    ("testcase", 'tag = "smoke"', lambda i: "smoke" in i["testcase"]["tags"]),
    ("execution", 'status = "Fail"', lambda i: i["lastTestResult"]["executionStatus"] == "2"),
    ("execution", 'status = "not executed"', lambda i: i["lastTestResult"] is None
     and i["executionStatus"] == "-1"),
    ("requirement", 'name ~ "PASSWORD"', lambda i: "password" in i["name"]),
])
def test_search_items_have_ze_shapes(http: httpx.Client, entity: str, query: str,
                                     check: Any) -> None:
    page = _search(http, entitytype=entity, word=query, maxresults=100)
    assert page["firstResult"] == 0 and page["resultSize"] >= len(page["results"]) > 0
    assert all(check(item) for item in page["results"])


def test_execution_item_shape(http: httpx.Client) -> None:
    item = _search(http, entitytype="execution", word='status = "Pass"', maxresults=1)[
        "results"][0]
    assert {"id", "cyclePhaseId", "testerId", "tcrTreeTestcase", "lastTestResult"} <= set(item)
    assert {"id", "testcaseId", "name", "priority"} <= set(item["tcrTreeTestcase"]["testcase"])
    assert item["status"] == "Pass" and item["lastTestResult"]["executionStatus"] == "1"


def test_testcase_item_shape(http: httpx.Client) -> None:
    item = _search(http, entitytype="testcase", maxresults=1)["results"][0]
    testcase = item["testcase"]
    assert {"id", "testcaseId", "name", "priority", "projectName", "releaseName", "tag", "tags",
            "creator", "automated", "lastModifiedOn"} <= set(testcase)
    assert isinstance(testcase["automated"], bool) and testcase["tag"] == " ".join(
        testcase["tags"])


def test_paging_clamping_and_past_the_end(sandbox: Sandbox, http: httpx.Client) -> None:
    total = _search(http, entitytype="execution", maxresults=1)["resultSize"]
    assert total > sandbox.control.page_cap
    clamped = _search(http, entitytype="execution", maxresults=100_000)
    assert len(clamped["results"]) == sandbox.control.page_cap
    assert clamped["resultSize"] == total
    past = _search(http, entitytype="execution", firstresult=total, maxresults=10)
    assert past == {"firstResult": total, "resultSize": total, "type": "testSchedule",
                    "results": []}
    last = _search(http, entitytype="execution", firstresult=total - 3, maxresults=10)
    assert len(last["results"]) == 3
    assert _search(http, entitytype="execution", maxresults=0)["results"] == []
    assert len(_search(http, entitytype="execution")["results"]) == 50  # the default size


def test_pages_cover_everything_once(http: httpx.Client) -> None:
    seen: list[int] = []
    first = 0
    while True:
        page = _search(http, entitytype="requirement", word='priority != "High"',
                       firstresult=first, maxresults=37)
        seen += [item["id"] for item in page["results"]]
        first += 37
        if first >= page["resultSize"]:
            break
    assert len(seen) == len(set(seen)) == page["resultSize"]


@pytest.mark.parametrize(("params", "key"), [
    ({"order": "name"}, lambda i: fold(i["testcase"]["name"])),
    ({"order": "NAME", "isascorder": "false"}, lambda i: fold(i["testcase"]["name"])),
    ({"order": "orderId", "isascorder": "false"}, lambda i: i["id"]),
    ({"order": "priority"}, lambda i: fold(i["testcase"]["priority"] or "")),
    ({"order": "customnumber", "is_cfield": "true"},
     lambda i: i["testcase"]["customProperties"]["customnumber"] or 0),
])
def test_sorting(http: httpx.Client, params: dict[str, str], key: Any) -> None:
    page = _search(http, entitytype="testcase", maxresults=300, **params)
    keys = [key(item) for item in page["results"]]
    assert keys == sorted(keys, reverse=params.get("isascorder") == "false")
    assert len(set(keys)) > 1


def test_release_and_project_filters(http: httpx.Client) -> None:
    by_release = _search(http, entitytype="testcase", releaseid=3, maxresults=500)
    assert {i["releaseId"] for i in by_release["results"]} == {3}
    by_name = _search(http, entitytype="testcase", word='release = "Atlas 4.0"')
    assert by_name["resultSize"] == by_release["resultSize"]
    by_project = _search(http, entitytype="execution", projectid=1, word='status = "Fail"')
    assert by_project["resultSize"] > 0
    assert {i["projectId"] for i in by_project["results"]} == {1}
    assert _search(http, entitytype="testcase", releaseid=999)["resultSize"] == 0


def test_quick_search(http: httpx.Client) -> None:
    page = _search(http, entitytype="testcase", zql="false", word="Checkout", maxresults=500)
    assert page["resultSize"] > 0
    assert all("checkout" in fold(i["testcase"]["name"] + i["testcase"]["contents"])
               for i in page["results"])
    # ZQL text in a quick search is just words: it matches nothing, it is not an error.
    assert _search(http, entitytype="testcase", zql="false",
                   word='priority = "High"')["resultSize"] == 0


def test_post_search_equals_get(http: httpx.Client) -> None:
    get = _search(http, entitytype="execution", word='status = "Blocked"', firstresult=5,
                  maxresults=7, releaseid=2)
    post = http.post("/advancesearch", json={
        "word": 'status = "Blocked"', "entityType": "execution", "zql": True,
        "firstResult": 5, "maxResults": 7, "releaseId": 2})
    assert post.status_code == 200 and post.json() == [get]


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(("word", "code", "text"), [
    ("status = Fail", "ZQL107", "1:10: bare word 'Fail' is not a value"),
    ('priority = "P1" and', "ZQL", "1:"),
    ('prority = "High"', "ZQL201", "1:1: no field 'prority' in testcase; did you mean priority?"),
    ('name = "login"', "ZQL203", "1:6: '=' is not allowed for name"),
    ('version = "3"', "ZQL204", "1:11: version takes a whole number"),
    ('notes ~ "x"', "ZQL201", "exists for execution"),
    ('name ~ "\\ud800"', "ZQL127", "lone surrogate"),
])
def test_bad_queries_get_400_with_the_message(http: httpx.Client, word: str, code: str,
                                              text: str) -> None:
    response = http.get("/advancesearch", params={"entitytype": "testcase", "zql": "true",
                                                  "word": word})
    assert response.status_code == 400
    body = response.json()
    assert body["errorCode"] == "Bad Request" and body["code"].startswith(code)
    assert text in body["errorMsg"]
    assert {"start", "end", "line", "column"} <= set(body["position"])


@pytest.mark.parametrize(("params", "text"), [
    ({}, "entitytype is required"),
    ({"entitytype": "defect"}, "unknown entitytype 'defect'"),
    ({"entitytype": "testcase", "releaseid": "abc"}, "releaseid must be a whole number"),
    ({"entitytype": "testcase", "projectid": "1.5"}, "projectid must be a whole number"),
    ({"entitytype": "testcase", "firstresult": "-1"}, "firstresult must be >= 0"),
    ({"entitytype": "testcase", "maxresults": "ten"}, "maxresults must be a whole number"),
    ({"entitytype": "testcase", "maxresults": "9" * 40}, "maxresults must be a whole number"),
    ({"entitytype": "testcase", "zql": "maybe"}, "zql must be true or false"),
    ({"entitytype": "testcase", "isascorder": "1"}, "isascorder must be true or false"),
    ({"entitytype": "testcase", "order": "tag"}, "cannot sort by tag"),
    ({"entitytype": "testcase", "order": "customtext"}, "is_cfield=true"),
])
def test_malformed_search_parameters_get_400(http: httpx.Client, params: dict[str, str],
                                             text: str) -> None:
    response = http.get("/advancesearch", params=params)
    assert response.status_code == 400
    assert text in response.json()["errorMsg"]


@pytest.mark.parametrize(("body", "text"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'{"entityType": "testcase", "word": 5}', "word must be a string"),
    (b'{"entityType": "testcase", "firstResult": true}', "firstresult must be a whole number"),
    (b'{"entityType": 3}', "entityType must be a string"),
    (b'{"entityType": "testcase", "zql": "yes"}', "zql must be true or false"),
])
def test_malformed_post_bodies_get_400(http: httpx.Client, body: bytes, text: str) -> None:
    response = http.post("/advancesearch", content=body,
                         headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert text in response.json()["errorMsg"]


@pytest.mark.parametrize(("method", "path", "status", "text"), [
    ("GET", "/release/project/abc", 400, "must be a whole number"),
    ("GET", "/release/project/99", 404, "no project with id 99"),
    ("GET", "/cycle/release/-4", 400, "must be >= 0"),
    ("GET", "/cycle/release/77", 404, "no release with id 77"),
    ("GET", "/field/entity/defect", 400, "unknown entity 'defect'"),
    ("GET", "/zql/val/colour", 404, "no values for lookup key 'colour'"),
    ("GET", "/zql/val/status?pagesize=0", 400, "pagesize must be >= 1"),
    ("GET", "/zql/val/status?offset=x", 400, "offset must be a whole number"),
    ("GET", "/no/such/thing", 404, "no such endpoint"),
    ("POST", "/user", 405, "POST is not allowed"),
    ("PUT", "/advancesearch", 405, "PUT is not allowed"),
])
def test_error_statuses(http: httpx.Client, method: str, path: str, status: int,
                        text: str) -> None:
    response = http.request(method, path)
    assert response.status_code == status
    body = response.json()
    assert text in body["errorMsg"] and body["errorCode"]


_PARAM_VALUES = st.one_of(st.text(max_size=12), st.integers(-10**20, 10**20).map(str),
                          st.sampled_from(["", "true", "FALSE", "null", "1e3", " 5 ", "0x1"]))


@settings(max_examples=examples(60), deadline=None)
@given(st.dictionaries(
    st.sampled_from(["word", "entitytype", "releaseid", "projectid", "zql", "isascorder",
                     "order", "is_cfield", "firstresult", "maxresults"]),
    _PARAM_VALUES, max_size=6))
def test_no_parameters_cause_a_500(http: httpx.Client, params: dict[str, str]) -> None:
    response = http.get("/advancesearch", params={"entitytype": "testcase", **params})
    assert response.status_code in (200, 400), response.text
    assert ("errorMsg" in response.json()) == (response.status_code == 400)
