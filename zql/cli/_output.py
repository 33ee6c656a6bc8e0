"""Progress reporting for ``zql search`` (the rows themselves are :mod:`zql.rows`).

A bar on a terminal's stderr, plain lines for CI logs, or nothing.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import IO

__all__ = ["Progress", "make_progress"]


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
    """A one-line bar on a terminal's stderr, redrawn at most ten times a second.

    Plain ANSI (carriage return, erase to end of line): no terminal library, and the terminal
    stays in its normal mode, so Ctrl-C interrupts as anywhere else.

    >>> import io; out = io.StringIO()
    >>> p = BarProgress("zql search (execution)", out, width=60, clock=iter([0, 1, 2]).__next__)
    >>> p.update(250, 1000); p.close(); print(out.getvalue().split(chr(13))[1][:-3])
    zql search (execution)  rows 250 / 1,000   25% [##........]
    """

    def __init__(self, title: str, out: IO[str] | None = None, *, width: int | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.title = title
        self.out = out if out is not None else sys.stderr
        self.width = width
        self.clock = clock
        self.last: float | None = None
        self.done = 0
        self.total: int | None = None

    def update(self, done: int, total: int | None) -> None:
        """Redraw the bar if a tenth of a second has passed or the export is complete."""
        self.done, self.total = done, total
        now = self.clock()
        if self.last is None or now - self.last >= 0.1 or done == total:
            self._draw()
            self.last = now

    def _draw(self) -> None:
        if self.total:
            share = min(1.0, self.done / self.total)
            head = f"{self.title}  rows {self.done:,} / {self.total:,}  {share:4.0%}"
        else:
            share, head = 0.0, f"{self.title}  rows {self.done:,}"
        width = self.width or shutil.get_terminal_size((80, 24)).columns
        room = width - len(head) - 4
        bar = ""
        if self.total and room >= 10:
            cells = min(room, 40)
            filled = int(share * cells)
            bar = f" [{'#' * filled}{'.' * (cells - filled)}]"
        self.out.write(f"\r{head}{bar}\x1b[K")
        self.out.flush()

    def close(self) -> None:
        """Draw the last state and end the line (left where it stopped if interrupted)."""
        self._draw()
        self.out.write("\n")
        self.out.flush()


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
