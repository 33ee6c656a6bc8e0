"""Streaming writers (table, JSON, JSON lines, CSV) and progress reporting for ``zql search``.

Every writer holds at most one page of rows, so an export of any size runs in constant memory,
and each flushes as it goes so an interrupted export keeps the rows written so far. The JSON
writer closes its array on :meth:`close`, so even an interrupted file is valid JSON.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING, Any, Protocol

from zql.client import flat_columns, flatten

if TYPE_CHECKING:
    from prompt_toolkit.shortcuts.progress_bar.base import ProgressBarCounter

__all__ = ["FORMATS", "Progress", "RowWriter", "make_progress", "make_writer"]

FORMATS = ("table", "json", "jsonl", "csv")
#: The columns a table shows (CSV has every flat column).
TABLE_COLUMNS = {
    "testcase": ("id", "name", "priority", "tags", "release", "project"),
    "execution": ("id", "testcaseId", "name", "status", "executedBy", "cycle", "release"),
    "requirement": ("id", "name", "priority", "tags", "release", "project"),
}
_MAX_CELL = 48
_MIN_CELL = 12
_TABLE_SAMPLE = 100


class RowWriter(Protocol):
    """Writes items one at a time; :meth:`close` finishes the output (does not close it)."""

    def write(self, item: dict[str, Any]) -> None:
        """Write one item."""

    def close(self) -> None:
        """Finish the output (closing brackets, buffered rows)."""


class JsonWriter:
    """A JSON array of the server's items, streamed.

    >>> import io; out = io.StringIO(); w = JsonWriter(out)
    >>> w.write({"id": 1}); w.write({"id": 2}); w.close(); print(out.getvalue())
    [
    {"id": 1},
    {"id": 2}
    ]
    <BLANKLINE>
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.count = 0

    def write(self, item: dict[str, Any]) -> None:
        """Write one item."""
        self.out.write(("[\n" if self.count == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
        self.count += 1

    def close(self) -> None:
        """Close the array (an empty result is ``[]``)."""
        self.out.write("\n]\n" if self.count else "[]\n")


class JsonLinesWriter:
    """One JSON object per line: the server's items as they are.

    >>> import io; out = io.StringIO(); w = JsonLinesWriter(out)
    >>> w.write({"id": 1, "name": "café"}); w.close(); out.getvalue()
    '{"id": 1, "name": "café"}\\n'
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def write(self, item: dict[str, Any]) -> None:
        """Write one item."""
        self.out.write(json.dumps(item, ensure_ascii=False) + "\n")

    def close(self) -> None:
        """Nothing to finish."""


class CsvWriter:
    """Flat rows (:func:`zql.client.flatten`) with a header.

    >>> import io; out = io.StringIO(); w = CsvWriter(out, "requirement")
    >>> w.write({"id": 3, "name": "Reset, password", "tags": ["a", "b"]}); w.close()
    >>> print(out.getvalue().splitlines()[1])
    3,"Reset, password",,,"a, b",,,,,,
    """

    def __init__(self, out: IO[str], entity: str) -> None:
        self.entity = entity
        self.writer = csv.DictWriter(out, fieldnames=flat_columns(entity), lineterminator="\n")
        self.started = False

    def write(self, item: dict[str, Any]) -> None:
        """Write one item as a flat row (the header first)."""
        if not self.started:
            self.close()
        self.writer.writerow(flatten(item, self.entity))

    def close(self) -> None:
        """Make sure the header is there, even for no rows."""
        if not self.started:
            self.writer.writeheader()
            self.started = True


class TableWriter:
    """An aligned text table; column widths come from the first rows (at most a page is held).

    >>> import io; out = io.StringIO(); w = TableWriter(out, "requirement", width=60)
    >>> w.write({"id": 3, "name": "Reset password", "priority": "High"}); w.close()
    >>> print(out.getvalue().rstrip())
    id  name            priority  tags  release  project
    --  --------------  --------  ----  -------  -------
    3   Reset password  High
    """

    def __init__(self, out: IO[str], entity: str, *, width: int | None = None) -> None:
        self.out = out
        self.entity = entity
        self.columns = TABLE_COLUMNS[entity]
        self.width = width or shutil.get_terminal_size((120, 24)).columns
        self.widths: list[int] | None = None
        self.pending: list[list[str]] = []

    def write(self, item: dict[str, Any]) -> None:
        """Write one item (buffered until the column widths are known)."""
        flat = flatten(item, self.entity)
        cells = [_cell(flat.get(c)) for c in self.columns]
        if self.widths is not None:
            self._emit(cells)
            return
        self.pending.append(cells)
        if len(self.pending) >= _TABLE_SAMPLE:
            self._start()

    def close(self) -> None:
        """Write any buffered rows."""
        if self.widths is None:
            self._start()

    def _start(self) -> None:
        widths = [min(_MAX_CELL, max([len(c)] + [len(r[i]) for r in self.pending]))
                  for i, c in enumerate(self.columns)]
        # Too wide for the terminal: shrink the widest columns, never below _MIN_CELL.
        while sum(widths) + 2 * (len(widths) - 1) > self.width and max(widths) > _MIN_CELL:
            widths[widths.index(max(widths))] -= 1
        self.widths = widths
        self._emit(list(self.columns))
        self._emit(["-" * w for w in widths])
        for cells in self.pending:
            self._emit(cells)
        self.pending = []

    def _emit(self, cells: list[str]) -> None:
        assert self.widths is not None
        parts = [_fit(cell, w) for cell, w in zip(cells, self.widths, strict=True)]
        self.out.write("  ".join(parts).rstrip() + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).split())


def _fit(text: str, width: int) -> str:
    return text.ljust(width) if len(text) <= width else text[: width - 1] + "…"


def make_writer(fmt: str, out: IO[str], entity: str) -> RowWriter:
    """The writer for ``--format``.

    >>> import io; type(make_writer("jsonl", io.StringIO(), "testcase")).__name__
    'JsonLinesWriter'
    """
    if fmt == "json":
        return JsonWriter(out)
    if fmt == "jsonl":
        return JsonLinesWriter(out)
    if fmt == "csv":
        return CsvWriter(out, entity)
    return TableWriter(out, entity)


class Progress:
    """Progress of an export: :meth:`update` after each page, :meth:`close` at the end.

    This base class reports nothing.

    >>> p = Progress(); p.update(100, 5000); p.close()
    """

    def update(self, done: int, total: int | None) -> None:
        """``done`` rows written of ``total`` (None while unknown)."""

    def close(self) -> None:
        """Stop reporting."""


class LineProgress(Progress):
    """Plain lines, at most one a second, for a stderr that is not a terminal (CI logs).

    >>> import io; out = io.StringIO(); p = LineProgress(out, clock=iter([0, 5, 6]).__next__)
    >>> p.update(100, 1000); p.update(1000, 1000); print(out.getvalue().strip())
    zql search: 100 / 1,000 rows
    zql search: 1,000 / 1,000 rows
    """

    def __init__(self, out: IO[str], *, clock: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.clock = clock
        self.last: float | None = None

    def update(self, done: int, total: int | None) -> None:
        """Print a line if a second has passed or the export is complete."""
        now = self.clock()
        if self.last is None or now - self.last >= 1.0 or done == total:
            of = f" / {total:,}" if total is not None else ""
            self.out.write(f"zql search: {done:,}{of} rows\n")
            self.out.flush()
            self.last = now


class BarProgress(Progress):
    """prompt_toolkit's progress bar on stderr (a terminal); Ctrl-C still interrupts.

    >>> BarProgress.__name__
    'BarProgress'
    """

    def __init__(self, title: str) -> None:
        from prompt_toolkit.input import DummyInput, create_input
        from prompt_toolkit.output import create_output
        from prompt_toolkit.shortcuts import ProgressBar

        keys = create_input() if sys.stdin.isatty() else DummyInput()
        self.bar = ProgressBar(title=title, output=create_output(stdout=sys.stderr), input=keys)
        self.bar.__enter__()
        self.counter: ProgressBarCounter[object] = self.bar(label="rows", total=None)

    def update(self, done: int, total: int | None) -> None:
        """Move the bar."""
        self.counter.total = total
        self.counter.items_completed = done
        self.bar.invalidate()

    def close(self) -> None:
        """Take the bar down (left where it stopped, if the export did not finish)."""
        if self.counter.total is not None and self.counter.items_completed >= self.counter.total:
            self.counter.done = True
        else:
            self.counter.stopped = True
        self.bar.__exit__()


def make_progress(mode: str, *, to_terminal: bool, title: str) -> Progress:
    """``auto`` shows a bar when stderr is a terminal and rows do not go to it; ``always``
    falls back to plain lines without a terminal; ``never`` shows nothing.

    >>> type(make_progress("never", to_terminal=False, title="x")).__name__
    'Progress'
    """
    if mode == "never" or (mode == "auto" and to_terminal):
        return Progress()
    if sys.stderr.isatty():
        return BarProgress(title)
    return LineProgress(sys.stderr) if mode == "always" else Progress()
