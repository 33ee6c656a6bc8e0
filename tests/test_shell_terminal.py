"""``zql shell --sandbox`` once in a real terminal (tmux): type a field prefix, Tab, finish the
query, Enter, and read the result count off the screen.

The terminal runs on a private tmux server (its own socket), so nothing else is touched; every
wait polls ``capture-pane`` with a deadline. tmux comes from Debian's packages: the fixture
installs it when it is missing and the tests run as root (as CI does); if it still cannot be
had, the test fails: it is never skipped.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.debian_support import install_debian
from tests.process_support import PATIENCE
from zql.client import ZephyrClient
from zql.sandbox import Sandbox

ZQL = Path(sys.executable).with_name("zql")
QUERY_REST = ' = "Critical" and automated = true'

pytestmark = [pytest.mark.terminal, pytest.mark.timeout(600), pytest.mark.debian("tmux")]


class Terminal:
    """One tmux pane running a command, on a tmux server of its own."""

    def __init__(self, tmux: str, socket: str) -> None:
        self.base = [tmux, "-L", socket]

    def tmux(self, *args: str) -> str:
        return subprocess.run([*self.base, *args], check=True, capture_output=True, text=True,
                              timeout=10).stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "zql")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "zql", *keys)

    def wait(self, pattern: str, timeout: float = PATIENCE) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            found = re.search(pattern, screen, re.M)
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{pattern!r} did not appear within {timeout:.0f} s; screen:\n"
                             f"{screen}")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    tmux = install_debian("tmux")
    if tmux is None:
        pytest.fail("tmux is needed for this test and could not be installed: run "
                    "`apt-get install tmux` (as root) and re-run")
    assert ZQL.exists(), f"the zql console script is missing beside {sys.executable}"
    term = Terminal(tmux, f"zql-test-{os.getpid()}")
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "PAGER": "cat", "TERM": "xterm-256color",
           "PATH": os.environ.get("PATH", "")}
    command = " ".join(["env", "-i", *(f"{k}={shlex.quote(v)}" for k, v in env.items()),
                        shlex.quote(str(ZQL)), "shell", "--sandbox",
                        "; echo zql-exited-$?; sleep 30"])
    term.tmux("-f", "/dev/null", "new-session", "-d", "-s", "zql", "-x", "120", "-y", "40",
              command)
    try:
        yield term
    finally:
        term.tmux("kill-server")  # the private server this fixture started


def test_prefix_tab_query_and_count_in_a_real_terminal(terminal: Terminal,
                                                       sandbox: Sandbox) -> None:
    terminal.wait(r"^testcase>")
    terminal.wait(r"● connected sandbox")  # the shell's own sandbox, started in the background
    terminal.keys("prio")
    terminal.wait(r"priority +string")  # the completion menu, opened while typing
    terminal.keys("Tab")
    terminal.wait(r"^testcase> priority\s*$")
    terminal.keys(QUERY_REST)
    terminal.wait(re.escape("testcase> priority" + QUERY_REST))
    terminal.keys("Enter")
    # the elapsed time: "12 ms", or "1.06 s" on a busy machine
    count = int(terminal.wait(r"^\((\d+) test cases, \d[\d.]* m?s\)").group(1))
    # The shell's sandbox and the session's are built from the same seed.
    with ZephyrClient(sandbox.url or "", token=sandbox.token) as client:
        results = client.search("priority" + QUERY_REST, limit=1)
        list(results)
    assert count == results.total
    terminal.keys("C-d")
    terminal.wait(r"zql-exited-0")
