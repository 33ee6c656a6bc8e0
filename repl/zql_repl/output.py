"""Where results go: the screen, a file, or ``$PAGER``. The rendering itself is :mod:`zql.rows`,
whose names are re-exported so that the shell has one place to import output from.

>>> import io
>>> out = io.StringIO(); sink = Sink(out); r = make_renderer("jsonl", "testcase")
>>> sink.write(r.page([{"id": 1}]) + r.end()); sink.close(); out.getvalue()
'{"id": 1}\\n'
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import IO

from zql.rows import (
    DEFAULT_COLUMNS,
    Renderer,
    cell_text,
    default_columns,
    display_width,
    make_renderer,
    truncate,
)

__all__ = [
    "DEFAULT_COLUMNS",
    "Renderer",
    "Sink",
    "cell_text",
    "default_columns",
    "display_width",
    "make_renderer",
    "open_pager",
    "pager_command",
    "truncate",
]


class Sink:
    """Where rendered text goes: a stream, a file, or a pager's input; ``close()`` finishes.

    >>> import io
    >>> buf = io.StringIO(); s = Sink(buf); s.write("x"); s.close(); buf.getvalue()
    'x'
    """

    def __init__(self, stream: IO[str], process: subprocess.Popen[str] | None = None,
                 own: bool = False) -> None:
        self.stream = stream
        self.process = process
        self.own = own
        #: set when the reader went away (the pager was quit): stop producing output
        self.closed_by_reader = False

    def write(self, text: str) -> None:
        """Write text; a pager that was quit ends the output quietly.

        >>> import io
        >>> buf = io.StringIO(); buf.close(); s = Sink(buf); s.write("x"); s.closed_by_reader
        True
        """
        if self.closed_by_reader or not text:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            self.closed_by_reader = True

    def close(self) -> None:
        """Flush, close what we opened and wait for the pager to be quit.

        >>> import io
        >>> buf = io.StringIO(); Sink(buf, own=True).close(); buf.closed
        True
        """
        if self.own or self.process is not None:
            with contextlib.suppress(OSError):  # a quit pager: nothing left to flush
                self.stream.close()
        if self.process is not None:
            self.process.wait()


def pager_command(environ: Mapping[str, str] | None = None) -> list[str] | None:
    """``$PAGER`` split into words, or ``less`` when installed; None when there is none.

    >>> pager_command({"PAGER": "more -d"})
    ['more', '-d']
    """
    env = os.environ if environ is None else environ
    if env.get("PAGER"):
        return shlex.split(env["PAGER"])
    found = shutil.which("less")
    return [found] if found else None


def open_pager(command: Sequence[str]) -> Sink | None:
    """Start the pager and return a sink writing to it; None if it cannot start.

    ``less`` gets ``-SRXF`` through ``$LESS`` unless the user set ``$LESS``: chop long lines,
    pass colours, keep the screen, and quit at once when everything fits.

    >>> import sys
    >>> sink = open_pager([sys.executable, "-c", "import sys; sys.stdin.read()"])
    >>> sink.write("many lines\\n"); sink.close(); sink.process.returncode
    0
    >>> open_pager(["/nonexistent/pager"]) is None
    True
    """
    env = dict(os.environ)
    env.setdefault("LESS", "-SRXF")
    try:
        process = subprocess.Popen(list(command), stdin=subprocess.PIPE, text=True,
                                   encoding="utf-8", errors="replace", env=env)
    except OSError:
        return None
    assert process.stdin is not None
    return Sink(process.stdin, process)
