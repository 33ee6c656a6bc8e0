"""Random text only ever raises ZQLSyntaxError, with spans inside the text."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

import zql
from tests.corpus import all_queries

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
@settings(max_examples=400, deadline=None)
def test_arbitrary_unicode(text: str) -> None:
    _check(text)


@given(zqlish)
@settings(max_examples=1500, deadline=None)
@example('a = "\\')
@example("a in (")
@example("(((((")
@example('"')
def test_zql_like_text(text: str) -> None:
    _check(text)


@given(st.sampled_from(all_queries()), st.integers(0, 200), st.integers(0, 200), zqlish)
@settings(max_examples=600, deadline=None)
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


def _lark_result(text: str) -> object:
    from lark.exceptions import UnexpectedInput

    from zql._grammar import lark_parser

    try:
        return lark_parser().parse(text)
    except UnexpectedInput as err:
        return _error_key(err)


def _fast_result(text: str) -> object:
    from zql.parser import Unexpected, _lalr_parse

    try:
        return _lalr_parse(text)
    except Unexpected as err:
        if err.token is None:
            return ("error", "UnexpectedCharacters", err.pos)
        if err.token.type == "$END":
            return ("error", "$END")
        return ("error", "UnexpectedToken", err.pos)


@given(st.one_of(zqlish, st.sampled_from(all_queries())))
@settings(max_examples=1500, deadline=None)
@example('creator="Test.Lead"andname~"Test.Manager"')
@example('a = "1" order = 2')
@example("a = 1 notes = 2")
@example("a = falsehood")
def test_fast_loop_agrees_with_lark(text: str) -> None:
    """The hand-driven LALR loop gives exactly what Lark's own parser gives."""
    assert _fast_result(text) == _lark_result(text)
