"""Issue 12 #2: the server's configured statuses win (ids -> names in every flat output,
never-run rows read "Not Executed", cached with the schema, stored by ``zql schema pull``).

Against loopback stand-ins serving the two preference endpoints (tests/hostile_servers.py)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from tests.hostile_servers import Hostile, page, routes
from zql.cli import main
from zql.client import AsyncZephyrClient, ZephyrClient, flatten
from zql.schema import Status, load_schema

TOKEN = "tok-STATUSsecret-1234"
LOV = [{"id": 1, "value": "Pass", "active": True}, {"id": 2, "value": "Fail", "active": True},
       {"id": 3, "value": "WIP", "active": True}, {"id": 4, "value": "Blocked", "active": True},
       {"id": 11, "value": "Outscoped", "active": True},
       {"id": 12, "value": "Deferred", "active": False}]
PREFERENCE = {"name": "testresult.testresultStatus.LOV", "value": json.dumps(LOV),
              "defaultValue": "", "isCustomizable": True}
EXECUTIONS = [
    {"id": 1, "lastTestResult": {"executionStatus": "11", "executionDate": 1700000000000},
     "tcrTreeTestcase": {"testcase": {"testcaseId": 101, "name": "custom"}}},
    {"id": 2, "tcrTreeTestcase": {"testcase": {"testcaseId": 102, "name": "never run"}}},
    {"id": 3, "lastTestResult": {"executionStatus": "0"},
     "tcrTreeTestcase": {"testcase": {"testcaseId": 103, "name": "zero"}}},
    {"id": 4, "lastTestResult": {"executionStatus": "2"},
     "tcrTreeTestcase": {"testcase": {"testcaseId": 104, "name": "failed"}}},
]
EXPECTED = (Status(1, "Pass"), Status(2, "Fail"), Status(3, "WIP"), Status(4, "Blocked"),
            Status(11, "Outscoped"), Status(12, "Deferred", active=False))


def server(*, latest: bool = True, system: bool = True) -> Hostile:
    table: dict[str, Any] = {"/advancesearch": page(EXECUTIONS, total=len(EXECUTIONS))}
    if latest:
        table["/latest/admin/preference"] = PREFERENCE
    if system:
        table["/v4/admin/preference/all/system"] = [{"name": "other", "value": "1"}, PREFERENCE]
    return Hostile(routes(table))


@pytest.mark.parametrize(("latest", "system"), [(True, False), (False, True)])
def test_client_reads_the_configured_statuses(latest: bool, system: bool) -> None:
    with server(latest=latest, system=system) as srv, \
            ZephyrClient(srv.url, token=TOKEN) as client:
        assert client.statuses() == EXPECTED
        assert client.statuses() == EXPECTED
    asked = [p for _, p, _ in srv.seen if "preference" in p]
    assert len(asked) == (1 if latest else 2)  # cached: the second call sends nothing


def test_async_client_reads_the_configured_statuses() -> None:
    async def main_(url: str) -> tuple[Status, ...]:
        async with AsyncZephyrClient(url, token=TOKEN) as client:
            return await client.statuses()

    with server(latest=False) as srv:
        assert asyncio.run(main_(srv.url)) == EXPECTED


def test_no_status_endpoint_means_the_defaults_said_in_the_log(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="zql.client")
    with server(latest=False, system=False) as srv, \
            ZephyrClient(srv.url, token=TOKEN) as client:
        assert client.statuses() == load_schema().values.statuses
    assert any("no configured statuses" in r.getMessage() for r in caplog.records)


def test_schema_carries_the_server_statuses() -> None:
    with server() as srv, ZephyrClient(srv.url, token=TOKEN) as client:
        assert client.schema().values.statuses == EXPECTED


def test_flatten_uses_the_server_statuses_and_not_executed() -> None:
    rows = [flatten(item, "execution", statuses=EXPECTED) for item in EXECUTIONS]
    assert [r["status"] for r in rows] == ["Outscoped", "Not Executed", "Not Executed", "Fail"]


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_zql_search_shows_custom_statuses_by_name(fmt: str, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", TOKEN)
    with server() as srv:
        code = main(["search", "--url", srv.url, "--entity", "execution", "--no-validate",
                     "--format", fmt, 'status = "Outscoped"'])
    out = capsys.readouterr().out
    assert code == 0
    assert "Outscoped" in out and "Not Executed" in out
    assert ",11," not in out and " 11 " not in out


def test_schema_pull_stores_the_statuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    monkeypatch.setenv("ZEPHYR_TOKEN", TOKEN)
    target = tmp_path / "schema.json"
    from zql.sandbox import Sandbox

    # Metadata from the sandbox, statuses from the stand-in: a server offering both.
    with Sandbox(seed=1, token=TOKEN) as sb, \
            ZephyrClient(sb.url or "", token=TOKEN) as probe:
        metadata = probe._driver.run(probe._core.fetch(probe._core.call("GET", "v3/zql/metadata")))
    with Hostile(routes({"/v3/zql/metadata": metadata,
                         "/latest/admin/preference": PREFERENCE})) as srv:
        assert main(["schema", "pull", "--url", srv.url, "-o", str(target)]) == 0
    saved = load_schema(target)
    assert saved.values.statuses == EXPECTED
