"""Line index: code-point offsets <-> (line, character) positions, in LSP position encodings.

The library counts in code points (``Span`` offsets); an LSP client counts ``character`` in the
units of the negotiated ``positionEncoding``: UTF-16 code units by default (an emoji is two), or
UTF-8 bytes (a Hangul syllable is three), or UTF-32 (= code points). Lines end at ``\\n``,
``\\r\\n`` or ``\\r``, as the protocol says. Combining characters are separate code points and
separate units; nothing here counts graphemes.

>>> index = LineIndex("a = 1;\\nname ~ \\"😀\\" and x = 1", "utf-16")
>>> index.position(17), index.offset(1, 11)
((1, 11), 17)
>>> LineIndex("😀x", "utf-8").position(1), LineIndex("😀x", "utf-32").position(1)
((0, 4), (0, 1))
"""

from __future__ import annotations

import bisect
import re

from zql.errors import Span

__all__ = ["DEFAULT_ENCODING", "ENCODINGS", "LineIndex", "units"]

#: Encodings the server offers, preferred first (pygls negotiates among these).
ENCODINGS: tuple[str, ...] = ("utf-16", "utf-8", "utf-32")
#: What the protocol mandates when the client states no preference.
DEFAULT_ENCODING = "utf-16"
_BREAK = re.compile(r"\r\n|\r|\n")
_CODECS = {"utf-16": "utf-16-le", "utf-8": "utf-8"}


def units(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """Length of ``text`` in the units of ``encoding``.

    Lone surrogates (possible in JSON text) count as one UTF-16 unit and three UTF-8 bytes,
    as their encoded forms do.

    >>> units("a😀", "utf-16"), units("한", "utf-8"), units("e\\u0301", "utf-32")
    (3, 3, 2)
    """
    if encoding == "utf-32":
        return len(text)
    if encoding == "utf-16":
        if text.isascii():
            return len(text)
        # Faster than encoding: every code point above U+FFFF is a surrogate pair.
        return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    codec = _CODECS.get(encoding)
    if codec is None:
        raise ValueError(f"unknown position encoding {encoding!r}; one of {', '.join(ENCODINGS)}")
    return len(text.encode(codec, "surrogatepass"))


class LineIndex:
    """Line starts of one text, converting offsets and positions in one encoding.

    Build one per document version; each conversion costs a binary search plus the length of
    one line prefix.

    >>> idx = LineIndex("한국어\\r\\nx = 1")
    >>> idx.position(5), idx.position(3), idx.offset(1, 0), idx.line_count
    ((1, 0), (0, 3), 5, 2)
    """

    __slots__ = ("_ends", "_starts", "encoding", "text")

    def __init__(self, text: str, encoding: str = DEFAULT_ENCODING) -> None:
        if encoding not in ENCODINGS:
            raise ValueError(
                f"unknown position encoding {encoding!r}; one of {', '.join(ENCODINGS)}")
        self.text = text
        self.encoding = encoding
        breaks = list(_BREAK.finditer(text))
        self._starts = [0] + [m.end() for m in breaks]
        # Where each line's content ends, before its line break.
        self._ends = [m.start() for m in breaks] + [len(text)]

    @property
    def line_count(self) -> int:
        """Number of lines (a text ending in a line break has an empty last line).

        >>> LineIndex("a\\n").line_count
        2
        """
        return len(self._starts)

    def position(self, offset: int) -> tuple[int, int]:
        """0-based ``(line, character)`` of a code-point offset (clamped to the text).

        An offset inside a ``\\r\\n`` pair counts as the end of its line.

        >>> LineIndex("ab\\n😀c").position(4)
        (1, 2)
        """
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self._starts, offset) - 1
        start = self._starts[line]
        end = min(offset, self._ends[line])
        return line, units(self.text[start:end], self.encoding)

    def offset(self, line: int, character: int) -> int:
        """Code-point offset of a position; out-of-range values clamp as the protocol says.

        A ``character`` past the line's end means the end of the line; one that falls inside
        a character (the middle of a surrogate pair) means that character's start.

        >>> idx = LineIndex("😀c\\nx")
        >>> idx.offset(0, 2), idx.offset(0, 1), idx.offset(0, 99), idx.offset(9, 0)
        (1, 0, 2, 4)
        """
        if line < 0:
            return 0
        if line >= len(self._starts):
            return len(self.text)
        start = self._starts[line]
        end = self._ends[line]
        if character <= 0:
            return start
        segment = self.text[start:end]
        if self.encoding == "utf-32" or segment.isascii():
            return start + min(character, len(segment))
        count = 0
        for index, ch in enumerate(segment):
            width = units(ch, self.encoding)
            if count + width > character:
                return start + index
            count += width
        return end

    def line_span(self, line: int) -> Span:
        """Where a line's content starts and ends, without its line break.

        >>> LineIndex("ab\\r\\ncd").line_span(0), LineIndex("ab").line_span(5)
        (Span(start=0, end=2), Span(start=2, end=2))
        """
        if not 0 <= line < len(self._starts):
            return Span(len(self.text), len(self.text))
        return Span(self._starts[line], self._ends[line])

    def range(self, span: Span) -> tuple[tuple[int, int], tuple[int, int]]:
        """Start and end positions of a span.

        >>> LineIndex("x = \\"é\\"\\ny").range(Span(4, 7))
        ((0, 4), (0, 7))
        """
        return self.position(span.start), self.position(span.end)

    def span(self, start: tuple[int, int], end: tuple[int, int]) -> Span:
        """The span between two positions (swapped if given backwards).

        >>> LineIndex("ab\\ncd").span((1, 1), (0, 1))
        Span(start=1, end=4)
        """
        a, b = self.offset(*start), self.offset(*end)
        return Span(min(a, b), max(a, b))
