"""Rendering results: table, vertical, json, jsonl and csv, streamed page by page; the pager.

A renderer is fed the first page (which fixes the table's column widths, so output can start
before the last page has arrived), then later pages, then asked to finish. Table, vertical and
csv show flat rows (``zql.client.flatten``); json and jsonl write the server's items unchanged,
for scripts.

>>> r = make_renderer("table", "testcase", width=40)
>>> print(r.begin([{"id": 1, "name": "Login works"}, {"id": 22, "name": "Logout"}]) + r.end(),
...       end="")
     id | name
--------+-------------
      1 | Login works
     22 | Logout
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from wcwidth import wcswidth

from zql import _grammar

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

Item = Mapping[str, Any]
Flatten = Callable[[Item, str], Mapping[str, Any]]

#: Columns a table shows first for each entity, when the flat rows have them.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "testcase": ("id", "name", "priority", "tags", "release", "project"),
    "requirement": ("id", "name", "priority", "tags", "release", "project"),
    "execution": ("id", "testcaseId", "name", "status", "executedBy", "cycle", "release"),
}
_MIN_WIDTH = 6
_MAX_WIDTH = 60
_NUMBER_WIDTH = 6  # room for ids up to 999,999 even when the first page has small ones
_COMFORTABLE = 12  # columns other than the name shrink to this before the name does
_ELLIPSIS = "…"


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (wide East Asian characters count two).

    >>> display_width("abc"), display_width("테스트")
    (3, 6)
    """
    width = wcswidth(text)
    return width if width >= 0 else len(text)


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` columns, ending in an ellipsis when something was cut.

    >>> truncate("Project Ironclad", 8), truncate("short", 8)
    ('Project…', 'short')
    """
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = max(display_width(ch), 0)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + _ELLIPSIS


def cell_text(value: Any) -> str:
    """One table cell: lists joined, booleans lowercase, control characters made visible.

    >>> cell_text(["smoke", "ui"]), cell_text(True), cell_text(None), cell_text("a\\nb")
    ('smoke, ui', 'true', '', 'a⏎b')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        # Booleans read as ZQL writes them, so a cell can be pasted into a query.
        keywords = _grammar.vocabulary().keywords
        return keywords["TRUE"] if value else keywords["FALSE"]
    if isinstance(value, list | tuple):
        return ", ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    text = str(value)
    # A raw newline or escape sequence from server data must not break the table or the terminal.
    return "".join("⏎" if ch == "\n" else ("?" if ord(ch) < 32 or ord(ch) == 127 else ch)
                   for ch in text)


def default_columns(entity: str, keys: Sequence[str], *, most: int = 8) -> list[str]:
    """The columns to show for ``entity`` given the keys the flat rows have.

    >>> default_columns("testcase", ["name", "id", "x", "priority"])
    ['id', 'name', 'priority']
    >>> default_columns("testcase", ["a", "b"])
    ['a', 'b']
    """
    wanted = DEFAULT_COLUMNS.get(entity, ())
    chosen = [c for c in wanted if c in keys]
    if len(chosen) < 2:
        chosen = list(keys)
    return chosen[:most]


class Renderer:
    """Base renderer: ``begin(first_page)``, ``more(page)``, ``end()`` each return text.

    >>> r = make_renderer("jsonl", "testcase")
    >>> r.begin([{"id": 1}]) + r.more([{"id": 2}]) + r.end()
    '{"id": 1}\\n{"id": 2}\\n'
    """

    def __init__(self, entity: str, flatten: Flatten | None = None) -> None:
        self.entity = entity
        self._flatten = flatten
        self.rows = 0

    def flat(self, item: Item) -> Mapping[str, Any]:
        """The flat row for ``item`` (the item itself when no flatten function is set).

        >>> Renderer("testcase", lambda item, entity: {"n": item["id"]}).flat({"id": 3})
        {'n': 3}
        """
        return self._flatten(item, self.entity) if self._flatten else item

    def begin(self, items: Sequence[Item]) -> str:
        """Text for the first page (headers included).

        >>> make_renderer("csv", "testcase").begin([{"id": 1}])
        'id\\n1\\n'
        """
        return self.more(items)

    def more(self, items: Sequence[Item]) -> str:
        """Text for a later page.

        >>> r = make_renderer("csv", "testcase"); _ = r.begin([{"id": 1}]); r.more([{"id": 2}])
        '2\\n'
        """
        self.rows += len(items)
        return "".join(self.one(item) for item in items)

    def one(self, item: Item) -> str:
        """Text for one item.

        >>> Renderer("testcase").one({"id": 1})
        '{"id": 1}\\n'
        """
        return json.dumps(dict(item), ensure_ascii=False, default=str) + "\n"

    def end(self) -> str:
        """Text after the last page.

        >>> make_renderer("json", "testcase").end()
        ']\\n'
        """
        return ""


class _Json(Renderer):
    def begin(self, items: Sequence[Item]) -> str:
        return "[" + self.more(items)

    def more(self, items: Sequence[Item]) -> str:
        return "".join(self.one(item) for item in items)

    def one(self, item: Item) -> str:
        sep = "," if self.rows else ""
        self.rows += 1
        body = json.dumps(dict(item), ensure_ascii=False, default=str, indent=2)
        return sep + "\n  " + body.replace("\n", "\n  ")

    def end(self) -> str:
        return "\n]\n" if self.rows else "]\n"


class _Csv(Renderer):
    columns: list[str] | None = None

    def more(self, items: Sequence[Item]) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        for item in items:
            flat = self.flat(item)
            if self.columns is None:
                self.columns = list(flat)
                writer.writerow(self.columns)
            writer.writerow([cell_text(flat.get(c)) for c in self.columns])
        self.rows += len(items)
        return buf.getvalue()


class _Vertical(Renderer):
    def one(self, item: Item) -> str:
        flat = self.flat(item)
        keys = list(flat)
        pad = max((display_width(k) for k in keys), default=0)
        lines = [f"-[ {self.rows + 1} ]" + "-" * 20]
        for key in keys:
            lines.append(f"{key}{' ' * (pad - display_width(key))} | {cell_text(flat[key])}")
        self.rows += 1
        return "\n".join(lines) + "\n"

    def more(self, items: Sequence[Item]) -> str:
        return "".join(self.one(item) for item in items)


class _Table(Renderer):
    def __init__(self, entity: str, flatten: Flatten | None, width: int) -> None:
        super().__init__(entity, flatten)
        self.width = width
        self.columns: list[str] = []
        self.widths: list[int] = []
        self.numeric: list[bool] = []

    def begin(self, items: Sequence[Item]) -> str:
        flats = [self.flat(item) for item in items]
        keys: list[str] = []
        for flat in flats:
            keys.extend(k for k in flat if k not in keys)
        self.columns = default_columns(self.entity, keys)
        if not self.columns:
            return ""
        natural = [
            min(_MAX_WIDTH, max([display_width(c)] + [display_width(cell_text(f.get(c)))
                                                      for f in flats]))
            for c in self.columns
        ]
        # Numbers (ids) are never cut, and later pages hold bigger ones: give them room.
        self.numeric = [all(_is_int(f.get(c)) for f in flats)
                        and any(f.get(c) is not None for f in flats) for c in self.columns]
        natural = [max(n, _NUMBER_WIDTH) if num else n
                   for n, num in zip(natural, self.numeric, strict=True)]
        minimum = [n if num else min(n, max(_MIN_WIDTH, display_width(c)))
                   for n, num, c in zip(natural, self.numeric, self.columns, strict=True)]
        self.widths = _fit(natural, minimum, self.width - 3 * (len(natural) - 1) - 2,
                           keep=self.columns.index("name") if "name" in self.columns else None)
        header = self._line(self.columns)
        rule = "-+-".join("-" * w for w in self.widths)
        self.rows += len(flats)
        return header + "-" + rule + "-\n" + "".join(self._line(
            [cell_text(f.get(c)) for c in self.columns]) for f in flats)

    def more(self, items: Sequence[Item]) -> str:
        if not self.columns:
            return self.begin(items)
        self.rows += len(items)
        return "".join(self._line([cell_text(self.flat(i).get(c)) for c in self.columns])
                       for i in items)

    def _line(self, cells: Sequence[str]) -> str:
        parts = []
        for cell, width, num in zip(cells, self.widths, self.numeric, strict=True):
            # A number wider than its column pushes the row right rather than lose digits.
            text = cell if num else truncate(cell, width)
            pad = " " * (width - display_width(text))
            parts.append(pad + text if num else text + pad)  # numbers right-aligned (psql)
        return (" " + " | ".join(parts)).rstrip() + "\n"


def _is_int(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def _fit(natural: list[int], minimum: list[int], room: int,
         keep: int | None = None) -> list[int]:
    """Shrink the widest columns one character at a time until the row fits ``room``.

    The column ``keep`` (the name: what people read) gives way last: the others first shrink
    to a comfortable width, then all of them to their minimum.

    >>> _fit([4, 40, 20], [2, 6, 6], 40, keep=1)
    [4, 24, 12]
    """
    widths = list(natural)
    comfortable = [max(m, min(n, _COMFORTABLE)) for n, m in zip(natural, minimum, strict=True)]
    for floor, spare in ((comfortable, keep), (minimum, None)):
        while sum(widths) > room:
            shrinkable = [i for i in range(len(widths)) if i != spare and widths[i] > floor[i]]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i] - floor[i])
            widths[widest] -= 1
    return widths


def make_renderer(fmt: str, entity: str, *, width: int = 100,
                  flatten: Flatten | None = None) -> Renderer:
    """A renderer for one of the shell's formats (``width`` is the terminal width for tables).

    >>> r = make_renderer("csv", "testcase")
    >>> r.begin([{"id": 1, "tag": ["a", "b"]}]) + r.end()
    'id,tag\\n1,"a, b"\\n'
    """
    if fmt == "table":
        return _Table(entity, flatten, width)
    if fmt == "vertical":
        return _Vertical(entity, flatten)
    if fmt == "csv":
        return _Csv(entity, flatten)
    if fmt == "json":
        return _Json(entity, None)
    if fmt == "jsonl":
        return Renderer(entity, None)
    raise ValueError(f"unknown format {fmt!r}")


class Sink:
    """Where rendered text goes: a stream, a file, or a pager's input; ``close()`` finishes.

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
