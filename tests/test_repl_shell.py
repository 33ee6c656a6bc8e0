"""The shell end to end through prompt_toolkit pipe input, against the sandbox over real HTTP.

The tests share one running shell (:class:`~tests.repl_support.SharedShell`: each gets it at
an empty prompt with fresh settings); the menu test and the offline one start their own.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.repl_support import (
    ALT_ENTER,
    CTRL_C,
    DEADLINE,
    ELAPSED,
    ENTER,
    TAB,
    SharedShell,
    client_for,
    running_shell,
    wait_until,
)
from zql.sandbox import Sandbox


@pytest.fixture(scope="module")
def shells(sandbox: Sandbox, request: pytest.FixtureRequest) -> Iterator[SharedShell]:
    shared = SharedShell(sandbox, request)
    yield shared
    shared.close()


def total(sb: Sandbox, query: str, entity: str = "testcase") -> int:
    with client_for(sb) as client:
        results = client.search(query, entity=entity, limit=1)
        list(results)
        assert results.total is not None
        return results.total


@pytest.mark.parametrize(("entity", "query", "noun"), [
    ("testcase", 'priority = "Critical" and automated = true', "test case"),
    ("execution", 'status = "Fail" and priority in ("Critical", "High")', "execution"),
    ("requirement", 'name ~ "payment"', "requirement"),
])
def test_a_query_returns_rows_and_the_count(sandbox: Sandbox, shells: SharedShell,
                                            tmp_path: Path, entity: str, query: str,
                                            noun: str) -> None:
    expected = total(sandbox, query, entity)
    # Pages of 7 rows: later pages stream under the first one's columns, one header in all.
    with shells.use(tmp_path, entity=entity, limit=0, page_size=7) as shell:
        printed = shell.run(query, rf"\(\d[\d,]* {noun}s?, {ELAPSED}\)")
    count = int(re.search(rf"\((\d[\d,]*) {noun}", printed).group(1).replace(",", ""))
    assert count == expected > 0
    table_rows = [line for line in printed.splitlines() if re.match(r" +\d+ \|", line)]
    assert len(table_rows) == expected > 7
    assert printed.splitlines()[1].startswith("---")  # header rule under the column names
    assert sum(line.startswith("---") for line in printed.splitlines()) == 1
    assert len({line.index("|") for line in table_rows}) == 1


@pytest.mark.parametrize(("query", "code", "caret_at"), [
    ("status = Fail", "ZQL107", 9),
    ('priority = "P1" and and automated = true', "ZQL1", 20),
    ('prority = "High"', "ZQL201", 0),
])
def test_an_invalid_query_is_refused_with_its_rendered_error(
        sandbox: Sandbox, shells: SharedShell, tmp_path: Path, query: str, code: str,
        caret_at: int) -> None:
    since = len(sandbox.control.requests)
    with shells.use(tmp_path) as shell:
        printed = shell.run(query, rf"error\[{code}\d*\]")
        lines = printed.splitlines()
        caret = next(line for line in lines if line.strip().startswith("^"))
        assert caret.index("^") - 2 == caret_at  # rendered under the source line, indented 2
        shell.type(CTRL_C)  # the refused text stays in the prompt: clear it
        shell.run("\\entity", r"entity: testcase")
    searches = [r for r in sandbox.control.requests[since:] if "advancesearch" in r[1]]
    assert searches == []


@pytest.mark.parametrize(("command", "expect"), [
    ("\\entity execution", r"entity: execution"),
    ("\\format csv", r"format: csv"),
    ("\\limit 7", r"limit: 7"),
    ("\\order name desc", r"order: name desc"),
    ("\\release Atlas 4.0", r"release: Atlas 4.0"),
    ("\\fmt status=\"Fail\"AND priority IN (\"P1\")",
     r'canonical: status = "Fail" and priority in \("P1"\)'),
    ("\\explain not status = \"Pass\"", r"portable:  status != \"Pass\""),
    ("\\schema", r"testcaseId\s+long"),
    ("\\schema priority", r"values: .*Critical"),
    ("\\?", r"\\ns NAME \[QUERY\]"),
    ("\\nope", r"unknown command \\nope"),
    ("\\entity bogus", r"unknown entity 'bogus'"),
    ("\\release No Such Release", r"no release named 'No Such Release'"),
])
def test_backslash_commands(shells: SharedShell, tmp_path: Path, command: str,
                            expect: str) -> None:
    with shells.use(tmp_path) as shell:
        if command.startswith("\\release"):
            wait_until(lambda: bool(shell.shell.metadata.snapshot.releases), DEADLINE, "releases")
        shell.run(command, expect)
        shell.run("\\timing", r"timing: off")  # and the shell still takes commands


def test_settings_change_the_next_search(sandbox: Sandbox, shells: SharedShell,
                                         tmp_path: Path) -> None:
    with shells.use(tmp_path) as shell:
        shell.run("\\entity execution", "entity: execution")
        shell.run("\\limit 5", "limit: 5")
        shell.run("\\order testcaseId desc", "order: testcaseId desc")
        shell.run("\\format jsonl", "format: jsonl")
        printed = shell.run('status = "Pass"', r"5 of [\d,]+ executions shown: \\limit 5")
    items = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    assert len(items) == 5
    sent = [r for r in sandbox.control.requests if "advancesearch" in r[1]][-1][2]
    assert "entitytype=execution" in sent and "order=testcaseId" in sent
    assert "isascorder=false" in sent


def test_quick_search_with_question_mark_and_command(sandbox: Sandbox, shells: SharedShell,
                                                     tmp_path: Path) -> None:
    since = len(sandbox.control.requests)
    with shells.use(tmp_path, limit=3) as shell:
        shell.run("? login", r"test cases shown")
        shell.run("\\quick login", r"test cases shown")
    quick = [r for r in sandbox.control.requests[since:] if "zql=false" in r[2]]
    assert len(quick) >= 2


def test_output_file_gets_the_next_results_only(sandbox: Sandbox, shells: SharedShell,
                                                tmp_path: Path) -> None:
    target = tmp_path / "hits.csv"
    query = 'priority = "Critical" and automated = true'
    with shells.use(tmp_path) as shell:
        shell.run(f"\\o {target}", "next results: to")
        shell.run(query, r"written to")
        after = shell.run(query, rf"test cases, {ELAPSED}\)")
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == total(sandbox, query) and rows[0]["priority"] == "Critical"
    assert " | " in after  # the second search went to the screen again


def test_named_queries_save_list_run_delete(shells: SharedShell, tmp_path: Path) -> None:
    with shells.use(tmp_path) as shell:
        shell.run("\\ns bad status = Fail", r"not saved: ZQL107")
        shell.run("\\entity execution", "entity: execution")
        shell.run('\\ns fails status = "Fail"', r"saved fails \(execution\)")
        shell.run("\\entity testcase", "entity: testcase")
        shell.run("\\nl", r"fails\s+execution: status = \"Fail\"")
        shell.run("\\n fails", r"executions")  # runs against its own entity
        shell.run("\\nd fails", "deleted fails")
        shell.run("\\n fails", r"no named query 'fails'")
    saved = json.loads((tmp_path / "named.json").read_text())
    assert saved["queries"] == {}


def test_multiline_query_with_alt_enter(shells: SharedShell, tmp_path: Path) -> None:
    with shells.use(tmp_path) as shell:
        start = len(shell.out.getvalue())
        shell.type('priority = "Critical"' + ALT_ENTER + "and automated = true" + ENTER)
        shell.wait_for(rf"test cases, {ELAPSED}\)", since=start)
        # An open parenthesis makes Enter start a new line instead of running.
        start = len(shell.out.getvalue())
        shell.type('(priority = "Critical"' + ENTER + 'or priority = "High")'
                   + " and automated = true" + ENTER)
        shell.wait_for(r"test cases", since=start)
    assert shell.shell.state.last_query == ('(priority = "Critical"\nor priority = "High") and '
                                            'automated = true')


def test_tab_completes_a_field_then_a_server_value(shells: SharedShell, tmp_path: Path) -> None:
    # Tab-only completion: with the menu opening while typing, what Tab finds depends on
    # which keystroke's completion finished first, which a test must not depend on.
    with shells.use(tmp_path, complete_while_typing=False) as shell:
        buffer = shell.shell.session.default_buffer
        priority = shell.shell.schema.field("testcase", "priority")
        assert priority is not None
        wait_until(lambda: shell.shell.metadata.values("testcase", priority, "") not in (None, ()),
                   10, "priority values from the server")
        shell.type("prio")
        wait_until(lambda: buffer.text == "prio", 5, "typing")
        shell.type(TAB)  # one candidate: inserted at once
        wait_until(lambda: buffer.text == "priority", 5, "the field completed by Tab")
        shell.type(' = "Crit')
        wait_until(lambda: buffer.text == 'priority = "Crit', 5, "typing")
        shell.type(TAB)
        wait_until(lambda: buffer.text == 'priority = "Critical"', 5, "the value completed")
        shell.run("", r"test cases")


def test_the_open_menu_fills_in_when_server_values_arrive(sandbox: Sandbox,
                                                          tmp_path: Path) -> None:
    # A shell of its own: in the shared one, an earlier test may have loaded the values.
    with running_shell(sandbox, tmp_path, entity="execution") as shell:
        buffer = shell.shell.session.default_buffer

        def menu() -> list[str]:
            state = buffer.complete_state
            return [c.display_text for c in state.completions] if state else []

        shell.type('status = "')  # the known values show at once; the server's arrive later
        # ("Not Executed" is a known value too now: it comes from the schema's value facts.)
        wait_until(lambda: bool(menu()) and "loading values…" not in menu(), DEADLINE,
                   "the server's status values")
        assert "Not Executed" in menu()


def test_ctrl_c_cancels_a_slow_search_and_the_shell_goes_on(sandbox: Sandbox,
                                                            shells: SharedShell,
                                                            tmp_path: Path) -> None:
    with shells.use(tmp_path) as shell:
        runner = shell.shell.runner
        with sandbox.control.gate("/advancesearch") as gate:  # the first page never comes
            start = len(shell.out.getvalue())
            shell.type('priority = "High"' + ENTER)
            gate.wait_held()
            wait_until(lambda: runner.current is not None and runner.current.state == "searching",
                       DEADLINE, "the search to start")
            shell.type(CTRL_C)
            printed = shell.wait_for(r"\(cancelled before the first page", since=start)
        assert " | " not in printed  # no rows were shown: the first page never came
        shell.run("\\entity", "entity: testcase")
        shell.run('priority = "Critical" and automated = true', rf"test cases, {ELAPSED}\)")


def test_offline_shell_still_checks_and_explains(tmp_path: Path) -> None:
    with running_shell(None, tmp_path) as shell:
        shell.run('priority = "P1"', r"not connected to a server")
        shell.run("status = Fail", r"error\[ZQL107\]")
        shell.type(CTRL_C)
        shell.run("\\explain priority = \"P1\"", r"priority\s+string")
        assert shell.shell.metadata.snapshot.label == "offline: no server"
