"""The read paths beyond search (issue 16), their parameters and their errors, over real HTTP
against the shared sandbox (read-only) or one of their own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from zql.cli import sandbox as cli_sandbox
from zql.sandbox import PROFILES, Sandbox, records
from zql.sandbox.servers import DEFAULT_SERVER


@pytest.fixture(scope="module")
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.api_url, timeout=30,
                      headers={"Authorization": f"Bearer {sandbox.token}"}) as client:
        yield client


def test_execution_list_filters_pages_and_orders(sandbox: Sandbox, http: httpx.Client) -> None:
    (phase, cycle, count), = sandbox.store.rows(
        "SELECT phase_id, cycle_id, count(*) FROM executions GROUP BY phase_id ORDER BY 3 DESC "
        "LIMIT 1")
    by_phase = http.get("/execution", params={"cyclephaseid": phase, "pagesize": 0}).json()
    assert by_phase["resultSize"] == count == len(by_phase["results"])
    assert {r["cyclePhaseId"] for r in by_phase["results"]} == {phase}
    both = http.get("/execution", params={"cycleId": cycle, "phaseId": phase,
                                          "pagesize": 0}).json()
    assert both == by_phase
    page = http.get("/execution", params={"cyclephaseid": phase, "offset": 2, "pagesize": 3,
                                          "order": "id", "isascorder": "false"}).json()
    ids = sorted((r["id"] for r in by_phase["results"]), reverse=True)
    assert [r["id"] for r in page["results"]] == ids[2:5]
    assert len(http.get("/execution", params={"cyclephaseid": phase}).json()["results"]) == \
        min(count, 50)  # the default page size


def test_execution_list_tester_and_anyone(sandbox: Sandbox, http: httpx.Client) -> None:
    (tester,), = sandbox.store.rows("SELECT tester_id FROM executions WHERE release_id = 1 AND "
                                    "tester_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC "
                                    "LIMIT 1")
    (mine,), = sandbox.store.rows(
        "SELECT count(*) FROM executions WHERE release_id = 1 AND tester_id = ?", (tester,))
    (anyone,), = sandbox.store.rows(
        "SELECT count(*) FROM executions WHERE release_id = 1 AND tester_id IS NULL")
    params = {"releaseid": 1, "testerid": tester, "pagesize": 0}
    assert http.get("/execution", params=params).json()["resultSize"] == mine
    params["includeanyoneuser"] = "true"
    assert http.get("/execution", params=params).json()["resultSize"] == mine + anyone


@pytest.mark.parametrize(("path", "status", "text"), [
    ("/execution", 400, "needs releaseid, cyclephaseid"),
    ("/execution?releaseid=x", 400, "releaseid must be a whole number"),
    ("/execution?cycleId=1&phaseId=999", 404, "no phase 999 in cycle 1"),
    ("/execution?releaseid=1&order=nonsense", 400, "cannot sort execution by 'nonsense'"),
    ("/testcase", 400, "needs zqlquery"),
    ("/testcase?zqlquery=status%20%3D%20Fail", 400, "bare word 'Fail'"),
    ("/testcase/99999", 404, "no test case with tree id 99999"),
    ("/testcase/99999/teststep", 404, "no test case version 99999"),
    ("/testcase/tree/99999", 404, "no test case tree node 99999"),
    ("/testcasetree/99999", 404, "no test case tree node 99999"),
    ("/testcasetree/hierarchy/99999", 404, "no test case tree node"),
    ("/testcasetree/projectrepository/77", 404, "no project with id 77"),
    ("/testcasetree/phases/77", 404, "no release with id 77"),
    ("/testcasetree", 400, "needs releaseid"),
    ("/cycle/999", 404, "no cycle with id 999"),
    ("/project/77", 404, "no project with id 77"),
    ("/release/paged/project/77", 404, "no project with id 77"),
])
def test_read_path_errors(http: httpx.Client, path: str, status: int, text: str) -> None:
    response = http.get(path)
    assert response.status_code == status, response.text
    assert text in response.json()["errorMsg"]


def test_pagesize_zero_beyond_the_list_limit_is_a_400(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records, "LIST_LIMIT", 100)
    with Sandbox() as sb, httpx.Client(base_url=sb.api_url, timeout=30, headers={
            "Authorization": f"Bearer {sb.token}"}) as http:
        refused = http.get("/execution", params={"releaseid": 1, "pagesize": 0})
        clamped = http.get("/execution", params={"releaseid": 1, "pagesize": 10_000}).json()
    assert refused.status_code == 400
    assert "at most 100 a request: page with offset and pagesize" in refused.json()["errorMsg"]
    assert len(clamped["results"]) == 100 < clamped["resultSize"]


def test_testcase_by_zql_is_a_bare_page(sandbox: Sandbox, http: httpx.Client) -> None:
    body = http.get("/testcase", params={"zqlquery": 'priority = "Critical"', "releaseid": 1,
                                         "offset": 1, "pagesize": 2}).json()
    (total,), = sandbox.store.rows(
        "SELECT count(*) FROM testcases WHERE priority = 'Critical' AND release_id = 1")
    assert set(body) == {"resultSize", "results"} and body["resultSize"] == total
    assert len(body["results"]) == 2
    assert {r["testcase"]["priority"] for r in body["results"]} == {"Critical"}


def test_single_test_case_and_its_steps(sandbox: Sandbox, http: httpx.Client) -> None:
    (tree_id, testcase_id, version, contents), = sandbox.store.rows(
        "SELECT id, testcase_id, version_id, contents FROM testcases WHERE id = 7")
    item = http.get(f"/testcase/{tree_id}").json()
    assert item["id"] == tree_id and item["testcase"]["testcaseId"] == testcase_id
    steps = http.get(f"/testcase/{version}/teststep").json()
    assert steps["tcId"] == version and steps["tctId"] == tree_id
    assert [s["step"] for s in steps["steps"]] == [
        line.split(". ", 1)[1] for line in contents.splitlines() if line[0].isdigit()]
    assert steps["steps"][-1]["result"] == contents.rsplit("Expected: ", 1)[1]


def test_tree_nodes_hierarchy_and_folder_contents(sandbox: Sandbox, http: httpx.Client) -> None:
    (child, parent), = sandbox.store.rows(
        "SELECT id, parent_id FROM folders WHERE parent_id IS NOT NULL ORDER BY id LIMIT 1")
    assert http.get(f"/testcasetree/hierarchy/{child}").json() == [parent, child]
    node = http.get(f"/testcasetree/{parent}").json()
    assert child in [c["id"] for c in node["categories"]]
    (count,), = sandbox.store.rows("SELECT count(*) FROM testcases WHERE folder_id = ?",
                                   (child,))
    listed = http.get(f"/testcase/tree/{child}", params={"pagesize": 0}).json()
    assert listed["resultSize"] == count == len(listed["results"])
    assert {r["tcrCatalogTreeId"] for r in listed["results"]} == {child}
    release = http.get(f"/testcasetree/{child}").json()["releaseId"]
    roots = http.get(f"/testcasetree/phases/{release}").json()
    assert parent in [r["id"] for r in roots] and all(r["parentId"] == 0 for r in roots)


def test_records_and_lists(sandbox: Sandbox, http: httpx.Client) -> None:
    cycle = http.get("/cycle/1").json()
    assert cycle["id"] == 1 and cycle["cyclePhases"]
    assert http.get("/project/2").json()["name"] == "Atlas Mobile"
    paged = http.get("/release/paged/project/2", params={"pagesize": 1, "offset": 1}).json()
    assert paged["resultSize"] == 2 and [r["name"] for r in paged["results"]] == ["Atlas 4.1"]
    releases = http.get("/release", params={"projectid": 2}).json()
    assert {r["projectId"] for r in releases} == {2} and len(releases) == 2
    users = http.get("/user/filter").json()
    assert users and all(u["accountEnabled"] is True for u in users)


def test_healthcheck_needs_no_credentials(sandbox: Sandbox) -> None:
    response = httpx.get(sandbox.api_url + "/healthcheck")
    assert response.status_code == 200 and response.json() == {"status": "OK"}
    assert httpx.get(sandbox.api_url + "/user").status_code == 401


def test_quick_search_star_matches_everything(sandbox: Sandbox, http: httpx.Client) -> None:
    page = http.get("/advancesearch", params={"entitytype": "execution", "zql": "false",
                                              "word": "*", "maxresults": 1}).json()[0]
    (total,), = sandbox.store.rows("SELECT count(*) FROM executions")
    assert page["resultSize"] == total and page["type"] == "testSchedule"


def test_post_zql_implies_zql_and_reads_lowercase_fields(http: httpx.Client) -> None:
    body = http.post("/advancesearch/zql", json={"entitytype": "testcase",
                                                 "word": 'priority = "Low"'}).json()[0]
    assert body["resultSize"] > 0
    assert {r["testcase"]["priority"] for r in body["results"]} == {"Low"}
    v3 = httpx.post(str(http.base_url).rstrip("/").replace("/latest", "/v3") + "/advancesearch/zql",
                    json={"entitytype": "testcase", "word": 'priority = "Low"'},
                    headers=http.headers, timeout=30).json()[0]
    assert v3["resultSize"] == body["resultSize"]


def test_cli_server_names_are_the_profiles() -> None:
    assert set(cli_sandbox.SERVER_NAMES) == set(PROFILES)
    assert cli_sandbox.DEFAULT_SERVER == DEFAULT_SERVER


def test_cli_server_profile_and_readonly_account() -> None:
    cmd = [sys.executable, "-c", "import sys; from zql.cli import main; sys.exit(main())",
           "sandbox", "--port", "0", "--server", "cloud", "--readonly-user", "rita:ro-pass",
           "--token", "tok"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        assert "server profile cloud" in text and "read-only: rita / ro-pass" in text
        api = next(line.split()[-1] for line in lines if "API base" in line)
        page = httpx.get(api + "/advancesearch", params={"entitytype": "testcase"},
                         headers={"Authorization": "Bearer tok"}).json()
        assert isinstance(page, dict) and "resultSize" in page  # cloud: the bare page
        me = httpx.get(api + "/user/current", auth=("rita", "ro-pass")).json()
        assert me["username"] == "rita"
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_cli_help_names_the_bad_credentials_quirk(capsys: pytest.CaptureFixture[str]) -> None:
    from zql.cli import main

    with pytest.raises(SystemExit):  # argparse's --help; the real command runs just above
        main(["sandbox", "--help"])
    flat = " ".join(capsys.readouterr().out.split())
    assert "off by default" in flat and "BAD CREDENTIALS ANSWERED WITH HTTP 200" in flat
    assert "--server {ze6,ze7,ze8,cloud}" in flat and "--public" in flat


def test_every_route_is_in_the_endpoint_table(sandbox: Sandbox) -> None:
    import re
    from pathlib import Path

    from zql.sandbox.api import Credentials
    from zql.sandbox.app import create_app
    from zql.sandbox.control import GATES_PATH

    doc = (Path(__file__).resolve().parent.parent / "docs" / "sandbox.md").read_text()
    documented = {(m, re.sub(r"\{[^}]*\}", "{}", p).removeprefix("/v4"))
                  for m, p in re.findall(r"^\| `(GET|POST|PUT|DELETE) (/[^` ?]*)", doc, re.M)}
    app = create_app(sandbox.store, sandbox.control, Credentials("t", "u", "p"))
    served = {(method, re.sub(r"\{[^}]*\}", "{}", route.path))
              for mount in app.routes for route in mount.routes  # type: ignore[attr-defined]
              for method in route.methods - {"HEAD"} if GATES_PATH not in route.path}
    assert len(served) > 30 and served - documented == set()
