"""Colour conventions (``--color``, ``NO_COLOR``) and what ``zql search`` does on a real
terminal (a pseudo-terminal through pexpect): cut to its width, bold header, the footer."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.client_support import TOKEN, sandbox_fixture, sb_fixture  # noqa: F401
from zql.cli import main
from zql.sandbox import Sandbox

ZQL = str(Path(sys.executable).with_name("zql"))
RED = "\x1b[1;31merror\x1b[0m"


@pytest.mark.parametrize(("flag", "coloured"), [("always", True), ("never", False),
                                                ("auto", False)])
def test_lint_color_flag(capsys: pytest.CaptureFixture[str], flag: str, coloured: bool) -> None:
    assert main(["lint", "-q", "status = Fail", "--color", flag]) == 1
    out = capsys.readouterr().out
    assert (RED in out) is coloured and ("\x1b" in out) is coloured  # auto: not a terminal


def run_in_terminal(argv: list[str], env: dict[str, str], columns: int = 100) -> str:
    import pexpect

    child = pexpect.spawn(ZQL, argv, env={**os.environ, "TERM": "xterm", **env},
                          encoding="utf-8", dimensions=(40, columns), timeout=30)
    try:
        child.expect(pexpect.EOF)
        text = str(child.before)
    finally:
        child.close()
    assert child.exitstatus in (0, 1), text
    return text.replace("\r\n", "\n")


@pytest.mark.terminal
@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_lint_auto_colours_a_terminal_unless_no_color(no_color: str, coloured: bool) -> None:
    text = run_in_terminal(["lint", "-q", "status = Fail"], {"NO_COLOR": no_color})
    assert (RED in text) is coloured and "error" in text


@pytest.mark.terminal
def test_search_on_a_terminal_cuts_bolds_and_says_what_limit_left_out(sb: Sandbox) -> None:
    env = {"ZEPHYR_URL": sb.url or "", "ZEPHYR_TOKEN": TOKEN, "NO_COLOR": ""}
    text = run_in_terminal(["search", 'status = "Fail"', "--entity", "execution", "--limit",
                            "5"], env, columns=80)
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0].startswith("\x1b[1m") and "testcaseId" in lines[0]  # bold header
    table = lines[1:-1]
    assert len(table) == 6 and all(len(line) <= 80 for line in table)
    assert any("…" in line for line in table)
    total = sb.store.rows("SELECT count(*) FROM executions WHERE status_id = 2")[0][0]
    assert lines[-1] == f"5 of {total:,} executions shown (--limit 5)"
    plain = run_in_terminal(["search", 'status = "Fail"', "--entity", "execution", "--limit",
                             "5", "--color", "never"], env, columns=80)
    assert "\x1b" not in plain


@pytest.mark.terminal
@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_the_demo_honours_no_color(no_color: str, coloured: bool) -> None:
    import pexpect

    child = pexpect.spawn(sys.executable, ["-m", "zql.demo", "--no-shell"],
                          env={**os.environ, "TERM": "xterm", "NO_COLOR": no_color},
                          encoding="utf-8", dimensions=(40, 120), timeout=60)
    try:
        child.expect(pexpect.EOF)
        text = str(child.before)
    finally:
        child.close()
    assert "== zql lint" in text and ("\x1b[1m== " in text) is coloured
