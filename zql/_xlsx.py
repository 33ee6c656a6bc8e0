"""An Excel workbook of flat rows, streamed through xlsxwriter's constant_memory mode.

Typed cells: integers and floats are numbers, booleans booleans, ISO 8601 UTC timestamps (as
:func:`zql.client.flatten` writes dates) real dates; everything else is a string written with
``write_string``, so no value is ever stored as a formula, a number guessed from text, or a
link. The header row is frozen and column widths are fitted to the longest value (capped).
Rows are flushed to disk as they are written: memory stays flat whatever the row count.

Needs the optional ``xlsxwriter`` package (``pip install 'zephyr-zql[excel]'``).

>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "hits.xlsx"
>>> book = Workbook(path, ["id", "name", "executedOn"])
>>> book.row([7, "=HYPERLINK(1)", "2023-11-14T22:13:20Z"]); book.close()
>>> path.stat().st_size > 0
True
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from typing import Any

__all__ = ["MissingXlsxWriter", "Workbook", "available"]

_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\Z")
_DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
_MAX_WIDTH = 60
_DATE_WIDTH = 19
# Excel's own limit on a cell's text; longer values are cut by xlsxwriter with a warning.
_MAX_CELL = 32767


class MissingXlsxWriter(RuntimeError):
    """xlsxwriter is not installed; the message says how to get it.

    >>> "zephyr-zql[excel]" in str(MissingXlsxWriter())
    True
    """

    def __init__(self) -> None:
        super().__init__("xlsx output needs xlsxwriter: pip install 'zephyr-zql[excel]'")


def available() -> bool:
    """Whether xlsxwriter can be imported.

    >>> isinstance(available(), bool)
    True
    """
    try:
        import xlsxwriter  # noqa: F401
    except ImportError:
        return False
    return True


class Workbook:
    """One worksheet ``results``: a header row, then :meth:`row` for each row; :meth:`close`.

    ``path`` is written by xlsxwriter at :meth:`close` (write to a temporary name and rename
    it for an atomic file). Raises :class:`MissingXlsxWriter` without xlsxwriter.
    """

    def __init__(self, path: str | os.PathLike[str], columns: Sequence[str]) -> None:
        try:
            import xlsxwriter
        except ImportError:
            raise MissingXlsxWriter() from None
        self._book = xlsxwriter.Workbook(os.fspath(path), {
            "constant_memory": True,
            # Never interpret text: no formulas, numbers or links made from strings.
            "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False,
            "remove_timezone": True,
        })
        self._sheet = self._book.add_worksheet("results")
        self._dates = self._book.add_format({"num_format": _DATE_FORMAT})
        self._header = self._book.add_format({"bold": True})
        self._widths = [min(len(c), _MAX_WIDTH) for c in columns]
        self._row = 0
        for col, name in enumerate(columns):
            self._sheet.write_string(0, col, name, self._header)
        self._sheet.freeze_panes(1, 0)

    def row(self, values: Sequence[Any]) -> None:
        """Write one row of values (one per column, in order)."""
        self._row += 1
        sheet, r = self._sheet, self._row
        for col, value in enumerate(values):
            width = self._write(sheet, r, col, value)
            if width > self._widths[col]:
                self._widths[col] = min(width, _MAX_WIDTH)

    def _write(self, sheet: Any, r: int, col: int, value: Any) -> int:
        if value is None:
            return 0
        if isinstance(value, bool):
            sheet.write_boolean(r, col, value)
            return 5
        if isinstance(value, int | float) and abs(value) < 1e15:
            sheet.write_number(r, col, value)
            return len(str(value))
        text = value if isinstance(value, str) else _text(value)
        if _ISO.match(text):
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            sheet.write_datetime(r, col, stamp, self._dates)
            return _DATE_WIDTH
        sheet.write_string(r, col, text[:_MAX_CELL])
        return max((len(line) for line in text.splitlines()), default=0)

    def close(self) -> None:
        """Fit the column widths and write the file."""
        for col, width in enumerate(self._widths):
            self._sheet.set_column(col, col, width + 2)
        self._book.close()


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, dict):
        import json

        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)
