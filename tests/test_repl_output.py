"""The shell's side of issue 13 through prompt_toolkit pipe input, against the sandbox over
real HTTP: \\columns, \\order by column names, \\all, \\o FILE.xlsx, empty results explained,
named queries with their release and project, \\e and Ctrl-X Ctrl-E for review, and a command
typed at the start of a refused query.

The tests share one running shell (:class:`~tests.repl_support.SharedShell`: each gets it at
an empty prompt with fresh settings)."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from zql_repl import commands

from tests.client_support import searches
from tests.repl_support import CTRL_C, ENTER, SharedShell, wait_until
from zql.sandbox import Sandbox

HOME = "\x1b[H"  # the Home key
CTRL_X_CTRL_E = "\x18\x05"


@pytest.fixture(scope="module")
def shells(sandbox: Sandbox, request: pytest.FixtureRequest) -> Iterator[SharedShell]:
    shared = SharedShell(sandbox, request)
    yield shared
    shared.close()


def test_columns_choose_what_the_table_shows(shells: SharedShell, tmp_path: Path) -> None:
    with shells.use(tmp_path, entity="execution", limit=3) as shell:
        shell.run("\\columns id,prority", r"unknown column 'prority'; did you mean 'priority'")
        shell.run("\\columns id,status,executedOn", r"columns: id, status, executedOn")
        printed = shell.run('status = "Fail"', r"executions shown")
        header = next(line for line in printed.splitlines() if "status" in line)
        assert [c.strip() for c in header.split("|")] == ["id", "status", "executedOn"]
        shell.run("\\columns", r"columns: the default ones")
        printed = shell.run('status = "Fail"', r"executions shown")
        assert "testcaseId" in printed
        found = [c.text for c in commands.complete_line(shell.shell, "\\columns id,exec")]
        assert found == ["executedBy", "executedOn"]
        assert "id" not in [c.text for c in commands.complete_line(shell.shell, "\\columns id,")]


def test_order_takes_column_names_with_did_you_mean(sandbox: Sandbox, shells: SharedShell,
                                                    tmp_path: Path) -> None:
    with shells.use(tmp_path, entity="execution", limit=2) as shell:
        shell.run("\\order prority", r"cannot sort executions by 'prority'; did you mean "
                                     r"'priority'\?")
        shell.run("\\order executedOn", r"the server cannot sort executions by executedOn")
        shell.run("\\order modified desc", r"order: modified desc")
        since = len(sandbox.control.requests)
        shell.run('status = "Fail"', r"executions shown")
        sent = searches(sandbox, since)[-1]
        assert (sent["order"], sent["isascorder"]) == ("lastModifiedOn", "false")
        assert "modified" in [c.text for c in commands.complete_line(shell.shell, "\\order mo")]


def test_all_lists_everything(sandbox: Sandbox, shells: SharedShell, tmp_path: Path) -> None:
    every = sandbox.store.rows("SELECT count(*) FROM requirements")[0][0]
    with shells.use(tmp_path, entity="requirement", limit=0) as shell:
        shell.run("\\all", rf"\({every:,} requirements")


def test_no_matches_comes_with_the_warnings_and_a_hint(shells: SharedShell,
                                                       tmp_path: Path) -> None:
    with shells.use(tmp_path, entity="execution") as shell:
        printed = shell.run('status = "Failed"', r"hint: ")
        assert "(no matches" in printed
        assert '"Failed" is not a known status; did you mean "Fail"?' in printed
        assert "hint: a value or field above is not what the server knows" in printed
        shell.run("\\release Atlas 4.0", "release: Atlas 4.0")
        printed = shell.run('status = "Fail" and priority = "Critical" and notes ~ "zzqq"',
                            r"hint: ")
        assert "only release 'Atlas 4.0' was searched; \\release - / \\project - searches" \
            in printed


def test_o_to_an_xlsx_file(shells: SharedShell, tmp_path: Path) -> None:
    target = tmp_path / "fails.xlsx"
    with shells.use(tmp_path, entity="execution", limit=5) as shell:
        shell.run(f"\\o {target}", "next results: to")
        shell.run("\\columns id,status,executedOn", "columns:")
        shell.run('status = "Fail"', r"written to .*fails\.xlsx")
    rows = list(openpyxl.load_workbook(target)["results"].iter_rows(values_only=True))
    assert rows[0] == ("id", "status", "executedOn") and len(rows) == 6
    assert all(isinstance(r[0], int) and r[1] == "Fail" for r in rows[1:])


def test_named_queries_keep_entity_release_and_project(sandbox: Sandbox, shells: SharedShell,
                                                        tmp_path: Path) -> None:
    with shells.use(tmp_path, entity="execution", limit=3) as shell:
        shell.run("\\release Atlas 4.0", "release: Atlas 4.0")
        shell.run("\\project Atlas Mobile", "project: Atlas Mobile")
        shell.run('\\ns blocked status = "Blocked"',
                  r"saved blocked \(execution, release Atlas 4.0, project Atlas Mobile\)")
        shell.run("\\entity testcase", "entity: testcase")
        shell.run("\\release -", "release: all")
        shell.run("\\project -", "project: all")
        since = len(sandbox.control.requests)
        printed = shell.run("\\n blocked", r"executions")
        assert "(execution, release Atlas 4.0, project Atlas Mobile)" in printed
        state = shell.shell.state
        assert (state.entity, state.release, state.project) == (
            "execution", "Atlas 4.0", "Atlas Mobile")
        sent = searches(sandbox, since)[-1]
        assert (sent["entitytype"], sent["releaseid"], sent["projectid"]) == (
            "execution", "3", "2")


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An $EDITOR that replaces the text with a known query."""
    script = tmp_path / "editor.sh"
    script.write_text("#!/bin/sh\nprintf 'status = \"WIP\"\\n' > \"$1\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    return script


def test_e_brings_the_text_back_for_review_and_ctrl_c_discards_it(
        sandbox: Sandbox, shells: SharedShell, tmp_path: Path, editor: Path) -> None:
    with shells.use(tmp_path, entity="execution") as shell:
        buffer = shell.shell.session.default_buffer
        since = len(sandbox.control.requests)
        shell.type("\\e" + ENTER)
        wait_until(lambda: buffer.text == 'status = "WIP"', 10, "the edited text")
        shell.type(CTRL_C)  # discard it
        wait_until(lambda: buffer.text == "", 10, "a clean prompt")
        shell.run("\\entity", "entity: execution")  # the next prompts are not pre-filled
        assert buffer.text == ""
        assert searches(sandbox, since) == []  # nothing ran


def test_ctrl_x_ctrl_e_returns_the_text_for_review(sandbox: Sandbox, shells: SharedShell,
                                                   tmp_path: Path,
                                                   editor: Path) -> None:
    with shells.use(tmp_path, entity="execution", limit=2) as shell:
        buffer = shell.shell.session.default_buffer
        since = len(sandbox.control.requests)
        shell.type('status = "Pass"' + CTRL_X_CTRL_E)
        wait_until(lambda: buffer.text.strip() == 'status = "WIP"', 10, "the edited text")
        assert searches(sandbox, since) == []  # back in the prompt, not run
        shell.run("", r"executions shown")  # Enter runs it
        assert searches(sandbox, since)[-1]["word"] == 'status = "WIP"'


def test_a_command_at_the_start_of_a_refused_query_starts_clean(shells: SharedShell,
                                                                tmp_path: Path) -> None:
    with shells.use(tmp_path) as shell:
        buffer = shell.shell.session.default_buffer
        shell.run('name ~ "login', r"error\[ZQL")
        assert buffer.text == 'name ~ "login'  # kept for editing...
        assert buffer.cursor_position == 7  # ...with the cursor at the error
        printed = shell.run(HOME + "\\format vertical", "format: vertical")
        assert "unknown" not in printed and shell.shell.state.format == "vertical"
        shell.run("status ~ ", r"error\[ZQL")
        shell.type(CTRL_C)
        wait_until(lambda: buffer.text == "", 10, "a clean prompt after Ctrl-C")

