"""Error mapping over real HTTP: every failure is a ZephyrError with method, URL, request and
response; HTML means a wrong base URL; no httpx exception escapes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.client_support import TOKEN, OddServer, Sleeps, sandbox_fixture, sb_fixture  # noqa: F401
from zql.client import (
    NotFoundError,
    ServerError,
    UnexpectedResponseError,
    WrongBaseURLError,
    ZephyrClient,
    ZephyrError,
)
from zql.client._errors import decode_response, describes_401, redact_url, retry_after
from zql.sandbox import Sandbox

HTML = b"<!DOCTYPE html><html><body>Zephyr login</body></html>"


@pytest.mark.parametrize(("status", "body", "kind", "headers", "error", "fragment"), [
    (200, HTML, "text/html", None, WrongBaseURLError, "HTML page"),
    (200, HTML, "application/json", None, WrongBaseURLError, "HTML page"),
    (404, HTML, "text/html", None, WrongBaseURLError, "no Zephyr REST API"),
    (302, b"", "text/plain", {"Location": "https://sso.example.com/login?token=abc"},
     WrongBaseURLError, "redirected (302) to https://sso.example.com/login?token=***"),
    (200, b"hello", "text/plain", None, UnexpectedResponseError, "not JSON"),
    (200, b'{"foo": 1}', "application/json", None, UnexpectedResponseError, "page of results"),
    (200, b"", "application/json", None, UnexpectedResponseError, "page of results"),
    (502, HTML, "text/html", None, ServerError, "server error (502)"),
    (404, b"", "text/plain", None, NotFoundError, "not found (404)"),
])
def test_odd_answers(status: int, body: bytes, kind: str, headers: dict[str, str] | None,
                     error: type[ZephyrError], fragment: str) -> None:
    with OddServer(status, body, kind, headers) as url, \
            ZephyrClient(url, token=TOKEN, retries=0) as client, \
            pytest.raises(error) as info:
        list(client.search('name ~ "x"'))
    err = info.value
    assert fragment in str(err)
    assert err.method == "GET" and err.url is not None
    assert "/flex/services/rest/latest/advancesearch?word=" in err.url
    assert isinstance(err.request, httpx.Request)
    assert isinstance(err.response, httpx.Response) and err.status_code == status
    assert not isinstance(err, httpx.HTTPError)


def test_a_web_ui_address_works_against_the_sandbox(sb: Sandbox) -> None:
    with ZephyrClient(f"{sb.url}/flex/html5/#/testcase/search?q=1", token=TOKEN) as client:
        assert client.base_url == sb.api_url
        assert len(list(client.search('priority = "High"', limit=3))) == 3


def test_a_wrong_path_on_the_right_server(sb: Sandbox) -> None:
    with ZephyrClient(f"{sb.url}/jira", token=TOKEN) as client, \
            pytest.raises(NotFoundError) as info:
        client.users()
    assert info.value.status_code == 404 and "no such endpoint" in (info.value.error_msg or "")


def test_server_errors_carry_the_servers_message(sb: Sandbox) -> None:
    sb.control.fail_next(1, status=503)
    with ZephyrClient(sb.url or "", token=TOKEN, retries=0) as client, \
            pytest.raises(ServerError) as info:
        client.users()
    assert str(info.value).startswith("server error (503): service unavailable")
    assert repr(info.value).startswith("ServerError('server error (503)")


def test_schema_falls_back_to_the_bundled_profile(caplog: pytest.LogCaptureFixture) -> None:
    with OddServer(404, b'{"errorMsg": "no such endpoint", "errorCode": "Not Found"}') as url, \
            caplog.at_level("WARNING", logger="zql.client"), \
            ZephyrClient(url, token=TOKEN) as client:
        schema = client.schema()
        assert schema.name == "ze7"
        assert client.schema() is schema  # cached: asked once
        # The fallback is not used to reject queries: the server may have custom fields.
        assert client.search('customfoo = "x"').query == 'customfoo = "x"'
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "no usable ZQL metadata" in caplog.records[0].getMessage()


@pytest.mark.parametrize(("url", "redacted"), [
    ("https://h/x", "https://h/x"),
    ("https://u:p@h/x", "https://h/x"),
    ("https://h/x?word=a+b&token=s&api_key=k&password=p",
     "https://h/x?word=a+b&token=***&api_key=***&password=***"),
    ("https://h/x?session=abc&firstresult=0", "https://h/x?session=***&firstresult=0"),
])
def test_redact_url(url: str, redacted: str) -> None:
    assert redact_url(url) == redacted


@pytest.mark.parametrize(("body", "expected"), [
    ('{"errorMsg": "invalid API token", "errorCode": 401}', True),
    ("HTTP 401 Unauthorized", True),
    ("Authentication failed", True),
    ("user is not authenticated", True),
    ("Release 4010 not found", False),
    ({"errorCode": 401}, False),
    ("all good", False),
])
def test_describes_401(body: Any, expected: bool) -> None:
    assert describes_401(body) is expected


@pytest.mark.parametrize(("value", "seconds"), [
    ("3", 3.0), ("0", 0.0), ("-5", None), ("nan", None), ("2.5", 2.5), ("soon", None), ("", None),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 10.0),
])
def test_retry_after_header(value: str, seconds: float | None) -> None:
    response = httpx.Response(429, headers={"Retry-After": value} if value else {})
    assert retry_after(response, now=1445412470.0) == seconds


def test_decoding_needs_no_server_for_plain_cases() -> None:
    request = httpx.Request("GET", "https://h/flex/services/rest/latest/user")
    assert decode_response(httpx.Response(200, content=b"", request=request)) is None
    assert decode_response(httpx.Response(204, request=request)) is None
