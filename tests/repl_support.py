"""Drive the real shell through prompt_toolkit pipe input, against a real sandbox over HTTP.

The shell runs in a thread exactly as ``zql shell`` runs it (PromptSession, completion thread,
progress application, search worker); the test types into a pipe and reads what the shell
printed. Every wait has a deadline, so a broken shell fails the test instead of hanging; a wait
for output wakes on each write of the shell (:class:`Screen`) instead of polling.

:class:`SharedShell` keeps one such shell for the tests of a module: starting a shell and
connecting it costs more than most tests' commands, so each test gets the running one, its
settings, named queries and prompt put back as a new shell has them (see :meth:`SharedShell.use`).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
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
#: the elapsed time of a search as the shell prints it: ``12 ms`` or, on a busy machine, ``1.06 s``
ELAPSED = r"\d[\d.]* m?s"


class Screen(io.StringIO):
    """What the shell printed, waking whoever waits for new output on each write."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            written = super().write(text)
            self.changed.notify_all()
        return written


class Driver:
    """A running shell: type into it, wait for output, read what it printed."""

    def __init__(self, shell: Shell, send: Callable[[str], None], out: io.StringIO) -> None:
        self.shell = shell
        self._send = send
        self.out = out
        self.mark = 0
        #: the thread running the shell and what it raised (set by :func:`running_shell`)
        self.thread: threading.Thread | None = None
        self.errors: list[BaseException] = []

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

        def printed() -> bool:
            return re.search(pattern, self.out.getvalue()[begin:]) is not None

        try:
            if isinstance(self.out, Screen):
                with self.out.changed:
                    if not self.out.changed.wait_for(printed, timeout):
                        raise AssertionError(f"timed out after {timeout:.0f} s waiting for "
                                             f"{pattern!r} in the shell's output")
            else:
                wait_until(printed, timeout, f"{pattern!r} in the shell's output")
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


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One default TLS context for the tests' clients: each new one loads the CA bundle (about
    0.1 s), and the sandbox speaks plain http anyway."""
    import httpx

    return httpx.create_ssl_context()


def client_for(sb: Sandbox) -> ZephyrClient:
    """A client of ``sb`` (as the sandbox's own user)."""
    return ZephyrClient(sb.url or "", token=sb.token, verify=tls_context())


def sandbox_opener(sb: Sandbox) -> Callable[[], Opened]:
    """An opener that connects to an already running sandbox (the session fixture)."""

    def open_it() -> Opened:
        client = client_for(sb)
        return Opened(client, "sandbox", client.close)

    return open_it


@contextmanager
def running_shell(sb: Sandbox | None, tmp_path: Path, *, entity: str = "testcase",
                  complete_while_typing: bool = True, **state: Any) -> Iterator[Driver]:
    """A shell connected to ``sb`` (offline when None), running in a thread until the block
    ends; then it is quit with Ctrl-D and closed."""
    from zql.schema import load_schema

    out = Screen()
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
        driver.thread, driver.errors = thread, errors
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


class SharedShell:
    """One running shell (connected to ``sb``) for the tests of a module.

    :meth:`use` hands it to one test as a new shell would be: at an empty prompt (Ctrl-C if
    a refused query is still in it), with fresh settings, no named queries but the test's own file,
    no learned completion ranking and no text waiting for the next prompt. What stays is the
    connection and the server's metadata, which no test changes. A test that failed may have
    left the shell anywhere, so the next one gets a new shell.
    """

    def __init__(self, sb: Sandbox, request: pytest.FixtureRequest) -> None:
        self.sb = sb
        self._session = request.session
        self._stack: ExitStack | None = None
        self._driver: Driver | None = None
        self._failed = self._session.testsfailed

    @contextmanager
    def use(self, tmp_path: Path, *, entity: str = "testcase",
            complete_while_typing: bool = True, **state: Any) -> Iterator[Driver]:
        """The shared shell for one test (the arguments are :func:`running_shell`'s)."""
        if self._driver is not None and self._session.testsfailed != self._failed:
            # A shell left broken by the failed test: that failure is already reported.
            with suppress(AssertionError):
                self.close()
        self._failed = self._session.testsfailed
        if self._driver is None:
            self._stack = ExitStack()
            self._driver = self._stack.enter_context(running_shell(self.sb, tmp_path))
        driver = self._driver
        shell = driver.shell
        buffer, app = shell.session.default_buffer, shell.session.app
        # Idle is a prompt running with nothing in it: not inside a command or a search. Text
        # left in the prompt (a refused query) goes with Ctrl-C; keys typed after it go to the
        # next prompt, in order.
        wait_until(lambda: app.is_running, DEADLINE, "the shell at its prompt")
        if buffer.text:
            driver.type(CTRL_C)
            wait_until(lambda: app.is_running and buffer.text == "", DEADLINE,
                       "the shell at an empty prompt")
        fresh = ShellState(entity=entity, pager=False, **state)
        for field in dataclasses.fields(ShellState):
            setattr(shell.state, field.name, getattr(fresh, field.name))
        shell.named = NamedQueries(tmp_path / "named.json")
        shell.ranking.counts.clear()
        shell.next_text = shell.refused = None
        shell.complete_while_typing = complete_while_typing
        shell.session.complete_while_typing = complete_while_typing
        driver.mark = len(driver.out.getvalue())
        yield driver
        assert not driver.errors, f"the shell crashed: {driver.errors[0]!r}"
        assert driver.thread is not None and driver.thread.is_alive(), "the shell ended"

    def close(self) -> None:
        """Quit the shell (Ctrl-D) and check that it exited cleanly."""
        stack, self._stack, self._driver = self._stack, None, None
        if stack is not None:
            stack.close()
