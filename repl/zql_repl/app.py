"""The shell: a PromptSession wired to the engines, the connection and the commands.

pgcli's shape, smaller: ``PromptSession(lexer=..., completer=ThreadedCompleter(
DynamicCompleter(...)), validator=..., history=FileHistory(...), bottom_toolbar=...)``; the
metadata loads in the background and is swapped in; Ctrl-C cancels the line or the search,
Ctrl-D leaves. Everything the shell prints goes to ``out`` (the terminal, or a buffer in tests).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.completion import DynamicCompleter, ThreadedCompleter
from prompt_toolkit.enums import DEFAULT_BUFFER, EditingMode
from prompt_toolkit.filters import (
    emacs_insert_mode,
    emacs_mode,
    has_focus,
    vi_insert_mode,
    vi_navigation_mode,
)
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import DummyInput, Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import DummyOutput, Output
from prompt_toolkit.styles import BaseStyle, Style, merge_styles, style_from_pygments_cls

from zql.complete import UsageCounts
from zql.errors import Severity, render
from zql.lint import lint
from zql.rows import empty_result_hint
from zql.schema import FieldSpec, Schema
from zql.search_options import SearchOptions
from zql_repl import commands
from zql_repl.completer import ZQLCompleter
from zql_repl.connection import Connection
from zql_repl.lexer import ShellLexer
from zql_repl.metadata import Metadata
from zql_repl.named import NamedQueries
from zql_repl.search import Request, SearchRunner, seconds
from zql_repl.state import ShellState
from zql_repl.toolbar import fragments
from zql_repl.validator import Linter, ZQLValidator, is_query, needs_more

__all__ = ["UI_STYLE", "SafeHistory", "Shell"]

#: Styles of the shell's own parts (merged over the pygments style of the query text).
UI_STYLE = {
    "bottom-toolbar": "noreverse bg:#303030 #d0d0d0",
    "bottom-toolbar.entity": "bold",
    "bottom-toolbar.sep": "#808080",
    "bottom-toolbar.ok": "#87d787",
    "bottom-toolbar.busy": "#d7d787",
    "bottom-toolbar.off": "#d78787",
    "bottom-toolbar.error": "bold #ff8787",
    "bottom-toolbar.warning": "#ffd787",
    "bottom-toolbar.info": "#87afd7",
    "bottom-toolbar.hint": "#a8a8a8",
    "completion-menu.loading": "italic",
    "command": "#5fafd7",
    "search-status": "#a8a8a8",
}
_HISTORY_SEED = 1000  # most recent history entries that teach the completion ranking
_VALUE_WAIT = 3.0  # seconds \schema FIELD waits for server values
_REOPEN_TRIES = 20  # times (50 ms apart) the menu is asked again when values arrive
_SETTLE = 2.0  # seconds a cancelled search may take to finish its last request at exit


class SafeHistory(FileHistory):
    """A history file that refuses any line containing one of the session's secrets, and that
    falls back to memory (with one warning) when the file cannot be read or written: a
    root-owned file after ``sudo zql shell``, or ``history_file`` naming a directory.

    >>> import tempfile, pathlib
    >>> h = SafeHistory(str(pathlib.Path(tempfile.mkdtemp()) / "h"), secrets=("t0k3n",))
    >>> h.store_string('name ~ "t0k3n"'); h.store_string('a = 1')
    >>> list(h.load_history_strings())
    ['a = 1']
    """

    def __init__(self, filename: str, *, secrets: Sequence[str] = ()) -> None:
        super().__init__(filename)
        self.secrets = tuple(s for s in secrets if s)
        #: why the file is not used (None while it is)
        self.failed: str | None = None
        #: where the one warning goes (the shell sets it to its own printer)
        self.warn: Callable[[str], None] | None = None

    def _fail(self, err: OSError) -> None:
        if self.failed is None:
            self.failed = (f"zql shell: cannot use the history file {os.fsdecode(self.filename)}: "
                           f"{err.strerror or err}; history is kept in memory this session")
            if self.warn is not None:
                self.warn(self.failed)

    def probe(self) -> str | None:
        """Check the file can be read and appended to now; the warning when it cannot.

        >>> import tempfile
        >>> SafeHistory(tempfile.mkdtemp()).probe()  # doctest: +ELLIPSIS
        'zql shell: cannot use the history file ...: Is a directory; history is kept in ...'
        """
        try:
            with open(self.filename, "ab"):
                pass
            with open(self.filename, "rb") as handle:
                handle.read(1)
        except OSError as err:
            self._fail(err)
        return self.failed

    def load_history_strings(self) -> Iterable[str]:
        """The file's entries, newest first; none (and the warning) if it cannot be read.

        >>> import tempfile
        >>> list(SafeHistory(tempfile.mkdtemp()).load_history_strings())
        []
        """
        if self.failed is not None:
            return []
        try:
            return list(super().load_history_strings())
        except OSError as err:
            self._fail(err)
            return []

    def store_string(self, string: str) -> None:
        """Append ``string`` unless it contains a secret.

        >>> import tempfile, pathlib
        >>> h = SafeHistory(str(pathlib.Path(tempfile.mkdtemp()) / "h"), secrets=("pw",))
        >>> h.store_string("a = 1"); h.store_string('b ~ "pw"'); list(h.load_history_strings())
        ['a = 1']
        """
        if any(secret in string for secret in self.secrets) or self.failed is not None:
            return
        try:
            super().store_string(string)
        except OSError as err:
            self._fail(err)


class Shell:
    """The interactive shell. ``input``/``output`` None means the real terminal.

    :meth:`headless` builds one without a terminal (offline unless given a connection), which
    runs lines through :meth:`handle` exactly as typed ones.

    >>> shell = Shell.headless()
    >>> shell.handle("\\\\entity execution")
    entity: execution
    >>> shell.handle("status = Fail")
    1:10: error[ZQL107]: bare word 'Fail' is not a value
      status = Fail
               ^^^^
      hint: values are quoted in ZE: "Fail"
    >>> shell.close()
    """

    def __init__(
        self,
        connection: Connection,
        state: ShellState,
        *,
        named: NamedQueries,
        history: History | None = None,
        input: Input | None = None,
        output: Output | None = None,
        out: IO[str] | None = None,
        vi: bool = False,
        style: str = "default",
        complete_while_typing: bool = True,
    ) -> None:
        self.connection = connection
        self.metadata: Metadata = connection.metadata
        self.state = state
        self.named = named
        self.out = out or sys.stdout
        self.done = False
        self._noted = False
        #: text put in the next prompt (``\e`` uses it)
        self.next_text: str | None = None
        #: the text Enter last refused, while it stays in the prompt unchanged
        self.refused: str | None = None
        self.complete_while_typing = complete_while_typing
        self.linter = Linter(self._context)
        self.ranking = UsageCounts()
        self.completer = ZQLCompleter(
            self._context, values=self.metadata.values, history=self.ranking,
            commands=lambda before: commands.complete_line(self, before),
            version=lambda: self.metadata.version, on_stale=self._metadata_changed)
        self._reopening = False
        self.history = history or InMemoryHistory()
        if isinstance(self.history, SafeHistory):
            self.history.warn = self.print
        self.session: PromptSession[str] = PromptSession(
            message=self._message,
            multiline=True,
            prompt_continuation=self._continuation,
            lexer=ShellLexer(),
            completer=ThreadedCompleter(DynamicCompleter(lambda: self.completer)),
            complete_while_typing=complete_while_typing,
            validator=ZQLValidator(self.linter),
            validate_while_typing=False,
            history=self.history,
            enable_history_search=False,
            bottom_toolbar=self._toolbar,
            key_bindings=self._key_bindings(),
            vi_mode=vi,
            style=_style(style),
            enable_open_in_editor=True,
            input=input,
            output=output,
            tempfile_suffix=".zql",
        )
        # The session's own terminal (the real one when input/output are None). Without a
        # keyboard there is nothing to show progress to or read Ctrl-C from.
        keyboard = None if isinstance(self.session.input, DummyInput) else self.session.input
        self.runner = SearchRunner(connection, self.out, input=keyboard,
                                   output=self.session.output, flatten=self._flatten)
        self.metadata.on_change = self._metadata_changed

    def _flatten(self, item: Any, entity: str) -> Any:
        """A flat row; status ids named by the schema in use (the server's own statuses once
        its schema has loaded)."""
        from zql.client import flatten

        return flatten(item, entity, statuses=self.schema.values.statuses or None)

    @classmethod
    def headless(cls, *, connection: Connection | None = None, state: ShellState | None = None,
                 named: NamedQueries | None = None, out: IO[str] | None = None,
                 schema: str = "ze7") -> Shell:
        """A shell with no terminal (no prompt: :meth:`run` returns at once), for scripts and
        examples; named queries go to a temporary file unless ``named`` is given.

        >>> Shell.headless().state.entity
        'testcase'
        """
        from zql.schema import load_schema

        if named is None:
            named = NamedQueries(Path(tempfile.mkdtemp(prefix="zql-")) / "named.json")
        return cls(connection or Connection(None, Metadata(load_schema(schema))),
                   state or ShellState(), named=named, input=DummyInput(),
                   output=DummyOutput(), out=out)

    # ---- what the engines see

    @property
    def schema(self) -> Schema:
        """The schema in use: the server's once loaded, else the configured profile.

        >>> Shell.headless(schema="ze6").schema.name
        'ze6'
        """
        return self.metadata.snapshot.schema

    def _context(self) -> tuple[Schema, str]:
        return self.metadata.snapshot.schema, self.state.entity

    # ---- prompt pieces

    def _message(self) -> str:
        return f"{self.state.entity}> "

    def _continuation(self, width: int, line_number: int, wrap_count: int) -> str:
        return "." * (width - 2) + "> " if width > 2 else ""

    def _toolbar(self) -> StyleAndTextTuples:
        text = self.session.default_buffer.text
        loading = self.completer.pending_for == text
        return fragments(self.state, self.metadata.snapshot, text, self.linter.first(text),
                         loading=loading)

    def _key_bindings(self) -> KeyBindings:
        kb = KeyBindings()
        focused = has_focus(DEFAULT_BUFFER)

        @kb.add("enter", filter=focused)
        def _enter(event: KeyPressEvent) -> None:
            buf = event.current_buffer
            state = buf.complete_state
            if state is not None and state.current_completion is not None:
                buf.apply_completion(state.current_completion)
                return
            buf.cancel_completion()
            text = buf.text
            if is_query(text) and needs_more(text):
                buf.insert_text("\n")
                return
            buf.validate_and_handle()
            if buf.validation_error is not None:
                self.refused = text
                errors = self.linter.errors(text)
                shown = "\n".join(render(text, d) for d in errors[:3])
                run_in_terminal(lambda: self.print(shown))

        @kb.add("escape", "enter", filter=focused)
        def _newline(event: KeyPressEvent) -> None:
            event.current_buffer.insert_text("\n")

        @kb.add("\\", filter=focused & (emacs_insert_mode | vi_insert_mode))
        def _backslash(event: KeyPressEvent) -> None:
            # A command typed at the start of a refused query starts clean, rather than
            # gluing the query onto the command (``\format verticalname ~ …``).
            buf = event.current_buffer
            if buf.cursor_position == 0 and buf.text and buf.text == self.refused:
                buf.reset()
            self.refused = None
            buf.insert_text("\\")

        def _edit_for_review(event: KeyPressEvent) -> None:
            # The editor's text comes back into the prompt to be reviewed, not run at once.
            event.current_buffer.open_in_editor(validate_and_handle=False)

        kb.add("c-x", "c-e", filter=focused & emacs_mode)(_edit_for_review)
        kb.add("v", filter=focused & vi_navigation_mode)(_edit_for_review)

        @kb.add("f4")
        def _toggle_vi(event: KeyPressEvent) -> None:
            app = event.app
            app.editing_mode = (EditingMode.EMACS if app.editing_mode is EditingMode.VI
                                else EditingMode.VI)

        return kb

    def _metadata_changed(self) -> None:
        # Called from background threads: hand the work to the prompt's event loop.
        app = self.session.app
        loop = app.loop
        if not app.is_running or loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._refresh_view)

    def _refresh_view(self) -> None:
        app = self.session.app
        self._show_notes(app)
        if (self.completer.pending_for == self.session.default_buffer.text
                and self.complete_while_typing and not self._reopening):
            self._reopening = True
            app.create_background_task(self._reopen_menu())
        app.invalidate()

    async def _reopen_menu(self) -> None:
        """Ask for completions again until the menu no longer waits for values.

        prompt_toolkit never recomputes an open menu, and a request made while another
        completion runs is folded into it; so drop the menu, ask, and look again shortly.
        """
        try:
            for _ in range(_REOPEN_TRIES):
                buf = self.session.default_buffer
                if self.completer.pending_for != buf.text:
                    return  # answered, or the text moved on
                state = buf.complete_state
                if state is not None and state.complete_index is not None:
                    return  # someone is choosing in the menu: leave it alone
                buf.complete_state = None
                buf.start_completion(select_first=False)
                await asyncio.sleep(0.05)
        finally:
            self._reopening = False

    def _show_notes(self, app: Any = None) -> None:
        opened = self.connection.opened
        if self._noted or opened is None:
            return
        self._noted = True
        text = "\n".join(opened.notes)
        if text and app is not None and app.is_running:
            run_in_terminal(lambda: self.print(text))
        elif text:
            self.print(text)

    # ---- output

    def print(self, text: str) -> None:
        """Print one or more lines for the user.

        >>> Shell.headless().print("hello")
        hello
        """
        self.out.write(text + "\n")
        self.out.flush()

    # ---- running

    def run(self) -> int:
        """Read and run lines until ``\\q`` or Ctrl-D; returns the exit code (0).

        >>> shell = Shell.headless()
        >>> shell.run()  # no keyboard: the first prompt reads end-of-input
        zql shell: type a query, Tab completes, \\? for help, Ctrl-D quits.
        0
        """
        self.connection.start()
        threading.Thread(target=self._learn_from_history, daemon=True,
                         name="zql-history").start()
        self.print("zql shell: type a query, Tab completes, \\? for help, Ctrl-D quits.")
        while not self.done:
            self._show_notes()
            # Text handed back for review (\e) fills this prompt only: Ctrl-C discards it.
            default, self.next_text = self.next_text or "", None
            self.refused = None
            try:
                text = self.session.prompt(default=default)
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            self.handle(text)
        return 0

    def handle(self, text: str) -> None:
        """Run one accepted line: a command, a quick search (``?``) or a query.

        >>> Shell.headless().handle("\\\\limit many")
        \\limit takes a whole number >= 0, not 'many'
        """
        stripped = text.strip()
        if not stripped:
            return
        try:
            if stripped.startswith("\\"):
                commands.dispatch(self, stripped)
            elif stripped.startswith("?"):
                if not stripped[1:].strip():
                    raise commands.CommandError("? needs some text to search for")
                self.search(stripped[1:].strip(), quick=True)
            else:
                self.search(text)
        except commands.CommandError as err:
            self.print(str(err))
        except KeyboardInterrupt:
            self.print("cancelled")
        except Exception as err:  # a bug must not end the session; say it in one line
            first = (str(err).splitlines() or [""])[0]
            self.print(f"error: {type(err).__name__}: {first}")

    def search(self, text: str, *, quick: bool = False, entity: str | None = None) -> None:
        """Validate (queries) and run a search, then print the count line.

        >>> Shell.headless().search('priority = "P1"')
        not connected to a server: start with --url, --profile or --sandbox
        """
        entity = entity or self.state.entity
        if not quick:
            errors = [d for d in lint(text, entity=entity, schema=self.schema)
                      if d.severity is Severity.ERROR]
            if errors:
                self.print("\n".join(render(text, d) for d in errors[:3]))
                return
            self.state.last_query = text.strip()
            self.ranking.record(text)
        request = Request(text.strip(), SearchOptions(
            entity=entity, quick=quick, release=self.state.release_param,
            project=self.state.project_param, order_by=self.state.order_by,
            ascending=self.state.ascending, page_size=self.state.page_size,
            limit=self.state.limit_param))
        size = self.session.output.get_size()
        target, self.state.output_file = self.state.output_file, None
        outcome = self.runner.run(request, fmt=self.state.format, pager=self.state.pager,
                                  output_file=target, width=size.columns, height=size.rows,
                                  columns=self.state.columns)
        if outcome.error is not None:
            self.print(outcome.error)
            return
        if outcome.rows == 0 and not outcome.cancelled and target is None:
            self.print("(no matches" + (f", {seconds(outcome.elapsed)})" if self.state.timing
                                        else ")"))
            self._explain_empty(text, entity, quick)
            return
        self.print(outcome.summary(entity, timing=self.state.timing, limit=self.state.limit))

    def _explain_empty(self, text: str, entity: str, quick: bool) -> None:
        # No silent empty result: the query's warnings again, and the likeliest cause.
        warnings = [] if quick else [d for d in lint(text, entity=entity, schema=self.schema)
                                     if d.severity is not Severity.ERROR]
        if warnings:
            self.print("\n".join(render(text, d) for d in warnings))
        self.print("hint: " + empty_result_hint(
            warned=bool(warnings), release=self.state.release, project=self.state.project,
            quick=quick, widen="\\release - / \\project -"))

    def wait_values(self, spec: FieldSpec) -> Sequence[str] | None:
        """Server values of a field, waiting a little for them (``\\schema FIELD``).

        >>> shell = Shell.headless()
        >>> shell.wait_values(shell.schema.field("testcase", "priority"))  # offline: none
        ()
        """
        deadline = time.monotonic() + _VALUE_WAIT
        while True:
            found = self.metadata.values(self.state.entity, spec, "")
            if found is not None or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def close(self) -> None:
        """Close the connection (and the sandbox, if the shell started one).

        >>> Shell.headless().close()
        """
        self.runner.settle(_SETTLE)
        self.connection.close()

    # ---- background

    def _learn_from_history(self) -> None:
        # Past queries teach the completion ranking; done off the main thread (parsing).
        try:
            strings = list(self.history.load_history_strings())[:_HISTORY_SEED]
        except OSError:
            return
        for text in reversed(strings):
            if is_query(text):
                self.ranking.record(text)


def _style(name: str) -> BaseStyle:
    from pygments.styles import get_style_by_name  # type: ignore[import-untyped]
    from pygments.util import ClassNotFound  # type: ignore[import-untyped]

    try:
        base = style_from_pygments_cls(get_style_by_name(name))
    except ClassNotFound:
        base = style_from_pygments_cls(get_style_by_name("default"))
    return merge_styles([base, Style.from_dict(UI_STYLE)])


def history_path(configured: str, data: Path) -> Path:
    """Where the history file lives: the configured path, else ``data/history``.

    >>> history_path("", Path("/d")), history_path("~/h", Path("/d")).name
    (PosixPath('/d/history'), 'h')
    """
    return Path(configured).expanduser() if configured else data / "history"
