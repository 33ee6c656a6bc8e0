"""Search against the sandbox over real HTTP: paging, caps, shapes, limits, names, validation."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

import pytest

import zql
from tests.client_support import TOKEN, sandbox_fixture, sb_fixture, searches  # noqa: F401
from zql.client import (
    NameResolutionError,
    Page,
    QueryRejectedError,
    UnexpectedResponseError,
    ZephyrClient,
    ZQLValidationError,
    flat_columns,
    flatten,
)
from zql.client._results import Pager
from zql.sandbox import Sandbox

ALL_EXECUTIONS = 'notes !~ "zz-no-such-note"'


def client_for(sb: Sandbox, **kwargs: Any) -> ZephyrClient:
    return ZephyrClient(sb.url or "", token=TOKEN, **kwargs)


def ids(results: Any) -> list[int]:
    return [item["id"] for item in results]


#: 167 executions of the small sandbox: enough for several pages at every cap below, few
#: enough that a small cap is a handful of requests (the paging logic does not depend on size).
FAILS = 'status = "Fail"'


@pytest.mark.parametrize(("cap", "page_size"), [
    (500, 100), (100, 500), (37, 100), (50, 50), (1, 250),
])
def test_every_row_exactly_once_whatever_the_cap(sb: Sandbox, cap: int, page_size: int) -> None:
    sb.control.page_cap = cap
    since = len(sb.control.requests)
    total = sb.store.rows("SELECT count(*) FROM executions WHERE status_id = 2")[0][0]
    limit = None if cap > 1 else 5
    with client_for(sb) as client:
        results = client.search(FAILS, entity="execution", page_size=page_size, limit=limit)
        got = ids(results)
    expected = total if limit is None else limit
    assert len(got) == expected == len(set(got))
    assert results.total == total
    sent = searches(sb, since)
    # Each request starts right after the rows actually received, never after those asked for.
    offsets = [int(s["firstresult"]) for s in sent]
    assert offsets == [min(cap, page_size) * n for n in range(len(sent))]
    assert len(sent) > 1
    asked = [int(s["maxresults"]) for s in sent]
    assert asked == [page_size if limit is None else min(page_size, limit - o) for o in offsets]


def test_order_is_the_servers_and_ascending_flag_is_sent(sb: Sandbox) -> None:
    with client_for(sb) as client:
        up = [flatten(i, "testcase")["name"] for i in client.search(
            'priority = "High"', order_by="name", limit=30)]
        down = [flatten(i, "testcase")["name"] for i in client.search(
            'priority = "High"', order_by="name", ascending=False, limit=30)]
    assert up == sorted(up, key=str.casefold)
    assert down == sorted(down, key=str.casefold, reverse=True)


@pytest.mark.parametrize("quirks", [False, True])
def test_both_response_shapes(sb: Sandbox, quirks: bool) -> None:
    sb.control.quirks = quirks
    sb.control.page_cap = 100
    with client_for(sb) as client:
        results = client.search('status = "Fail"', entity="execution")
        got = ids(results)
    assert len(got) == results.total == len(set(got)) > 100


@pytest.mark.parametrize(("limit", "page_size", "asked"), [
    (0, 100, []),
    (1, 100, [1]),
    (250, 100, [100, 100, 50]),
    (100, 100, [100]),
    (5000, 500, [500, 500, 500]),
])
def test_limit(sb: Sandbox, limit: int, page_size: int, asked: list[int]) -> None:
    since = len(sb.control.requests)
    with client_for(sb) as client:
        got = ids(client.search(ALL_EXECUTIONS, entity="execution", limit=limit,
                                page_size=page_size))
    assert len(got) == min(limit, 1500)
    assert [int(s["maxresults"]) for s in searches(sb, since)] == asked


def test_lazy_reiterable_and_total(sb: Sandbox) -> None:
    with client_for(sb) as client:
        since = len(sb.control.requests)
        results = client.search('priority = "High"', page_size=50)
        assert results.total is None and len(sb.control.requests) == since  # nothing sent yet
        pages = results.pages()
        first = next(pages)
        assert isinstance(first, Page) and first.first_result == 0
        assert results.total is not None and results.total > 50
        pages.close()
        once, twice = ids(results), ids(results)
        assert once == twice and len(once) == results.total
        assert results.count() == results.total
        assert client.search('priority = "High"', limit=7).count() == 7


def test_no_hits_is_one_request(sb: Sandbox) -> None:
    since = len(sb.control.requests)
    with client_for(sb) as client:
        results = client.search('name ~ "zz-nothing-like-this"')
        assert list(results) == [] and results.total == 0
    assert len(searches(sb, since)) == 1


@pytest.mark.parametrize(("pages", "page_size", "limit", "expected", "requests"), [
    # The server claims more than it gives: an empty page ends the pass.
    ([(1000, 3), (1000, 0)], 3, None, 3, 2),
    # Pages shorter than asked (a cap) are followed by the next offset.
    ([(5, 2), (5, 2), (5, 1)], 10, None, 5, 3),
    # resultSize missing: keep going until an empty page.
    ([(None, 2), (None, 2), (None, 0)], 2, None, 4, 3),
    # Limit cuts a page short.
    ([(9, 4), (9, 4)], 4, 6, 6, 2),
    # Empty array answer.
    ([(0, 0)], 10, None, 0, 1),
])
def test_pager_never_loops_or_loses(pages: list[tuple[int | None, int]], page_size: int,
                                    limit: int | None, expected: int, requests: int) -> None:
    pager = Pager(page_size, limit)
    delivered: list[int] = []
    made = 0
    answers = iter(pages)
    while (window := pager.window()) is not None:
        made += 1
        total, count = next(answers)
        start = window[0]
        body = [{"resultSize": total, "results": [{"id": n} for n in range(start, start + count)]}]
        delivered += [item["id"] for item in pager.accept(body).items]
    assert made == requests
    assert delivered == list(range(expected))


@pytest.mark.parametrize("body", [{"foo": 1}, [{"results": "x"}], "text", 5, [1, 2]])
def test_page_of_unexpected_shape(body: Any) -> None:
    with pytest.raises(UnexpectedResponseError):
        Pager(10).accept(body)


def test_syntax_error_raises_before_any_request(sb: Sandbox) -> None:
    since = len(sb.control.requests)
    with client_for(sb) as client, pytest.raises(zql.ZQLSyntaxError) as info:
        client.search('status = Fail', entity="execution")
    assert info.value.diagnostics[0].code == "ZQL107"
    assert len(sb.control.requests) == since


@pytest.mark.parametrize(("query", "entity", "code"), [
    ('prority = "High"', "testcase", "ZQL201"),
    ('automated = "yes"', "testcase", "ZQL204"),
    ('notes ~ "x"', "testcase", "ZQL201"),
])
def test_schema_errors_raise_once_a_schema_is_known(sb: Sandbox, query: str, entity: str,
                                                    code: str) -> None:
    with client_for(sb) as client:
        client.schema()
        since = len(sb.control.requests)
        with pytest.raises(ZQLValidationError) as info:
            client.search(query, entity=entity)
        assert len(sb.control.requests) == since
    assert [d.code for d in info.value.diagnostics] == [code]
    assert isinstance(info.value, zql.ZQLError)


def test_unknown_schema_means_the_server_decides(sb: Sandbox) -> None:
    with client_for(sb) as client, pytest.raises(QueryRejectedError) as info:
        list(client.search('prority = "High"'))
    assert info.value.status_code == 400
    assert info.value.error_code == "Bad Request" and "prority" in (info.value.error_msg or "")


def test_validate_false_sends_the_text_as_typed(sb: Sandbox) -> None:
    since = len(sb.control.requests)
    with client_for(sb, schema="ze7") as client, pytest.raises(QueryRejectedError):
        list(client.search('status = Fail', entity="execution", validate=False))
    assert searches(sb, since)[0]["word"] == "status = Fail"


def test_builder_expressions_send_portable_text(sb: Sandbox) -> None:
    expr = zql.field("status").eq("Fail") & ~zql.field("priority").in_("Low", "Medium")
    since = len(sb.control.requests)
    with client_for(sb) as client:
        built = ids(client.search(expr, entity="execution"))
        typed = ids(client.search('status = "Fail" and not priority in ("Low", "Medium")',
                                  entity="execution"))
    sent = searches(sb, since)
    assert sent[0]["word"] == 'status = "Fail" and priority != "Low" and priority != "Medium"'
    assert built == typed and built


def test_long_query_goes_by_post(sb: Sandbox) -> None:
    # 520 ids: just over the 4,000 encoded characters a GET may carry (the schema's url_limit)
    query = "testcaseId in (" + ", ".join(str(n) for n in range(1001, 1521)) + ")"
    assert len(quote_plus(query)) > zql.load_schema().values.url_limit
    since = len(sb.control.requests)
    with client_for(sb) as client:
        got = [flatten(i, "testcase")["id"] for i in client.search(query, page_size=100)]
    methods = {m for m, path, _ in sb.control.requests[since:] if path.endswith("advancesearch")}
    assert methods == {"POST"}
    assert sorted(got) == sorted(set(got)) and len(got) == 400


def test_release_and_project_by_name(sb: Sandbox) -> None:
    since = len(sb.control.requests)
    with client_for(sb) as client:
        by_name = ids(client.search('priority = "High"', release="Atlas 4.0",
                                    project="atlas mobile"))
        by_id = ids(client.search('priority = "High"', release=3, project=2))
        again = ids(client.search('priority = "High"', release="Atlas 4.0"))
    assert by_name == by_id == again and by_name
    sent = searches(sb, since)
    assert {(s["releaseid"], s["projectid"]) for s in sent[:2]} == {("3", "2")}
    lookups = [p for _, p, _ in sb.control.requests[since:] if not p.endswith("advancesearch")]
    # Names are resolved once per client: the second search by name asks no lookup again.
    assert sorted(lookups) == sorted(["/flex/services/rest/latest/project/lite",
                                      "/flex/services/rest/latest/release/project/2",
                                      "/flex/services/rest/latest/release"])


@pytest.mark.parametrize(("release", "candidates"), [
    ("Atlas 9.9", ["Atlas 4.1 (id 4)", "Atlas 4.0 (id 3)"]),
    ("Zeppelin", None),
])
def test_unknown_release_lists_candidates(sb: Sandbox, release: str,
                                          candidates: list[str] | None) -> None:
    with client_for(sb) as client, pytest.raises(NameResolutionError) as info:
        list(client.search('priority = "High"', release=release))
    if candidates is None:
        assert len(info.value.candidates) == len(client.releases())
    else:
        assert info.value.candidates == candidates
    assert isinstance(info.value, LookupError)


def test_ambiguous_release_names_list_projects() -> None:
    from zql.client._core import pick

    releases = [{"id": 7, "name": "2.0", "projectId": 1}, {"id": 9, "name": "2.0", "projectId": 2}]
    with pytest.raises(NameResolutionError) as info:
        pick("release", "2.0", releases, projects={1: "Apollo", 2: "Gemini"})
    assert info.value.candidates == ["2.0 (id 7, project Apollo)", "2.0 (id 9, project Gemini)"]


def test_quick_search(sb: Sandbox) -> None:
    since = len(sb.control.requests)
    with client_for(sb) as client:
        items = list(client.quick_search("banner", limit=20))
    assert searches(sb, since)[0]["zql"] == "false"
    texts = [" ".join(str(i["testcase"].get(k) or "") for k in ("name", "contents", "comments",
                                                                "altId")) for i in items]
    assert texts and all("banner" in t.lower() for t in texts)


def test_schema_from_the_server_and_custom_field_ordering(sb: Sandbox) -> None:
    with client_for(sb) as client:
        schema = client.schema()
        assert schema.field("testcase", "customtext").custom == "text"
        assert schema.field("execution", "status") is not None
        since = len(sb.control.requests)
        list(client.search('priority = "High"', order_by="CUSTOMNUMBER", limit=1))
    sent = searches(sb, since)[0]
    assert (sent["order"], sent["is_cfield"]) == ("customnumber", "true")


@pytest.mark.parametrize(("field", "prefix", "entity", "expected"), [
    ("priority", "c", "testcase", ["Critical"]),
    ("status", "", "execution", ["Blocked", "Fail", "Not Executed", "Pass", "WIP"]),
    ("name", "x", "testcase", []),
    ("nosuchfield", "", "testcase", []),
])
def test_suggest(sb: Sandbox, field: str, prefix: str, entity: str,
                 expected: list[str]) -> None:
    with client_for(sb) as client:
        assert client.suggest(field, prefix, entity=entity) == expected


def test_lookups(sb: Sandbox) -> None:
    with client_for(sb) as client:
        projects = client.projects()
        assert [p["name"] for p in projects][:1] == ["Project Ironclad"]
        assert {r["projectId"] for r in client.releases(project="Atlas Mobile")} == {2}
        assert len(client.releases()) > len(client.releases(project=2))
        assert client.users()[0]["username"] == "admin"
        assert {c["releaseId"] for c in client.cycles("Atlas 4.0")} == {3}
        assert client.current_user()["username"] == "alice"


@pytest.mark.parametrize("entity", ["testcase", "execution", "requirement"])
def test_flatten_real_items(sb: Sandbox, entity: str) -> None:
    query = {"testcase": 'name !~ "zz"', "execution": ALL_EXECUTIONS,
             "requirement": 'name !~ "zz"'}[entity]
    with client_for(sb) as client:
        items = list(client.search(query, entity=entity, limit=50))
    rows = [flatten(item, entity) for item in items]
    assert all(list(row) == flat_columns(entity) for row in rows)
    assert all(row["id"] is not None and row["name"] and row["release"] for row in rows)
    if entity == "execution":
        assert {row["status"] for row in rows} <= {"Pass", "Fail", "WIP", "Blocked",
                                                   "Not Executed"}
        assert all(row["testcaseId"] for row in rows)
    else:
        assert any(row["tags"] for row in rows)
        assert all(str(row["modified"]).endswith("Z") for row in rows)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"page_size": 0}, ValueError),
    ({"limit": -1}, ValueError),
    ({"entity": "bug"}, zql.SchemaError),
])
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with ZephyrClient("https://z.example.com", token="t") as client, pytest.raises(error):
        client.search('name ~ "x"', **kwargs)


def test_query_must_be_text_or_an_expression() -> None:
    with ZephyrClient("https://z.example.com", token="t") as client, pytest.raises(TypeError):
        client.search(42)


def test_seen_ids_agree_with_a_set() -> None:
    import random

    from zql.client._results import SeenIds

    rng = random.Random(7)
    seen, oracle = SeenIds(), set()
    for _ in range(300):
        page = {rng.randrange(-50, 5000) for _ in range(rng.randrange(0, 40))}
        page |= {f"s{rng.randrange(50)}"} if rng.random() < 0.2 else set()
        probe = [rng.randrange(-60, 5100) for _ in range(20)] + ["s3", 2**70]
        assert [k in seen for k in probe] == [k in oracle for k in probe]
        seen.add_all(page)
        oracle |= page
