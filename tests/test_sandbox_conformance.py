"""Conformance: replay, over real HTTP, the requests public Zephyr clients make, and check the
fields each one reads, against every server profile (issue 16).

The requests are data (method, path, parameters, body), each with the client it comes from:

- MIGRATION: a Python migration tool (a test-management importer's ZE repository class),
- SDK: a Python SDK toolkit (an LLM-tools ZE client),
- NODE: a Node CLI (ZE release-readiness gates),
- JENKINS: the Jenkins ZE plugin's REST service (it talks ``v3``).

``{project}``, ``{release}``, … are filled from the sandbox's data. A check reads the fields
that client reads, the way it reads them (``int(...)``, ``Number(...)``, JSON in a string).
A route a profile does not serve (its search variants) must answer 404 there (405 where the
path has other methods), which is what those clients fall back on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from zql.client import ZephyrClient, flatten
from zql.client._errors import AuthenticationError
from zql.sandbox import PROFILES, Sandbox
from zql.sandbox.servers import ServerProfile

Check = Callable[[Any, ServerProfile], None]


@dataclass(frozen=True)
class Call:
    client: str
    method: str
    path: str
    params: dict[str, str | int] | None = None
    body: Any = None
    check: Check | None = None
    #: the search variant this call needs; a profile without it answers 404
    variant: str | None = None
    prefix: str = "latest"


# --------------------------------------------------------------------------- readers


def _rows(body: Any) -> list[dict[str, Any]]:
    """Rows as these clients unwrap them: ``[{results}]``, ``{results}`` or a bare list."""
    if isinstance(body, list) and body and isinstance(body[0], dict) and "results" in body[0]:
        return [r for block in body for r in block["results"]]
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        return list(body["results"])
    assert isinstance(body, list), body
    return body


def _has(*paths: str, nonempty: bool = True) -> Check:
    def check(body: Any, server: ServerProfile) -> None:
        rows = _rows(body) if not isinstance(body, dict) or "results" in body else [body]
        assert rows or not nonempty, "no rows"
        for row in rows:
            for path in paths:
                value: Any = row
                for part in path.split("."):
                    assert isinstance(value, dict) and part in value, (path, row)
                    value = value[part]
    return check


def _executions(body: Any, server: ServerProfile) -> None:
    rows = _rows(body)
    assert rows
    for row in rows:
        int(row["id"]), row["testerId"], int(row["tcrTreeTestcase"]["testcase"]["id"])
        last = row.get("lastTestResult")
        if server.never_run is None:
            assert last is None or last["executionStatus"] not in ("0", "-1")
        status = (last or {}).get("executionStatus") or row.get("executionStatus") or 0
        int(status)  # the Node CLI: Number(status); anything unknown counts as not run
        assert row["attachmentCount"] >= 0
        if row["actualTime"] is not None:  # the migration tool does int(actualTime)
            if server.actual_time == "ms":
                int(row["actualTime"])
            else:
                assert len(row["actualTime"].split(":")) == 3
        if last is not None:
            assert last["releaseTestScheduleId"] == row["id"]


def _search_page(body: Any, server: ServerProfile) -> None:
    block = body if server.page_shape == "bare" else body[0]
    assert isinstance(block, dict) and block["resultSize"] > 0 and block["results"]


def _execution_search(body: Any, server: ServerProfile) -> None:
    _search_page(body, server)
    block = body if server.page_shape == "bare" else body[0]
    assert block["type"] == "testSchedule"  # the migration tool logs and checks it
    _executions(body, server)


def _fields(body: Any, server: ServerProfile) -> None:
    assert body
    for field in body:
        int(field["fieldTypeMetadata"])  # the migration tool: int(fieldTypeMetadata)
        for key in ("isVisible", "systemField", "allProject", "projectIds", "defaultValue",
                    "displayName"):
            assert key in field, key
        if field["configs"]:
            items = field["configs"][0]["options"]["items"]
            assert all(len(line.split(",", 1)) == 2 for line in items.splitlines())


def _lov(preference: dict[str, Any], server: ServerProfile) -> None:
    statuses = json.loads(preference["value"])  # a JSON string: Gson parses it again
    ids = {str(s["id"]) for s in statuses if s["active"]}
    assert {"1", "2", "3", "4"} <= ids
    assert {str(s.id) for s in server.custom_statuses if s.active} <= ids


def _system_preferences(body: Any, server: ServerProfile) -> None:
    # the Node CLI: testresult.testresultStatus.LOV from /v4/admin/preference/all/system
    _lov(next(p for p in body if p["name"] == "testresult.testresultStatus.LOV"), server)


def _steps(body: Any, server: ServerProfile) -> None:
    assert body["steps"] and {"id", "tcId", "maxId"} <= set(body)
    for step in body["steps"]:
        assert {"step", "data", "result", "orderId"} <= set(step)


def _tree(body: Any, server: ServerProfile) -> None:
    nodes = body if isinstance(body, list) else [body]
    assert nodes
    for node in nodes:
        assert {"id", "name", "type", "categories", "parentId"} <= set(node)


def _ids(body: Any, server: ServerProfile) -> None:
    assert body and all(isinstance(i, int) for i in body)  # Jenkins: List<Long>


def _bare_testcases(body: Any, server: ServerProfile) -> None:
    assert set(body) == {"resultSize", "results"} and body["resultSize"] > 0
    assert all({"id", "testcase"} <= set(r) for r in body["results"])


# --------------------------------------------------------------------------- the calls

MIGRATION, SDK, NODE, JENKINS = "migration tool", "SDK toolkit", "Node CLI", "Jenkins plugin"
_HIGH = 'priority = "High"'

CALLS = [
    # MIGRATION: ZephyrEnterpriseApiRepository (a Python importer)
    Call(MIGRATION, "GET", "user/filter", {"includeDashboardUser": "true"},
         check=_has("id", "username", "accountEnabled")),
    Call(MIGRATION, "GET", "field/entity/TestCase", check=_fields),
    Call(MIGRATION, "GET", "project/lite", check=_has("id", "name")),
    Call(MIGRATION, "GET", "release/project/{project}", check=_has("id", "name")),
    Call(MIGRATION, "GET", "release/paged/project/{project}", {"pagesize": 250, "offset": 0},
         check=_has("id", "name")),
    Call(MIGRATION, "GET", "testcasetree/projectrepository/{project}", check=_tree),
    Call(MIGRATION, "GET", "testcasetree/phases/{release}", check=_tree),
    Call(MIGRATION, "GET", "testcasetree/{folder}", check=_tree),
    Call(MIGRATION, "GET", "testcasetree/hierarchy/{folder}", check=_ids),
    Call(MIGRATION, "GET", "testcase/tree/{folder}", {"offset": 0, "pagesize": 250},
         check=_has("id", "testcase.id", "testcase.testcaseId", "testcase.name")),
    Call(MIGRATION, "GET", "testcase/{tree_tc}", check=_has("testcase.id", "testcase.name")),
    Call(MIGRATION, "GET", "testcase/{version}/teststep", check=_steps),
    Call(MIGRATION, "GET", "cycle/release/{release}", check=_has("id", "name", "cyclePhases")),
    Call(MIGRATION, "GET", "cycle/{cycle}", check=_has("name", "cyclePhases")),
    Call(MIGRATION, "GET", "execution", {"cycleId": "{cycle}", "phaseId": "{phase}"},
         check=_executions),
    Call(MIGRATION, "GET", "execution", {"cyclephaseid": "{phase}"}, check=_executions),
    Call(MIGRATION, "GET", "execution", {"releaseid": "{release}", "offset": 0, "pagesize": 100,
                                         "order": "orderId", "isascorder": "true",
                                         "includeanyoneuser": "true"}, check=_executions),
    Call(MIGRATION, "GET", "execution", {"releaseid": "{release}", "offset": 0, "pagesize": 0,
                                         "order": "orderId", "isascorder": "true"},
         check=_executions),
    Call(MIGRATION, "GET", "advancesearch", {"entitytype": "execution", "releaseid": "{release}",
                                             "firstresult": 0, "maxresults": 100},
         check=_execution_search, variant="GET /advancesearch"),
    Call(MIGRATION, "GET", "advancesearch", {"entitytype": "execution", "releaseid": "{release}",
                                             "firstresult": 0, "maxresults": 100,
                                             "zql": "false", "word": "*"},
         check=_execution_search, variant="GET /advancesearch"),
    # SDK: a Python SDK toolkit's ZephyrClient
    Call(SDK, "GET", "testcase/{tree_tc}", check=_has("id", "testcase.testcaseId")),
    Call(SDK, "POST", "advancesearch/zql", body={"entitytype": "testcase", "word": _HIGH},
         check=_search_page, variant="POST /advancesearch/zql"),
    Call(SDK, "GET", "testcase/{version}/teststep", check=_steps),
    Call(SDK, "GET", "testcase", {"zqlquery": _HIGH}, check=_bare_testcases,
         variant="GET /testcase?zqlquery"),
    Call(SDK, "GET", "testcase", {"zqlquery": _HIGH, "releaseid": "{release}", "offset": 0,
                                  "pagesize": 20}, check=_bare_testcases,
         variant="GET /testcase?zqlquery"),
    # NODE: release-readiness gates of a Node CLI
    Call(NODE, "GET", "execution", {"releaseid": "{release}", "offset": 0, "pagesize": 10000,
                                    "includeanyoneuser": "true"}, check=_executions),
    Call(NODE, "GET", "admin/preference/all/system", check=_system_preferences, prefix="v4"),
    Call(NODE, "GET", "advancesearch", {"entitytype": "testcase", "zql": "true", "word": _HIGH,
                                        "releaseid": "{release}", "maxresults": 50},
         check=_search_page, variant="GET /advancesearch"),
    # JENKINS: ZephyrRestServiceImpl (restVersion v3)
    Call(JENKINS, "GET", "user/current", check=_has("id", "username"), prefix="v3"),
    Call(JENKINS, "GET", "project/{project}", check=_has("id", "name"), prefix="v3"),
    Call(JENKINS, "GET", "project/user/{user}", check=_has("id", "name"), prefix="v3"),
    Call(JENKINS, "GET", "release/paged/project/{project}",
         {"order": "id", "isascorder": "true", "isVisible": "false", "pagesize": 0},
         check=_has("id", "name"), prefix="v3"),
    Call(JENKINS, "GET", "testcasetree", {"type": "Phase", "revisionid": 0,
                                          "releaseid": "{release}"}, check=_tree, prefix="v3"),
    Call(JENKINS, "GET", "testcasetree/{folder}", check=_tree, prefix="v3"),
    Call(JENKINS, "GET", "testcasetree/hierarchy/{folder}", check=_ids, prefix="v3"),
    Call(JENKINS, "GET", "testcase/tree/{folder}",
         {"offset": 0, "pagesize": 10000, "dbsearch": "true", "isascorder": "true",
          "order": "orderId", "frozen": "false", "is_cfield": "false"},
         check=_has("id", "testcase.id"), prefix="v3"),
    Call(JENKINS, "GET", "cycle/{cycle}", check=_has("id", "cyclePhases"), prefix="v3"),
    Call(JENKINS, "GET", "cycle/release/{release}", check=_has("id", "cyclePhases"),
         prefix="v3"),
    Call(JENKINS, "GET", "execution", {"cyclephaseid": "{phase}", "pagesize": 10000},
         check=_executions, prefix="v3"),
    Call(JENKINS, "GET", "testcase/{version}/teststep", check=_steps, prefix="v3"),
    Call(JENKINS, "GET", "admin/preference", {"key": "testresult.testresultStatus.LOV"},
         check=_lov, prefix="v3"),
]


@pytest.fixture(scope="module", params=sorted(PROFILES))
def server(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(server=request.param) as sb:
        yield sb


@pytest.fixture(scope="module")
def http(server: Sandbox) -> Iterator[httpx.Client]:
    """One connection pool per profile: ``httpx.request`` would build a client (and its TLS
    context, ~50 ms) for each of the replayed calls. Cookies are cleared before each call."""
    with httpx.Client(timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def facts(server: Sandbox) -> dict[str, int]:
    return _facts(server)


def _facts(sb: Sandbox) -> dict[str, int]:
    (folder, tree_tc, version), = sb.store.rows(
        "SELECT f.id, t.id, t.version_id FROM folders f JOIN testcases t ON t.folder_id = f.id "
        "WHERE f.parent_id IS NOT NULL AND f.release_id = 1 ORDER BY f.id, t.id LIMIT 1")
    (cycle, phase), = sb.store.rows(
        "SELECT c.id, p.id FROM cycles c JOIN phases p ON p.cycle_id = c.id "
        "WHERE c.release_id = 1 ORDER BY p.id LIMIT 1")
    return {"project": 1, "release": 1, "cycle": cycle, "phase": phase, "folder": folder,
            "tree_tc": tree_tc, "version": version, "user": 1}


def _fill(value: Any, facts: dict[str, int]) -> Any:
    return value.format(**facts) if isinstance(value, str) else value


@pytest.mark.parametrize("call", CALLS, ids=lambda c: f"{c.client}:{c.method} {c.path}")
def test_public_client_requests(server: Sandbox, http: httpx.Client, facts: dict[str, int],
                                call: Call) -> None:
    url = f"{server.url}/flex/services/rest/{call.prefix}/{_fill(call.path, facts)}"
    params = {k: _fill(v, facts) for k, v in (call.params or {}).items()}
    # the Jenkins plugin logs in with Basic; the others send the API token
    auth: Any = (server.username, server.password) if call.client == JENKINS else None
    headers = {} if auth else {"Authorization": f"Bearer {server.token}"}
    http.cookies.clear()  # no session from an earlier call: each call as its client makes it
    response = http.request(call.method, url, params=params, json=call.body, auth=auth,
                            headers=headers)
    if call.variant is not None and not server.server.serves(call.variant):
        # 404, or 405 where the path has other methods (PUT /testcase): clients fall back on both
        assert response.status_code in (404, 405), response.text
        return
    assert response.status_code == 200, response.text
    assert call.check is not None
    call.check(response.json(), server.server)


def test_every_client_and_variant_is_covered() -> None:
    assert {c.client for c in CALLS} == {MIGRATION, SDK, NODE, JENKINS}
    variants = {c.variant for c in CALLS if c.variant}
    assert variants >= {"GET /advancesearch", "POST /advancesearch/zql",
                        "GET /testcase?zqlquery"}


# --------------------------------------------------------------------------- our own client


def test_our_client_and_flattener_read_every_profile(server: Sandbox) -> None:
    profile = server.server
    with ZephyrClient(server.url, token=server.token) as client:
        rows = [flatten(item, "execution") for item in
                client.search('cycle != "nothing"', entity="execution", limit=700)]
        cases = list(client.search(
            'priority = "High"', entity="testcase", limit=3, page_size=2))
    assert len(rows) == 700 and len(cases) == 3
    names = {s.name for s in profile.statuses()} | {"Not Executed"}
    assert {r["status"] for r in rows} <= names
    assert "Not Executed" in {r["status"] for r in rows}
    if profile.custom_statuses:
        assert {s.name for s in profile.custom_statuses} & {r["status"] for r in rows}
    times = [r["actualTime"] for r in rows if r["actualTime"] is not None]
    assert times and all(len(t.split(":")) == 3 for t in times)  # ms and HH:MM:SS alike


def test_our_client_reads_each_profiles_401(server: Sandbox) -> None:
    with ZephyrClient(server.url, token="not-the-token") as client, \
            pytest.raises(AuthenticationError) as info:
        client.current_user()
    assert "invalid API token" in str(info.value)
    assert "not-the-token" not in str(info.value)


#: the profile whose ``zql search`` runs as a real process (the others run ``zql.cli.main``
#: in-process: the same code over the same HTTP, without a Python start per profile)
_REAL_PROCESS_PROFILE = "ze8"


def test_zql_search_reads_every_profile(server: Sandbox, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    import csv
    import io
    import os
    import subprocess
    import sys

    from zql.cli import main

    argv = ["search", "--entity", "execution", "--format", "csv", "--limit", "400",
            "--no-progress", 'cycle != "nothing"']
    if server.server.name == _REAL_PROCESS_PROFILE:
        env = {**os.environ, "ZEPHYR_URL": server.url, "ZEPHYR_TOKEN": server.token}
        env.pop("ZEPHYR_USERNAME", None)
        done = subprocess.run(
            [sys.executable, "-c", "import sys; from zql.cli import main; sys.exit(main())",
             *argv], capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        out = done.stdout
    else:
        monkeypatch.setenv("ZEPHYR_URL", server.url)
        monkeypatch.setenv("ZEPHYR_TOKEN", server.token)
        monkeypatch.delenv("ZEPHYR_USERNAME", raising=False)
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 400
    statuses = {r["status"] for r in rows}
    assert "Not Executed" in statuses and statuses <= {
        s.name for s in server.server.statuses()} | {"Not Executed"}
    if server.server.custom_statuses:  # shown by name, not as a bare id
        assert statuses & {s.name for s in server.server.custom_statuses}
    assert all(len(r["actualTime"].split(":")) == 3 for r in rows if r["actualTime"])


def test_our_client_logs_in_again_after_each_profiles_expired_cookie(server: Sandbox) -> None:
    with ZephyrClient(server.url, username=server.username, password=server.password) as client:
        client.current_user()
        logins = server.control.logins
        server.control.expire_sessions()  # the next call is a 401 in this profile's shape
        assert len(list(client.search('priority = "High"', limit=3))) == 3
    assert server.control.logins == logins + 1
