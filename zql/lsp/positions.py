"""Compatibility path: the line index is an engine, :mod:`zql.lines` (SARIF uses it too).

>>> from zql.lsp.positions import LineIndex
>>> LineIndex("a\\nb").position(2)
(1, 0)
"""

from zql.lines import DEFAULT_ENCODING, ENCODINGS, LineIndex, units

__all__ = ["DEFAULT_ENCODING", "ENCODINGS", "LineIndex", "units"]
