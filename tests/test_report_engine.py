"""The pure report engines: counting, pivots, buckets, the count plan and the diff categories."""

from __future__ import annotations

import json

import pytest

import zql
from zql.report import (
    CATEGORIES,
    NONE,
    OTHER,
    Counter,
    GroupBy,
    ReportError,
    StatusFacts,
    classify,
    count,
    diff,
)
from zql.report._plan import CountPlan, choose
from zql.report.render import bar, render_diff, render_report
from zql.schema import load_schema

ROWS = [
    {"status": "Pass", "cycle": "C1", "tags": "smoke, ui", "executedOn": "2026-03-02T10:00:00Z"},
    {"status": "Pass", "cycle": "C2", "tags": "smoke", "executedOn": "2026-03-03T10:00:00Z"},
    {"status": "Fail", "cycle": "C1", "tags": None, "executedOn": "2026-03-09T23:59:59Z"},
    {"status": "Not Executed", "cycle": "C2", "tags": "ui", "executedOn": None},
    {"status": "Blocked", "cycle": "C2", "tags": "api, smoke",
     "executedOn": "2026-03-10T01:00:00Z"},
]


def test_one_field_in_status_order_with_pass_rate() -> None:
    r = count(ROWS, by=["status"])
    assert [(g.values[0], g.count) for g in r.groups] == [
        ("Pass", 2), ("Fail", 1), ("Blocked", 1), ("Not Executed", 1)]
    assert r.total == 5 and r.passed == 2 and r.executed == 4 and r.pass_rate == 0.5


def test_other_fields_sort_by_count_then_value_with_none_last() -> None:
    r = count(ROWS, by=["tags"])
    assert [(g.values[0], g.count) for g in r.groups] == [
        ("smoke", 3), ("ui", 2), ("api", 1), (NONE, 1)]
    assert r.total == 5  # a multi-valued field counts a row once per value, the total once


def test_pivot_counts_every_pair() -> None:
    r = count(ROWS, by=["cycle", "status"])
    assert r.count_of("C2", "Pass") == 1 and r.count_of("C1", "Fail") == 1
    assert r.values(0) == ("C2", "C1") and r.values(1)[0] == "Pass"
    assert sum(g.count for g in r.groups) == 5


@pytest.mark.parametrize(("bucket", "expected"), [
    ("day", {"2026-03-02": 1, "2026-03-03": 1, "2026-03-09": 1, "2026-03-10": 1, NONE: 1}),
    ("week", {"2026-W10": 2, "2026-W11": 2, NONE: 1}),
])
def test_date_buckets(bucket: str, expected: dict[str, int]) -> None:
    r = count(ROWS, by=[f"executedOn:{bucket}"])
    assert {g.values[0]: g.count for g in r.groups} == expected
    assert r.by == (f"executedOn:{bucket}",)
    assert r.values(0) == (*sorted(k for k in expected if k != NONE), NONE)  # time order


def test_json_shape_is_the_documented_one() -> None:
    r = count(ROWS, by=["cycle", "status"], query='release = "R"')
    data = json.loads(render_report(r, "json"))
    assert set(data) == {"entity", "query", "by", "total", "groups"}
    assert data["entity"] == "execution" and data["by"] == ["cycle", "status"]
    assert data["query"] == 'release = "R"' and data["total"] == 5
    assert {"cycle": "C2", "status": "Pass", "count": 1} in data["groups"]


@pytest.mark.parametrize(("spec", "message"), [
    ("prio", "did you mean 'priority'"),
    ("executedOn", "by day or week"),
    ("status:week", "status is not a date"),
    ("executedOn:month", "unknown date bucket 'month'"),
    ("", "empty field"),
])
def test_bad_group_fields_are_refused_clearly(spec: str, message: str) -> None:
    columns = ["status", "priority", "executedOn"]
    with pytest.raises(ReportError, match=message):
        GroupBy.parse(spec, columns=columns)


def test_three_fields_are_refused() -> None:
    with pytest.raises(ReportError, match="one or two"):
        Counter([GroupBy("a"), GroupBy("b"), GroupBy("c")])


def test_count_plan_composes_with_the_builder_and_parenthesises() -> None:
    base = zql.Expr('status = "Fail" or status = "Blocked"')
    by = [GroupBy.parse("priority"), GroupBy.parse("cycle")]
    plan = CountPlan.make(base, by, [["High"], ["C1", 'odd " name']])
    texts = [str(q) for q in plan.queries]
    assert texts[0] == ('(status = "Fail" or status = "Blocked") and priority = "High" '
                        'and cycle = "C1"')
    assert texts[1].endswith('cycle = "odd \\" name"')  # quoted by zql.format.quote
    assert any(t.endswith("and priority is empty and cycle = \"C1\"") for t in texts)
    for q in plan.queries:  # every composed query parses back to itself
        assert zql.parse(str(q)) == q.node


def test_count_plan_assembles_other_in_a_pivot() -> None:
    by = [GroupBy("a", zql_field="a"), GroupBy("b", zql_field="b")]
    plan = CountPlan.make(None, by, [["x"], ["p"]])
    # keys: (x,p), (None,p), (x,None)
    answers = {("x", "p"): 3, (None, "p"): 5, ("x", None): 4}
    groups = plan.assemble(10, [answers[k] for k in plan.keys])
    got = {g.values: g.count for g in groups}
    assert got == {("x", "p"): 3, ("x", OTHER): 1, (OTHER, "p"): 2, (OTHER, OTHER): 4}
    assert sum(got.values()) == 10


def test_auto_picks_fewer_requests() -> None:
    plan = CountPlan.make(None, [GroupBy("status", zql_field="status")],
                          [["Pass", "Fail", "WIP", "Blocked", "Not Executed"]])
    assert choose("auto", total=120_000, page_size=500, count_plan=plan) == "count"
    assert choose("auto", total=400, page_size=500, count_plan=plan) == "scan"
    assert choose("auto", total=120_000, page_size=500, count_plan=None) == "scan"
    assert choose("scan", total=120_000, page_size=500, count_plan=plan) == "scan"


def test_bar_uses_eighth_blocks() -> None:
    assert bar(1, 8, 1) == "▏" and bar(3, 8, 1) == "▍" and bar(8, 8, 2) == "██"


def test_table_and_markdown_and_csv() -> None:
    r = count(ROWS, by=["status"])
    table = render_report(r, "table", width=60).splitlines()
    assert table[0].split() == ["status", "count", "percent"]
    assert table[2].startswith("Pass") and "40.0%" in table[2] and "█" in table[2]
    assert table[-1].split()[:3] == ["total", "5", "100.0%"] and "pass rate 50.0%" in table[-1]
    md = render_report(r, "markdown")
    assert "| Pass | 2 | 40.0% |" in md and "|---|---:|---:|" in md
    assert render_report(r, "csv").splitlines()[:2] == ["status,count,percent", "Pass,2,40.0"]
    pivot = render_report(count(ROWS, by=["cycle", "status"]), "table").splitlines()
    assert pivot[0].split()[-3:] == ["total", "pass", "rate"] and pivot[-1].split()[0] == "total"


def test_hostile_values_stay_inert_in_every_format() -> None:
    rows = [{"priority": "\x1b[31m<b>|x $a$", "status": "Pass"}]
    r = count(rows, by=["priority"], entity="testcase")
    assert "\x1b" not in render_report(r, "table") and "\x1b" not in render_report(r, "csv")
    assert "<b>" not in render_report(r, "html") and "&lt;b&gt;" in render_report(r, "html")
    assert "\\|x" in render_report(r, "markdown")


# ---- diff

FACTS = StatusFacts.from_schema(load_schema())


@pytest.mark.parametrize(("a", "b", "category"), [
    ("Pass", "Fail", "regressed"), ("Pass", "WIP", "regressed"), ("Pass", None, "not run in B"),
    ("Fail", "Pass", "fixed"), ("WIP", "Pass", "fixed"), ("Blocked", "Fail", "still failing"),
    (None, "Fail", "newly run"), (None, "Pass", "newly run"), ("Pass", "Pass", "unchanged"),
    ("Fail", "WIP", "unchanged"), (None, None, "unchanged"),
])
def test_classify(a: str | None, b: str | None, category: str) -> None:
    assert classify(a, b, FACTS) == category


def test_diff_takes_the_most_recent_executed_execution() -> None:
    a = [{"testcaseId": 1, "name": "x", "status": "Fail", "executedOn": "2026-01-02T00:00:00Z",
          "id": 1},
         {"testcaseId": 1, "name": "x", "status": "Pass", "executedOn": "2026-01-01T00:00:00Z",
          "id": 2},
         {"testcaseId": 1, "name": "x", "status": "Not Executed", "executedOn": None, "id": 3}]
    b = [{"testcaseId": 1, "name": "x", "status": "Pass", "executedOn": "2026-02-01T00:00:00Z",
          "id": 4, "executedBy": "ann"},
         {"testcaseId": 2, "name": "y", "status": "Not Executed", "executedOn": None, "id": 5}]
    d = diff(a, b)
    assert [(i.testcase_id, i.a_status, i.b_status, i.category) for i in d.items] == [
        (1, "Fail", "Pass", "fixed"), (2, None, "Not Executed", "only in B")]
    assert d.items[0].b_executed_by == "ann"
    assert list(d.summary) == list(CATEGORIES)


def test_diff_json_shape_and_order() -> None:
    a = [{"testcaseId": i, "name": f"t{i}", "status": s} for i, s in
         enumerate(["Pass", "Fail", "Pass"], 1)]
    b = [{"testcaseId": i, "name": f"t{i}", "status": s} for i, s in
         enumerate(["Pass", "Pass", "Fail"], 1)]
    data = json.loads(render_diff(diff(a, b, a="qa", b="qb"), "json"))
    assert set(data) == {"a", "b", "summary", "items"} and data["a"] == "qa"
    assert [i["category"] for i in data["items"]] == ["regressed", "fixed", "unchanged"]
    assert set(data["items"][0]) == {"testcaseId", "name", "a_status", "b_status", "category"}
    table = render_diff(diff(a, b), "table")
    assert table.index("regressed (1)") < table.index("fixed (1)")
    assert "unchanged (" not in table  # counted in the summary, not listed


def test_a_chart_of_many_values_says_it_shows_the_first_40() -> None:
    """The figure the chart files are drawn from (not saved: writing SVG and PNG is checked
    with a small chart in test_report_cli): 40 bars, the first 40 values, the title says so."""
    from zql.report.chart import _figure, _pyplot, title

    rows = [{"name": f"test {i:03}"} for i in range(100)]
    report = count(rows, by=["name"], entity="testcase")
    assert title(report) == "testcases by name (the first 40 of 100 values, as in the table)"
    assert title(count(rows[:5], by=["name"], entity="testcase")) == "testcases by name"
    figure = _figure(report)
    try:
        (axes,) = figure.axes
        assert len(axes.patches) == 40
        top_down = sorted(axes.get_yticklabels(), key=lambda t: -t.get_position()[1])
        assert [t.get_text() for t in top_down] == list(report.values(0))[:40]
        assert axes.get_title() == title(report)
    finally:
        _pyplot().close(figure)
