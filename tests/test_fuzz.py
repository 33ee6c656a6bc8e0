"""Random text only ever raises ZQLSyntaxError, with spans inside the text."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from lark import Lark, Token
from lark.exceptions import LarkError, UnexpectedInput

import zql
from tests.corpus import all_queries
from tests.property_budget import examples
from zql._grammar import lark_parser
from zql._lexer import tokenize
from zql._tokens import ParseStop
from zql.parser import AstBuilder, run

_ALPHABET = st.sampled_from(list('abcdeINOTRSnotrs =!~()",\\\'#<>&|-.0123456789\n\tü😀\x00'))
zqlish = st.text(_ALPHABET, max_size=60)


def _check(text: str) -> None:
    try:
        zql.parse(text)
    except zql.ZQLSyntaxError as err:
        assert err.diagnostics
        for diag in err.diagnostics:
            assert 0 <= diag.span.start <= diag.span.end <= len(text)
            assert diag.code.startswith("ZQL1")
            assert diag.message
            for fix in diag.fixes:
                fix.apply(text)
        str(err)  # rendering never fails


@given(st.text(max_size=80))
@settings(max_examples=examples(400), deadline=None)
def test_arbitrary_unicode(text: str) -> None:
    _check(text)


@given(zqlish)
@settings(max_examples=examples(1500), deadline=None)
@example('a = "\\')
@example("a in (")
@example("(((((")
@example('"')
def test_zql_like_text(text: str) -> None:
    _check(text)


@given(st.sampled_from(all_queries()), st.integers(0, 200), st.integers(0, 200), zqlish)
@settings(max_examples=examples(600), deadline=None)
def test_mutated_corpus(query: str, cut: int, insert_at: int, junk: str) -> None:
    mutated = query[:cut] + junk + query[insert_at:]
    _check(mutated)


def _error_key(err: Exception) -> tuple[object, ...]:
    token = getattr(err, "token", None)
    if token is not None and token.type == "$END":
        # Lark borrows the last token's position for $END; the fast loop uses the text's end.
        return ("error", "$END")
    # (The expected sets differ in wording: Lark's lexer reports what it could lex there.)
    return ("error", type(err).__name__, getattr(err, "pos_in_stream", None))


class _LarkTokensAsTuples:
    """Lark's embedded transformer: the parser's AstBuilder, fed Lark tokens as raw tuples."""

    def __init__(self) -> None:
        self._builder = AstBuilder()

    def __getattr__(self, name: str) -> Callable[[list[Any]], Any]:
        method = getattr(self._builder, name)

        def call(children: list[Any]) -> Any:
            return method([(c.type, str(c), c.start_pos, c.end_pos) if isinstance(c, Token)
                           else c for c in children])

        return call


@functools.cache
def _oracle() -> Lark:
    """Lark's own parser of the grammar, building our AST (the test oracle; never run time)."""
    return lark_parser(_LarkTokensAsTuples())


def _lark_result(text: str) -> object:
    try:
        return _oracle().parse(text)
    except UnexpectedInput as err:
        return _error_key(err)


def _fast_result(text: str) -> object:
    try:
        return run(text)
    except ParseStop as err:
        if err.token is None:
            return ("error", "UnexpectedCharacters", err.pos)
        if err.token[0] == "$END":
            return ("error", "$END")
        return ("error", "UnexpectedToken", err.pos)


@given(st.one_of(zqlish, st.sampled_from(all_queries())))
@settings(max_examples=examples(1500), deadline=None)
@example('creator="Test.Lead"andname~"Test.Manager"')
@example('a = "1" order = 2')
@example("a = 1 notes = 2")
@example("a = falsehood")
def test_fast_loop_agrees_with_lark(text: str) -> None:
    """The hand-driven LALR loop gives exactly what Lark's own parser gives."""
    assert _fast_result(text) == _lark_result(text)


def _lark_tokens(text: str) -> list[tuple[str, str, int]]:
    """The tokens Lark's contextual lexer gives the parser, up to the first syntax error."""
    out: list[tuple[str, str, int]] = []
    interactive: Any = lark_parser().parse_interactive(text)
    try:
        for token in interactive.iter_parse():
            if isinstance(token, Token) and token.type != "$END":
                out.append((token.type, str(token), token.start_pos))
    except LarkError:
        pass
    return out


@given(st.one_of(zqlish, st.sampled_from(all_queries())))
@settings(max_examples=examples(1500), deadline=None)
@example('creator="Test.Lead"andname~"Test.Manager"')
@example('a = 1 notes = 2 # c\n or b in (1,2)')
@example('a = "x"and')
def test_tokenizer_agrees_with_larks_lexer(text: str) -> None:
    """The one tokenizer (highlighting, semantic tokens) reads text as Lark's lexer does."""
    ours = [(t.type, t.text, t.start) for t in tokenize(text)
            if t.type not in ("WS", "COMMENT")]
    expected = _lark_tokens(text)
    assert ours[: len(expected)] == expected
    assert "".join(t.text for t in tokenize(text)) == text  # tokens cover the text exactly


@given(st.one_of(zqlish, st.sampled_from(all_queries())))
@settings(max_examples=examples(800), deadline=None)
@example("a = = 1 and ) or (")
def test_parse_all_reports_errors_in_order_inside_the_text(text: str) -> None:
    from zql.parser import parse_all

    result = parse_all(text)
    try:
        tree = zql.parse(text)
    except zql.ZQLSyntaxError as err:
        assert result.tree is None and result.diagnostics[0] == err.diagnostics[0]
    else:
        assert result.tree == tree and result.diagnostics == ()
    starts = [d.span.start for d in result.diagnostics]
    assert starts == sorted(starts)
    assert all(0 <= d.span.start <= d.span.end <= len(text) for d in result.diagnostics)
