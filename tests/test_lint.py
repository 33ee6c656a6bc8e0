"""zql.lint: the style rules, the registry, select/ignore, and that it never raises."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import zql
import zql.documents
from tests.corpus import all_queries, valid_queries
from tests.property_budget import examples
from zql import _lexer, _tokens
from zql.errors import Severity
from zql.format import lower_negations
from zql.linting import Rule, lint, rule, rules
from zql.schema import load_schema

W, INFO = Severity.WARNING, Severity.INFO
# The bundled schema's URL limit (4000); 190 clauses: under it as typed, over it URL-encoded.
_LIMIT = load_schema().values.url_limit
_LONG_OR = " or ".join(f'tag = "t{i:04}"' for i in range(190))

# query, entity, code, severity, span, text after the preferred fixes of that code (None: no fix)
CASES: list[tuple[str, str, str, Severity, tuple[int, int], str | None]] = [
    # ZQL301 mixed and/or without parentheses
    ('tag = "a" and tag = "b" or tag = "c"', "testcase", "ZQL301", W, (0, 36),
     '(tag = "a" and tag = "b") or tag = "c"'),
    ('tag = "a" or tag = "b" and tag = "c" or tag = "d"', "testcase", "ZQL301", W, (0, 49),
     'tag = "a" or (tag = "b" and tag = "c") or tag = "d"'),
    ('(tag = "a") and (tag = "b") or tag = "c"', "testcase", "ZQL301", W, (0, 40),
     '((tag = "a") and (tag = "b")) or tag = "c"'),
    ('tag = "x" or (tag = "a" and tag = "b") and tag = "c"', "testcase", "ZQL301", W,
     (0, 52), 'tag = "x" or ((tag = "a" and tag = "b") and tag = "c")'),
    ('tag = "a" not tag = "b" or tag = "c"', "testcase", "ZQL301", W, (0, 36),
     '(tag = "a" not tag = "b") or tag = "c"'),
    ('(tag = "a" and tag = "b" or tag = "c")', "testcase", "ZQL301", W, (1, 37),
     '((tag = "a" and tag = "b") or tag = "c")'),
    # ZQL302 keyword case
    ('tag = "a" AND tag = "b"', "testcase", "ZQL302", W, (10, 13), 'tag = "a" and tag = "b"'),
    ('tag = "a" Or tag = "b"', "testcase", "ZQL302", W, (10, 12), 'tag = "a" or tag = "b"'),
    ('tag IN ("a", "b")', "testcase", "ZQL302", W, (4, 6), 'tag in ("a", "b")'),
    ("tag IS empty", "testcase", "ZQL302", W, (4, 6), "tag is empty"),
    ("tag is NOT empty", "testcase", "ZQL302", W, (7, 10), "tag is not empty"),
    ("tag is Empty", "testcase", "ZQL302", W, (7, 12), "tag is empty"),
    ("automated = TRUE", "testcase", "ZQL302", W, (12, 16), "automated = true"),
    ("automated != False", "testcase", "ZQL302", W, (13, 18), "automated != false"),
    ('tag = "a" NOT tag = "b"', "testcase", "ZQL302", W, (10, 13), 'tag = "a" not tag = "b"'),
    ('creator="A"ANDname~"B"', "testcase", "ZQL302", W, (11, 14), 'creator="A"andname~"B"'),
    ('tag = "a" # c\n  AND tag = "b"', "testcase", "ZQL302", W, (16, 19),
     'tag = "a" # c\n  and tag = "b"'),
    # ZQL303 prefix not (fix: lowered negation, parenthesised where the context needs it)
    ('not tag = "a"', "testcase", "ZQL303", W, (0, 3), 'tag != "a"'),
    ('NOT tag = "a"', "testcase", "ZQL303", W, (0, 3), 'tag != "a"'),
    ('tag = "x" and not (tag = "a" or tag = "b")', "testcase", "ZQL303", W, (14, 17),
     'tag = "x" and tag != "a" and tag != "b"'),
    ('tag = "x" or not (tag = "a" or tag = "b")', "testcase", "ZQL303", W, (13, 16),
     'tag = "x" or (tag != "a" and tag != "b")'),
    ('tag = "x" and not (tag = "a" and tag = "b")', "testcase", "ZQL303", W, (14, 17),
     'tag = "x" and (tag != "a" or tag != "b")'),
    ('tag = "x" not not (tag = "a" or tag = "b")', "testcase", "ZQL303", W, (14, 17),
     'tag = "x" not (tag != "a" and tag != "b")'),
    ('tag = "x" and (not tag = "a")', "testcase", "ZQL303", W, (15, 18),
     'tag = "x" and tag != "a"'),
    ('(not (tag = "a" or tag = "b"))', "testcase", "ZQL303", W, (1, 4),
     '(tag != "a" and tag != "b")'),
    ("not not automated = true", "testcase", "ZQL303", W, (0, 3), "automated = true"),
    ('not tag in ("a", "b")', "testcase", "ZQL303", W, (0, 3), 'tag != "a" and tag != "b"'),
    ("not tag is empty", "testcase", "ZQL303", W, (0, 3), "tag is not empty"),
    # ZQL304 empty string
    ('priority = ""', "testcase", "ZQL304", W, (11, 13), "priority is empty"),
    ('priority != ""', "testcase", "ZQL304", W, (12, 14), "priority is not empty"),
    ('name ~ ""', "testcase", "ZQL304", W, (7, 9), None),
    ('creator = ""', "testcase", "ZQL304", W, (10, 12), None),
    ('priority in ("P1", "")', "testcase", "ZQL304", W, (19, 21), None),
    # ZQL305 duplicate list items
    ('priority in ("P1", "P2", "P1")', "testcase", "ZQL305", W, (25, 29),
     'priority in ("P1", "P2")'),
    ("version in (1, 2, 1)", "testcase", "ZQL305", W, (18, 19), "version in (1, 2)"),
    ('priority in ("P1","P1","P1")', "testcase", "ZQL305", W, (18, 22), 'priority in ("P1")'),
    # ZQL306 contradictions (span: the clause that completes it)
    ('priority = "P1" and priority = "P2"', "testcase", "ZQL306", W, (20, 35), None),
    ('priority = "P1" and PRIORITY = "P2"', "testcase", "ZQL306", W, (20, 35), None),
    ('priority = "P1" and priority != "P1"', "testcase", "ZQL306", W, (20, 36), None),
    ('priority != "P1" and priority = "P1"', "testcase", "ZQL306", W, (21, 36), None),
    ("priority is empty and priority is not empty", "testcase", "ZQL306", W, (22, 43), None),
    ('priority = "P1" and priority is empty', "testcase", "ZQL306", W, (20, 37), None),
    ('priority is empty and priority in ("P1")', "testcase", "ZQL306", W, (22, 40), None),
    ('tag = "a" and tag is empty', "testcase", "ZQL306", W, (14, 26), None),
    ('priority in ("P1", "P2") and priority = "P3"', "testcase", "ZQL306", W, (29, 44), None),
    ('priority in ("P1", "P2") and priority != "P1" and priority != "P2"', "testcase",
     "ZQL306", W, (50, 66), None),
    ("version = 1 and version = 2", "testcase", "ZQL306", W, (16, 27), None),
    ('priority = "P1" and priority = "P2" and priority = "P3"', "testcase", "ZQL306", W,
     (20, 35), None),  # reported once per field
    ('(priority = "P1" and priority = "P2") or tag = "x"', "testcase", "ZQL306", W, (21, 36),
     None),
    # ZQL307 URL length
    ('name ~ "' + "é" * 1000 + '"', "testcase", "ZQL307", W, (0, 1009), None),
    (_LONG_OR, "testcase", "ZQL307", W, (0, len(_LONG_OR)), None),
    # ZQL308 single-item list
    ('priority in ("P1")', "testcase", "ZQL308", INFO, (12, 18), 'priority = "P1"'),
    ("testcaseId in (5)", "testcase", "ZQL308", INFO, (14, 17), "testcaseId = 5"),
    ('priority IN ( "P1" )', "testcase", "ZQL308", INFO, (12, 20), 'priority = "P1"'),
    # ZQL309 duplicate clause
    ('tag = "a" and tag = "b" and tag = "a"', "testcase", "ZQL309", W, (28, 37),
     'tag = "a" and tag = "b"'),
    ('tag = "a" or TAG = "a"', "testcase", "ZQL309", W, (13, 22), 'tag = "a"'),
    ('(tag = "a" and tag = "b") and tag = "a"', "testcase", "ZQL309", W, (30, 39),
     '(tag = "a" and tag = "b")'),
    ('tag = "a" and (tag = "b" and tag = "a")', "testcase", "ZQL309", W, (29, 38),
     'tag = "a" and (tag = "b")'),
    ('tag = "a" and (tag = "a" and tag = "b")', "testcase", "ZQL309", W, (15, 24), None),
    ('tag = "a" not tag = "b" not tag = "b"', "testcase", "ZQL309", W, (24, 37),
     'tag = "a" not tag = "b"'),
    ('(tag = "a" or tag = "b") and (tag = "b" or tag = "a") and (tag = "a" or tag = "b")',
     "testcase", "ZQL309", W, (58, 82), '(tag = "a" or tag = "b") and (tag = "b" or tag = "a")'),
    # ZQL310 null
    ("tag is null", "testcase", "ZQL310", INFO, (7, 11), "tag is empty"),
    ("tag is not NULL", "testcase", "ZQL310", INFO, (11, 15), "tag is not empty"),
]


def _fixed(text: str, entity: str, code: str) -> str:
    """Apply the preferred fix of every `code` diagnostic, one at a time, re-linting between."""
    for _ in range(5):
        fixes = [d.fix for d in lint(text, entity=entity) if d.code == code and d.fix]
        if not fixes:
            return text
        text = fixes[0].apply(text)
    raise AssertionError("fixes do not converge")


@pytest.mark.parametrize(("query", "entity", "code", "severity", "span", "fixed"), CASES)
def test_rule(query: str, entity: str, code: str, severity: Severity, span: tuple[int, int],
              fixed: str | None) -> None:
    found = [d for d in lint(query, entity=entity) if d.code == code]
    assert [(d.span.start, d.span.end) for d in found][:1] == [span]
    assert all(d.severity is severity for d in found)
    if fixed is None:
        assert found[0].fix is None
        return
    assert _fixed(query, entity, code) == fixed
    assert code not in {d.code for d in lint(fixed, entity=entity)}


# Queries that must not get the code: the rules' deliberate limits.
CLEAN: list[tuple[str, str]] = [
    ('(tag = "a" and tag = "b") or tag = "c"', "ZQL301"),
    ('tag = "a" or (tag = "b" and tag = "c")', "ZQL301"),
    ('(tag = "a" or tag = "b") and tag = "c"', "ZQL301"),
    ('tag = "a" and tag = "b" and tag = "c"', "ZQL301"),
    ('tag = "a" not tag = "b"', "ZQL303"),  # the ZE UI's own infix form
    ('name ~ "AND OR NOT"', "ZQL302"),
    ('android = "x" and notes ~ "y"', "ZQL302"),
    ('tag = "a" and tag = "b"', "ZQL306"),  # tags are multi-valued
    ('tag = "a" and tag != "a"', "ZQL306"),  # what != means for several values is unknown
    ('priority = "P1" and priority = "p1"', "ZQL306"),  # equal if the server ignores case
    ('priority = "P1" and priority != "p1"', "ZQL306"),  # different if it does not
    ('priority = "P1" or priority = "P2"', "ZQL306"),
    ('priority = "P1" and (priority = "P2" or tag = "x")', "ZQL306"),
    ('priority in ("P1", "P2") and priority != "P1"', "ZQL306"),
    ('priority != "P1" and priority != "P2"', "ZQL306"),
    ('priority is not empty and priority = "P1"', "ZQL306"),
    ('prio = "P1" and prio = "P2"', "ZQL306"),  # unknown field: nothing is known about it
    ('priority in ("P1", "P2")', "ZQL305"),
    ('priority in ("P1", "p1")', "ZQL305"),
    ('priority in ("1", 1)', "ZQL305"),
    ('priority = "P1" and tag = "P1"', "ZQL309"),
    ('priority = "P1" and priority != "P1"', "ZQL309"),
    ('name ~ "' + "x" * (_LIMIT - 20) + '"', "ZQL307"),
    ("tag is empty", "ZQL310"),
    ('name ~ " "', "ZQL304"),
]


@pytest.mark.parametrize(("query", "code"), CLEAN)
def test_rule_does_not_fire(query: str, code: str) -> None:
    assert code not in {d.code for d in lint(query)}


def test_prefix_not_second_fix_uses_the_infix_form() -> None:
    text = 'tag = "x" and not tag = "a"'
    (diag,) = [d for d in lint(text) if d.code == "ZQL303"]
    assert [f.apply(text) for f in diag.fixes] == ['tag = "x" and tag != "a"',
                                                   'tag = "x" not tag = "a"']


def test_only_the_outermost_prefix_not_is_reported() -> None:
    diags = [d for d in lint('not (tag = "a" and not tag = "b")') if d.code == "ZQL303"]
    assert [(d.span.start, d.fix.apply('not (tag = "a" and not tag = "b")') if d.fix else None)
            for d in diags] == [(0, 'tag != "a" or tag = "b"')]


def test_null_gets_zql310_instead_of_zql302() -> None:
    assert [d.code for d in lint("tag is NULL")] == ["ZQL310"]
    assert [d.code for d in lint("tag is NULL", ignore="ZQL310")] == ["ZQL302"]


def test_syntax_errors_come_back_as_diagnostics() -> None:
    assert [(d.code, d.span.start, d.span.end) for d in lint('status = "Fail')] == [
        ("ZQL101", 9, 14)]
    assert [d.code for d in lint(None)] == ["ZQL100"]  # type: ignore[arg-type]


def test_results_are_sorted_by_span_then_code() -> None:
    diags = lint('PRIORITY = "P1" AND tag in ("x") Or name = "y" and foo = 1')
    keys = [(d.span.start, d.span.end, d.code) for d in diags]
    assert keys == sorted(keys)
    assert {d.code for d in diags} >= {"ZQL201", "ZQL202", "ZQL203", "ZQL301", "ZQL302", "ZQL308"}


# ---------------------------------------------------------------- select / ignore

SELECT: list[tuple[object, object, list[str]]] = [
    (None, None, ["ZQL202", "ZQL301", "ZQL302", "ZQL308", "ZQL203"]),
    ("ZQL3", None, ["ZQL301", "ZQL302", "ZQL308"]),
    ("ZQL301,ZQL308", None, ["ZQL301", "ZQL308"]),
    (["zql2"], None, ["ZQL202", "ZQL203"]),
    (["keyword-case"], None, ["ZQL302"]),
    (None, "ZQL3", ["ZQL202", "ZQL203"]),
    (None, ["ZQL302", "single-item-list"], ["ZQL202", "ZQL301", "ZQL203"]),
    ("ZQL", "ZQL2", ["ZQL301", "ZQL302", "ZQL308"]),
    ([], None, []),
    ("ZQL", ["", " "], ["ZQL202", "ZQL301", "ZQL302", "ZQL308", "ZQL203"]),
]


@pytest.mark.parametrize(("select", "ignore", "codes"), SELECT)
def test_select_and_ignore(select: object, ignore: object, codes: list[str]) -> None:
    text = 'PRIORITY = "P1" AND tag in ("x") or name = "y"'
    assert [d.code for d in lint(text, select=select, ignore=ignore)] == codes  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["ZQL999", "ZQL3O1", "mixed-and-orr", "W605"])
def test_select_of_an_unknown_code_is_a_usage_error(bad: str) -> None:
    with pytest.raises(ValueError, match="unknown rule"):
        lint("a = 1", select=[bad])
    with pytest.raises(ValueError, match="ignore: unknown rule"):
        lint("a = 1", ignore=bad)


def test_bad_options_raise_schema_error() -> None:
    with pytest.raises(zql.SchemaError):
        lint("a = 1", entity="bug")
    with pytest.raises(zql.SchemaError):
        lint("a = 1", schema="ze99")


# ---------------------------------------------------------------- the registry


@pytest.mark.parametrize("r", rules(), ids=lambda r: r.code)
def test_rule_examples(r: Rule) -> None:
    check = lint if r.scope == "query" else zql.documents.lint_text
    bad = check(r.bad, entity=r.entity, schema=r.profile)
    assert [(d.code, d.severity) for d in bad] == [(r.code, r.severity)]
    assert check(r.good, entity=r.entity, schema=r.profile) == []


def test_registry_shape() -> None:
    all_rules = rules()
    assert [r.code for r in all_rules] == sorted({r.code for r in all_rules})
    assert len({r.name for r in all_rules}) == len(all_rules)
    for r in all_rules:
        assert re.fullmatch(r"ZQL[123]\d\d", r.code)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", r.name), r.name
        assert r.summary and r.why and r.bad != r.good
        assert r.category == {"1": "syntax", "2": "schema", "3": "style"}[r.code[3]]
        assert rule(r.code) is r and rule(r.name) is r and rule(r.code.lower()) is r


@pytest.mark.parametrize(("key", "suggestion"), [
    ("ZQL3O1", "ZQL301"), ("mixed-and-orr", "mixed-and-or"), ("zzz", "--list-rules")])
def test_unknown_rule_suggests(key: str, suggestion: str) -> None:
    with pytest.raises(KeyError, match=re.escape(suggestion)):
        rule(key)


def test_facade_exports_the_function_and_module_helpers_still_import() -> None:
    assert [d.code for d in zql.lint('a = 1 AND b = 2', select="ZQL302")] == ["ZQL302"]
    assert zql.Rule is Rule
    from zql.lint import rules as module_rules
    assert module_rules() == rules()


# ---------------------------------------------------------------- keyword positions

def _keyword_spans(text: str) -> set[tuple[int, int]]:
    return {(t.start, t.end) for t in _lexer.tokenize(text)
            if t.kind in (_tokens.KEYWORD, _tokens.CONSTANT)}


@pytest.mark.parametrize("query", [
    *valid_queries(), 'creator="Test.Lead"andname~"Test.Manager"', "a is # c\n not null",
    "(a = 1)or(b = 2)", "a in (true,false)", "not(a = 1)and not b = 2"])
def test_keyword_positions_match_the_parsers_lexer(query: str) -> None:
    """The tree-derived keyword spans equal the contextual lexer's, on upper-cased input."""
    spans = _keyword_spans(query)
    shouted = list(query)
    for start, end in spans:
        shouted[start:end] = query[start:end].upper()
    text = "".join(shouted)
    found = {(d.span.start, d.span.end) for d in lint(text, select=["ZQL302", "ZQL310"])}
    assert found == spans


# ---------------------------------------------------------------- never raises; fixes are sound

_ALPHABET = st.sampled_from(list('abnotrisemptyANDORNOT =!~()",\\\'#<>&|-.0123\n\tü😀\x00'))


def _sound(text: str) -> None:
    diags = lint(text)
    for diag in diags:
        assert 0 <= diag.span.start <= diag.span.end <= len(text)
        assert diag.severity is rule(diag.code).severity
        for fix in diag.fixes:
            fixed = fix.apply(text)
            if diag.code[3] != "1":  # a fix on a query that parses keeps it parsing
                zql.parse(fixed)
            if diag.code in ("ZQL301", "ZQL302", "ZQL310"):
                assert zql.parse(fixed) == zql.parse(text)
            if diag.code == "ZQL303":
                assert lower_negations(zql.parse(fixed)) == lower_negations(zql.parse(text))


@given(st.text(max_size=80))
@settings(max_examples=examples(300), deadline=None)
@example("")
@example("\ud800")
def test_never_raises_on_arbitrary_text(text: str) -> None:
    _sound(text)


_PIECES = st.sampled_from([
    "priority", "PRIORITY", "tag", "name", "automated", "version", "estimatedTime", "altid",
    "prority", "notes", " = ", "!=", " ~ ", " in ", " IS ", " is not ", "empty", "NULL",
    '"P1"', '"P2"', '""', "1", "1.5", "true", "FALSE", "(", ")", ", ", " and ", " OR ",
    " or ", " not ", " NOT ", " And not ", "#c\n", '"1:30:00"'])


@given(st.sampled_from(all_queries()), st.lists(_PIECES, max_size=12), st.integers(0, 120),
       st.integers(0, 120))
@settings(max_examples=examples(300), deadline=None)
def test_never_raises_on_mutated_queries(query: str, pieces: list[str], at: int,
                                         cut: int) -> None:
    _sound(query[:at] + "".join(pieces) + query[at + cut % 5:])


@given(st.lists(_PIECES, min_size=3, max_size=25))
@settings(max_examples=examples(300), deadline=None)
def test_fixes_are_sound_on_generated_queries(pieces: list[str]) -> None:
    _sound("".join(pieces))


# ---------------------------------------------------------------- ZQL311 (Trojan Source)

@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\ufeff", "\u2066", "\u061c", "\u200f"])
def test_invisible_characters_in_values_are_flagged_and_escaped_by_the_fix(char: str) -> None:
    query = f'name ~ "log{char}in" and tag = "ok{char}"'
    found = [d for d in lint(query) if d.code == "ZQL311"]
    assert [(d.span.start, d.span.end) for d in found] == [(11, 12), (29, 30)]
    assert all(f"U+{ord(char):04X}" in d.message and d.severity is W for d in found)
    fixed = zql.documents.fix_text(query)
    assert fixed == query.replace(char, f"\\u{ord(char):04x}") and lint(fixed) == []
    # The value is the same: only its spelling shows the character now.
    assert zql.parse(fixed) == zql.parse(query)


def test_an_escaped_invisible_character_is_visible_and_not_flagged() -> None:
    assert [d.code for d in lint('name ~ "a\\u202eb"')] == []
    assert [d.code for d in lint('name ~ "a\\\\u202eb"')] == []  # a backslash, then u202e


def test_explain_never_prints_an_invisible_character(capsys: pytest.CaptureFixture[str]) -> None:
    from zql.cli import main

    assert main(["lint", "--explain", "ZQL311"]) == 0
    out = capsys.readouterr().out
    assert "<U+202E>" in out and "\u202e" not in out
