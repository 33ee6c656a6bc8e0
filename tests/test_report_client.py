"""``client.report`` against the sandbox over HTTP: the numbers equal counting the rows of the
same search by hand, for both strategies, one and two fields and a multi-valued field; both
strategies agree on random queries (Hypothesis); Ctrl-C gives partial counts.

The comparisons with the oracle run against ``tiny``, a sandbox with a fifth of the small data
set: the count strategy makes one request per pair of known values, and the small set's 23
testers, 21 cycles and 18 tags made a two-field count cost hundreds of requests. ``tiny`` still
has every shape the comparisons need (checked by its fixture). The tests whose numbers are the
small data set's own (pages, a release's cycles) use the session sandbox.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zql
from tests.update_support import own_sandbox
from zql.client import AsyncZephyrClient, ZephyrClient, flatten
from zql.report import NONE, OTHER, Report, ReportError, ReportInterrupted
from zql.sandbox import Sandbox, data

QUERY = 'priority in ("Critical", "High") or status = "Blocked"'


#: A fifth of the small data set: 2 projects of 2 releases, 5 testers, 60 test cases, 300
#: executions (11 cycles, 15 tags), so a two-field count takes dozens of requests, not hundreds.
TINY = data.Size(projects=2, releases_per_project=2, users=6, testcases=60, requirements=6,
                 executions=300)
TINY_SEED = 2  # seed 1 gives this size no test case without a priority
#: Values of the tiny data set the random queries name (checked to exist by ``tiny``).
TINY_CYCLE, TINY_RELEASE = "Performance Baseline", "Atlas 3.1"


@pytest.fixture(scope="module")
def client(sandbox: Sandbox) -> Iterator[ZephyrClient]:
    with ZephyrClient(sandbox.url, token=sandbox.token) as c:
        yield c


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """This module's read-only sandbox with the :data:`TINY` data set (built by the store's own
    build into a file of its own; the size is patched only while it builds)."""
    with own_sandbox(size="small", seed=TINY_SEED,
                     db=tmp_path_factory.mktemp("tiny") / "tiny.db",
                     while_building=lambda patch: patch.setitem(data.SIZES, "small", TINY)) as sb:
        yield sb


@pytest.fixture(scope="module")
def tiny_client(tiny: Sandbox) -> Iterator[ZephyrClient]:
    with ZephyrClient(tiny.url, token=tiny.token) as c:
        # Every shape the comparisons rely on is there: rows without a priority, a tester or
        # a tag, rows with several tags, more than one page, and the values the queries name.
        for query in ("priority is empty", "executedBy is empty", "tag is empty",
                      f'cycle = "{TINY_CYCLE}"', f'release = "{TINY_RELEASE}"',
                      'tag = "smoke"', 'tag = "ui"', 'status = "Blocked"'):
            assert c.search(query, entity="execution").count() > 0, query
        assert any("," in (flatten(i, "execution")["tags"] or "")
                   for i in c.search(QUERY, entity="execution", page_size=200))
        assert c.search(QUERY, entity="execution").count() > 2 * PAGE
        yield c


#: The scans' page size against ``tiny``: several pages, as the small data set's 500 had.
PAGE = 30
#: The flat rows of each search, by server and query (the servers here are read-only).
_ROWS: dict[tuple[str, str], list[Mapping[str, Any]]] = {}


def by_hand(client: ZephyrClient, query: str, columns: list[str]) -> dict[tuple[str, ...], int]:
    """Count the flat rows of the search with plain Python: the oracle."""
    key = (client.base_url, query)
    if key not in _ROWS:
        _ROWS[key] = [flatten(item, "execution")
                      for item in client.search(query, entity="execution", page_size=200)]
    counts: collections.Counter[tuple[str, ...]] = collections.Counter()
    for row in _ROWS[key]:
        keys: list[list[str]] = []
        for column in columns:
            value = row[column]
            if column == "tags":
                keys.append([t.strip() for t in value.split(",")] if value else [NONE])
            else:
                keys.append([NONE if value in (None, "") else str(value)])
        if len(keys) == 1:
            counts.update((k,) for k in keys[0])
        else:
            counts.update((a, b) for a in keys[0] for b in keys[1])
    return dict(counts)


def cells(report: Report) -> dict[tuple[str, ...], int]:
    return {g.values: g.count for g in report.groups}


@pytest.mark.parametrize("strategy", ["scan", "count"])
@pytest.mark.parametrize("by", [["status"], ["priority"], ["tags"], ["priority", "status"],
                                ["tags", "status"], ["executedBy"]])
def test_report_equals_counting_by_hand(tiny_client: ZephyrClient, strategy: str,
                                        by: list[str]) -> None:
    client = tiny_client
    report = client.report(QUERY, by=by, strategy=strategy, page_size=PAGE)
    expected = by_hand(client, QUERY, by)
    assert report.strategy == strategy
    assert cells(report) == expected
    assert report.total == client.search(QUERY, entity="execution").count()
    rows = by_hand(client, QUERY, ["status"])
    assert report.passed == rows.get(("Pass",), 0)
    assert report.executed == report.total - rows.get(("Not Executed",), 0)


def test_count_strategy_makes_groups_plus_one_requests(sandbox: Sandbox,
                                                       client: ZephyrClient) -> None:
    client.schema()  # the schema lookup is cached; only searches are counted below
    since = len(sandbox.control.requests)
    report = client.report(QUERY, by=["status"], strategy="count")
    made = [p for _, p, _ in sandbox.control.requests[since:] if p.endswith("/advancesearch")]
    statuses = len(report.values(0))
    assert len(made) == report.requests == statuses + 1 == 6
    assert OTHER not in report.values(0)


def test_count_strategy_uses_a_releases_cycles(client: ZephyrClient) -> None:
    release = "Ironclad 3.0"
    names = {c["name"] for c in client.cycles(release)}
    report = client.report('status = "Fail"', by=["cycle"], strategy="count", release=release)
    assert set(report.values(0)) <= names
    expected = by_hand(client, f'status = "Fail" and release = "{release}"', ["cycle"])
    assert cells(report) == expected


def test_auto_scans_small_results_and_counts_large_ones(client: ZephyrClient) -> None:
    small = client.report('priority = "Critical"', by=["status"])      # 102 rows: one page
    assert small.strategy == "scan" and small.requests == 2
    large = client.report('priority = "Critical" or priority != "Critical"', by=["status"],
                          page_size=50)                                # 1,500 rows: 30 pages
    assert large.strategy == "count" and large.requests == 6
    whole = 'priority = "Critical" or priority != "Critical"'
    assert sum(g.count for g in large.groups) == large.total == client.search(
        whole, entity="execution").count()
    assert cells(large) == by_hand(client, whole, ["status"])


def test_date_buckets_scan_and_count_refuses(client: ZephyrClient) -> None:
    report = client.report(QUERY, by=["executedOn:week"])
    assert report.strategy == "scan"
    weeks = [v for v in report.values(0) if v != NONE]
    assert weeks == sorted(weeks) and all(len(w) == 8 and "-W" in w for w in weeks)
    with pytest.raises(ReportError, match="known value set; none for executedOn:week"):
        client.report(QUERY, by=["executedOn:week"], strategy="count")


def test_builder_query_and_testcase_entity(client: ZephyrClient) -> None:
    query = zql.field("automated").eq(True) & zql.field("priority").in_(["High", "Low"])
    report = client.report(query, entity="testcase", by=["priority"], strategy="count")
    assert report.query == 'automated = true and priority in ("High", "Low")'
    assert report.passed is None and set(report.values(0)) == {"High", "Low"}
    scanned = client.report(query, entity="testcase", by=["priority"], strategy="scan")
    assert cells(scanned) == cells(report)


def test_ctrl_c_gives_partial_counts(client: ZephyrClient) -> None:
    """Deterministic: the interruption is raised from the progress callback after page two."""
    def interrupt(done: int, total: int | None) -> None:
        if done >= 100:
            raise KeyboardInterrupt

    with pytest.raises(ReportInterrupted) as caught:
        client.report(QUERY, by=["status"], strategy="scan", page_size=50, progress=interrupt)
    partial = caught.value.partial
    assert isinstance(partial, Report) and partial.partial and partial.total == 100
    assert sum(g.count for g in partial.groups) == 100 and partial.to_json()["partial"] is True


def test_async_client_gives_the_same_report(tiny: Sandbox, tiny_client: ZephyrClient) -> None:
    async def main() -> tuple[Report, Report]:
        async with AsyncZephyrClient(tiny.url, token=tiny.token) as ac:
            return (await ac.report(QUERY, by=["tags", "status"], strategy="count"),
                    await ac.report(QUERY, by=["tags", "status"], strategy="scan",
                                    page_size=PAGE))

    counted, scanned = asyncio.run(main())
    assert cells(counted) == cells(scanned) == cells(
        tiny_client.report(QUERY, by=["tags", "status"], strategy="scan"))


# ---- both strategies agree (property test over random queries and fields)

CLAUSES = [zql.field("status").eq("Fail"), zql.field("status").ne("Pass"),
           zql.field("priority").in_(["High", "Low"]), zql.field("priority").is_empty(),
           zql.field("tag").eq("smoke"), zql.field("tag").ne("ui"),
           zql.field("executedBy").is_not_empty(), zql.field("cycle").eq(TINY_CYCLE),
           zql.field("release").eq(TINY_RELEASE), zql.field("notes").contains("timeout")]
FIELDS = ["status", "priority", "tags", "executedBy", "cycle", "release", "project"]


@st.composite
def queries(draw: st.DrawFn) -> zql.Expr:
    parts = draw(st.lists(st.sampled_from(CLAUSES), min_size=1, max_size=3, unique=True))
    join = draw(st.sampled_from([zql.and_, zql.or_]))
    expr = join(*parts)
    return ~expr if draw(st.booleans()) else expr


_KNOWN: dict[str, set[str]] = {}  # the tiny server's value lists, asked once


def known_values(client: ZephyrClient, column: str) -> set[str]:
    if column == "status":
        return {"Pass", "Fail", "WIP", "Blocked", "Not Executed"}
    name = "tag" if column == "tags" else column
    if name not in _KNOWN:
        _KNOWN[name] = set(client.suggest(name, "", entity="execution", limit=200))
    return set(_KNOWN[name])


def folded(report: Report, known: list[set[str]]) -> dict[tuple[str, ...], int]:
    """Scan counts with every value outside the known set (and no-value rows of a field that
    cannot be asked for `is empty`) merged into (other), as the count strategy reports them."""
    out: collections.Counter[tuple[str, ...]] = collections.Counter()
    for g in report.groups:
        out[tuple(v if v in k else OTHER
                  for v, k in zip(g.values, known, strict=True))] += g.count
    return {k: n for k, n in out.items() if n}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=queries(), by=st.lists(st.sampled_from(FIELDS), min_size=1, max_size=2,
                                    unique=True))
def test_both_strategies_give_identical_numbers(tiny_client: ZephyrClient, query: zql.Expr,
                                                by: list[str]) -> None:
    client = tiny_client
    counted = client.report(query, by=by, strategy="count")
    scanned = client.report(query, by=by, strategy="scan", page_size=PAGE)
    assert counted.total == scanned.total
    assert (counted.passed, counted.executed) == (scanned.passed, scanned.executed)
    known = []
    for column in by:
        values = known_values(client, column)
        if column in ("priority", "tags", "executedBy"):  # fields that allow `is empty`
            values.add(NONE)
        known.append(values)
    assert cells(counted) == folded(scanned, known)


@pytest.mark.parametrize("server", ["ze8", "ze6"])
def test_the_servers_own_statuses(server: str) -> None:
    """A server with custom (and inactive) statuses, or another never-run shape: both
    strategies count them in the server's order, the same as counting by hand."""
    with own_sandbox(server=server) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        statuses = client.statuses()
        counted = client.report('priority = "High"', by=["status"], strategy="count")
        scanned = client.report('priority = "High"', by=["status"], strategy="scan")
        by_hand: collections.Counter[str] = collections.Counter(
            flatten(item, "execution", statuses=statuses)["status"]
            for item in client.search('priority = "High"', entity="execution", page_size=500))
    assert cells(counted) == cells(scanned) == {(k,): n for k, n in by_hand.items()}
    active = [s.name for s in statuses if s.active]
    assert list(counted.values(0))[:len(active)] == [v for v in active if by_hand[v]]
    assert counted.passed == by_hand["Pass"]


def test_assignee_is_executed_by(tiny_client: ZephyrClient) -> None:
    """ZE 6's `assignee` (the schema's rename) groups by `executedBy`, both strategies."""
    for strategy in ("scan", "count"):
        report = tiny_client.report(QUERY, by=["assignee"], strategy=strategy)
        assert report.by == ("executedBy",)
        assert cells(report) == by_hand(tiny_client, QUERY, ["executedBy"])
