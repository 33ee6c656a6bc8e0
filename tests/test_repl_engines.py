"""The shell's adapters over the engines, without a terminal: completer, validator, lexer,
toolbar, renderers, explain, and every doctest of the ``zql_repl`` package."""

from __future__ import annotations

import csv
import doctest
import importlib
import io
import json
import pkgutil

import pytest
import zql_repl
from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError
from zql_repl import commands
from zql_repl.completer import LOADING_STYLE, ZQLCompleter
from zql_repl.explain import explain_lines, schema_lines, tree_lines
from zql_repl.lexer import ShellLexer
from zql_repl.metadata import Snapshot
from zql_repl.output import cell_text, default_columns, display_width, make_renderer, truncate
from zql_repl.state import ShellState
from zql_repl.toolbar import fragments
from zql_repl.validator import Linter, ZQLValidator, is_query, needs_more

from zql.schema import load_schema

SCHEMA = load_schema("ze7")


@pytest.mark.parametrize("module", sorted(
    m.name for m in pkgutil.iter_modules(zql_repl.__path__, "zql_repl.")))
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module),
                             optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.failed == 0


# --------------------------------------------------------------------------- completer


def completer(entity: str = "testcase", values: object = None) -> ZQLCompleter:
    return ZQLCompleter(lambda: (SCHEMA, entity), values=values,  # type: ignore[arg-type]
                        commands=lambda before: commands.complete_line(None, before))  # type: ignore[arg-type]


def offered(text: str, cursor: int | None = None, **kwargs: object) -> list[tuple[str, int]]:
    doc = Document(text, len(text) if cursor is None else cursor)
    return [(c.text, c.start_position)
            for c in completer(**kwargs).get_completions(doc, None)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "cursor", "first"), [
    ("prio", None, ("priority", -4)),
    ("priority", 4, ("prio", -4)),  # inside a word: the rest of the word is kept, not doubled
    ('automated = ', None, ("true", 0)),
    ('automated = t', None, ("true", -1)),
    ("\\en", None, ("\\entity", -3)),
    ("\\format j", None, ("json", -1)),
    ("\\entity exe", None, ("execution", -3)),
])
def test_completions_map_to_prompt_toolkit_ranges(text: str, cursor: int | None,
                                                  first: tuple[str, int]) -> None:
    assert offered(text, cursor)[0] == first


@pytest.mark.parametrize(("text", "entity", "expected"), [
    ("status ", "execution", ["=", "!=", "in"]),
    ("automated ", "testcase", ["=", "!="]),
    ("? logi", "testcase", []),
])
def test_only_what_fits_is_offered(text: str, entity: str, expected: list[str]) -> None:
    assert [t for t, _ in offered(text, entity=entity)] == expected


def test_values_loading_is_marked_and_remembered() -> None:
    comp = completer(values=lambda entity, spec, prefix: None)
    doc = Document('priority = "')
    found = list(comp.get_completions(doc, None))  # type: ignore[arg-type]
    assert [c.style for c in found] == [LOADING_STYLE]
    assert comp.pending_for == 'priority = "'
    list(comp.get_completions(Document("prio"), None))  # type: ignore[arg-type]
    assert comp.pending_for is None


def test_server_values_are_quoted() -> None:
    found = offered('priority = "Cr', values=lambda e, s, p: ["Critical", "Low"])
    assert found == [('"Critical"', -3)]


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(("text", "query", "more"), [
    ('a = "1"', True, False),
    ("\\entity execution", False, False),
    ("?free text", False, False),
    ("   ", False, False),
    ('(a = "1" or', True, True),
    ('(a = "1")', True, False),
    ('a ~ "(" and (b = 1', True, True),
    ("# (comment only", True, False),
])
def test_line_kinds_and_open_parentheses(text: str, query: bool, more: bool) -> None:
    assert (is_query(text), needs_more(text)) == (query, more)


@pytest.mark.parametrize(("text", "entity", "blocked_at"), [
    ("status = Fail", "execution", 9),
    ('status = "Fail"', "testcase", 0),        # unknown field for the entity: an error
    ('status = "Fail"', "execution", None),
    ('priority = "P1" AND name ~ "x"', "testcase", None),  # a warning does not block
    ("\\q", "testcase", None),
])
def test_validator_blocks_errors_only(text: str, entity: str, blocked_at: int | None) -> None:
    validator = ZQLValidator(Linter(lambda: (SCHEMA, entity)))
    if blocked_at is None:
        validator.validate(Document(text))
        return
    with pytest.raises(ValidationError) as caught:
        validator.validate(Document(text))
    assert caught.value.cursor_position == blocked_at
    assert " error ZQL" in caught.value.message


def test_linter_cache_follows_schema_swaps() -> None:
    schemas = [load_schema("ze7")]
    linter = Linter(lambda: (schemas[0], "testcase"))
    assert linter.first('customtext ~ "x"').code == "ZQL201"
    schemas[0] = SCHEMA.with_custom_fields("testcase", [("customtext", "text")])
    assert linter.first('customtext ~ "x"') is None


# --------------------------------------------------------------------------- lexer, toolbar


@pytest.mark.parametrize(("text", "styles"), [
    ('status = "Fail"', ["attribute", "operator", "double"]),
    ("a in (1, true)", ["attribute", "keyword", "punctuation", "number", "punctuation",
                        "constant", "punctuation"]),
    ('name ~ "open', ["attribute", "operator", "double"]),
])
def test_lexer_styles_query_tokens(text: str, styles: list[str]) -> None:
    line = ShellLexer().lex_document(Document(text))(0)
    got = [style.split(".")[-1] for style, value in line if value.strip()]
    assert got == styles


@pytest.mark.parametrize("line", ["\\schema priority", "? login form"])
def test_lexer_leaves_commands_plain(line: str) -> None:
    assert ShellLexer().lex_document(Document(line))(0) == [("class:command", line)]


@pytest.mark.parametrize(("snapshot", "label"), [
    (Snapshot(SCHEMA, "connecting", server="z"), "● connecting z"),
    (Snapshot(SCHEMA, "connected", server="z"), "● connected z"),
    (Snapshot(SCHEMA, "offline", reason="timed out", server="z"), "● offline: timed out"),
])
def test_toolbar_shows_connection_state(snapshot: Snapshot, label: str) -> None:
    texts = [text for _, text in fragments(ShellState(), snapshot, "", None)]
    assert label in texts


def test_toolbar_shows_the_first_error_with_its_position() -> None:
    text = 'priority = "P1" AND\nstatus = Fail'
    linter = Linter(lambda: (SCHEMA, "execution"))
    style, shown = fragments(ShellState(entity="execution"), Snapshot(SCHEMA), text,
                             linter.first(text))[-1]
    assert style == "class:bottom-toolbar.error" and shown.startswith("2:10 error ZQL107")


# --------------------------------------------------------------------------- renderers

ITEMS = [{"id": n, "name": f"Test case number {n} " + "x" * n, "priority": "P1",
          "tags": ["a", "b"]} for n in range(1, 30)]


@pytest.mark.parametrize("width", [40, 60, 80, 200])
def test_table_fits_the_terminal_and_streams_with_fixed_columns(width: int) -> None:
    r = make_renderer("table", "testcase", width=width)
    text = r.begin(ITEMS[:10]) + r.more(ITEMS[10:]) + r.end()
    lines = text.splitlines()
    assert len(lines) == 2 + len(ITEMS)
    assert max(display_width(line) for line in lines) <= max(width, 4 * 6 + 3 * 3 + 2)
    assert [c.strip() for c in lines[0].split("|")] == ["id", "name", "priority", "tags"]
    assert len({len(line.split("|")[0]) for line in lines if "|" in line}) == 1


def test_table_handles_wide_characters_and_control_characters() -> None:
    r = make_renderer("table", "testcase", width=30)
    text = r.begin([{"id": 1, "name": "새로운 테스트 케이스 이름이 깁니다"},
                    {"id": 2, "name": "line\nbreak\x1b[31m"}])
    assert "\x1b" not in text and "\n" not in text.splitlines()[3]
    assert max(display_width(line) for line in text.splitlines()) <= 30


@pytest.mark.parametrize("chunks", [[], [ITEMS[:1]], [ITEMS[:2], ITEMS[2:5]]])
def test_json_is_valid_however_it_is_streamed(chunks: list[list[dict[str, object]]]) -> None:
    r = make_renderer("json", "testcase")
    text = (r.begin(chunks[0]) if chunks else r.begin([])) + "".join(
        r.more(c) for c in chunks[1:]) + r.end()
    assert json.loads(text) == [item for chunk in chunks for item in chunk]


def test_csv_and_jsonl_and_vertical() -> None:
    rows = list(csv.DictReader(io.StringIO(make_renderer("csv", "testcase").begin(ITEMS[:3]))))
    assert [r["id"] for r in rows] == ["1", "2", "3"] and rows[0]["tags"] == "a, b"
    jsonl = make_renderer("jsonl", "testcase").begin(ITEMS[:2]).splitlines()
    assert [json.loads(line)["id"] for line in jsonl] == [1, 2]
    vertical = make_renderer("vertical", "testcase").begin(ITEMS[:2])
    assert vertical.count("-[ ") == 2 and "name     | Test case number 1 x" in vertical


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (False, "false"), (12, "12"), (["a", 1], "a, 1"), ("a\tb", "a\\x09b"),
    ({"k": 1}, '{"k": 1}'),
])
def test_cells(value: object, text: str) -> None:
    assert cell_text(value) == text


@pytest.mark.parametrize(("text", "width", "out"), [
    ("abcdef", 6, "abcdef"), ("abcdefg", 6, "abcde…"), ("테스트", 4, "테…"),
])
def test_truncate(text: str, width: int, out: str) -> None:
    assert truncate(text, width) == out


def test_default_columns_follow_the_entity() -> None:
    from zql.client import flat_columns

    for entity in ("testcase", "execution", "requirement"):
        chosen = default_columns(entity, flat_columns(entity))
        assert chosen[0] == "id" and "name" in chosen and len(chosen) >= 5


# --------------------------------------------------------------------------- explain, commands


def test_explain_resolves_fields_and_suggests_names() -> None:
    lines = explain_lines('PRIORITY = "High" and prority = "x"', SCHEMA, "testcase")
    rows = [line.split() for line in lines[lines.index("fields (testcase):") + 1:][:2]]
    assert rows[0][:2] == ["priority", "string"] and rows[0][-3:] == ["values", "from", "server"]
    assert rows[1] == ["prority", "unknown", "did", "you", "mean", "priority?"]
    assert any("ZQL201" in line for line in lines)


def test_tree_and_schema_listing() -> None:
    import zql

    assert tree_lines(zql.parse('not (a = 1 or b = 2)'))[1].strip().startswith("or")
    listed = schema_lines(SCHEMA, "execution")
    assert listed[0].split() == ["field", "type", "operators", "notes"]
    assert len(listed) == 1 + len(SCHEMA.fields("execution"))


def test_every_command_is_in_the_help_and_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parent.parent / "docs" / "shell.md").read_text()
    text = commands.help_text()
    for name in commands.COMMANDS:
        assert name in text
        assert f"`{name}" in doc, f"{name} is missing from docs/shell.md"
