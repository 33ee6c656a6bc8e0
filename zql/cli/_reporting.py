"""What ``zql report`` and ``zql diff`` share: format and output options, progress, writing.

Reports are written once they are complete (a report is small): to stdout, or atomically to
``-o FILE`` so a failed or interrupted run never leaves a half-written file behind.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zql.cli._inputs import UsageError, exit_for

if TYPE_CHECKING:
    from zql.report import ReportInterrupted

__all__ = ["FORMATS", "ScanProgress", "add_output_arguments", "chosen_format", "guarded",
           "write_output"]

FORMATS = ("table", "csv", "json", "markdown", "html")
_BY_SUFFIX = {".csv": "csv", ".json": "json", ".md": "markdown", ".markdown": "markdown",
              ".html": "html", ".htm": "html", ".txt": "table"}


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """``--format``, ``-o``, ``--page-size``, ``--progress``/``--no-progress``.

    >>> p = argparse.ArgumentParser(); add_output_arguments(p)
    >>> p.parse_args(["-o", "r.html"]).output
    'r.html'
    """
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="output format (default: from -o's extension, else table)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    parser.add_argument("--page-size", type=_positive, default=500, metavar="N",
                        help="rows asked for per request when scanning (default 500, "
                        "ZE's usual cap)")
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_const", const="always",
                     default="auto", help="always report scan progress on stderr")
    bar.add_argument("--no-progress", dest="progress", action="store_const", const="never",
                     help="never report progress")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def chosen_format(args: argparse.Namespace) -> str:
    """``--format``, else the one ``-o``'s extension names, else ``table``.

    >>> chosen_format(argparse.Namespace(format=None, output="week.md"))
    'markdown'
    """
    if args.format:
        return str(args.format)
    if args.output and args.output != "-":
        return _BY_SUFFIX.get(Path(args.output).suffix.lower(), "table")
    return "table"


def check_output(path: str | None) -> None:
    """Refuse an output path whose directory does not exist, before any request is made."""
    if path and path != "-":
        parent = Path(path).resolve().parent
        if not parent.is_dir():
            raise UsageError(f"cannot write {path}: no directory {parent}")
        if Path(path).is_dir():
            raise UsageError(f"cannot write {path}: it is a directory")


def write_output(text: str, path: str | None) -> None:
    """Write ``text`` to stdout, or replace ``path`` with it atomically."""
    if not path or path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    from zql._fs import write_atomically

    try:
        write_atomically(Path(path), text)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None


class ScanProgress:
    """Scan progress on stderr, started only when a scan needs more than one page.

    >>> p = ScanProgress("never", "zql report", 500); p(100, 5000); p.close()
    """

    def __init__(self, mode: str, title: str, page_size: int) -> None:
        self.mode = mode
        self.title = title
        self.page_size = page_size
        self.bar: Any = None

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            if self.mode == "never" or (total is not None and total <= self.page_size):
                return
            from zql.cli._output import make_progress

            # The report is printed after the scan, so the bar never interleaves with it.
            self.bar = make_progress(self.mode, to_terminal=False, title=self.title)
        self.bar.update(done, total)

    def close(self) -> None:
        """Take the bar down."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def guarded(command: str, work: Callable[[], int],
            interrupted: Callable[[ReportInterrupted], None]) -> int:
    """Run ``work`` and turn its errors into one line on stderr and the exit code: 2 usage,
    1 query or server error, 130 interrupted (after ``interrupted`` wrote the partial result).

    >>> guarded("zql x", lambda: 0, lambda stop: None)
    0
    """
    from zql.report import ReportError, ReportInterrupted

    try:
        return work()
    except ReportInterrupted as stop:
        interrupted(stop)
        return 130
    except Exception as err:  # expected ones become one line; exit_for re-raises the rest
        return exit_for(command, err, usage=(ReportError,))
