"""Retries against the sandbox over real HTTP: 429 with Retry-After, 503 bursts, timeouts,
refused connections, bounds on count and time, and never a retry on other 4xx."""

from __future__ import annotations

import asyncio
import builtins
import random
from typing import Any

import httpx
import pytest

from tests.client_support import (  # noqa: F401
    PASSWORD,
    TOKEN,
    USER,
    Sleeps,
    closed_port,
    recording,
    sandbox_fixture,
    sb_fixture,
    searches,
)
from tests.process_support import PATIENCE
from zql.client import (
    AsyncZephyrClient,
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    QueryRejectedError,
    RateLimitedError,
    Retry,
    ServerError,
    TimeoutError,
    TransportError,
    ZephyrClient,
)
from zql.sandbox import Sandbox


def client_for(sb: Sandbox, sleeps: Sleeps, **kwargs: Any) -> ZephyrClient:
    kwargs.setdefault("retries", Retry(total=4, backoff=0.5, rng=random.Random(7)))
    return recording(ZephyrClient(sb.url or "", token=TOKEN, **kwargs), sleeps)


def test_429_honours_retry_after(sb: Sandbox) -> None:
    sb.control.fail_next(2, status=429, retry_after=3)
    sleeps = Sleeps()
    since = len(sb.control.requests)
    with client_for(sb, sleeps) as client:
        assert len(list(client.search('priority = "High"', limit=5))) == 5
    assert sleeps == [3.0, 3.0]
    assert len(searches(sb, since)) == 3


@pytest.mark.parametrize(("status", "burst"), [(503, 1), (503, 3), (502, 2), (504, 4)])
def test_server_error_bursts_back_off_exponentially(sb: Sandbox, status: int,
                                                    burst: int) -> None:
    sb.control.fail_next(burst, status=status)
    sleeps = Sleeps()
    with client_for(sb, sleeps) as client:
        assert client.current_user()["username"] == USER
    assert len(sleeps) == burst
    # Equal jitter: retry n waits between half and all of 0.5 * 2**n seconds.
    for n, wait in enumerate(sleeps):
        step = 0.5 * 2**n
        assert step / 2 <= wait <= step


@pytest.mark.parametrize(("status", "error", "retry_after"), [
    (503, ServerError, None), (429, RateLimitedError, 1),
])
def test_retries_are_bounded_in_count(sb: Sandbox, status: int, error: type[Exception],
                                      retry_after: int | None) -> None:
    sb.control.fail_next(10, status=status, retry_after=retry_after)
    sleeps = Sleeps()
    since = len(sb.control.requests)
    with client_for(sb, sleeps, retries=2) as client, pytest.raises(error) as info:
        client.users()
    assert len(sleeps) == 2 and len(sb.control.requests) - since == 3
    assert getattr(info.value, "status_code", None) == status
    assert info.value.retry_after == retry_after  # type: ignore[attr-defined]


def test_retry_after_beyond_the_time_budget_gives_up_at_once(sb: Sandbox) -> None:
    sb.control.fail_next(1, status=429, retry_after=90)
    sleeps = Sleeps()
    with client_for(sb, sleeps, retries=Retry(total=5, max_time=30)) as client, \
            pytest.raises(RateLimitedError) as info:
        client.users()
    assert sleeps == [] and info.value.retry_after == 90


def test_retries_are_bounded_in_time() -> None:
    policy = Retry(total=100, backoff=1.0, max_backoff=8.0, max_time=20.0,
                   rng=random.Random(1))
    error = ServerError("server error (503)")
    error.status_code = 503
    elapsed, attempt = 0.0, 0
    while (wait := policy.delay(attempt, error, elapsed=elapsed)) is not None:
        elapsed += wait
        attempt += 1
        assert wait <= 8.0
    assert elapsed <= 20.0 and 3 <= attempt < 100


@pytest.mark.parametrize(("status", "error"), [
    (400, QueryRejectedError), (401, AuthenticationError), (403, PermissionDeniedError),
    (404, NotFoundError), (410, NotFoundError), (417, QueryRejectedError.__base__),
    (501, ServerError),
])
def test_other_statuses_are_never_retried(sb: Sandbox, status: int,
                                          error: type[Exception]) -> None:
    sb.control.fail_next(1, status=status)
    sleeps = Sleeps()
    since = len(sb.control.requests)
    with client_for(sb, sleeps) as client, pytest.raises(error) as info:
        client.users()
    assert type(info.value) is error
    assert sleeps == [] and len(sb.control.requests) - since == 1


def test_a_rejected_query_is_not_retried(sb: Sandbox) -> None:
    sleeps = Sleeps()
    since = len(sb.control.requests)
    with client_for(sb, sleeps) as client, pytest.raises(QueryRejectedError) as info:
        list(client.search('status = Fail', validate=False))
    assert sleeps == [] and len(searches(sb, since)) == 1
    assert "bare word" in (info.value.error_msg or "")


def test_timeouts_are_retried_then_raised(sb: Sandbox) -> None:
    sleeps = Sleeps()
    since = len(sb.control.requests)
    # Every attempt is held until the test ends: each one times out, whatever the load.
    with sb.control.gate("/user"), client_for(sb, sleeps, timeout=0.05, retries=2) as client, \
            pytest.raises(TimeoutError) as info:
        client.users()
    assert isinstance(info.value, builtins.TimeoutError | TransportError)
    assert "timed out waiting for the answer" in str(info.value)
    assert len(sleeps) == 2 and len(sb.control.requests) - since == 3


def test_a_timeout_then_success(sb: Sandbox) -> None:
    sleeps = Sleeps()
    with sb.control.gate("/user") as gate:
        def recover(seconds: float) -> None:
            sleeps(seconds)
            gate.release()  # the first attempt was held and timed out; the retry is answered
            # ...within a timeout no busy machine exceeds (the first one only had to expire)
            client._core.timeout = httpx.Timeout(PATIENCE)

        with recording(ZephyrClient(sb.url or "", token=TOKEN, timeout=0.1), recover) as client:
            assert client.users()
    assert len(sleeps) == 1


def test_refused_connection(sb: Sandbox) -> None:
    sleeps = Sleeps()
    with recording(ZephyrClient(f"http://127.0.0.1:{closed_port()}", token=TOKEN, retries=3),
                   sleeps) as client, pytest.raises(TransportError) as info:
        client.projects()
    assert len(sleeps) == 3
    assert not info.value.request_sent
    assert info.value.method == "GET" and info.value.url is not None
    assert info.value.url.endswith("/flex/services/rest/latest/project/lite")


def test_faults_in_the_middle_of_a_paged_search(sb: Sandbox) -> None:
    sb.control.page_cap = 20  # the 167 failed executions: 9 pages, faults after the 3rd and 8th
    total = sb.store.rows("SELECT count(*) FROM executions WHERE status_id = 2")[0][0]
    sleeps = Sleeps()
    got: list[int] = []
    with client_for(sb, sleeps) as client:
        for n, page in enumerate(client.search('status = "Fail"', entity="execution").pages()):
            got += [item["id"] for item in page.items]
            if n in (2, 7):
                sb.control.fail_next(2, status=503 if n == 2 else 429, retry_after=None)
    assert len(got) == len(set(got)) == total
    assert len(sleeps) == 4


def test_random_faults_across_a_whole_export(sb: Sandbox) -> None:
    sb.control.page_cap = 100
    sb.control.fail_rate = 0.3
    sleeps = Sleeps()
    with client_for(sb, sleeps, retries=Retry(total=8, rng=random.Random(3))) as client:
        got = [item["id"] for item in client.search('notes !~ "zz"', entity="execution")]
    assert len(got) == len(set(got)) == 1500
    assert sleeps  # some requests were answered 429/503 and retried


def test_the_login_itself_is_retried(sb: Sandbox) -> None:
    sb.control.fail_next(2, status=503)
    sleeps = Sleeps()
    before = sb.control.logins
    with recording(ZephyrClient(sb.url or "", username=USER, password=PASSWORD),
                   sleeps) as client:
        assert client.users()
    assert len(sleeps) == 2 and sb.control.logins - before == 1


def test_async_retries_use_the_async_sleep(sb: Sandbox) -> None:
    sb.control.fail_next(2, status=429, retry_after=2)
    sleeps = Sleeps()

    async def run() -> int:
        async with recording(AsyncZephyrClient(sb.url or "", token=TOKEN),
                             sleeps.asleep) as client:
            return len([item async for item in client.search('priority = "High"', limit=4)])

    assert asyncio.run(run()) == 4
    assert sleeps == [2.0, 2.0]


@pytest.mark.parametrize(("retries", "total"), [(0, 0), (3, 3), (None, 0)])
def test_retries_argument(retries: int | None, total: int) -> None:
    assert Retry.coerce(retries).total == total


@pytest.mark.parametrize("retries", [-1, True, 1.5, "3"])
def test_bad_retries_argument(retries: Any) -> None:
    with pytest.raises(ValueError):
        Retry.coerce(retries)
