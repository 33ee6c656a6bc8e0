"""Runtime knobs of a sandbox of its own: faults, latency, page cap, quirks, session expiry,
request log, lifecycle and secrets hygiene."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from zql.sandbox import Sandbox, SandboxError
from zql.sandbox.app import Credentials, create_app
from zql.sandbox.control import Control
from zql.sandbox.store import Store


@pytest.fixture(scope="module")
def own() -> Iterator[Sandbox]:
    with Sandbox(size="small", seed=1, token="module-token", user="tester:s3cret!") as sb:
        yield sb


@pytest.fixture(scope="module")
def _client() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def http(_client: httpx.Client) -> Iterator[httpx.Client]:
    """A client without credentials or cookies, as ``httpx.get`` would be, but one for the
    module (``httpx.get`` builds a client and its TLS context, ~50 ms, for every call)."""
    _client.cookies.clear()
    yield _client
    _client.cookies.clear()


@pytest.fixture
def sb(own: Sandbox, http: httpx.Client) -> Iterator[Sandbox]:
    """The module's sandbox, with every knob put back after each test."""
    yield own
    control = own.control
    control.page_cap, control.quirks, control.latency_ms, control.fail_rate = 500, False, 0, 0.0
    control.cookie_ttl = 5400
    while control.take_fault() is not None:
        pass


def _get(http: httpx.Client, sb: Sandbox, path: str = "/project/lite",
         **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {sb.token}"}
    return http.get(sb.api_url + path, headers=headers, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(("status", "retry_after", "header"), [
    (503, None, None), (429, 2, "2"), (500, None, None), (502, 0, "0")])
def test_fail_next(sb: Sandbox, http: httpx.Client, status: int, retry_after: int | None,
                   header: str | None) -> None:
    sb.control.fail_next(2, status=status, retry_after=retry_after)
    statuses = [_get(http, sb) for _ in range(3)]
    assert [r.status_code for r in statuses] == [status, status, 200]
    assert statuses[0].headers.get("retry-after") == header
    assert statuses[0].json()["errorCode"]


def test_faults_hit_before_authentication(sb: Sandbox, http: httpx.Client) -> None:
    sb.control.fail_next(1, status=503)
    assert http.get(sb.api_url + "/user").status_code == 503


def test_random_faults_are_429_or_503_and_seeded(sb: Sandbox, http: httpx.Client) -> None:
    sb.control.fail_rate = 1.0
    responses = [_get(http, sb) for _ in range(30)]
    assert {r.status_code for r in responses} == {429, 503}
    assert all(r.headers["retry-after"] == "1" for r in responses if r.status_code == 429)
    first, second = Control(seed=9, fail_rate=0.3), Control(seed=9, fail_rate=0.3)
    assert [first.take_fault() for _ in range(50)] == [second.take_fault() for _ in range(50)]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n": -1}, "n must be >= 0"), ({"n": 1, "status": 200}, "HTTP error status")])
def test_fail_next_rejects_nonsense(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Control().fail_next(**kwargs)


def test_latency(sb: Sandbox, http: httpx.Client) -> None:
    sb.control.latency_ms = 150
    start = time.perf_counter()
    assert _get(http, sb).status_code == 200
    assert time.perf_counter() - start >= 0.15


def test_page_cap_changes_at_runtime(sb: Sandbox, http: httpx.Client) -> None:
    sb.control.page_cap = 7
    page = _get(http, sb, "/advancesearch", params={"entitytype": "testcase", "maxresults": 100})
    assert len(page.json()[0]["results"]) == 7
    default = _get(http, sb, "/advancesearch", params={"entitytype": "testcase"})
    assert len(default.json()[0]["results"]) == 7


# --------------------------------------------------------------------------- quirks


def test_quirks_bare_page_object(sb: Sandbox, http: httpx.Client) -> None:
    sb.control.quirks = True
    body = _get(http, sb, "/advancesearch", params={"entitytype": "requirement"}).json()
    assert isinstance(body, dict) and set(body) == {"firstResult", "resultSize", "results"}


@pytest.mark.parametrize("auth", [("tester", "wrong"), ("nobody", "s3cret!")])
def test_quirks_bad_credentials_answer_200_with_a_json_string(sb: Sandbox, http: httpx.Client,
                                                              auth: tuple[str, str]) -> None:
    sb.control.quirks = True
    response = http.get(sb.api_url + "/user/current", auth=auth)
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, str) and json.loads(body)["errorCode"] == 401
    bearer = http.get(sb.api_url + "/user", headers={"Authorization": "Bearer nope"})
    assert bearer.status_code == 200 and isinstance(bearer.json(), str)


def test_quirks_keep_401_for_missing_or_expired_sessions(sb: Sandbox, http: httpx.Client) -> None:
    sb.control.quirks = True
    assert http.get(sb.api_url + "/user").status_code == 401


# --------------------------------------------------------------------------- sessions


def _login(sb: Sandbox, client: httpx.Client) -> None:
    response = client.get("/user/current", auth=(sb.username, sb.password))
    assert response.status_code == 200 and response.json()["username"] == "tester"


def test_expire_sessions_forces_a_new_login(sb: Sandbox) -> None:
    with httpx.Client(base_url=sb.api_url) as client:
        logins = sb.control.logins
        _login(sb, client)
        assert client.get("/release").status_code == 200
        sb.control.expire_sessions()
        assert client.get("/release").status_code == 401
        _login(sb, client)
        assert client.get("/release").status_code == 200
        assert sb.control.logins == logins + 2


def test_cookies_expire_after_their_ttl(sb: Sandbox) -> None:
    sb.control.cookie_ttl = 60
    now = [1000.0]
    sb.control.clock = lambda: now[0]  # the session clock, moved by the test (no waiting)
    try:
        with httpx.Client(base_url=sb.api_url) as client:
            response = client.get("/user/current", auth=(sb.username, sb.password))
            assert "Max-Age=60;" in response.headers["set-cookie"]
            now[0] += 59.9
            assert client.get("/user").status_code == 200
            now[0] += 0.1
            assert client.get("/user").status_code == 401
    finally:
        sb.control.clock = time.monotonic


def test_secure_cookie_only_over_https() -> None:
    async def login(scheme: str) -> str:
        with Store.open() as store:
            app = create_app(store, Control(), Credentials("t", "u", "p"))
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport,
                                         base_url=f"{scheme}://sandbox.test") as client:
                response = await client.get("/flex/services/rest/v3/user/current",
                                            auth=("u", "p"))
                return response.headers["set-cookie"]

    assert asyncio.run(login("https")).endswith("; HttpOnly; Secure")
    assert "Secure" not in asyncio.run(login("http"))


# --------------------------------------------------------------------------- observation


def test_requests_are_recorded_in_order(sb: Sandbox, http: httpx.Client) -> None:
    sb.control.requests.clear()
    _get(http, sb, "/advancesearch", params={"entitytype": "testcase", "word": "a b"})
    http.delete(sb.api_url + "/user/logout")
    assert sb.control.requests == [
        ("GET", "/flex/services/rest/latest/advancesearch", "entitytype=testcase&word=a+b"),
        ("DELETE", "/flex/services/rest/latest/user/logout", ""),
    ]


def test_secrets_stay_out_of_reprs_and_logs(sb: Sandbox, http: httpx.Client,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sb.control.fail_next(1)
    for headers in ({"Authorization": f"Bearer {sb.token}"}, {"Authorization": "Bearer x"}):
        http.get(sb.api_url + "/user", headers=headers)
    http.get(sb.api_url + "/user/current", auth=(sb.username, sb.password))
    shown = caplog.text + repr(sb) + repr(sb.control) + repr(sb.store)
    assert sb.token not in shown and sb.password not in shown


# --------------------------------------------------------------------------- lifecycle


def test_start_stop_leaves_no_threads_and_frees_the_port() -> None:
    before = set(threading.enumerate())
    sandbox = Sandbox()
    with sandbox:
        url = sandbox.url
        assert sandbox.running and re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        assert sandbox.api_url == url + "/flex/services/rest/latest"
    assert set(threading.enumerate()) <= before
    assert not sandbox.running
    with pytest.raises(SandboxError, match="not running"):
        sandbox.api_url  # noqa: B018
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/flex/services/rest/latest/user")
    sandbox.stop()  # idempotent


def test_port_in_use_is_a_clear_error(own: Sandbox) -> None:
    port = int(own.url.rsplit(":", 1)[1])
    with pytest.raises(SandboxError, match=r"cannot listen on 127\.0\.0\.1"):
        Sandbox(port=port).start()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"size": "medium"}, "unknown size"),
    ({"page_cap": 0}, "page_cap must be >= 1"),
    ({"fail_rate": 1.5}, "fail_rate must be between 0 and 1"),
    ({"port": 70000}, "port must be <= 65535"),
    ({"latency_ms": -1}, "latency_ms must be >= 0"),
    ({"user": "nocolon"}, "NAME:PASSWORD"),
    ({"user": ":pw"}, "non-empty name"),
])
def test_bad_options(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SandboxError, match=message):
        Sandbox(**kwargs)  # type: ignore[arg-type]


def test_credentials_are_generated_and_differ() -> None:
    a, b = Sandbox(), Sandbox()
    assert a.username == b.username == "admin"
    assert a.token != b.token and a.password != b.password and len(a.token) >= 20
