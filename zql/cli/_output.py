"""Progress reporting for ``zql search`` (the rows themselves are :mod:`zql.rows`).

A bar on a terminal's stderr, plain lines for CI logs, or nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from prompt_toolkit.shortcuts.progress_bar.base import ProgressBarCounter

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
