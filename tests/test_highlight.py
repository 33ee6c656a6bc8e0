"""zql.highlight: the pygments lexer and semantic token kinds, derived from the grammar."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pygments import highlight
from pygments.cmdline import main as pygmentize
from pygments.formatters import HtmlFormatter, TerminalFormatter
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from tests.corpus import all_queries, invalid_cases, valid_queries
from tests.property_budget import examples
from zql import _grammar, _lexer, _vocabulary
from zql.highlight import PYGMENTS_TYPES, TOKEN_KINDS, ZQLLexer, token_kinds


def _tokens(text: str) -> list[tuple[int, object, str]]:
    return list(ZQLLexer().get_tokens_unprocessed(text))


def _covers(text: str) -> None:
    """The tokens are contiguous, in order, and spell the text exactly."""
    pos = 0
    for start, _type, value in _tokens(text):
        assert start == pos and value
        pos += len(value)
    assert pos == len(text)


# ---- contracts: one grammar feeds the colours


def test_every_terminal_has_a_kind_and_a_pygments_type() -> None:
    vocab = _vocabulary.vocabulary()
    for term in _grammar.lark_parser().terminals:
        kind = vocab.terminal_kind[term.name]
        assert kind in TOKEN_KINDS, term.name
        assert kind in PYGMENTS_TYPES, term.name


def test_the_kind_mapping_is_total_and_covers_the_scanner() -> None:
    assert set(PYGMENTS_TYPES) == set(TOKEN_KINDS)
    scanned = {t.type: t.kind for t in _lexer.scan('@ "open')}
    assert scanned["UNTERMINATED"] == "string" and scanned["ERROR"] == "error"
    assert set(scanned.values()) <= set(TOKEN_KINDS)


# ---- the pygments plugin


def test_registered_through_the_entry_point() -> None:
    assert isinstance(get_lexer_by_name("zql"), ZQLLexer)
    assert isinstance(get_lexer_for_filename("queries.zql"), ZQLLexer)


def test_pygmentize_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.zql"
    path.write_text('status = "Fail" and name ~ "x"\n', encoding="utf-8")
    assert pygmentize(["pygmentize", "-l", "zql", "-f", "html", str(path)]) == 0
    out = capsys.readouterr().out
    assert '<span class="k">and</span>' in out and '<span class="na">status</span>' in out


@pytest.mark.parametrize("formatter", [HtmlFormatter(), TerminalFormatter()])
def test_formatters_accept_the_output(formatter: object) -> None:
    text = highlight('a = "x" # c\n', get_lexer_by_name("zql"), formatter)
    assert "x" in text


# ---- the colours


@pytest.mark.parametrize(("text", "expected"), [
    ('status = "Fail"', [(Name.Attribute, "status"), (Operator, "="), (String.Double, '"Fail"')]),
    ('a="x"andb="y"', [(Name.Attribute, "a"), (Operator, "="), (String.Double, '"x"'),
                       (Keyword, "and"), (Name.Attribute, "b"), (Operator, "="),
                       (String.Double, '"y"')]),
    ("android = 1 AND notes ~ \"n\"", [(Name.Attribute, "android"), (Operator, "="),
                                       (Number, "1"),
                                       (Keyword, "AND"), (Name.Attribute, "notes"),
                                       (Operator, "~"), (String.Double, '"n"')]),
    ("x is not NULL", [(Name.Attribute, "x"), (Keyword, "is"), (Keyword, "not"),
                       (Keyword.Constant, "NULL")]),
    ("f in (true, -1.5)", [(Name.Attribute, "f"), (Keyword, "in"), (Punctuation, "("),
                           (Keyword.Constant, "true"), (Punctuation, ","), (Number, "-1.5"),
                           (Punctuation, ")")]),
    ('name ~ "open', [(Name.Attribute, "name"), (Operator, "~"), (String.Double, '"open')]),
    ("a > 1", [(Name.Attribute, "a"), (Error, ">"), (Number, "1")]),
    ("a = 1 # note", [(Name.Attribute, "a"), (Operator, "="), (Number, "1"),
                      (Comment.Single, "# note")]),
])
def test_token_types(text: str, expected: list[tuple[object, str]]) -> None:
    got = [(t, v) for _, t, v in _tokens(text) if t is not Whitespace]
    assert got == expected


def test_token_kinds_match_the_lexer() -> None:
    text = 'a = "x" and (b ~ "y" or c is empty) # z\n@'
    kinds = token_kinds(text)
    assert [(s, e) for s, e, _ in kinds] == [
        (s, s + len(v)) for s, t, v in _tokens(text) if t is not Whitespace]
    assert [PYGMENTS_TYPES[k] for _, _, k in kinds] == [
        t for _, t, _ in _tokens(text) if t is not Whitespace]
    assert kinds[-1] == (len(text) - 1, len(text), "error")


# ---- corpora, every prefix, any text


@pytest.mark.parametrize("query", valid_queries())
def test_valid_queries_have_no_error_tokens(query: str) -> None:
    assert not [v for _, t, v in _tokens(query) if t in Error]
    assert "error" not in {k for _, _, k in token_kinds(query)}
    _covers(query)


def test_every_invalid_query_covers_its_text() -> None:
    for case in invalid_cases():
        _covers(case.query)


@pytest.mark.parametrize("query", all_queries())
def test_every_prefix_highlights(query: str) -> None:
    for i in range(len(query) + 1):
        _covers(query[:i])
        token_kinds(query[:i])


@given(st.text(max_size=60))
@settings(max_examples=examples(300), deadline=None)
@example("\x00\x1f\u2028\ud800")
@example('a = "\\')
@example("\r\n\t")
def test_any_text_highlights(text: str) -> None:
    _covers(text)
    out = io.StringIO()
    out.write(highlight(text, ZQLLexer(), HtmlFormatter()))
