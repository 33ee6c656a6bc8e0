"""zql.rows: every format, streamed in pages, at every width, with data that fights back."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from zql.client import flat_columns, flatten
from zql.rows import FILE_ONLY, FORMATS, TABLE_STYLES, display_width, make_renderer, truncate

TEXT_FORMATS = [f for f in FORMATS if f not in FILE_ONLY]

Items = list[dict[str, Any]]

SMALL: Items = [
    {"id": 7, "name": "Login works", "priority": "High", "tags": ["smoke", "ui"]},
    {"id": 1234, "name": "Logout", "priority": None, "tags": []},
]


def render(fmt: str, pages: list[Items], **options: Any) -> str:
    r = make_renderer(fmt, "testcase", **options)
    return "".join(r.page(items) for items in pages) + r.end()


def display_columns(line: str, char: str) -> list[int]:
    """Display columns at which ``char`` occurs in ``line``."""
    return [display_width(line[:i]) for i, ch in enumerate(line) if ch == char]


# --------------------------------------------------------------------------- each format


@pytest.mark.parametrize(("fmt", "options", "expected"), [
    ("table", {"style": "psql"},
     "     id | name        | priority | tags\n"
     "--------+-------------+----------+-----------\n"
     "      7 | Login works | High     | smoke, ui\n"
     "   1234 | Logout      |          |\n"),
    ("table", {"style": "plain", "sample": 100},  # all rows known: no room kept for bigger ids
     "  id  name         priority  tags\n"
     "----  -----------  --------  ---------\n"
     "   7  Login works  High      smoke, ui\n"
     "1234  Logout\n"),
    ("vertical", {},
     "-[ 1 ]--------------------\nid       | 7\nname     | Login works\npriority | High\n"
     "tags     | smoke, ui\n"
     "-[ 2 ]--------------------\nid       | 1234\nname     | Logout\npriority | \ntags     | \n"),
    ("csv", {}, 'id,name,priority,tags\n7,Login works,High,"smoke, ui"\n1234,Logout,,\n'),
    ("json", {},
     '[\n{"id": 7, "name": "Login works", "priority": "High", "tags": ["smoke", "ui"]},\n'
     '{"id": 1234, "name": "Logout", "priority": null, "tags": []}\n]\n'),
    ("jsonl", {},
     '{"id": 7, "name": "Login works", "priority": "High", "tags": ["smoke", "ui"]}\n'
     '{"id": 1234, "name": "Logout", "priority": null, "tags": []}\n'),
])
def test_each_format(fmt: str, options: dict[str, Any], expected: str) -> None:
    assert render(fmt, [SMALL], **options) == expected


@pytest.mark.parametrize(("fmt", "expected"), [
    ("table", "id  name  priority  tags  release  project\n"
              "--  ----  --------  ----  -------  -------\n"),
    ("csv", ",".join(flat_columns("requirement")) + "\n"),
    ("json", "[]\n"),
    ("jsonl", ""),
    ("vertical", ""),
])
def test_an_empty_result_still_has_its_header(fmt: str, expected: str) -> None:
    # The flatten function knows the entity's columns even when no row came.
    r = make_renderer(fmt, "requirement", flatten=flatten, style="plain")
    assert r.page([]) + r.end() == expected


def test_flat_rows_come_from_the_flatten_function() -> None:
    item = {"id": 9, "lastTestResult": {"executionStatus": "2"},
            "tcrTreeTestcase": {"testcase": {"testcaseId": 1001, "name": "Login"}}}
    table = render_entity("table", "execution", [item])
    header, _, row = ([cell.strip() for cell in line.split("|")] for line in table.splitlines())
    assert header == ["id", "testcaseId", "name", "status", "priority", "executedBy", "cycle",
                      "release"]
    assert row[:4] == ["9", "1001", "Login", "Fail"]
    rows = list(csv.DictReader(io.StringIO(render_entity("csv", "execution", [item]))))
    assert list(rows[0]) == flat_columns("execution") and rows[0]["status"] == "Fail"
    assert json.loads(render_entity("json", "execution", [item])) == [item]  # items unchanged


def render_entity(fmt: str, entity: str, items: Items) -> str:
    r = make_renderer(fmt, entity, flatten=flatten, width=200)
    return r.page(items) + r.end()


@pytest.mark.parametrize(("fmt", "style"), [("xml", "psql"), ("table", "fancy")])
def test_unknown_format_or_style(fmt: str, style: str) -> None:
    with pytest.raises(ValueError, match="unknown"):
        make_renderer(fmt, "testcase", style=style)


# --------------------------------------------------------------------------- streaming

MANY: Items = [{"id": n * 37, "name": f"Case {n} " + "x" * (n % 9), "priority": "P2",
                "tags": ["a", "b"][: n % 3]} for n in range(1, 13)]
SPLITS = [[12], [1, 11], [5, 0, 7], [3, 3, 3, 3], [1] * 12]


@pytest.mark.parametrize("fmt", TEXT_FORMATS)
@pytest.mark.parametrize("sizes", SPLITS, ids=str)
def test_how_the_pages_fall_does_not_change_the_output(fmt: str, sizes: list[int]) -> None:
    pages, start = [], 0
    for size in sizes:
        pages.append(MANY[start:start + size])
        start += size
    # A table that samples every row is split-proof too; with sample=0 its first page decides.
    whole = render(fmt, [MANY], sample=len(MANY))
    assert render(fmt, pages, sample=len(MANY)) == whole


@pytest.mark.parametrize(("sample", "sizes", "silent_pages"), [
    (0, [2, 3], 0), (4, [2, 3], 1), (5, [2, 3], 1), (6, [2, 3], 2), (100, [1, 1, 1], 3),
])
def test_a_table_waits_for_its_sample(sample: int, sizes: list[int], silent_pages: int) -> None:
    r = make_renderer("table", "testcase", sample=sample)
    texts, start = [], 0
    for size in sizes:
        texts.append(r.page(MANY[start:start + size]))
        start += size
    texts.append(r.end())
    assert [t == "" for t in texts[:-1]] == [i < silent_pages for i in range(len(sizes))]
    lines = "".join(texts).splitlines()
    assert len(lines) == 2 + start and r.rows == start


def test_later_pages_keep_the_columns_of_the_first() -> None:
    r = make_renderer("table", "testcase", width=60)
    first = r.page([{"id": 1, "name": "short", "priority": "P1"}])
    later = r.page([{"id": 123456789, "name": "a much longer name than before", "priority": "P1",
                     "extra": "ignored"}])
    bars = display_columns(first.splitlines()[0], "|")
    assert "123456789" in later  # a number is never cut: it pushes its row right instead
    assert "…" in later and "ignored" not in later
    assert display_columns(first.splitlines()[2], "|") == bars


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
@pytest.mark.parametrize("pages_done", [0, 1, 2])
def test_an_interrupted_stream_is_still_valid(fmt: str, pages_done: int) -> None:
    """What was written before Ctrl-C, plus ``end()``, parses and holds exactly those rows."""
    pages = [MANY[:4], MANY[4:9], MANY[9:]]
    r = make_renderer(fmt, "testcase")
    text = "".join(r.page(p) for p in pages[:pages_done]) + r.end()
    kept = [item for p in pages[:pages_done] for item in p]
    if fmt == "json":
        assert json.loads(text) == kept
    elif fmt == "jsonl":
        assert [json.loads(line) for line in text.splitlines()] == kept
    else:
        assert [int(row["id"]) for row in csv.DictReader(io.StringIO(text))] == [
            item["id"] for item in kept]


# --------------------------------------------------------------------------- widths

WIDE: Items = [
    {"id": 1, "name": "새로운 테스트 케이스 이름이 깁니다", "priority": "높음", "tags": ["界面"]},
    {"id": 22, "name": "絵文字 😀 をふくむ名前", "priority": "P1", "tags": ["ui"]},
    {"id": 333, "name": "Café crème brûlée", "priority": "P2", "tags": []},
]


@pytest.mark.parametrize("style", TABLE_STYLES)
@pytest.mark.parametrize("width", [20, 30, 40, 60, 120])
def test_wide_characters_fit_and_stay_aligned(style: str, width: int) -> None:
    lines = render("table", [WIDE], width=width, style=style).splitlines()
    # Each column has a floor (the header, at most 6 wide; numbers whole) below which it keeps.
    floor = {"psql": 6 + 6 + 8 + 4 + 3 * 3 + 2, "plain": 6 + 6 + 8 + 4 + 2 * 3}[style]
    assert max(display_width(line) for line in lines) <= max(width, floor)
    if style == "psql":
        assert len({tuple(display_columns(line, "|")) for line in lines if "|" in line}) == 1
    assert [line.split()[0] for line in lines[2:]] == ["1", "22", "333"]


@pytest.mark.parametrize(("width", "widths"), [
    (200, [6, 34, 30, 30]),  # room enough: natural widths
    (100, [6, 34, 24, 25]),  # the others shrink first, the name keeps its width...
    (80, [6, 34, 14, 15]),
    (60, [6, 19, 12, 12]),  # ...until they are down to 12; then all shrink to their floors
    (50, [6, 10, 12, 11]),
    (20, [6, 6, 8, 6]),  # the floors: numbers whole, headers whole
])
def test_the_name_gives_way_last(width: int, widths: list[int]) -> None:
    items = [{"id": 1, "name": "n" * 34, "priority": "p" * 30, "tags": "t" * 30}]
    rule = render("table", [items], width=width).splitlines()[1]
    assert [len(part) - 2 for part in rule.split("+")] == widths


@pytest.mark.parametrize(("text", "width", "cut"), [
    ("abcdef", 6, "abcdef"), ("abcdefg", 6, "abcde…"), ("테스트", 4, "테…"), ("테스트", 5, "테스…"),
    ("😀😀", 3, "😀…"), ("e\u0301e\u0301", 2, "e\u0301e\u0301"),
])
def test_truncate_counts_display_columns(text: str, width: int, cut: str) -> None:
    assert truncate(text, width) == cut and display_width(cut) <= width


# --------------------------------------------------------------------------- cells and quoting

NASTY: Items = [
    {"id": 1, "name": 'He said "hi", then left', "note": "two\nlines", "flag": True,
     "tab": "a\tb", "esc": "\x1b[31mred", "list": ["x", "y,z"], "none": None,
     "nested": {"k": "v"}},
]


@pytest.mark.parametrize(("column", "value"), [
    ("name", 'He said "hi", then left'), ("note", "two\nlines"), ("flag", "true"),
    ("tab", "a\tb"), ("esc", "\x1b[31mred"), ("list", "x, y,z"), ("none", ""),
    ("nested", '{"k": "v"}'),
])
def test_csv_quotes_what_it_must_and_keeps_the_data(column: str, value: str) -> None:
    # Files keep the data exactly: an ESC in a note stays an ESC (issue 13).
    text = render("csv", [NASTY])
    assert next(csv.DictReader(io.StringIO(text)))[column] == value


@pytest.mark.parametrize("fmt", ["table", "vertical"])
def test_control_characters_never_reach_the_terminal(fmt: str) -> None:
    items = [{"id": 1, "name": "two\nlines\t\x1b[31mred\x07"}, *NASTY]
    text = render(fmt, [items], width=300)
    assert "\x1b" not in text and "\t" not in text and "\x07" not in text
    assert "two⏎lines\\x09\\x1b[31mred\\x07" in text
    assert len(text.splitlines()) == (4 if fmt == "table" else 2 + 2 + len(NASTY[0]))
