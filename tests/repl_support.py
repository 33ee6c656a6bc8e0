"""Drive the real shell through prompt_toolkit pipe input, against a real sandbox over HTTP.

The shell runs in a thread exactly as ``zql shell`` runs it (PromptSession, completion thread,
progress application, search worker); the test types into a pipe and reads what the shell
printed. Every wait polls with a deadline, so a broken shell fails the test instead of hanging.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from zql_repl.app import Shell
from zql_repl.connection import Connection, Opened
from zql_repl.metadata import Metadata
from zql_repl.named import NamedQueries
from zql_repl.state import ShellState

from tests.process_support import PATIENCE
from zql.client import ZephyrClient
from zql.sandbox import Sandbox

DEADLINE = PATIENCE

ENTER = "\r"
ALT_ENTER = "\x1b\r"
CTRL_C = "\x03"
CTRL_D = "\x04"
TAB = "\t"


class Driver:
    """A running shell: type into it, wait for output, read what it printed."""

    def __init__(self, shell: Shell, send: Callable[[str], None], out: io.StringIO) -> None:
        self.shell = shell
        self._send = send
        self.out = out
        self.mark = 0

    def type(self, text: str) -> None:
        """Send keys (use the constants above for Enter, Ctrl-C ...)."""
        self._send(text)

    def run(self, line: str, expect: str, *, timeout: float = DEADLINE) -> str:
        """Type a line and Enter, wait until ``expect`` (a regex) is printed; the new output."""
        start = len(self.out.getvalue())
        self.type(line + ENTER)
        return self.wait_for(expect, since=start, timeout=timeout)

    def wait_for(self, pattern: str, *, since: int | None = None,
                 timeout: float = DEADLINE) -> str:
        """Wait until ``pattern`` appears in the output after ``since``; returns that output."""
        begin = self.mark if since is None else since
        try:
            wait_until(lambda: re.search(pattern, self.out.getvalue()[begin:]) is not None,
                       timeout, f"{pattern!r} in the shell's output")
        except AssertionError as err:
            raise AssertionError(f"{err}; it printed:\n{self.out.getvalue()[begin:]}") from None
        text = self.out.getvalue()[begin:]
        self.mark = len(self.out.getvalue())
        return text

    def output_since(self, start: int) -> str:
        """What the shell printed after offset ``start``."""
        return self.out.getvalue()[start:]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> bool:
    """Poll ``condition`` until true; fail with a clear message after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def sandbox_opener(sb: Sandbox) -> Callable[[], Opened]:
    """An opener that connects to an already running sandbox (the session fixture)."""

    def open_it() -> Opened:
        client = ZephyrClient(sb.url or "", token=sb.token)
        return Opened(client, "sandbox", client.close)

    return open_it


@contextmanager
def running_shell(sb: Sandbox | None, tmp_path: Path, *, entity: str = "testcase",
                  complete_while_typing: bool = True, **state: Any) -> Iterator[Driver]:
    """A shell connected to ``sb`` (offline when None), running in a thread until the block
    ends; then it is quit with Ctrl-D and closed."""
    from zql.schema import load_schema

    out = io.StringIO()
    metadata = Metadata(load_schema("ze7"))
    connection = Connection(sandbox_opener(sb) if sb else None, metadata,
                            server="sandbox" if sb else "")
    errors: list[BaseException] = []
    with create_pipe_input() as pipe:
        shell = Shell(connection, ShellState(entity=entity, pager=False, **state),
                      named=NamedQueries(tmp_path / "named.json"), history=InMemoryHistory(),
                      input=pipe, output=DummyOutput(), out=out,
                      complete_while_typing=complete_while_typing)

        def main() -> None:
            try:
                shell.run()
            except BaseException as err:  # surfaced by the test below
                errors.append(err)

        thread = threading.Thread(target=main, name="shell-under-test", daemon=True)
        thread.start()
        driver = Driver(shell, pipe.send_text, out)
        try:
            driver.wait_for(r"\\\? for help")
            if sb is not None:
                wait_until(lambda: metadata.snapshot.state == "connected", DEADLINE,
                           "the shell to connect")
            yield driver
        finally:
            pipe.send_text(CTRL_C + CTRL_D)
            thread.join(DEADLINE)
            shell.close()
    assert not thread.is_alive(), "the shell did not exit on Ctrl-D"
    assert not errors, f"the shell crashed: {errors[0]!r}"
