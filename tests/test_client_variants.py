"""Issue 12 #4: search variants with fallback, remembered per client; the nested 401 message.

Loopback stand-ins offer one variant each (until the sandbox's server profiles are on main)."""

from __future__ import annotations

import http.server
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.hostile_servers import Hostile, page, routes, send_json
from zql.cli import main
from zql.client import AuthenticationError, QueryRejectedError, ZephyrClient

TOKEN = "tok-VARIANTsecret-777"
ROWS = [{"id": n, "testcase": {"testcaseId": 100 + n, "name": f"case {n}"}} for n in range(7)]


def _window(first: int, size: int) -> list[dict[str, object]]:
    return ROWS[first:first + size]


def _post_zql(handler: http.server.BaseHTTPRequestHandler) -> None:
    if handler.command != "POST":
        send_json(handler, 405, {"errorMsg": "Method Not Allowed"})
        return
    body = json.loads(getattr(handler, "body", "") or "{}")
    first, size = int(body.get("firstResult", 0)), int(body.get("maxResults", 100))
    send_json(handler, 200, page(_window(first, size), total=len(ROWS), first=first))


def _zqlquery(handler: http.server.BaseHTTPRequestHandler) -> None:
    query = {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query).items()}
    assert "zqlquery" in query
    first, size = int(query["offset"]), int(query["pagesize"])
    send_json(handler, 200, {"resultSize": len(ROWS), "results": _window(first, size)})


def _post_server() -> Hostile:
    def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        if path.endswith("/advancesearch"):
            send_json(handler, 404, {"errorMsg": "HTTP 404 Not Found"})
        elif path.endswith("/advancesearch/zql"):
            _post_zql(handler)
        else:
            send_json(handler, 404, {"errorMsg": "no"})
    return Hostile(answer)


def test_falls_back_to_post_advancesearch_zql_and_remembers_it() -> None:
    with _post_server() as server, ZephyrClient(server.url, token=TOKEN) as client:
        ids = [item["id"] for item in client.search('name ~ "case"', page_size=3)]
        assert ids == list(range(7))
        first_pass = [(m, urlsplit(p).path) for m, p, _ in server.seen]
        again = [item["id"] for item in client.search('name ~ "case"', page_size=5)]
        assert again == ids
    assert first_pass[0] == ("GET", "/flex/services/rest/latest/advancesearch")
    later = [(m, urlsplit(p).path) for m, p, _ in server.seen][len(first_pass):]
    assert later and all(call == ("POST", "/flex/services/rest/latest/advancesearch/zql")
                         for call in later)


def test_test_cases_fall_back_to_testcase_zqlquery() -> None:
    with Hostile(routes({"/testcase": _zqlquery})) as server, \
            ZephyrClient(server.url, token=TOKEN) as client:
        ids = [item["id"] for item in client.search('name ~ "case"', page_size=4)]
    assert ids == list(range(7))


def test_verbose_says_which_variant_is_used(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", TOKEN)
    with _post_server() as server:
        assert main(["search", "--url", server.url, "--no-validate", "-v", "--format", "csv",
                     'name ~ "case"']) == 0
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if "searching testcases with" in line]
    assert lines == ["zql: searching testcases with POST /advancesearch/zql"]
    assert TOKEN not in err


def test_no_variant_answers_names_all_that_were_tried() -> None:
    with Hostile(routes({})) as server, ZephyrClient(server.url, token=TOKEN) as client, \
            pytest.raises(Exception, match="search endpoints tried: GET /advancesearch") as info:
        list(client.search('name ~ "x"'))
    assert "/advancesearch?" in (info.value.url or "")


def test_a_query_error_does_not_fall_back() -> None:
    def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
        send_json(handler, 400, {"errorMsg": "bad zql", "errorCode": "141z05"})

    with Hostile(answer) as server, ZephyrClient(server.url, token=TOKEN) as client, \
            pytest.raises(QueryRejectedError):
        list(client.search('name ~ "x"'))
    assert len(server.seen) == 1


def test_nested_401_message() -> None:
    nested = {"message": json.dumps({"status": 401, "message": "Invalid API token"})}
    with Hostile(lambda h: send_json(h, 401, nested)) as server, \
            ZephyrClient(server.url, token=TOKEN) as client, \
            pytest.raises(AuthenticationError, match="Invalid API token"):
        client.projects()
