"""Writing ``zql search`` rows: to standard output, or to a file through a temporary name.

A file is written as ``.NAME.XXXX.part`` beside it and renamed over ``NAME`` when the export
ends, so an error (a rejected login, a lost connection, a server failure) leaves a previous
``NAME`` untouched; Ctrl-C is the user's choice and keeps the rows written so far under the
final name (the renderer's ``end`` keeps JSON valid and a workbook readable).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

from zql.cli._inputs import UsageError

__all__ = ["Export", "Target"]


class Target:
    """Standard output (``path`` None or ``-``) or a file written through a temporary name.

    ``stream`` is the text stream to write (None for a format that writes its own file:
    ``tmp`` is then the path to give it).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "a.csv").write_text("old")
    3
    >>> t = Target(str(d / "a.csv"), "csv"); _ = t.stream.write("new"); t.discard()
    >>> (d / "a.csv").read_text(), sorted(p.name for p in d.iterdir())
    ('old', ['a.csv'])
    >>> t = Target(str(d / "a.csv"), "csv"); _ = t.stream.write("new"); t.commit()
    >>> (d / "a.csv").read_text()
    'new'
    """

    def __init__(self, path: str | None, fmt: str, *, binary: bool = False) -> None:
        self.path = None if path in (None, "-") else Path(path or "")
        self.tmp: Path | None = None
        self.stream: IO[str] | None = sys.stdout
        if self.path is None:
            return
        final = self.path
        if final.is_dir():
            raise UsageError(f"cannot write {final}: it is a directory")
        try:
            fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part",
                                        dir=final.parent)
        except OSError as err:
            raise UsageError(f"cannot write {final}: {err.strerror or err}") from None
        self.tmp = Path(name)
        try:
            # The file gets the permissions a plain open() would give it (mkstemp makes 0600),
            # or those of the file it replaces.
            mode = final.stat().st_mode & 0o7777 if final.exists() else 0o666 & ~_umask()
            os.chmod(name, mode)
        except OSError:
            pass
        if binary:
            os.close(fd)
            self.stream = None
        else:
            self.stream = os.fdopen(fd, "w", encoding="utf-8",
                                    newline="" if fmt.endswith("csv") else None)

    @property
    def to_terminal(self) -> bool:
        """Whether rows go to a terminal (the only place a table is cut to its width)."""
        return self.path is None and sys.stdout.isatty()

    def _close(self) -> None:
        if self.stream is not None and self.stream is not sys.stdout:
            self.stream.close()

    def commit(self) -> None:
        """Finish: flush standard output, or rename the temporary file over the target."""
        if self.path is None or self.tmp is None:
            sys.stdout.flush()
            return
        self._close()
        os.replace(self.tmp, self.path)
        self.tmp = None

    def discard(self) -> None:
        """Give up: the temporary file goes, a previous target stays as it was."""
        if self.tmp is None:
            return
        self._close()
        self.tmp.unlink(missing_ok=True)
        self.tmp = None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class Export:
    """Counts and times an export: rows written, the server's total, seconds since start.

    >>> e = Export(); e.rows, e.total
    (0, None)
    """

    def __init__(self) -> None:
        self.rows = 0
        self.total: int | None = None  # what the export will hold (the limit applied)
        self.matches: int | None = None  # what the server found
        self.started = time.monotonic()
        self.finished: float | None = None

    def done(self) -> None:
        """Stop the clock (after the last row is written)."""
        self.finished = time.monotonic()

    @property
    def elapsed(self) -> float:
        """Seconds from the start to :meth:`done` (or to now)."""
        return (self.finished or time.monotonic()) - self.started

    def pages(self, results: Any, out: IO[str] | None, renderer: Any, progress: Any,
              limit: int | None) -> None:
        """Write every page of ``results`` through ``renderer``, then its ``end`` (also after an
        interruption once rows were written: what was written stays usable)."""
        try:
            for page in results.pages():
                if page.total is not None:
                    self.matches = page.total
                    self.total = page.total if limit is None else min(page.total, limit)
                self._write(out, renderer.page(page.items))
                self.rows += len(page.items)
                progress.update(self.rows, self.total)
        except BaseException:
            if self.rows:
                self._write(out, renderer.end())
            raise
        else:
            self._write(out, renderer.end())
        finally:
            self.done()
            progress.close()

    @staticmethod
    def _write(out: IO[str] | None, text: str) -> None:
        if out is not None and text:
            out.write(text)
            out.flush()  # an interrupted export keeps every page written so far
