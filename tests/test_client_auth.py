"""Authentication against the sandbox over real HTTP: bearer, basic, cookie sessions that expire
mid-search, the 200-string-401 quirk, non-ASCII credentials, concurrent re-login."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.client_support import (  # noqa: F401
    PASSWORD,
    TOKEN,
    USER,
    sandbox_fixture,
    sb_fixture,
    searches,
)
from zql.client import (
    AsyncZephyrClient,
    AuthenticationError,
    ConfigurationError,
    CookieAuth,
    ZephyrClient,
)
from zql.sandbox import Sandbox

LOGIN = "/flex/services/rest/latest/user/current"
CREDENTIALS: dict[str, dict[str, Any]] = {
    "bearer": {"token": TOKEN},
    "basic": {"username": USER, "password": PASSWORD, "auth": "basic"},
    "cookie": {"username": USER, "password": PASSWORD},
}


def logins_seen(sb: Sandbox, since: int) -> int:
    return sum(path == LOGIN for _, path, _ in sb.control.requests[since:])


@pytest.mark.parametrize(("kind", "logins"), [("bearer", 0), ("basic", 0), ("cookie", 1)])
def test_each_method_searches(sb: Sandbox, kind: str, logins: int) -> None:
    before = sb.control.logins
    with ZephyrClient(sb.url or "", **CREDENTIALS[kind]) as client:
        user = "" if kind == "bearer" else " user='alice'"
        assert repr(client) == f"<ZephyrClient {sb.api_url} auth={kind}{user}>"
        for _ in range(3):
            assert len(list(client.search('priority = "High"', limit=5))) == 5
        client.projects()
    # A session is opened once and reused; Basic and Bearer never log in.
    assert sb.control.logins - before == logins


def test_cookie_session_is_logged_out_on_close(sb: Sandbox) -> None:
    before = sb.control.logins
    with ZephyrClient(sb.url or "", username=USER, password=PASSWORD) as client:
        client.current_user()
        client.projects()
    assert sb.control.requests[-1][:2] == ("DELETE", "/flex/services/rest/latest/user/logout")
    assert sb.control.logins - before == 1


#: The paged search the cookie expiries interrupt: 200 rows in pages of 50 (four pages, so
#: three expiries that a later page runs into; the size of a page does not matter).
ROWS, PAGE = 200, 50


@pytest.mark.parametrize("flavour", ["sync", "async"])
def test_cookie_expiry_during_a_paged_search(sb: Sandbox, flavour: str) -> None:
    query = 'notes !~ "zz-no-such-note"'
    with ZephyrClient(sb.url or "", token=TOKEN) as reference:
        expected = [item["id"] for item in reference.search(query, entity="execution",
                                                            limit=ROWS, page_size=PAGE)]
    before = sb.control.logins
    got: list[int] = []
    pages = 0
    if flavour == "sync":
        with ZephyrClient(sb.url or "", username=USER, password=PASSWORD) as client:
            for page in client.search(query, entity="execution", limit=ROWS,
                                      page_size=PAGE).pages():
                got += [item["id"] for item in page.items]
                pages += 1
                sb.control.expire_sessions()  # every cookie dies between two pages
    else:
        async def run() -> None:
            nonlocal got, pages
            async with AsyncZephyrClient(sb.url or "", username=USER,
                                         password=PASSWORD) as client:
                async for page in client.search(query, entity="execution", limit=ROWS,
                                                page_size=PAGE).pages():
                    got += [item["id"] for item in page.items]
                    pages += 1
                    sb.control.expire_sessions()
        asyncio.run(run())
    assert got == expected and len(set(got)) == ROWS
    assert pages == ROWS // PAGE
    # One login, then one re-login after each of the expiries that a later page ran into.
    assert sb.control.logins - before == pages


@pytest.mark.parametrize("quirks", [False, True])
@pytest.mark.parametrize("kind", ["bearer", "basic", "cookie"])
def test_bad_credentials(sb: Sandbox, kind: str, quirks: bool) -> None:
    sb.control.quirks = quirks  # quirks: HTTP 200 whose body is a JSON string describing a 401
    wrong = {"bearer": {"token": "not-the-token"},
             "basic": {"username": USER, "password": "wrong", "auth": "basic"},
             "cookie": {"username": USER, "password": "wrong"}}[kind]
    since = len(sb.control.requests)
    with ZephyrClient(sb.url or "", **wrong) as client, \
            pytest.raises(AuthenticationError) as info:
        list(client.search('priority = "High"'))
    assert ("describing a 401" in str(info.value)) == quirks
    assert info.value.status_code == (200 if quirks else 401)
    # Never retried, never re-logged in: one request (the login, for cookies).
    assert len(sb.control.requests) - since == 1


def test_expired_cookie_with_quirks_still_relogs(sb: Sandbox) -> None:
    sb.control.quirks = True
    with ZephyrClient(sb.url or "", username=USER, password=PASSWORD) as client:
        client.current_user()
        sb.control.expire_sessions()
        assert len(list(client.search('priority = "High"', limit=3))) == 3


@pytest.mark.parametrize(("username", "password"), [
    ("zoë", PASSWORD), (USER, "pässwörd"), (USER, "pass\nword"), ("a:b", PASSWORD), (USER, ""),
])
@pytest.mark.parametrize("auth", ["basic", "cookie"])
def test_unusable_basic_credentials(sb: Sandbox, username: str, password: str,
                                    auth: str) -> None:
    since = len(sb.control.requests)
    with pytest.raises(ConfigurationError) as info:
        ZephyrClient(sb.url or "", username=username, password=password, auth=auth)
    message = str(info.value)
    assert password not in message or not password
    if not username.isascii() or not password.isascii() or ":" in username:
        assert "API token" in message
    assert len(sb.control.requests) == since


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({}, "no credentials"),
    ({"auth": "bearer"}, "needs an API token"),
    ({"auth": "kerberos", "token": "t"}, "unknown auth"),
    ({"username": "ann"}, "no password"),
    ({"token": "t\u00e9"}, "non-ASCII"),
])
def test_configuration_errors(kwargs: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        ZephyrClient("https://z.example.com", **kwargs)


def test_concurrent_threads_share_one_relogin(sb: Sandbox) -> None:
    with ZephyrClient(sb.url or "", username=USER, password=PASSWORD) as client:
        client.current_user()
        sb.control.expire_sessions()
        before = sb.control.logins
        since = len(sb.control.requests)
        with ThreadPoolExecutor(8) as pool:
            # All eight searches are held until all are in flight: they meet the expired
            # cookie together.
            with sb.control.gate("/advancesearch", after=0) as gate:
                results = [pool.submit(lambda: len(list(client.search('priority = "High"',
                                                                      limit=2))))
                           for _ in range(8)]
                gate.wait_held(8)
            assert [r.result(timeout=60) for r in results] == [2] * 8
    assert sb.control.logins - before == 1
    # All eight met the expired cookie, waited for the one relogin, and replayed.
    assert len(searches(sb, since)) == 8 + 8


def test_concurrent_async_requests_share_one_relogin(sb: Sandbox) -> None:
    async def run() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        async with AsyncZephyrClient(sb.url or "", username=USER, password=PASSWORD) as client:
            first = sb.control.logins
            await asyncio.gather(*(client.current_user() for _ in range(10)))
            initial = sb.control.logins - first
            sb.control.expire_sessions()
            before = sb.control.logins
            since = len(sb.control.requests)
            with sb.control.gate("/advancesearch") as gate:
                counting = [asyncio.ensure_future(client.search('priority = "High"',
                                                                limit=3).count())
                            for _ in range(10)]
                await loop.run_in_executor(None, gate.wait_held, 10)
            assert await asyncio.gather(*counting) == [3] * 10
            assert len(searches(sb, since)) == 20  # all ten met the expired cookie, replayed
            return initial, sb.control.logins - before

    assert asyncio.run(run()) == (1, 1)


def test_concurrent_failed_logins_try_the_password_once(sb: Sandbox) -> None:
    sb.control.latency_ms = 20
    since = len(sb.control.requests)

    async def run() -> list[BaseException | int]:
        async with AsyncZephyrClient(sb.url or "", username=USER, password="wrong") as client:
            return await asyncio.gather(*(client.search('name ~ "x"').count()
                                          for _ in range(6)), return_exceptions=True)

    outcomes = asyncio.run(run())
    assert all(isinstance(o, AuthenticationError) for o in outcomes)
    assert logins_seen(sb, since) == 1


def test_server_without_session_cookie_falls_back_to_basic() -> None:
    from tests.client_support import OddServer

    with OddServer(200, b'{"username": "ann"}') as url:
        auth = CookieAuth("ann", "pw", url + "/flex/services/rest/latest/user/current")
        with ZephyrClient(url, auth=auth) as client:
            assert client.current_user() == {"username": "ann"}
            assert client.current_user() == {"username": "ann"}
        assert auth.logins == 1 and not auth.logged_in
