"""Secrets never appear in str, repr, logs or tracebacks: every error type is provoked over real
HTTP with distinctive credentials, and every rendering of it is searched for them."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import pytest

from tests.client_support import (  # noqa: F401
    PASSWORD,
    TOKEN,
    USER,
    OddServer,
    closed_port,
    sandbox_fixture,
    sb_fixture,
)
from zql.client import (
    AuthenticationError,
    ConfigurationError,
    CookieAuth,
    NameResolutionError,
    NotFoundError,
    PermissionDeniedError,
    QueryRejectedError,
    RateLimitedError,
    ServerError,
    TimeoutError,
    TransportError,
    UnexpectedResponseError,
    WrongBaseURLError,
    ZephyrClient,
    ZephyrError,
)
from zql.sandbox import Sandbox

WRONG_TOKEN = "tok-Wr0ngSECRETtoken-4410"
WRONG_PASSWORD = "pw-Wr0ngSECRETpass-8812"
NON_ASCII_PASSWORD = "pw-SËCRETpass-3303"
SECRETS = (TOKEN, PASSWORD, WRONG_TOKEN, WRONG_PASSWORD, NON_ASCII_PASSWORD)

Provoke = Callable[[Sandbox, list[str]], None]


def _search(client: ZephyrClient, **kwargs: Any) -> None:
    list(client.search('priority = "High"', **kwargs))


def cookie_client(url: str, password: str = PASSWORD, **kwargs: Any) -> ZephyrClient:
    return ZephyrClient(url, username=USER, password=password, retries=0, **kwargs)


def _remember_cookie(client: ZephyrClient, seen: list[str]) -> None:
    auth = client._core.http_auth
    if isinstance(auth, CookieAuth) and auth._cookie:
        seen.append(auth._cookie)


def wrong_token(sb: Sandbox, seen: list[str]) -> None:
    with ZephyrClient(sb.url or "", token=WRONG_TOKEN) as client:
        _search(client)


def wrong_token_quirk(sb: Sandbox, seen: list[str]) -> None:
    sb.control.quirks = True
    wrong_token(sb, seen)


def wrong_password(sb: Sandbox, seen: list[str]) -> None:
    with cookie_client(sb.url or "", WRONG_PASSWORD) as client:
        _search(client)


def wrong_password_basic(sb: Sandbox, seen: list[str]) -> None:
    sb.control.quirks = True
    with cookie_client(sb.url or "", WRONG_PASSWORD, auth="basic") as client:
        _search(client)


def rejected_query(sb: Sandbox, seen: list[str]) -> None:
    with cookie_client(sb.url or "") as client:
        try:
            list(client.search("status = Fail", validate=False))
        finally:
            _remember_cookie(client, seen)


def injected(status: int) -> Provoke:
    def provoke(sb: Sandbox, seen: list[str]) -> None:
        with cookie_client(sb.url or "") as client:
            client.current_user()
            _remember_cookie(client, seen)
            sb.control.fail_next(1, status=status, retry_after=7 if status == 429 else None)
            client.users()
    provoke.__name__ = f"injected_{status}"
    return provoke


def timeout(sb: Sandbox, seen: list[str]) -> None:
    with sb.control.gate("/user"), ZephyrClient(sb.url or "", token=TOKEN, timeout=0.03,
                                               retries=0) as client:
        client.users()  # held by the gate: it times out


def refused(sb: Sandbox, seen: list[str]) -> None:
    with cookie_client(f"http://127.0.0.1:{closed_port()}") as client:
        client.users()


def html(sb: Sandbox, seen: list[str]) -> None:
    with OddServer(200, b"<html>login</html>", "text/html") as url, cookie_client(url) as client:
        client.users()


def garbage(sb: Sandbox, seen: list[str]) -> None:
    with OddServer(200, b'{"unexpected": true}') as url, \
            ZephyrClient(url, token=TOKEN, retries=0) as client:
        _search(client)


def non_ascii(sb: Sandbox, seen: list[str]) -> None:
    cookie_client(sb.url or "", NON_ASCII_PASSWORD)


def credentials_in_url(sb: Sandbox, seen: list[str]) -> None:
    ZephyrClient(f"http://{USER}:{PASSWORD}@127.0.0.1:1/", token=TOKEN)


def unknown_release(sb: Sandbox, seen: list[str]) -> None:
    with cookie_client(sb.url or "") as client:
        try:
            _search(client, release="No Such Release")
        finally:
            _remember_cookie(client, seen)


CASES: list[tuple[Provoke, type[ZephyrError]]] = [
    (wrong_token, AuthenticationError),
    (wrong_token_quirk, AuthenticationError),
    (wrong_password, AuthenticationError),
    (wrong_password_basic, AuthenticationError),
    (rejected_query, QueryRejectedError),
    (injected(403), PermissionDeniedError),
    (injected(404), NotFoundError),
    (injected(429), RateLimitedError),
    (injected(503), ServerError),
    (timeout, TimeoutError),
    (refused, TransportError),
    (html, WrongBaseURLError),
    (garbage, UnexpectedResponseError),
    (non_ascii, ConfigurationError),
    (credentials_in_url, ConfigurationError),
    (unknown_release, NameResolutionError),
]


@pytest.mark.parametrize(("provoke", "error"), CASES, ids=[c[0].__name__ for c in CASES])
def test_no_secret_anywhere(sb: Sandbox, caplog: pytest.LogCaptureFixture, provoke: Provoke,
                            error: type[ZephyrError]) -> None:
    seen: list[str] = []
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore
    with pytest.raises(error) as info:
        provoke(sb, seen)
    err = info.value
    assert type(err) is error
    renderings = [str(err), repr(err), "".join(traceback.format_exception(err)),
                  caplog.text, *(r.getMessage() for r in caplog.records)]
    if err.request is not None:
        renderings.append(repr(err.request))
    if err.response is not None:
        renderings.append(repr(err.response))
    for secret in (*SECRETS, *seen):
        for text in renderings:
            assert secret not in text
    if error is not ConfigurationError:
        assert err.method is not None and err.url is not None


def test_reprs_hide_secrets(sb: Sandbox) -> None:
    with cookie_client(sb.url or "") as client:
        client.current_user()
        auth = client._core.http_auth
        texts = [repr(client), repr(auth), repr(client._core), repr(client.search('name ~ "x"')),
                 repr(client._core.base)]
        cookie = auth._cookie if isinstance(auth, CookieAuth) else None
    with ZephyrClient(sb.url or "", token=TOKEN) as bearer:
        texts += [repr(bearer), repr(bearer._core.http_auth)]
    assert cookie
    for text in texts:
        for secret in (TOKEN, PASSWORD, cookie):
            assert secret not in text
