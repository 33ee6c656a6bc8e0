"""The async client against the sandbox over real HTTP: the same behaviour as the sync one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from tests.client_support import (  # noqa: F401
    PASSWORD,
    TOKEN,
    USER,
    OddServer,
    Sleeps,
    closed_port,
    recording,
    sandbox_fixture,
    sb_fixture,
    searches,
)
from zql.client import (
    AsyncZephyrClient,
    ConfigurationError,
    NameResolutionError,
    QueryRejectedError,
    TimeoutError,
    TransportError,
    WrongBaseURLError,
    ZQLValidationError,
    flatten,
)
from zql.errors import ZQLSyntaxError
from zql.sandbox import Sandbox

T = TypeVar("T")


def run_with(sb: Sandbox, body: Callable[[AsyncZephyrClient], Awaitable[T]],
             **kwargs: Any) -> T:
    kwargs.setdefault("token", TOKEN)

    async def main() -> T:
        async with AsyncZephyrClient(sb.url or "", **kwargs) as client:
            return await body(client)

    return asyncio.run(main())


@pytest.mark.parametrize(("cap", "page_size", "quirks"), [
    (500, 100, False), (100, 500, False), (37, 100, True),
])
def test_pages_every_row_once(sb: Sandbox, cap: int, page_size: int, quirks: bool) -> None:
    # 167 failed executions: more than one page at every cap and page size here
    sb.control.page_cap = cap
    sb.control.quirks = quirks
    expected = sb.store.rows("SELECT count(*) FROM executions WHERE status_id = 2")[0][0]
    since = len(sb.control.requests)

    async def body(client: AsyncZephyrClient) -> tuple[list[int], int | None]:
        results = client.search('status = "Fail"', entity="execution", page_size=page_size)
        got = [item["id"] async for item in results]
        return got, results.total

    got, total = run_with(sb, body)
    assert len(got) == len(set(got)) == total == expected
    assert len(searches(sb, since)) > 1


def test_reiterable_with_limit_and_count(sb: Sandbox) -> None:
    async def body(client: AsyncZephyrClient) -> tuple[list[int], list[int], int]:
        results = client.search('priority = "High"', limit=90, page_size=40)
        once = [item["id"] async for item in results]
        twice = [item["id"] async for item in results]
        return once, twice, await results.count()

    once, twice, count = run_with(sb, body)
    assert once == twice and len(once) == count == 90


def test_validation_before_any_request(sb: Sandbox) -> None:
    since = len(sb.control.requests)

    async def body(client: AsyncZephyrClient) -> None:
        with pytest.raises(ZQLSyntaxError):
            client.search('status = Fail')
        await client.schema()
        before = len(sb.control.requests)
        with pytest.raises(ZQLValidationError):
            client.search('prority = "High"')
        assert len(sb.control.requests) == before

    run_with(sb, body)
    made = [path for _, path, _ in sb.control.requests[since:]]
    # only the metadata and the configured statuses (cached with the schema)
    assert made[0].endswith("/v3/zql/metadata")
    assert all("/admin/preference" in path for path in made[1:]) and len(made) <= 3


def test_lookups_schema_suggest(sb: Sandbox) -> None:
    async def body(client: AsyncZephyrClient) -> dict[str, Any]:
        return {
            "projects": [p["name"] for p in await client.projects()],
            "releases": {r["projectId"] for r in await client.releases(project="Atlas Mobile")},
            "users": (await client.users())[0]["username"],
            "cycles": {c["releaseId"] for c in await client.cycles("Atlas 4.0")},
            "me": (await client.current_user())["username"],
            "custom": (await client.schema()).field("testcase", "customtext") is not None,
            "suggest": await client.suggest("priority", "h"),
        }

    assert run_with(sb, body, username=USER, password=PASSWORD, token=None) == {
        "projects": ["Project Ironclad", "Atlas Mobile", "Nimbus Cloud Console"],
        "releases": {2}, "users": "admin", "cycles": {3}, "me": USER, "custom": True,
        "suggest": ["High"]}


def test_release_by_name_and_quick_search(sb: Sandbox) -> None:
    async def body(client: AsyncZephyrClient) -> tuple[set[Any], int]:
        rows = [flatten(i, "execution") async for i in client.search(
            'status = "Fail"', entity="execution", release="Nimbus 3.1")]
        quick = [i async for i in client.quick_search("banner", limit=5)]
        return {r["release"] for r in rows}, len(quick)

    assert run_with(sb, body) == ({"Nimbus 3.1"}, 5)


@pytest.mark.parametrize(("setup", "call", "error"), [
    ("none", "bad_query", QueryRejectedError),
    ("none", "bad_release", NameResolutionError),
    ("slow", "users", TimeoutError),
])
def test_errors(sb: Sandbox, setup: str, call: str, error: type[Exception]) -> None:
    # slow: the request is held until the test ends, so the 30 ms timeout fires whatever the
    # load; the other cases get the default timeout (a loaded machine may take longer than 30 ms)
    held = sb.control.gate("/user") if setup == "slow" else contextlib.nullcontext()
    timeout = {"timeout": 0.03} if setup == "slow" else {}

    async def body(client: AsyncZephyrClient) -> None:
        if call == "bad_query":
            [i async for i in client.search("status = Fail", validate=False)]
        elif call == "bad_release":
            [i async for i in client.search('name ~ "x"', release="R-none")]
        else:
            await client.users()

    with held, pytest.raises(error):
        run_with(sb, body, retries=0, **timeout)


def test_refused_and_html() -> None:
    async def users(url: str) -> None:
        async with recording(AsyncZephyrClient(url, token=TOKEN, retries=1),
                             Sleeps().asleep) as client:
            await client.users()

    with pytest.raises(TransportError):
        asyncio.run(users(f"http://127.0.0.1:{closed_port()}"))
    with OddServer(200, b"<html></html>", "text/html") as url, \
            pytest.raises(WrongBaseURLError):
        asyncio.run(users(url))


def test_from_env() -> None:
    env = {"ZEPHYR_URL": "https://z.example.com/flex/html5/", "ZEPHYR_TOKEN": "t0ken"}
    client = AsyncZephyrClient.from_env(env)
    assert client.base_url == "https://z.example.com/flex/services/rest/latest"
    asyncio.run(client.aclose())
    with pytest.raises(ConfigurationError, match="ZEPHYR_URL"):
        AsyncZephyrClient.from_env({"ZEPHYR_TOKEN": "t0ken"})
