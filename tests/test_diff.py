"""``zql diff`` and ``client.diff`` on a hand-built pair of cycles with every category present.

The pair is added to this module's own sandbox (built into its own database file) through the
store's own build: the generated rows of a small data set (:data:`BASE`, a fifth of the shared
one: the diff reads only the pair), plus two cycles ("Diff A" in release 1, "Diff B" in release
2, both of project 1) whose executions are chosen by hand. The shared generated data set is not
changed; the test does not depend on what the generator happens to produce for those two cycles.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.report_support import point_cli_at
from tests.update_support import own_sandbox
from zql.cli import main
from zql.client import ZephyrClient
from zql.report import CATEGORIES
from zql.sandbox import Sandbox, data

PASS, FAIL, WIP, BLOCKED, NE = 1, 2, 3, 4, -1
DAY = 86_400_000
T0 = 1_700_000_000_000
# testcase row id -> (executions in A, executions in B), each (status, day executed or None)
PLAN: dict[int, tuple[list[tuple[int, int | None]], list[tuple[int, int | None]]]] = {
    4: ([(PASS, 1)], [(FAIL, 10)]),                          # regressed
    23: ([(PASS, 1)], [(WIP, 10)]),                          # regressed (WIP counts)
    24: ([(FAIL, 1)], [(PASS, 10)]),                         # fixed
    27: ([(FAIL, 1)], [(BLOCKED, 10)]),                      # still failing
    28: ([(NE, None)], [(PASS, 10)]),                        # newly run
    37: ([(PASS, 1)], [(NE, None)]),                         # not run in B
    47: ([(PASS, 1)], []),                                   # only in A
    51: ([], [(FAIL, 10)]),                                  # only in B
    58: ([(PASS, 1)], [(PASS, 10)]),                         # unchanged
    # most recent executed execution wins: A = Pass (day 2), B = Fail (day 12), the later
    # never-run schedule in B does not count
    60: ([(FAIL, 1), (PASS, 2)], [(PASS, 11), (FAIL, 12), (NE, None)]),  # regressed
}
EXPECTED = {1004: "regressed", 1023: "regressed", 1024: "fixed", 1027: "still failing",
            1028: "newly run", 1037: "not run in B", 1047: "only in A", 1051: "only in B",
            1058: "unchanged", 1060: "regressed"}
A_QUERY, B_QUERY = 'cycle = "Diff A"', 'cycle = "Diff B"'
#: The generated rows under the pair: 2 projects of 2 releases (the pair goes into releases 1
#: and 2), 60 test cases (the plan names rows up to 60), the tester of the pair's runs (user 2).
BASE = data.Size(projects=2, releases_per_project=2, users=6, testcases=60, requirements=6,
                 executions=300)


def _with_the_pair(original):  # type: ignore[no-untyped-def]
    def generate(size: str, seed: int, *more: Any, **options: Any):  # type: ignore[no-untyped-def]
        tables = dict(original(size, seed, *more, **options))
        cycles, phases, executions = (list(tables[n]) for n in ("cycles", "phases",
                                                                 "executions"))
        for name, release in (("Diff A", 1), ("Diff B", 2)):
            cycles.append((len(cycles) + 1, release, name, "build 1.0", "qa", T0, T0 + 30 * DAY))
            phases.append((len(phases) + 1, len(cycles), "Regression"))
        cycle_a, cycle_b = len(cycles) - 1, len(cycles)
        phase_a, phase_b = len(phases) - 1, len(phases)
        for tc, (in_a, in_b) in PLAN.items():
            for (status, day), (phase, cycle, release) in (
                    *((run, (phase_a, cycle_a, 1)) for run in in_a),
                    *((run, (phase_b, cycle_b, 2)) for run in in_b)):
                when = None if day is None else T0 + day * DAY
                # executions: id, tct, phase, cycle, release, project, tester, creator,
                # status, executed on, actual time, notes, assigned on, modified on
                executions.append((len(executions) + 1, tc, phase, cycle, release, 1, 2, 2,
                                   status, when, None, None, T0, when or T0))
        tables.update(cycles=cycles, phases=phases, executions=executions)
        yield from tables.items()

    return generate


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """The small data set with the pair of runs added (the generator and size are patched only
    while this sandbox builds, into a file of its own)."""
    def with_the_pair(patch: pytest.MonkeyPatch) -> None:
        patch.setattr(data, "generate", _with_the_pair(data.generate))
        patch.setitem(data.SIZES, "small", BASE)

    with own_sandbox(size="small", seed=1, db=tmp_path_factory.mktemp("pair") / "pair.db",
                     while_building=with_the_pair) as sb:
        yield sb


def test_every_category_is_found(pair: Sandbox) -> None:
    with ZephyrClient(pair.url, token=pair.token) as client:
        result = client.diff(A_QUERY, B_QUERY)
    got = {item.testcase_id: item.category for item in result.items}
    assert got == EXPECTED
    assert set(got.values()) == set(CATEGORIES)
    item = next(i for i in result.items if i.testcase_id == 1060)
    assert (item.a_status, item.b_status) == ("Pass", "Fail")
    assert item.b_executed_by == "ethan.fischer" and item.name
    assert result.items[0].category == "regressed"  # regressions first
    assert result.summary == {"regressed": 3, "still failing": 1, "not run in B": 1,
                              "fixed": 1, "newly run": 1, "only in A": 1, "only in B": 1,
                              "unchanged": 1}


@pytest.fixture
def env(pair: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    point_cli_at(pair, monkeypatch)
    return pair


def test_cli_json_has_the_documented_shape(env: Sandbox,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diff", A_QUERY, B_QUERY, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    doc = json.loads(out)
    assert set(doc) == {"a", "b", "summary", "items"}
    assert doc["a"] == A_QUERY and doc["b"] == B_QUERY and doc["summary"]["regressed"] == 3
    assert {i["testcaseId"]: i["category"] for i in doc["items"]} == EXPECTED
    assert all(set(i) == {"testcaseId", "name", "a_status", "b_status", "category"}
               for i in doc["items"])


def test_same_query_in_two_releases(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    (release_a,), (release_b,) = env.store.rows("SELECT name FROM releases WHERE id IN (1, 2) "
                                                "ORDER BY id")
    code = main(["diff", 'cycle in ("Diff A", "Diff B")', "--a-release", release_a,
                 "--b-release", release_b, "--format", "json"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert {i["testcaseId"]: i["category"] for i in json.loads(out)["items"]} == EXPECTED


@pytest.mark.parametrize(("fail_on", "code", "message"), [
    ("regressed", 1, "zql diff: failing: 3 regressed"),
    ("regressed,still-failing", 1, "zql diff: failing: 3 regressed, 1 still failing"),
    ("only-in-b", 1, "zql diff: failing: 1 only in B"),
])
def test_fail_on_exits_1(env: Sandbox, capsys: pytest.CaptureFixture[str], fail_on: str,
                         code: int, message: str) -> None:
    assert main(["diff", A_QUERY, B_QUERY, "--fail-on", fail_on]) == code
    out, err = capsys.readouterr()
    assert err.strip() == message and out.startswith("A: cycle")


def test_fail_on_passes_when_nothing_falls_in(env: Sandbox,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", A_QUERY, A_QUERY, "--fail-on", "regressed"]) == 0
    out, _ = capsys.readouterr()
    assert "regressed               0" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["diff", A_QUERY, B_QUERY, "--fail-on", "worse"], "unknown category 'worse'"),
    (["diff", A_QUERY], "give QUERY_B, or --a-release and --b-release"),
    (["diff", A_QUERY, B_QUERY, "--entity", "testcase"], "compares executions only"),
    (["diff", A_QUERY, B_QUERY, "-o", "/nonexistent/dir/x.md"], "no directory"),
])
def test_usage_errors_exit_2(env: Sandbox, capsys: pytest.CaptureFixture[str],
                             argv: list[str], message: str) -> None:
    assert main(argv) == 2
    _, err = capsys.readouterr()
    assert message in err and "Traceback" not in err


def test_table_lists_regressions_first_and_markdown_html_files(
        env: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["diff", A_QUERY, B_QUERY]) == 0
    out = capsys.readouterr().out
    lists = [line for line in out.splitlines() if line.endswith(")") and "(" in line
             and not line.startswith(" ")]
    assert lists[0] == "regressed (3)" and lists[-1] == "only in B (1)"
    assert "Pass → Fail  ethan.fischer" in out
    for suffix, marker in ((".md", "**regressed** (3)"), (".html", "<h2>regressed (3)</h2>"),
                           (".csv", "testcaseId,name,a_status,b_status,category,b_executedBy")):
        target = tmp_path / f"diff{suffix}"
        assert main(["diff", A_QUERY, B_QUERY, "-o", str(target)]) == 0
        assert marker in target.read_text(encoding="utf-8")


def test_real_console_script_gates_ci(pair: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed ``zql`` script, as a CI job runs it."""
    environ = point_cli_at(pair, monkeypatch)
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("zql")), "diff", A_QUERY, B_QUERY, "--fail-on",
         "regressed", "--format", "markdown"],
        env=environ, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "| regressed | 3 |" in proc.stdout
