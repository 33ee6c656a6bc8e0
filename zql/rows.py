"""Search results as rows: table, vertical, json, jsonl, csv, excel-csv and xlsx, streamed.

The one implementation behind ``zql search``, the shell and the Python API; what to render is
one :class:`OutputOptions`. A renderer is fed the pages of a result (:meth:`Renderer.page`) and
then :meth:`Renderer.end`; each call returns the text to write, so whatever the size of the
result a renderer holds at most a page (plus the rows a table samples for its column widths).
Table, vertical, csv and xlsx show flat rows (give ``flatten``, normally
:func:`zql.client.flatten`), in the chosen columns (:func:`zql.columns.choose_columns`); json
and jsonl write the server's items unchanged, for scripts, unless ``flat`` is set.

Data is never altered in files: CSV, JSON and xlsx keep every character. Only what goes to a
terminal (table, vertical) shows control, bidi and zero-width characters as visible escapes.
``excel-csv`` is CSV for spreadsheets: UTF-8 with a BOM, and values a spreadsheet would run as
formulas (leading ``=``, ``+``, ``-``, ``@``, tab, CR) prefixed with ``'`` (OWASP's advice).
Pure apart from xlsx (which writes its workbook file itself): no terminal, no prompt_toolkit.

>>> r = make_renderer("table", "testcase", width=40)
>>> print(r.page([{"id": 1, "name": "Login works"}, {"id": 22, "name": "Logout"}]) + r.end(),
...       end="")
     id | name
--------+-------------
      1 | Login works
     22 | Logout
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zql import _vocabulary
from zql.columns import choose_columns, path_value
from zql.summary import empty_result_hint, noun, seconds

__all__ = [
    "DEFAULT_COLUMNS",
    "EXTENSIONS",
    "FORMATS",
    "TABLE_STYLES",
    "OutputOptions",
    "Renderer",
    "cell_text",
    "default_columns",
    "display_width",
    "empty_result_hint",
    "format_for_path",
    "make_renderer",
    "neutralise",
    "noun",
    "seconds",
    "truncate",
]

Item = Mapping[str, Any]
Flatten = Callable[[Item, str], Mapping[str, Any]]

#: Every output format, in the order help texts list them.
FORMATS: tuple[str, ...] = ("table", "vertical", "json", "jsonl", "csv", "excel-csv", "xlsx")
#: Formats written to files only (a workbook is not text).
FILE_ONLY: tuple[str, ...] = ("xlsx",)
#: A file's extension -> its format (``-o hits.csv``, ``\\o hits.xlsx``).
EXTENSIONS: dict[str, str] = {".csv": "csv", ".json": "json", ".jsonl": "jsonl",
                              ".ndjson": "jsonl", ".xlsx": "xlsx"}

#: Columns a table shows first for each entity, when the flat rows have them.
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "testcase": ("id", "name", "priority", "tags", "release", "project"),
    "requirement": ("id", "name", "priority", "tags", "release", "project"),
    "execution": ("id", "testcaseId", "name", "status", "priority", "executedBy", "cycle",
                  "release"),
}
_MIN_WIDTH = 6
_MAX_WIDTH = 60
_NUMBER_WIDTH = 6  # room for ids up to 999,999 when later pages may hold bigger ones
_COMFORTABLE = 12  # columns other than the name shrink to this before the name does
_ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class _Style:
    lead: str  # before the first cell
    sep: str  # between cells
    rule_edge: str  # the header rule's ends
    rule_sep: str  # the header rule where cells meet


#: Table borders: ``psql`` (``a | b``, the shell) and ``plain`` (cells two spaces apart, easy to
#: ``cut`` and ``awk``; ``zql search``).
_STYLES = {"psql": _Style(" ", " | ", "-", "-+-"), "plain": _Style("", "  ", "", "  ")}
TABLE_STYLES: tuple[str, ...] = tuple(_STYLES)


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (wide East Asian characters count two).

    >>> display_width("abc"), display_width("테스트"), display_width("e\\u0301")
    (3, 6, 1)
    """
    if text.isascii():
        return len(text)
    from wcwidth import wcswidth  # loaded for the first non-ASCII cell only (start-up time)

    width = wcswidth(text)
    return width if width >= 0 else len(text)


def truncate(text: str, width: int) -> str:
    """Cut ``text`` to ``width`` columns, ending in an ellipsis when something was cut.

    >>> truncate("Project Ironclad", 8), truncate("short", 8), truncate("테스트", 4)
    ('Project…', 'short', '테…')
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


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        # Booleans read as ZQL writes them, so a cell can be pasted into a query.
        keywords = _vocabulary.vocabulary().keywords
        return keywords["TRUE"] if value else keywords["FALSE"]
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


# Control characters (C0, DEL, C1) and the bidi / zero-width characters of Trojan Source.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch == "\n":
        return "⏎"
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def _visible(text: str) -> str:
    # A raw escape sequence or a bidi override from server data must never reach the terminal.
    return _INVISIBLE.sub(_escape, text) if _INVISIBLE.search(text) else text


def cell_text(value: Any) -> str:
    """One table cell: lists joined, booleans lowercase, invisible characters made visible.

    Line breaks show as ``⏎``; other control characters and the bidi and zero-width ones
    (U+202A-202E, U+2066-2069, U+200B-200F, U+FEFF) as ``\\x1b`` / ``\\u202e`` escapes.

    >>> cell_text(["smoke", "ui"]), cell_text(True), cell_text(None), cell_text("a\\nb")
    ('smoke, ui', 'true', '', 'a⏎b')
    >>> print(cell_text("\\x1b[31mred \\u202eevil"))
    \\x1b[31mred \\u202eevil
    """
    return _visible(_text(value))


#: What a spreadsheet runs as a formula when a cell starts with it (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A value made safe for a spreadsheet: text starting like a formula gets a leading ``'``.

    Numbers stay numbers (``-5`` is a number, not a formula); only text is changed.

    >>> neutralise("=HYPERLINK(\\"http://x\\")"), neutralise("-1+1"), neutralise(-5)
    ('\\'=HYPERLINK("http://x")', "'-1+1", -5)
    >>> neutralise("Login"), neutralise(["=a", "b"])
    ('Login', "'=a, b")
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    text = _text(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def format_for_path(path: str | os.PathLike[str], default: str) -> str:
    """The format for an output file: from its extension (:data:`EXTENSIONS`), else ``default``.

    >>> format_for_path("hits.CSV", "table"), format_for_path("a.txt", "vertical")
    ('csv', 'vertical')
    """
    return EXTENSIONS.get(os.path.splitext(os.fspath(path))[1].lower(), default)


@dataclass(frozen=True, slots=True)
class OutputOptions:
    """How results are rendered: one object shared by ``zql search``, the shell and the API.

    ``columns`` None means the entity's usual columns in a table and every flat column in
    csv, xlsx and flat JSON; ``flat`` makes json/jsonl write those flat rows instead of the
    server's items; ``width`` is a terminal's width (None: never cut, for pipes and files);
    ``sample`` how many rows a table waits for before fixing its widths (0: the first page).

    >>> OutputOptions("csv", columns=("id", "name")).columns
    ('id', 'name')
    """

    format: str = "table"
    columns: tuple[str, ...] | None = None
    flat: bool = False
    width: int | None = None
    style: str = "psql"
    sample: int = 0


def default_columns(entity: str, keys: Sequence[str], *, most: int = 8) -> list[str]:
    """The columns a table shows for ``entity`` given the keys the flat rows have.

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


def _dumps(item: Item) -> str:
    return json.dumps(dict(item), ensure_ascii=False, default=str)


class Renderer:
    """Text for a result: :meth:`page` for each page as it arrives, then :meth:`end`.

    This base class writes JSON lines (one item per line, unchanged); :func:`make_renderer`
    gives the others. ``rows`` counts the items taken so far.

    >>> r = make_renderer("jsonl", "testcase")
    >>> r.page([{"id": 1}]) + r.page([{"id": 2}]) + r.end(), r.rows
    ('{"id": 1}\\n{"id": 2}\\n', 2)
    """

    def __init__(self, entity: str, flatten: Flatten | None = None,
                 columns: Sequence[str] | None = None) -> None:
        self.entity = entity
        self._flatten = flatten
        self.rows = 0
        #: the columns chosen (None: the format's default)
        self.chosen = tuple(columns) if columns is not None else None

    def flat(self, item: Item) -> Mapping[str, Any]:
        """The flat row for ``item`` (the item itself when no flatten function is set), in the
        chosen columns; a dotted column reads the raw item.

        >>> Renderer("testcase", lambda item, entity: {"n": item["id"]}).flat({"id": 3})
        {'n': 3}
        >>> Renderer("testcase", None, ["a.b", "id"]).flat({"id": 3, "a": {"b": 4}})
        {'a.b': 4, 'id': 3}
        """
        row = self._flatten(item, self.entity) if self._flatten else item
        if self.chosen is None:
            return row
        return {c: row[c] if c in row else path_value(item, c) for c in self.chosen}

    def page(self, items: Sequence[Item]) -> str:
        """Text for the next page (the first one brings the headers).

        >>> r = make_renderer("csv", "testcase"); r.page([{"id": 1}]), r.page([{"id": 2}])
        ('id\\n1\\n', '2\\n')
        """
        return "".join(self.one(item) for item in items)

    def begin(self, items: Sequence[Item]) -> str:
        """The first page: the same as :meth:`page` (the renderer knows which page is first).

        >>> make_renderer("csv", "testcase").begin([{"id": 1}])
        'id\\n1\\n'
        """
        return self.page(items)

    def more(self, items: Sequence[Item]) -> str:
        """A later page: the same as :meth:`page`.

        >>> r = make_renderer("csv", "testcase"); _ = r.begin([{"id": 1}]); r.more([{"id": 2}])
        '2\\n'
        """
        return self.page(items)

    def one(self, item: Item) -> str:
        """Text for one item.

        >>> Renderer("testcase").one({"id": 1})
        '{"id": 1}\\n'
        """
        self.rows += 1
        return _dumps(item) + "\n"

    def end(self) -> str:
        """Text after the last page (also after an interrupted one: it keeps JSON valid).

        >>> make_renderer("json", "testcase").end()
        '[]\\n'
        """
        return ""


class _FlatLines(Renderer):
    """JSON lines of flat rows: the same columns (and values) as the table and CSV."""

    def one(self, item: Item) -> str:
        self.rows += 1
        return _dumps(self.flat(item)) + "\n"


class _Json(Renderer):
    """One JSON array, an item per line; valid whenever :meth:`end` has been written."""

    def __init__(self, entity: str, flatten: Flatten | None = None,
                 columns: Sequence[str] | None = None, *, flat: bool = False) -> None:
        super().__init__(entity, flatten, columns)
        self._flat_rows = flat

    def one(self, item: Item) -> str:
        self.rows += 1
        return ("[\n" if self.rows == 1 else ",\n") + _dumps(
            self.flat(item) if self._flat_rows else item)

    def end(self) -> str:
        return "\n]\n" if self.rows else "[]\n"


class _Csv(Renderer):
    """Every flat column (or the chosen ones), a header row first (for no rows too, when a
    flatten function is set). Values are exact; ``excel`` adds a BOM and neutralises formulas."""

    columns: list[str] | None = None

    def __init__(self, entity: str, flatten: Flatten | None = None,
                 columns: Sequence[str] | None = None, *, excel: bool = False) -> None:
        super().__init__(entity, flatten, columns)
        self.excel = excel
        self._cell: Callable[[Any], Any] = neutralise if excel else _text

    def _header(self, columns: list[str]) -> str:
        self.columns = columns
        return ("\ufeff" if self.excel else "") + _csv_line([self._cell(c) for c in columns])

    def page(self, items: Sequence[Item]) -> str:
        out: list[str] = []
        for item in items:
            flat = self.flat(item)
            if self.columns is None:
                out.append(self._header(list(flat)))
            out.append(_csv_line([self._cell(flat.get(c)) for c in self.columns or ()]))
        self.rows += len(items)
        return "".join(out)

    def end(self) -> str:
        if self.columns is not None:
            return ""
        # No rows: the flatten function still knows the columns (an empty item has them all).
        columns = list(self.flat({}))
        return self._header(columns) if columns else ""


class _Xlsx(Renderer):
    """A workbook (see :mod:`zql._xlsx`) written to ``path``; the text it returns is empty."""

    def __init__(self, entity: str, flatten: Flatten | None, columns: Sequence[str] | None,
                 path: str | os.PathLike[str]) -> None:
        super().__init__(entity, flatten, columns)
        self.path = path
        self.book: Any = None

    def _open(self, columns: list[str]) -> None:
        from zql._xlsx import Workbook

        self.columns = columns
        self.book = Workbook(self.path, columns)

    def page(self, items: Sequence[Item]) -> str:
        for item in items:
            flat = self.flat(item)
            if self.book is None:
                self._open(list(flat))
            self.book.row([flat.get(c) for c in self.columns])
        self.rows += len(items)
        return ""

    def end(self) -> str:
        if self.book is None:
            self._open(list(self.flat({})))
        self.book.close()
        return ""


def _csv_line(cells: Sequence[Any]) -> str:
    # The writer quotes a field holding a character of its line terminator: with "\r\n" both
    # a lone CR and a LF in the data get quoted (with "\n" a CR went out bare and split the
    # row in readers); the row itself then ends in "\n" like the rest of the output.
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()[:-2] + "\n"


class _Vertical(Renderer):
    """One ``column | value`` block per row (psql's ``\\x``)."""

    def one(self, item: Item) -> str:
        flat = self.flat(item)
        pad = max((display_width(k) for k in flat), default=0)
        self.rows += 1
        lines = [f"-[ {self.rows} ]" + "-" * 20]
        lines.extend(f"{key}{' ' * (pad - display_width(key))} | {cell_text(value)}"
                     for key, value in flat.items())
        return "\n".join(lines) + "\n"


class _Table(Renderer):
    """An aligned table; column widths come from the first ``sample`` rows (at least a page)."""

    def __init__(self, entity: str, flatten: Flatten | None, width: int | None, style: _Style,
                 sample: int, columns: Sequence[str] | None = None) -> None:
        super().__init__(entity, flatten, columns)
        self.width = width
        self.style = style
        self.sample = sample
        self.pending: list[Mapping[str, Any]] = []
        self.columns: list[str] | None = None  # None until the widths are fixed
        self.widths: list[int] = []
        self.numeric: list[bool] = []

    def page(self, items: Sequence[Item]) -> str:
        self.rows += len(items)
        flats = [self.flat(item) for item in items]
        if self.columns is not None:
            return "".join(self._row(flat) for flat in flats)
        self.pending.extend(flats)
        if self.pending and len(self.pending) >= self.sample:
            return self._start(final=False)
        return ""

    def end(self) -> str:
        return self._start(final=True) if self.columns is None else ""

    def _start(self, final: bool) -> str:
        flats = self.pending
        keys: list[str] = []
        for flat in flats or [self.flat({})]:  # no rows: an empty item's flat row has the keys
            keys.extend(k for k in flat if k not in keys)
        columns = list(self.chosen) if self.chosen else default_columns(self.entity, keys)
        if not columns:
            return ""
        self.pending = []
        texts = [[cell_text(f.get(c)) for c in columns] for f in flats]
        cap = _MAX_WIDTH if self.width is not None else None  # no terminal: never cut
        natural = [max([display_width(c)] + [display_width(t[i]) for t in texts])
                   for i, c in enumerate(columns)]
        natural = [min(cap, n) for n in natural] if cap else natural
        # Numbers (ids) are right-aligned and never cut; unless every row is already here,
        # later ones may hold bigger ids: give them room.
        self.numeric = [all(_is_int(f.get(c)) for f in flats)
                        and any(f.get(c) is not None for f in flats) for c in columns]
        if not final:
            natural = [max(n, _NUMBER_WIDTH) if num else n
                       for n, num in zip(natural, self.numeric, strict=True)]
        minimum = [n if num else min(n, max(_MIN_WIDTH, display_width(c)))
                   for n, num, c in zip(natural, self.numeric, columns, strict=True)]
        style = self.style
        if self.width is None:
            self.widths = natural
        else:
            room = (self.width - 2 * len(style.rule_edge)
                    - len(style.rule_sep) * (len(columns) - 1))
            self.widths = _fit(natural, minimum, room,
                               keep=columns.index("name") if "name" in columns else None)
        self.columns = columns
        rule = style.rule_sep.join("-" * w for w in self.widths)
        return (self._line(columns) + style.rule_edge + rule + style.rule_edge + "\n"
                + "".join(self._line(cells) for cells in texts))

    def _row(self, flat: Mapping[str, Any]) -> str:
        assert self.columns is not None
        return self._line([cell_text(flat.get(c)) for c in self.columns])

    def _line(self, cells: Sequence[str]) -> str:
        parts = []
        for cell, width, num in zip(cells, self.widths, self.numeric, strict=True):
            # A number wider than its column pushes the row right rather than lose digits.
            text = cell if num or self.width is None else truncate(cell, width)
            pad = " " * (width - display_width(text))
            parts.append(pad + text if num else text + pad)  # numbers right-aligned (psql)
        return (self.style.lead + self.style.sep.join(parts)).rstrip() + "\n"


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


def make_renderer(fmt: str | OutputOptions, entity: str, *, width: int | None = 100,
                  flatten: Flatten | None = None, style: str = "psql", sample: int = 0,
                  columns: str | Sequence[str] | None = None, flat: bool = False,
                  path: str | os.PathLike[str] | None = None) -> Renderer:
    """A renderer for one of :data:`FORMATS`, or for an :class:`OutputOptions` (whose fields
    then replace the keyword arguments).

    ``width`` is the terminal's width (None: no terminal, never cut), ``style`` one of
    :data:`TABLE_STYLES`, and ``sample`` how many rows a table waits for before fixing its
    column widths (0: the first page fixes them). Without ``flatten`` the items are taken as
    flat rows already. ``columns`` are checked against the flat columns (a
    :class:`zql.columns.ColumnError` with a did-you-mean for an unknown one). ``xlsx``
    writes its workbook to ``path``.

    >>> r = make_renderer("csv", "testcase")
    >>> r.page([{"id": 1, "tag": ["a", "b"]}]) + r.end()
    'id,tag\\n1,"a, b"\\n'
    >>> r = make_renderer("table", "testcase", style="plain", sample=100)
    >>> r.page([{"id": 7, "name": "Login"}]), r.page([{"id": 12, "name": "Logout"}])
    ('', '')
    >>> print(r.end(), end="")
    id  name
    --  ------
     7  Login
    12  Logout
    """
    if isinstance(fmt, OutputOptions):
        options = fmt
        fmt, width, style, sample = options.format, options.width, options.style, options.sample
        columns, flat = options.columns, options.flat
    chosen = _checked(columns, entity, flatten)
    if fmt == "table":
        if style not in _STYLES:
            raise ValueError(f"unknown table style {style!r}")
        return _Table(entity, flatten, width, _STYLES[style], sample, chosen)
    if fmt == "vertical":
        return _Vertical(entity, flatten, chosen)
    if fmt in ("csv", "excel-csv"):
        return _Csv(entity, flatten, chosen, excel=fmt == "excel-csv")
    if fmt == "xlsx":
        if path is None:
            raise ValueError("xlsx writes a workbook file: give path")
        return _Xlsx(entity, flatten, chosen, path)
    if fmt == "json":
        return _Json(entity, flatten if flat else None, chosen if flat else None, flat=flat)
    if fmt == "jsonl":
        return (_FlatLines(entity, flatten, chosen) if flat else Renderer(entity, None))
    raise ValueError(f"unknown format {fmt!r}")


def _checked(columns: str | Sequence[str] | None, entity: str,
             flatten: Flatten | None) -> tuple[str, ...] | None:
    if columns is None:
        return None
    known = list(flatten({}, entity)) if flatten else []
    return choose_columns(columns, known) if known else choose_columns(
        columns, [c.strip() for c in (columns.split(",") if isinstance(columns, str)
                                      else columns)])
