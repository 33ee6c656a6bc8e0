"""Formatter: canonical text, idempotence, round trips and portable lowering."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import zql
from tests.corpus import valid_queries
from tests.property_budget import examples
from tests.strategies import trees
from zql.ast import Not, walk
from zql.format import format_node, lower_negations, quote


@pytest.mark.parametrize("query", valid_queries())
def test_valid_corpus_round_trips_unchanged(query: str) -> None:
    assert zql.format(query) == query


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ('status="Fail"AND priority IN("P1","P2")', 'status = "Fail" and priority in ("P1", "P2")'),
        ("a=1 OR b=2 AND c=3", "a = 1 or (b = 2 and c = 3)"),
        ("(a=1 OR b=2) AND c=3", "(a = 1 or b = 2) and c = 3"),
        ("((a = 1))", "a = 1"),
        ("a = 1 and not b = 2", "a = 1 not b = 2"),
        ("not a = 1 and b = 2", "not a = 1 and b = 2"),
        ("a = 1 and not (b = 2 or c = 3)", "a = 1 not (b = 2 or c = 3)"),
        ("not (a = 1 and b = 2)", "not (a = 1 and b = 2)"),
        ("x IS NULL", "x is empty"),
        ("x is not Null", "x is not empty"),
        ('x = "caf\\u00e9 \\/ ok"', 'x = "café / ok"'),
        ("x = TRUE", "x = true"),
        ("x = 1.50", "x = 1.50"),
        ('a = "1" # comment\nand b = "2"', 'a = "1" and b = "2"'),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    assert zql.format(text) == canonical


@pytest.mark.parametrize(
    ("text", "portable"),
    [
        ('not status = "Pass"', 'status != "Pass"'),
        ('not status != "Pass"', 'status = "Pass"'),
        ('not name ~ "x"', 'name !~ "x"'),
        ('not name !~ "x"', 'name ~ "x"'),
        ("not x is empty", "x is not empty"),
        ("not x is not empty", "x is empty"),
        ('not tag in ("a", "b")', 'tag != "a" and tag != "b"'),
        ('not tag in ("a")', 'tag != "a"'),
        ("not not a = 1", "a = 1"),
        ("not (a = 1 and b = 2)", "a != 1 or b != 2"),
        ("not (a = 1 or b = 2)", "a != 1 and b != 2"),
        ("c = 3 not (a = 1 and b = 2)", "c = 3 and (a != 1 or b != 2)"),
        ("c = 3 or not (a = 1 or b in (2, 3))", "c = 3 or (a != 1 and b != 2 and b != 3)"),
        ("a = 1 and b = 2", "a = 1 and b = 2"),
    ],
)
def test_portable_lowering(text: str, portable: str) -> None:
    assert zql.format(text, portable=True) == portable


@given(trees)
@settings(max_examples=examples(300), deadline=None)
def test_parse_format_round_trip(tree: zql.Node) -> None:
    text = format_node(tree)
    assert zql.parse(text) == tree
    assert zql.format(text) == text  # idempotent


@given(trees)
@settings(max_examples=examples(200), deadline=None)
def test_portable_has_no_not_and_round_trips(tree: zql.Node) -> None:
    lowered = lower_negations(tree)
    assert not any(isinstance(n, Not) for n in walk(lowered))
    assert zql.parse(zql.format(tree, portable=True)) == lowered


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("", '""'),
        ('"', '"\\""'),
        ("\\", '"\\\\"'),
        ("\x00\x1f\x7f\x85", '"\\u0000\\u001f\\u007f\\u0085"'),
        ("\u2028", '"\\u2028"'),
        ("/", '"/"'),
        ("é😀", '"é😀"'),
    ],
)
def test_quote(value: str, text: str) -> None:
    assert quote(value) == text
    node = zql.parse(f"x = {text}")
    assert isinstance(node, zql.Clause) and node.value == zql.String(value)


def test_quote_escapes_a_lone_surrogate_which_the_parser_then_refuses() -> None:
    assert quote("\ud800") == '"\\ud800"'
    with pytest.raises(zql.ZQLSyntaxError) as caught:
        zql.parse("x = " + quote("a\udfff"))
    assert caught.value.diagnostics[0].code == "ZQL127"


def test_quote_rejects_non_strings() -> None:
    with pytest.raises(TypeError):
        quote(1)  # type: ignore[arg-type]


def test_zql_format_is_one_object_however_it_is_imported() -> None:
    """`import zql.format as f` no longer rebinds the facade function (docs/design.md, Names)."""
    import subprocess
    import sys

    code = ("import zql; before = zql.format('a=1');"
            "import zql.format as f; from zql.format import quote, format_node;"
            "import zql.formatting as impl;"
            "assert f is zql.format and callable(f) and quote is impl.quote, f;"
            "assert f('a=1') == before == impl.format('a=1') == 'a = 1';"
            "assert zql.quote is quote and f.format_node is format_node is impl.format_node;"
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "ok", done.stderr


_INVISIBLES = ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068",
               "\u2069", "\u200e", "\u200f", "\u200b", "\ufeff", "\u061c", "\u2060"]


@pytest.mark.parametrize("ch", _INVISIBLES)
def test_bidi_and_zero_width_characters_are_escaped_in_canonical_text(ch: str) -> None:
    """Issue 11 #19 (Trojan Source): the formatter and the builder never emit them raw."""
    value = f"admin{ch}x"
    quoted = quote(value)
    assert ch not in quoted and f"\\u{ord(ch):04x}" in quoted
    raw_query = f'name = "{value}"'  # the raw character inside a string literal parses
    canonical = zql.format(raw_query)
    assert ch not in canonical and zql.parse(canonical) == zql.parse(raw_query)
    built = zql.field("name").eq(value)
    assert ch not in str(built) and ch not in zql.format(built.node)
    assert zql.parse(str(built)) == zql.parse(raw_query)


@given(st.text(max_size=40))
@settings(max_examples=examples(300), deadline=None)
def test_quote_never_emits_an_invisible_character(value: str) -> None:
    from zql._quote import INVISIBLE

    quoted = quote(value)
    assert not any(ord(ch) in INVISIBLE for ch in quoted)
    assert zql.parse(f"a = {quoted}").value.value == value  # type: ignore[union-attr]
