"""``zql update`` / ``apply`` / ``undo`` through ``zql.cli.main`` and, for the prompt and Ctrl-C,
through the real console script in a terminal."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.process_support import close_child
from tests.update_support import (
    EXEC_MODIFIED,
    RC18,
    execution_rows,
    items,
    own_sandbox,
    without_modified,
)
from zql.cli import main
from zql.sandbox import Sandbox

QUERY = f'status = "Blocked" and {RC18}'


def _point_at(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ZEPHYR_USERNAME", "ZEPHYR_PASSWORD", "ZEPHYR_AUTH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZEPHYR_URL", sandbox.url)
    monkeypatch.setenv("ZEPHYR_TOKEN", sandbox.token)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


@pytest.fixture
def sb(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox of the test's own, for the tests that change the data."""
    with own_sandbox(seed=1) as sandbox:
        _point_at(sandbox, monkeypatch, tmp_path)
        yield sandbox


#: The shared sandbox's request count when the running test began.
_SINCE: dict[int, int] = {}


@pytest.fixture
def ro(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Sandbox]:
    """The session's sandbox (the same data as ``sb``) for the tests that must change nothing:
    each checks that it sent no PUT since it began (and the data is as it was)."""
    _point_at(sandbox, monkeypatch, tmp_path)
    _SINCE[id(sandbox)] = len(sandbox.control.requests)
    yield sandbox
    del _SINCE[id(sandbox)]


def _puts(sb: Sandbox) -> list[str]:
    """The PUTs the sandbox got (since the test began, for the shared one)."""
    return [p for m, p, _ in sb.control.requests[_SINCE.get(id(sb), 0):] if m == "PUT"]


def test_dry_run_prints_the_plan_and_the_requests_and_changes_nothing(
        ro: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    before = items(ro, "execution")
    code = main(["update", "--entity", "execution", QUERY, "--status", "WIP", "--dry-run"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "to change: 7 executions; already in the target state: 0 (skipped)" in out
    assert "Blocked → WIP" in out
    assert "requests that would be sent:" in out
    assert "/execution/bulk?status=3&testerid=1&allExecutions=false" in out
    assert ro.token not in out + err
    assert items(ro, "execution") == before and not _puts(ro)


def test_without_a_terminal_yes_is_required(ro: Sandbox,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    rows = execution_rows(ro)
    code = main(["update", "--entity", "execution", QUERY, "--status", "WIP"])
    err = capsys.readouterr().err
    assert code == 2
    assert "refusing to change 7 executions without confirmation: there is no terminal to " \
           "ask on; pass --yes" in err
    assert execution_rows(ro) == rows and not _puts(ro)


def test_more_than_max_needs_max_raised(ro: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["update", "--entity", "execution", QUERY, "--status", "WIP", "--yes",
                 "--max", "5"])
    assert code == 2
    assert "7 executions would change, more than --max 5; raise --max to go ahead" in \
        capsys.readouterr().err
    assert not _puts(ro)


@pytest.mark.parametrize(("argv", "message"), [
    (["--status", "Blokced"], "no status named 'Blokced' on this server; did you mean: Blocked"),
    (["--assign", "nobody.at.all"], "no user named 'nobody.at.all' on this server"),
    (["--add-tag", "x"], "--add-tag, --remove-tag and --priority apply to test cases"),
    ([], "nothing to change: give --status, --notes or --assign"),
    (["--status", "WIP", "--entity", "requirement"], "--entity must be execution or testcase"),
    (["--status", "WIP", "--batch-size", "501", "--yes"], "the batch size must be between 1"),
    (["--status", "WIP", "--concurrency", "5", "--yes"], "--concurrency must be between 1 and 4"),
])
def test_bad_options_are_usage_errors(ro: Sandbox, capsys: pytest.CaptureFixture[str],
                                      argv: list[str], message: str) -> None:
    assert main(["update", QUERY, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not _puts(ro)


def test_yes_applies_and_prints_the_journal_and_undo(sb: Sandbox, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    start = without_modified(execution_rows(sb), EXEC_MODIFIED)
    code = main(["update", QUERY, "--status", "WIP", "--yes"])
    out, err = capsys.readouterr()
    assert code == 0 and "7 changed, 0 already in the target state" in out
    journal = Path(err.split("journal: ", 1)[1].splitlines()[0])
    assert journal.parent == tmp_path / "state" / "zql" / "journal" and journal.is_file()
    assert sb.token not in journal.read_text(encoding="utf-8")
    assert f"undo with: zql undo {journal}" in out
    assert main(["undo", str(journal), "--yes"]) == 0
    assert "7 changed" in capsys.readouterr().out
    assert without_modified(execution_rows(sb), EXEC_MODIFIED) == start


def test_plan_file_then_apply_reports_drift(sb: Sandbox, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.json"
    assert main(["update", QUERY, "--status", "Fail", "--plan-out", str(plan)]) == 0
    assert f"apply it with: zql apply {plan}" in capsys.readouterr().err
    assert not _puts(sb)
    victim = json.loads(plan.read_text())["items"][0]["id"]
    with sb.store.writing() as conn:  # someone else, meanwhile
        conn.execute("UPDATE executions SET status_id = 1 WHERE id = ?", (victim,))
        sb.store.refresh(conn, "execution", [victim])
    code = main(["apply", str(plan), "--yes"])
    out = capsys.readouterr().out
    assert code == 1
    # shown before the question (here --yes), then skipped and journaled by the run itself
    assert "since the plan: 1 changed by someone else — skipped" in out
    assert out.index("since the plan") < out.index("6 changed")
    assert "6 changed, 0 already in the target state, 1 drifted" in out
    assert f"  {victim}: drift — changed since the plan: status" in out
    assert sb.store.rows("SELECT status_id FROM executions WHERE id = ?", (victim,)) == [(1,)]


def test_bad_plan_and_journal_files(ro: Sandbox, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    assert main(["apply", str(bad), "--yes"]) == 2
    assert "not an update plan" in capsys.readouterr().err
    bad.write_text("not json")
    assert main(["undo", str(bad), "--yes"]) == 2
    assert "is not a zql journal" in capsys.readouterr().err
    assert main(["apply", "--resume", str(tmp_path / "missing.jsonl")]) == 2
    assert "no journal at" in capsys.readouterr().err
    assert main(["apply"]) == 2
    assert "give a plan file, or --resume JOURNAL" in capsys.readouterr().err


@pytest.mark.terminal
def test_terminal_confirmation_and_ctrl_c(sb: Sandbox, tmp_path: Path) -> None:
    """On a terminal the summary is followed by the question; "n" changes nothing, "y"
    applies; Ctrl-C in the middle prints the journal and the resume command (exit 130)."""
    import pexpect

    environ = {**os.environ, "ZEPHYR_URL": sb.url, "ZEPHYR_TOKEN": sb.token,
               "XDG_STATE_HOME": str(tmp_path), "TERM": "xterm"}
    zql = str(Path(sys.executable).with_name("zql"))

    def spawn(*argv: str) -> pexpect.spawn:
        return pexpect.spawn(zql, list(argv), env=environ, encoding="utf-8",
                             dimensions=(40, 200), timeout=30)

    child = spawn("update", QUERY, "--status", "WIP")
    try:
        child.expect_exact("Update 7 executions? [y/N] ")
        child.sendline("n")
        child.expect_exact("not confirmed: nothing changed")
        child.expect(pexpect.EOF)
        child.close()
    finally:
        close_child(child)
    assert child.exitstatus == 1 and not _puts(sb)

    with sb.control.gate("/execution/bulk", method="PUT", after=1) as gate:
        child = spawn("update", RC18, "--status", "Blocked", "--batch-size", "10")
        try:
            child.expect(r"Update (\d+) executions\? \[y/N\] ")
            child.sendline("y")
            child.expect(r"journal: (\S+)")
            journal = child.match.group(1)
            gate.wait_held(1, timeout=60)  # batch 2 is on its way
            child.send("\x03")
            child.expect_exact(f"interrupted; the journal is {journal}")
            child.expect_exact(f"resume with: zql apply --resume {journal}")
            child.expect(pexpect.EOF)
            child.close()
        finally:
            close_child(child)
    assert child.exitstatus == 130
    assert main(["apply", "--resume", journal, "--yes"]) == 0
    assert {r[0] for r in sb.store.rows(
        "SELECT e.status_id FROM executions e JOIN cycles c ON c.id = e.cycle_id "
        "WHERE c.name = 'Release Candidate 18'")} == {4}


def test_sandbox_lose_write_rate_is_checked(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--lose-write-rate", "1.5"]) == 2
    assert "--lose-write-rate must be between 0 and 1, not 1.5" in capsys.readouterr().err
