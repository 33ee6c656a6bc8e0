"""Offsets <-> LSP positions in every encoding, for text that is not ASCII."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zql.errors import Span
from zql.lines import ENCODINGS, LineIndex, units

KOREAN = 'name ~ "새로운 테스트" and x = 1'
EMOJI = 'tag = "😀🎉" and x = 1'
COMBINING = 'name ~ "e\u0301te\u0301" and x = 1'  # é as e + COMBINING ACUTE ACCENT


@pytest.mark.parametrize(("text", "needle", "encoding", "expected"), [
    (KOREAN, "and", "utf-16", (0, 17)),
    (KOREAN, "and", "utf-8", (0, 8 + 3 * 6 + 1 + 2)),  # six syllables of 3 bytes, space, quote
    (KOREAN, "and", "utf-32", (0, 17)),
    (EMOJI, "and", "utf-16", (0, 13)),   # two emoji, two units each
    (EMOJI, "and", "utf-8", (0, 17)),    # four bytes each
    (EMOJI, "and", "utf-32", (0, 11)),
    (COMBINING, "and", "utf-16", (0, 15)),  # combining marks are units of their own
    (COMBINING, "and", "utf-8", (0, 17)),
    (COMBINING, "and", "utf-32", (0, 15)),
    ("a = 1;\r\n😀 = 2", "=", "utf-16", (0, 2)),
    ("x\n😀 = 2", " = 2", "utf-16", (1, 2)),
    ("x\r\n😀 = 2", " = 2", "utf-16", (1, 2)),
    ("x\r😀 = 2", " = 2", "utf-16", (1, 2)),
    # U+2028 is no line break for the protocol (str.splitlines thinks otherwise)
    ("# a\u2028b\nc = 1", "c", "utf-16", (1, 0)),
    ("# a\u2028b = 1", "b", "utf-16", (0, 4)),
])
def test_position_of_offset(text: str, needle: str, encoding: str,
                            expected: tuple[int, int]) -> None:
    offset = text.index(needle)
    index = LineIndex(text, encoding)
    assert index.position(offset) == expected
    assert index.offset(*expected) == offset


@pytest.mark.parametrize(("text", "position", "offset"), [
    ("😀c", (0, 1), 0),        # inside a surrogate pair: the character's start
    ("😀c", (0, 2), 1),
    ("ab\ncd", (0, 99), 2),    # past the line's end: the end of the line
    ("ab\r\ncd", (0, 3), 2),
    ("ab\ncd", (7, 0), 5),     # past the last line: the end of the text
    ("ab\ncd", (-1, 4), 0),
    ("ab\ncd", (1, -3), 3),
    ("", (0, 0), 0),
])
def test_out_of_range_positions_clamp(text: str, position: tuple[int, int], offset: int) -> None:
    assert LineIndex(text).offset(*position) == offset


@pytest.mark.parametrize(("offset", "expected"), [(-5, (0, 0)), (2, (0, 2)), (3, (0, 2)),
                                                  (4, (1, 0)), (99, (1, 2))])
def test_offsets_clamp_and_crlf_middle_is_line_end(offset: int,
                                                   expected: tuple[int, int]) -> None:
    assert LineIndex("ab\r\ncd").position(offset) == expected


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(ValueError, match="utf-7"):
        LineIndex("x", "utf-7")
    with pytest.raises(ValueError, match="utf-7"):
        units("x", "utf-7")


def test_lone_surrogates_count_as_encoded() -> None:
    assert units("\ud83d", "utf-16") == 1
    assert units("\ud83d", "utf-8") == 3


def test_span_round_trip_multiline() -> None:
    text = 'status = "통과";\nname ~ "😀 x"\r\n  and tag = "e\u0301"'
    index = LineIndex(text)
    span = Span(text.index("name"), text.index("e\u0301") + 2)
    start, end = index.range(span)
    assert (start, end) == ((1, 0), (2, 15))
    assert index.span(start, end) == span


_TEXT = st.lists(st.sampled_from(
    ["a", " ", "\n", "\r", "\r\n", "한", "😀", "e\u0301", "\u2028", '"', "#"]),
    max_size=30).map("".join)


@given(_TEXT, st.sampled_from(ENCODINGS), st.data())
def test_every_offset_round_trips(text: str, encoding: str, data: st.DataObject) -> None:
    index = LineIndex(text, encoding)
    offset = data.draw(st.integers(0, len(text)))
    line, character = index.position(offset)
    back = index.offset(line, character)
    # Only an offset between \r and \n has no position of its own (it is the line's end).
    if back != offset:
        assert text[offset - 1: offset + 1] == "\r\n" and back == offset - 1
