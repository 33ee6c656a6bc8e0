"""The shell's ``\\update`` and ``\\undo`` against an own sandbox: same plan, confirmation and
journal as ``zql update``."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from zql_repl.app import Shell
from zql_repl.connection import Connection
from zql_repl.metadata import Metadata
from zql_repl.state import ShellState

from tests.repl_support import ENTER, running_shell, sandbox_opener
from tests.update_support import EXEC_MODIFIED, RC18, execution_rows, without_modified
from zql.sandbox import Sandbox
from zql.schema import load_schema

QUERY = f'status = "Blocked" and {RC18}'


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """The module's own sandbox: the update test puts back what it changed (its undo)."""
    with Sandbox(seed=1) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def _puts(sb: Sandbox, since: int) -> list[str]:
    return [m for m, _, _ in sb.control.requests[since:] if m == "PUT"]


def _headless(sb: Sandbox) -> tuple[Shell, io.StringIO]:
    out = io.StringIO()
    connection = Connection(sandbox_opener(sb), Metadata(load_schema("ze7")), server="sandbox")
    return Shell.headless(connection=connection, state=ShellState(entity="execution",
                                                                  pager=False), out=out), out


def test_update_needs_a_query_and_yes_without_a_terminal(sb: Sandbox) -> None:
    since = len(sb.control.requests)
    shell, out = _headless(sb)
    try:
        shell.handle("\\update --status WIP")
        assert "no query: give one, or run one first" in out.getvalue()
        shell.state.last_query = QUERY
        shell.handle("\\update --status Blokced")
        assert "did you mean: Blocked" in out.getvalue()
        shell.handle("\\update --status WIP")
        assert "there is no terminal to ask on; pass --yes" in out.getvalue()
        shell.handle("\\update --status WIP --bogus")
        assert "unknown option '--bogus'" in out.getvalue()
    finally:
        shell.close()
    assert not _puts(sb, since)


def test_update_then_undo_in_a_running_shell(sb: Sandbox, tmp_path: Path) -> None:
    start = without_modified(execution_rows(sb), EXEC_MODIFIED)
    since = len(sb.control.requests)
    with running_shell(sb, tmp_path, entity="execution") as shell:
        shell.run(QUERY, r"7 executions")
        shell.run("\\update --status WIP --dry-run", r"requests that would be sent")
        assert not _puts(sb, since)
        shell.type("\\update --status WIP" + ENTER + "n" + ENTER)
        shell.wait_for(r"not confirmed: nothing changed")
        assert not _puts(sb, since)
        shell.type("\\update --status WIP" + ENTER + "y" + ENTER)
        done = shell.wait_for(r"undo with: zql undo \S+")
        assert "7 changed, 0 already in the target state" in done
        journal = done.split("undo with: zql undo ", 1)[1].split()[0]
        kinds = ["reread" if "testcaseId" in q else m for m, p, q in sb.control.requests[since:]
                 if m == "PUT" or p.endswith("/advancesearch")]
        # after a prompt (time passed) the items are read again before the first write
        assert kinds.index("reread") < kinds.index("PUT")
        assert Path(journal).parent == tmp_path / "state" / "zql" / "journal"
        assert {r[0] for r in sb.store.rows(
            "SELECT status_id FROM executions e JOIN cycles c ON c.id = e.cycle_id "
            "WHERE c.name = 'Release Candidate 18' AND e.status_id = 4")} == set()
        undone = shell.run("\\undo --yes", r"journal: \S+undo\S+\.jsonl\n(.|\n)*changed")
        assert f"undoing {journal}" in undone and "7 changed" in undone
    assert without_modified(execution_rows(sb), EXEC_MODIFIED) == start
