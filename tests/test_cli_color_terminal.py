"""Colour conventions (``--color``, ``NO_COLOR``) and what ``zql search`` does on a real
terminal: cut to its width, bold header, the footer.

Each behaviour of ``zql`` on a terminal runs once through the real console script in a
pseudo-terminal (pexpect: the terminal's size comes from the pty, as in a user's shell). Its
variants (the same command under ``NO_COLOR=1`` or ``--color never``) and the demo run their
``main`` in-process with standard output and error on a real pseudo-terminal too
(``os.openpty``: ``isatty()`` is the kernel's answer).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], str]]:
    """``sys.stdout`` and ``sys.stderr`` on the slave side of a new pseudo-terminal for the
    block; the returned function gives what reached the terminal (after the block)."""
    master, slave = os.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # read as a terminal does, so a full pty never blocks the writer
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the slave side is closed
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    stream = open(slave, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    try:
        with monkeypatch.context() as patch:
            patch.setenv("TERM", "xterm")
            patch.setattr(sys, "stdout", stream)
            patch.setattr(sys, "stderr", stream)
            yield lambda: b"".join(chunks).decode("utf-8").replace("\r\n", "\n")
            stream.flush()
    finally:
        stream.close()
        reader.join(timeout=60)
        os.close(master)


def test_on_a_terminal_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    with on_a_terminal(monkeypatch) as shown:
        assert sys.stdout.isatty() and sys.stderr.isatty()
        print("hi")
    assert shown() == "hi\n"


@pytest.mark.terminal
def test_lint_auto_colours_a_terminal() -> None:
    text = run_in_terminal(["lint", "-q", "status = Fail"], {"NO_COLOR": ""})
    assert RED in text and "error" in text


def test_lint_auto_does_not_colour_a_terminal_under_no_color(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    with on_a_terminal(monkeypatch) as shown:
        assert main(["lint", "-q", "status = Fail"]) == 1
    assert "error" in shown() and "\x1b" not in shown()


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


def test_search_on_a_terminal_with_color_never_is_plain(sb: Sandbox,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"ZEPHYR_URL": sb.url or "", "ZEPHYR_TOKEN": TOKEN, "NO_COLOR": "",
                        "COLUMNS": "80"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ZEPHYR_USERNAME", raising=False)
    with on_a_terminal(monkeypatch) as shown:
        assert main(["search", 'status = "Fail"', "--entity", "execution", "--limit", "5",
                     "--color", "never"]) == 0
    lines = [line for line in shown().splitlines() if line.strip()]
    assert "testcaseId" in lines[0] and "…" in shown()  # a table cut to the terminal
    assert lines[-1].startswith("5 of ") and "\x1b" not in shown()


@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_the_demo_honours_no_color_on_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                                 no_color: str, coloured: bool) -> None:
    """``python -m zql.demo`` itself runs in tests/test_demo.py; here its ``main`` on a pty."""
    from zql.demo import main as demo

    monkeypatch.setenv("NO_COLOR", no_color)
    with on_a_terminal(monkeypatch) as shown:
        assert demo(["--no-shell"]) == 0
    assert "== zql lint" in shown() and ("\x1b[1m== " in shown()) is coloured
