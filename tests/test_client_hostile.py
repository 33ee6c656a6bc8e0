"""Issue 11, client defects 1-6: one regression test each, against real hostile servers on
loopback (tests/hostile_servers.py). Every server loop is bounded."""

from __future__ import annotations

import asyncio
import base64
import http.server
import json
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import pytest

from tests.client_support import Sleeps, recording
from tests.hostile_servers import Hostile, drip, endless_body, page, send_json
from zql.client import (
    AsyncZephyrClient,
    Retry,
    TimeoutError,
    UnexpectedResponseError,
    ZephyrClient,
    ZephyrError,
)
from zql.client._transfer import DEFAULT_MAX_RESPONSE

TOKEN = "tok-HOSTILEsecret-4242"
USER = "mallory"
PASSWORD = "p@ss w0rd/HOSTILE+%"
COOKIE = "ck-HOSTILEsession-9090"


def test_no_bound_on_a_response() -> None:
    """#1: an endless chunked body ends at the size cap (configurable, finite by default)."""
    assert 1 << 20 < DEFAULT_MAX_RESPONSE < 1 << 30
    with Hostile(endless_body) as server, \
            ZephyrClient(server.url, token=TOKEN, retries=0,
                         max_response_size=2 * 1024 * 1024) as client, \
            pytest.raises(UnexpectedResponseError, match=r"larger than 2 MiB"):
        list(client.search('priority = "High"'))


def test_no_bound_on_a_response_async() -> None:
    async def main(url: str) -> None:
        async with AsyncZephyrClient(url, token=TOKEN, retries=0,
                                     max_response_size=1024 * 1024) as client:
            await client.projects()

    with Hostile(endless_body) as server, \
            pytest.raises(UnexpectedResponseError, match=r"larger than 1 MiB"):
        asyncio.run(main(server.url))


def _same_page(handler: http.server.BaseHTTPRequestHandler) -> None:
    send_json(handler, 200, page([{"id": n} for n in range(50)], total=150_000))


def test_pages_that_do_not_advance() -> None:
    """#2: a server ignoring firstresult: stop at the first page with no new id, naming why."""
    with Hostile(_same_page) as server, ZephyrClient(server.url, token=TOKEN) as client:
        got: list[int] = []
        with pytest.raises(UnexpectedResponseError, match="ignore firstresult"):
            got.extend(item["id"] for item in client.search('priority = "High"', page_size=50))
    assert got == list(range(50))
    assert len(server.searches()) == 2


def _overlapping(handler: http.server.BaseHTTPRequestHandler) -> None:
    # Every page starts 10 rows before the asked firstresult: rows repeat across pages.
    query = dict(p.split("=", 1) for p in urlsplit(handler.path).query.split("&"))
    first = max(0, int(query["firstresult"]) - 10)
    size = int(query["maxresults"])
    send_json(handler, 200, page([{"id": n} for n in range(first, min(first + size, 95))],
                                 total=95, first=first))


def test_pages_that_overlap_never_yield_a_duplicate_id() -> None:
    with Hostile(_overlapping) as server, ZephyrClient(server.url, token=TOKEN) as client:
        ids = [item["id"] for item in client.search('priority = "High"', page_size=30)]
    assert len(ids) == len(set(ids))
    assert set(ids) <= set(range(95))
    assert len(server.searches()) < 20


def test_a_slow_drip_defeats_the_timeout() -> None:
    """#3: 1 byte at a time: each attempt ends at the timeout, all of them within max_time.

    (Not shorter: under a heavy load a 100 ms timeout can expire before the headers arrive,
    which is another error than the one this proves.)"""
    policy = Retry(total=50, backoff=0.0, max_time=0.6)
    with Hostile(drip) as server, \
            recording(ZephyrClient(server.url, token=TOKEN, timeout=0.2, retries=policy),
                      Sleeps()) as client, \
            pytest.raises(TimeoutError, match="no complete answer"):
        client.projects()
    attempts = len(server.seen)
    # max_time / timeout = 3 attempts fit; a busy machine makes fewer, never more.
    assert 1 <= attempts <= 4
    # each attempt stopped reading: far fewer bytes than the 2,000 the server would drip
    assert all(n < 200 for n in server.server.dripped)  # type: ignore[attr-defined]


def test_a_slow_drip_defeats_the_timeout_async() -> None:
    async def main(url: str) -> None:
        client = recording(AsyncZephyrClient(url, token=TOKEN, timeout=0.2,
                                             retries=Retry(total=50, backoff=0.0, max_time=0.6)),
                           Sleeps().asleep)
        async with client:
            await client.projects()

    with Hostile(drip) as server, pytest.raises(TimeoutError):
        asyncio.run(main(server.url))
    assert 1 <= len(server.seen) <= 4


# ---- #4: every form of every secret, on every error path

def _forms(auth: str = "all") -> list[str]:
    """Every form of the secrets a client with ``auth`` holds (``all``: of every secret)."""
    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    out: list[str] = []
    secrets: list[str] = []
    if auth in ("bearer", "all"):
        out.append(f"Bearer {TOKEN}")
        secrets.append(TOKEN)
    if auth in ("basic", "cookie", "all"):
        out += [pair, pair.rstrip("="), f"Basic {pair}"]
        secrets.append(PASSWORD)
    if auth in ("cookie", "all"):
        out.append(f"token={COOKIE}")
        secrets.append(COOKIE)
    for secret in secrets:
        out += [secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1],
                base64.b64encode(secret.encode()).decode()]
    return out


class _Echo:
    """What the shared echo server answers: ``status`` is set by each test."""

    status = 400

    def __call__(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        status = self.status
        if handler.path.endswith("/user/current") and "Cookie" not in handler.headers:
            send_json(handler, 200, {"id": 1, "username": USER},
                      {"Set-Cookie": f"token={COOKIE}; Path=/"})
            return
        echoed = " | ".join(f"{k}: {v}" for k, v in handler.headers.items())
        leaked = " ".join(f for f in _forms())
        message = f"you sent {echoed} {handler.path} {leaked}"
        if status in (301, 302):
            handler.send_response(status)
            handler.send_header("Location", f"https://sso.example.com/{quote(TOKEN)}/{COOKIE}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
        elif status == 2001:  # a 200 whose body is a string describing a 401
            send_json(handler, 200, f"401 Unauthorized: {message}")
        elif status == 4011:  # a 401 nesting its message as a JSON string
            send_json(handler, 401, {"message": json.dumps({"message": message})})
        else:
            send_json(handler, status, {"errorMsg": message, "errorCode": message})


@pytest.fixture(scope="module")
def echo() -> Iterator[tuple[Hostile, _Echo]]:
    """One echoing server for the module (each test sets the status it answers)."""
    answer = _Echo()
    with Hostile(answer) as server:
        yield server, answer


@pytest.mark.parametrize("status", [400, 401, 4011, 403, 404, 409, 429, 500, 503, 302, 2001])
@pytest.mark.parametrize("auth", ["bearer", "basic", "cookie"])
def test_basic_credentials_echoed_by_a_server_leak(status: int, auth: str,
                                                    echo: tuple[Hostile, _Echo],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    """#4: raw, header, base64 of user:password, URL-encoded, JSON-escaped and cookie forms
    are scrubbed from every error's str, repr, args, traceback and from every log record."""
    kwargs: dict[str, Any] = ({"token": TOKEN} if auth == "bearer" else
                              {"username": USER, "password": PASSWORD, "auth": auth})
    caplog.set_level(logging.DEBUG)
    server, answer = echo
    answer.status = status
    client = recording(ZephyrClient(server.url, retries=1, **kwargs), Sleeps())
    with client, pytest.raises(ZephyrError) as info:
        client.projects()
    err = info.value
    shown = "\n".join([str(err), repr(err), *map(str, err.args),
                       "".join(traceback.format_exception(err)),
                       *(r.getMessage() for r in caplog.records)])
    assert "***" in shown
    for form in _forms(auth):
        assert form not in shown, (form, status, auth)


# ---- #5

class _Busy:
    """A 503 with the ``Retry-After`` value each test sets."""

    value = "-1"

    def __call__(self, handler: http.server.BaseHTTPRequestHandler) -> None:
        send_json(handler, 503, {"errorMsg": "busy"}, {"Retry-After": self.value})


@pytest.fixture(scope="module")
def busy() -> Iterator[tuple[Hostile, _Busy]]:
    answer = _Busy()
    with Hostile(answer) as server:
        yield server, answer


@pytest.mark.parametrize("value", ["-1", "nan", "-inf", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_retry_after_negative_nan_or_past_falls_back_to_backoff(
        value: str, busy: tuple[Hostile, _Busy]) -> None:
    server, answer = busy
    answer.value = value
    sleeps = Sleeps()
    policy = Retry(total=3, backoff=0.5, max_time=60)
    with recording(ZephyrClient(server.url, token=TOKEN, retries=policy), sleeps) as client, \
            pytest.raises(ZephyrError):
        client.projects()
    assert len(sleeps) == 3
    for n, wait in enumerate(sleeps):
        step = 0.5 * 2**n
        assert step / 2 <= wait <= step, (n, wait)


# ---- #6

def _not_objects(handler: http.server.BaseHTTPRequestHandler) -> None:
    send_json(handler, 200, page([None, "str", 5, [1, 2]], total=4))


@pytest.fixture(scope="module")
def not_objects() -> Iterator[Hostile]:
    with Hostile(_not_objects) as server:
        yield server


def test_items_that_are_not_objects(not_objects: Hostile) -> None:
    with ZephyrClient(not_objects.url, token=TOKEN) as client, \
            pytest.raises(UnexpectedResponseError, match=r"results\[0\] is JSON null, not an"):
        list(client.search('priority = "High"'))


def _assert_not_objects_reported(code: int, out: str, err: str) -> None:
    assert code == 1
    assert "Traceback" not in err and "TypeError" not in err
    assert "not an object" in err
    assert out.strip() in ("", "[", "[\n]", "[]")


def test_items_that_are_not_objects_in_zql_search(not_objects: Hostile) -> None:
    """The real entry point, once; the other formats run the same ``main`` in-process."""
    env = {**os.environ, "ZEPHYR_TOKEN": TOKEN}
    done = subprocess.run(
        [sys.executable, "-m", "zql.cli", "search", "--url", not_objects.url, "--no-validate",
         "--format", "json", 'priority = "High"'], capture_output=True, text=True, env=env,
        timeout=60, check=False)
    _assert_not_objects_reported(done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("fmt", ["table", "csv", "jsonl"])
def test_items_that_are_not_objects_in_zql_search_formats(
        fmt: str, not_objects: Hostile, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from zql.cli import main

    monkeypatch.setenv("ZEPHYR_TOKEN", TOKEN)
    code = main(["search", "--url", not_objects.url, "--no-validate", "--format", fmt,
                 'priority = "High"'])
    captured = capsys.readouterr()
    _assert_not_objects_reported(code, captured.out, captured.err)
