"""The client against every sandbox server profile (ze6, ze7, ze8, cloud) over real HTTP:
search variants, page shapes, the server's statuses by name, never-run rows, nested 401s."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from zql.cli import main
from zql.client import AsyncZephyrClient, AuthenticationError, ZephyrClient, flatten
from zql.sandbox import PROFILES, Sandbox

TOKEN = "tok-PROFILEsecret-6060"


@pytest.fixture(scope="module", params=list(PROFILES))
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    with Sandbox(seed=1, token=TOKEN, server=request.param) as running:
        yield running


def test_statuses_are_the_servers(sb: Sandbox) -> None:
    with ZephyrClient(sb.url or "", token=TOKEN) as client:
        assert client.statuses() == sb.server.statuses()
        assert client.schema().values.statuses == sb.server.statuses()


def test_search_pages_on_every_profile(sb: Sandbox) -> None:
    with ZephyrClient(sb.url or "", token=TOKEN) as client:
        results = client.search('priority = "High"', page_size=40)
        ids = [item["id"] for item in results]
        assert len(ids) == len(set(ids)) == results.total
        executions = list(client.search('status != "Pass"', entity="execution", limit=300,
                                        page_size=100))
        assert len(executions) == 300
        used = client._core.search_variant_used
    assert used["testcase"] == "GET /advancesearch" and used["execution"] == "GET /advancesearch"


def test_statuses_by_name_and_never_run_rows(sb: Sandbox) -> None:
    with ZephyrClient(sb.url or "", token=TOKEN) as client:
        statuses = client.statuses()
        names = {s.name for s in statuses} | {"Not Executed"}
        rows = [flatten(item, "execution", statuses=statuses)
                for item in client.search('status = "Not Executed"', entity="execution",
                                          limit=50)]
    assert rows and {row["status"] for row in rows} == {"Not Executed"}
    assert all(row["status"] in names for row in rows)


@pytest.mark.parametrize("status", ["Outscoped", "Deferred"])
def test_custom_status_by_name_in_zql_search(sb: Sandbox, status: str,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    if not any(s.name == status for s in sb.server.statuses()):
        pytest.skip(f"{sb.server.name} has no {status} status")
    monkeypatch.setenv("ZEPHYR_TOKEN", TOKEN)
    code = main(["search", "--url", sb.url or "", "--entity", "execution", "--format", "csv",
                 "--limit", "5", f'status = "{status}"'])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and len(out) > 1
    column = out[0].split(",").index("status")
    assert {line.split(",")[column] for line in out[1:]} == {status}


def test_wrong_token_reads_the_servers_message(sb: Sandbox) -> None:
    with ZephyrClient(sb.url or "", token="tok-WRONG-0000", retries=0) as client, \
            pytest.raises(AuthenticationError) as info:
        client.projects()
    assert "invalid API token" in str(info.value)
    assert "{" not in str(info.value)  # a nested message is unwrapped


def test_async_client_on_every_profile(sb: Sandbox) -> None:
    async def main_() -> tuple[int, int]:
        async with AsyncZephyrClient(sb.url or "", token=TOKEN) as client:
            statuses = await client.statuses()
            count = await client.search('priority = "High"').count()
        return len(statuses), count

    n, count = asyncio.run(main_())
    assert n == len(sb.server.statuses()) and count > 0
