"""Running a search from the shell: fetch in a worker thread, show pages as they arrive.

The worker pages through the client's results and posts each page on a queue. The shell's
thread shows a one-line status ("searching… Ctrl-C cancels") in a tiny prompt_toolkit
application while it waits (unless the answer comes within a fraction of a second), so Ctrl-C
is a key press there (and a signal elsewhere); either way the search is cancelled, the rows
already shown stay, and the shell carries on. The first page is rendered as soon as it arrives
(it fixes the table's columns); later pages follow, into a pager when the whole result will not
fit on the screen.
"""

from __future__ import annotations

import asyncio
import io
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from prompt_toolkit.application import Application
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.layout import FormattedTextControl, Layout, Window
from prompt_toolkit.output import Output

from zql._xlsx import MissingXlsxWriter
from zql.columns import ColumnError
from zql.rows import FILE_ONLY, OutputOptions, Renderer, format_for_path, make_renderer, seconds
from zql.search_options import SearchOptions
from zql_repl.connection import Connection, NotConnected
from zql_repl.output import Sink, open_pager, pager_command
from zql_repl.state import noun

__all__ = ["Outcome", "Request", "SearchRunner", "error_line", "format_for_path", "seconds"]

_POLL = 0.05  # seconds between looks at the queue while waiting
#: seconds a search may take before the status line is drawn: most answers come sooner, and
#: drawing it (a small application of its own) would cost more than the wait
_STATUS_AFTER = 0.2
_SCREEN_MARGIN = 4  # lines kept free for the prompt and the count line


@dataclass(frozen=True, slots=True)
class Request:
    """One search as the shell will send it: the text and its :class:`SearchOptions`.

    >>> Request('status = "Fail"', SearchOptions(entity="execution", limit=5)).page_size
    100
    """

    text: str
    options: SearchOptions

    @property
    def entity(self) -> str:
        """The entity searched."""
        return self.options.entity

    @property
    def limit(self) -> int | None:
        """The row limit, if any."""
        return self.options.limit

    @property
    def page_size(self) -> int:
        """Rows asked for per request."""
        return self.options.page_size


@dataclass(slots=True)
class Outcome:
    """How a search ended: rows shown, the server's total, time, and why it stopped.

    >>> Outcome(rows=3, total=3).cancelled
    False
    """

    rows: int = 0
    total: int | None = None
    elapsed: float = 0.0
    cancelled: bool = False
    error: str | None = None
    paged: bool = False
    written_to: Path | None = None

    def summary(self, entity: str, *, timing: bool, limit: int | None) -> str:
        """The count line printed after the results.

        >>> Outcome(3, 3, 1.25).summary("testcase", timing=True, limit=500)
        '(3 test cases, 1.25 s)'
        >>> Outcome(500, 1234, 1.5).summary("execution", timing=False, limit=500)
        '(500 of 1,234 executions shown: \\\\limit 500)'
        >>> Outcome(100, 1234, 1.0, cancelled=True).summary("execution", timing=False, limit=0)
        '(cancelled: 100 of 1,234 executions shown)'
        >>> Outcome(0, None, 0.5, cancelled=True).summary("execution", timing=True, limit=0)
        '(cancelled before the first page, 500 ms)'
        """
        total = self.total if self.total is not None else self.rows
        parts: list[str] = []
        if self.cancelled and self.total is None:
            parts.append("cancelled before the first page")
        elif self.cancelled:
            parts.append(f"cancelled: {self.rows:,} of {noun(entity, total)} shown")
        elif self.rows < total:
            why = f": \\limit {limit}" if limit and self.rows >= limit else ""
            parts.append(f"{self.rows:,} of {noun(entity, total)} shown{why}")
        else:
            parts.append(noun(entity, total))
        if self.written_to is not None:
            parts.append(f"written to {self.written_to}")
        if timing:
            parts.append(seconds(self.elapsed))
        return "(" + ", ".join(parts) + ")"


def error_line(err: BaseException) -> str:
    """One clear line for a failed search; query errors keep their caret rendering.

    >>> error_line(NotConnected("not connected"))
    'not connected'
    >>> error_line(ValueError("limit must be None\\nsecond line"))
    'error: limit must be None'
    """
    from zql.errors import ZQLError

    if isinstance(err, ZQLError):
        return str(err)
    if isinstance(err, NotConnected):
        return str(err)
    lines = str(err).strip().splitlines()
    return f"error: {lines[0] if lines else type(err).__name__}"


@dataclass
class _Fetch:
    """The worker: pages of a search posted on a queue; stops soon after ``cancel`` is set."""

    connection: Connection
    request: Request
    events: queue.Queue[tuple[str, Any, int | None]] = field(default_factory=queue.Queue)
    cancel: threading.Event = field(default_factory=threading.Event)
    state: str = "connecting"
    fetched: int = 0
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True, name="zql-search")
        self.thread.start()

    def _run(self) -> None:
        try:
            client = None
            while client is None:
                if self.cancel.is_set():
                    return
                client = self.connection.wait(_POLL)
            self.state = "searching"
            results = client.search(self.request.text, self.request.options)
            for page in results.pages():
                if self.cancel.is_set():
                    return
                self.fetched += len(page.items)
                self.events.put(("page", list(page.items), page.total))
            self.events.put(("done", None, results.total))
        except BaseException as err:
            if not self.cancel.is_set():
                self.events.put(("error", err, None))


_CANCELLED = ("cancelled", None, None)


class SearchRunner:
    """Runs searches for the shell; terminal I/O comes from the shell's prompt_toolkit setup.

    ``input`` None means there is no terminal (tests of the engine adapters, scripts): the
    runner then just waits, and Ctrl-C arrives as ``KeyboardInterrupt``.

    >>> import io
    >>> from zql.schema import load_schema
    >>> from zql_repl.metadata import Metadata
    >>> runner = SearchRunner(Connection(None, Metadata(load_schema())), io.StringIO())
    >>> runner.run(Request('priority = "P1"', SearchOptions()), fmt="table", pager=False).error
    'not connected to a server: start with --url, --profile or --sandbox'
    """

    def __init__(self, connection: Connection, out: IO[str], *, input: Input | None = None,
                 output: Output | None = None,
                 flatten: Callable[[Any, str], Any] | None = None) -> None:
        self.connection = connection
        self.out = out
        self.input = input
        self.output = output
        self.flatten = flatten
        #: the search being run, if any (tests look at it to time a Ctrl-C)
        self.current: _Fetch | None = None
        #: cancelled searches whose last request may still be on its way
        self.abandoned: list[_Fetch] = []

    # ---- waiting

    def _wait(self, fetch: _Fetch, *, quiet: bool) -> tuple[str, Any, int | None]:
        """The next event, or the cancelled marker after Ctrl-C."""
        try:
            return fetch.events.get_nowait()
        except queue.Empty:
            pass
        try:
            if self.input is None or quiet:
                while True:
                    try:
                        return fetch.events.get(timeout=_POLL)
                    except queue.Empty:
                        continue
            return self._wait_with_status(fetch)
        except KeyboardInterrupt:
            return _CANCELLED

    def _wait_with_status(self, fetch: _Fetch) -> tuple[str, Any, int | None]:
        started = time.monotonic()
        try:  # a quick answer needs no status line (Ctrl-C meanwhile: SIGINT, or a key after)
            return fetch.events.get(timeout=_STATUS_AFTER)
        except queue.Empty:
            pass
        got: list[tuple[str, Any, int | None]] = []
        kb = KeyBindings()

        @kb.add("c-c")
        @kb.add("<sigint>")
        def _cancel(event: Any) -> None:
            event.app.exit(result=False)

        def status() -> StyleAndTextTuples:
            waited = time.monotonic() - started
            what = "connecting" if fetch.state == "connecting" else "searching"
            rows = f" {fetch.fetched:,} rows so far," if fetch.fetched else ""
            return [("class:search-status", f"{what}…{rows} {waited:.1f} s (Ctrl-C cancels)")]

        app: Application[bool] = Application(
            layout=Layout(Window(FormattedTextControl(status), height=1)), key_bindings=kb,
            input=self.input, output=self.output, erase_when_done=True, refresh_interval=0.2)

        async def watch() -> None:
            while True:
                try:
                    got.append(fetch.events.get_nowait())
                except queue.Empty:
                    await asyncio.sleep(_POLL / 2)
                    continue
                app.exit(result=True)
                return

        def pre_run() -> None:
            app.create_background_task(watch())

        finished = app.run(pre_run=pre_run, handle_sigint=True)
        return got[0] if finished and got else _CANCELLED

    # ---- running

    def run(self, request: Request, *, fmt: str, pager: bool, output_file: Path | None = None,
            width: int = 100, height: int = 40,
            columns: tuple[str, ...] | None = None) -> Outcome:
        """Run one search and render it; never raises for a search or server failure.

        >>> import io
        >>> from zql.schema import load_schema
        >>> from zql_repl.connection import Opened
        >>> from zql_repl.metadata import Metadata
        >>> class Client:  # pages as the real client yields them, without a server
        ...     def search(self, text, options):
        ...         class Results:
        ...             total = 3
        ...             def pages(self):
        ...                 from zql.client import Page
        ...                 yield Page(0, 3, [{"id": 1}, {"id": 2}])
        ...                 yield Page(2, 3, [{"id": 3}])
        ...         return Results()
        >>> out = io.StringIO()
        >>> conn = Connection(lambda: Opened(Client(), "here", lambda: None),
        ...                   Metadata(load_schema()))
        >>> outcome = SearchRunner(conn, out).run(Request("a = 1", SearchOptions()), fmt="jsonl",
        ...                                       pager=False)
        >>> outcome.rows, outcome.total, out.getvalue().count("\\n")
        (3, 3, 3)
        """
        fetch = _Fetch(self.connection, request)
        self.current = fetch
        fetch.start()
        started = time.monotonic()
        outcome = Outcome()
        sink: Sink | None = None
        renderer: Renderer | None = None
        try:
            while True:
                kind, payload, total = self._wait(fetch, quiet=outcome.paged)
                if kind == "cancelled":
                    fetch.cancel.set()
                    outcome.cancelled = True
                    break
                if kind == "error":
                    outcome.error = error_line(payload)
                    break
                if total is not None:
                    outcome.total = total
                if kind == "done":
                    break
                items: Sequence[Any] = payload
                if renderer is None:
                    if not items and output_file is None:
                        continue
                    try:
                        sink, renderer = self._open(request, fmt, pager, output_file, width,
                                                    height, outcome, columns)
                    except OSError as err:
                        fetch.cancel.set()
                        outcome.error = f"cannot write {output_file}: {err.strerror or err}"
                        break
                    except (ColumnError, MissingXlsxWriter) as err:
                        fetch.cancel.set()
                        outcome.error = (f"{err} (\\columns alone resets)"
                                         if isinstance(err, ColumnError) else str(err))
                        break
                assert sink is not None
                sink.write(renderer.page(items))  # the first page brings the headers
                outcome.rows += len(items)
                if sink.closed_by_reader:  # the pager was quit: stop fetching
                    fetch.cancel.set()
                    outcome.cancelled = outcome.total != outcome.rows
                    break
        except KeyboardInterrupt:
            fetch.cancel.set()
            outcome.cancelled = True
        finally:
            if fetch.cancel.is_set():
                self.abandoned.append(fetch)
            # The search's time, not the time spent reading it in the pager.
            outcome.elapsed = time.monotonic() - started
            self.current = None
            if sink is not None and renderer is not None:  # close even after Ctrl-C
                sink.write(renderer.end())
                sink.close()
        return outcome

    def settle(self, timeout: float) -> None:
        """Give cancelled searches up to ``timeout`` seconds to finish their last request.

        >>> import io
        >>> from zql.schema import load_schema
        >>> from zql_repl.metadata import Metadata
        >>> SearchRunner(Connection(None, Metadata(load_schema())), io.StringIO()).settle(0.1)
        """
        deadline = time.monotonic() + timeout
        for fetch in self.abandoned:
            if fetch.thread is not None:
                fetch.thread.join(max(0.0, deadline - time.monotonic()))
        self.abandoned = [f for f in self.abandoned if f.thread and f.thread.is_alive()]

    def _open(self, request: Request, fmt: str, pager: bool, output_file: Path | None,
              width: int, height: int, outcome: Outcome,
              columns: tuple[str, ...] | None = None) -> tuple[Sink, Renderer]:
        if output_file is not None:
            fmt = format_for_path(output_file, fmt)
            # A file is never cut to the terminal's width; a workbook writes itself.
            renderer = make_renderer(OutputOptions(fmt, columns=columns, width=None),
                                     request.entity, flatten=self.flatten, path=output_file)
            outcome.written_to = output_file
            if fmt in FILE_ONLY:
                return Sink(io.StringIO(), own=True), renderer
            stream = output_file.open("w", encoding="utf-8", newline="")
            return Sink(stream, own=True), renderer
        renderer = make_renderer(OutputOptions(fmt, columns=columns, width=width),
                                 request.entity, flatten=self.flatten)
        rows = min(outcome.total or 0, request.limit or outcome.total or 0)
        expected = rows * (8 if fmt == "vertical" else 1)  # json too has an item per line
        if pager and expected > height - _SCREEN_MARGIN and _is_tty(self.out):
            command = pager_command()
            paged = open_pager(command) if command else None
            if paged is not None:
                outcome.paged = True
                return paged, renderer
        return Sink(self.out), renderer


def _is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
