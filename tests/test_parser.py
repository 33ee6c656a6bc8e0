"""Parser: corpora, precedence, values, positions and error diagnostics."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import zql
from tests.corpus import invalid_cases, valid_queries
from zql.ast import And, Boolean, Clause, Empty, Not, Number, Op, Or, String, ValueList
from zql.parser import MAX_DEPTH


def c(field: str, op: Op, value: object) -> Clause:
    return Clause(field, op, value)  # type: ignore[arg-type]


A, B, C = (c(n, Op.EQ, Number(i)) for i, n in enumerate("abc", 1))


@pytest.mark.parametrize("query", valid_queries())
def test_valid_corpus_parses(query: str) -> None:
    assert zql.parse(query) is not None


@pytest.mark.parametrize("case", invalid_cases(), ids=lambda case: case.query)
def test_invalid_corpus_pins_code_and_span(case) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(zql.ZQLSyntaxError) as info:
        zql.parse(case.query)
    diag = info.value.diagnostics[0]
    assert (diag.code, diag.span.start, diag.span.end) == (case.code, case.start, case.end)
    assert diag.severity is zql.Severity.ERROR
    assert diag.hint, "every syntax error says what to do"


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a = 1 and b = 2 and c = 3", And((A, B, C))),
        ("a = 1 or b = 2 and c = 3", Or((A, And((B, C))))),
        ("(a = 1 or b = 2) and c = 3", And((Or((A, B)), C))),
        ("a = 1 and (b = 2 and c = 3)", And((A, B, C))),
        ("(a = 1 or (b = 2 or c = 3))", Or((A, B, C))),
        ("not a = 1 and b = 2", And((Not(A), B))),
        ("not (a = 1 and b = 2)", Not(And((A, B)))),
        ("a = 1 not b = 2", And((A, Not(B)))),
        ("a = 1 and not b = 2", And((A, Not(B)))),
        ("a = 1 not b = 2 or c = 3", Or((And((A, Not(B))), C))),
        ("not not a = 1", Not(Not(A))),
        ("a = 1 or not b = 2", Or((A, Not(B)))),
    ],
)
def test_precedence_and_flattening(text: str, tree: zql.Node) -> None:
    assert zql.parse(text) == tree


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('x = "plain"', String("plain")),
        (r'x = "q\"b\\s\/t\b\f\n\r\t"', String('q"b\\s/t\b\f\n\r\t')),
        (r'x = "\u00e9\ud83d\ude00"', String("é😀")),
        ('x = "새로운 테스트"', String("새로운 테스트")),
        ("x = 42", Number(42)),
        ("x = -7", Number(-7)),
        ("x = 1.50", Number(Decimal("1.50"))),
        ("x = TRUE", Boolean(True)),
        ("x = false", Boolean(False)),
        ('x in (1, "a", true)', ValueList((Number(1), String("a"), Boolean(True)))),
        ("x in(1,2)", ValueList((Number(1), Number(2)))),
    ],
)
def test_values(text: str, value: object) -> None:
    node = zql.parse(text)
    assert isinstance(node, Clause)
    assert node.value == value


@pytest.mark.parametrize(
    ("text", "op"),
    [("x is empty", Op.IS), ("x IS NOT NULL", Op.IS_NOT), ("x is not empty", Op.IS_NOT),
     ("x Is Null", Op.IS)],
)
def test_is_empty(text: str, op: Op) -> None:
    node = zql.parse(text)
    assert node == Clause("x", op, Empty())


@pytest.mark.parametrize(
    "text",
    [
        'creator="Test.Lead"andname~"Test.Manager"',
        'a = "1"\n\tand\r\n b = "2"',
        'a = "1" # trailing comment\nand b = "2" # another',
        '  a="1"or(b="2")  ',
    ],
)
def test_whitespace_is_optional_and_any(text: str) -> None:
    node = zql.parse(text)
    assert isinstance(node, And | Or)
    assert len(node.children) == 2


@pytest.mark.parametrize("name", ["android", "notes", "order", "isActive", "inx", "nothing",
                                  "emptyish", "trueName", "ORacle", "a-b_c9"])
def test_keyword_prefixed_names_are_fields(name: str) -> None:
    assert zql.parse(f'{name} = "x"') == Clause(name, Op.EQ, String("x"))


@pytest.mark.parametrize("word", ["and", "OR", "not", "in", "is", "empty", "null", "true",
                                  "FALSE"])
def test_keywords_are_reserved(word: str) -> None:
    with pytest.raises(zql.ZQLSyntaxError) as info:
        zql.parse(f'{word} = "x"')
    assert info.value.diagnostics[0].span.start == 0


def test_spans_are_code_point_offsets() -> None:
    text = 'name ~ "새로운" and priority = "P1"'
    node = zql.parse(text)
    assert isinstance(node, And)
    second = node.children[1]
    assert isinstance(second, Clause)
    assert second.field_span.slice(text) == "priority"
    assert second.op_span.slice(text) == "="
    assert second.value.span.slice(text) == '"P1"'
    assert node.span.slice(text) == text


def test_spans_do_not_affect_equality() -> None:
    assert zql.parse('a="x"') == zql.parse('   a   =   "x"   # c')


def test_not_records_infix_as_trivia() -> None:
    infix = zql.parse("a = 1 not b = 2")
    prefix = zql.parse("a = 1 and not b = 2")
    assert infix == prefix
    assert isinstance(infix, And) and isinstance(prefix, And)
    assert infix.children[1].infix is True  # type: ignore[union-attr]
    assert prefix.children[1].infix is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "ZQL100"),
        ("   # only a comment", "ZQL100"),
        ('a = "x\ty"', "ZQL102"),
        (r'a = "\u12"', "ZQL102"),
        ("a = 1 and (b = 1 or " * (MAX_DEPTH // 2 + 5) + "c = 1"
         + ")" * (MAX_DEPTH // 2 + 5), "ZQL123"),
        ("not " * (MAX_DEPTH + 5) + "a = 1", "ZQL123"),
    ],
)
def test_more_errors(text: str, code: str) -> None:
    with pytest.raises(zql.ZQLSyntaxError) as info:
        zql.parse(text)
    assert info.value.diagnostics[0].code == code


@pytest.mark.parametrize("value", [None, b"a = 1", 42, ["a = 1"]])
def test_non_text_raises_syntax_error(value: object) -> None:
    with pytest.raises(zql.ZQLSyntaxError) as info:
        zql.parse(value)  # type: ignore[arg-type]
    assert info.value.diagnostics[0].code == "ZQL100"


def test_syntax_error_is_zqlerror_and_valueerror() -> None:
    with pytest.raises(zql.ZQLSyntaxError) as info:
        zql.parse("a = ")
    assert isinstance(info.value, zql.ZQLError)
    assert isinstance(info.value, ValueError)


def test_deep_parentheses_around_one_clause_are_fine() -> None:
    depth = MAX_DEPTH * 10
    assert zql.parse("(" * depth + "a = 1" + ")" * depth) == A


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("status = Fail", 'status = "Fail"'),
        ('status = "Fail', 'status = "Fail"'),
        ("a = 'x'", 'a = "x"'),
        ("a == 1", "a = 1"),
        ("a = 1 && b = 2", "a = 1 and b = 2"),
        ("a = 1&&b = 2", "a = 1 and b = 2"),
        ("a = 1 and and b = 2", "a = 1 and b = 2"),
        ("a = 1 and", "a = 1"),
        ("(a = 1", "(a = 1)"),
        ("a = 1)", "a = 1"),
        ("a not in (1, 2)", "not (a in (1, 2))"),
        ('a = "1" order by name', 'a = "1"'),
        ('a in "x"', 'a in ("x")'),
        ('a = ("x")', 'a in ("x")'),
        ("a = 1 b = 2", "a = 1 and b = 2"),
        ("a ~ 5", 'a ~ "5"'),
        ("a in (1 2)", "a in (1, 2)"),
        ('a = "\\x"', 'a = "\\\\x"'),
    ],
)
def test_fixes_make_the_query_parse(text: str, fixed: str) -> None:
    with pytest.raises(zql.ZQLSyntaxError) as info:
        zql.parse(text)
    fix = info.value.diagnostics[0].fix
    assert fix is not None
    assert fix.apply(text) == fixed
    zql.parse(fixed)


def test_rendering_golden() -> None:
    with pytest.raises(zql.ZQLSyntaxError) as info:
        zql.parse('project = "A" and\n  status not in ("Pass")')
    assert str(info.value) == (
        "2:10: error[ZQL112]: ZE has no 'not in'\n"
        '    status not in ("Pass")\n'
        "           ^^^^^^\n"
        "  hint: use not (status in (…)), or status != … for each value"
    )


def test_messages_never_name_terminals() -> None:
    for case in invalid_cases():
        with pytest.raises(zql.ZQLSyntaxError) as info:
            zql.parse(case.query)
        text = str(info.value)
        for terminal in ("ESCAPED_STRING", "STRING", "NUMBER", "FIELD", "LPAR", "RPAR", "$END"):
            assert terminal not in text, (case.query, text)


# --------------------------------------------------------------------------- linear reduction


def _count_reductions(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Wrap every bound reducer to count calls and the children handed over (the work)."""
    from zql import parser
    from zql._tables import REDUCE

    counts = {"reductions": 0, "children": 0}
    original = parser._bound_actions()

    def counted(reduce: Any) -> Any:
        def call(children: list[Any]) -> Any:
            counts["reductions"] += 1
            counts["children"] += len(children)
            first = children[0] if children else None
            result = reduce(children)
            if isinstance(result, list) and isinstance(first, list):
                assert result is first, "a repetition must grow its list in place, not copy it"
            return result
        return call

    wrapped = {state: {name: (code, (arg[0], counted(arg[1]), arg[2]) if code == REDUCE else arg)
                       for name, (code, arg) in row.items()}
               for state, row in original.items()}
    monkeypatch.setattr(parser, "_bound_actions", lambda: wrapped)
    return counts


@pytest.mark.parametrize("joiner", [" or ", " and ", " not "])
def test_a_long_chain_costs_linear_work(monkeypatch: pytest.MonkeyPatch, joiner: str) -> None:
    """Issue 11 #17: no per-reduction copy of the chain so far (it was O(n²) in `kept.extend`).

    The work is counted, not timed: reductions and children handed to reducers grow by the
    same amount for every further 1,000 clauses, and repetition lists grow in place.
    """
    counts = _count_reductions(monkeypatch)
    work = []
    for n in (1000, 2000, 3000):
        counts.update(reductions=0, children=0)
        tree = zql.parse(joiner.join(f'f{i} = "{i}"' for i in range(n)))
        assert len(tree.children) == n  # type: ignore[union-attr]
        work.append((counts["reductions"], counts["children"]))
    (r1, c1), (r2, c2), (r3, c3) = work
    assert r3 - r2 == r2 - r1 and c3 - c2 == c2 - c1  # exactly linear
    assert r2 - r1 <= 2 * 1000 and c2 - c1 <= 6 * 1000  # a few steps per clause


def test_unit_reductions_are_collapsed_in_the_tables() -> None:
    """`?unary: clause` -> `?and_expr` -> `?or_expr` is one table step, never a reducer call."""
    from zql._tables import REDUCE, UNIT, tables

    t = tables()
    assert any(code == UNIT for row in t.actions.values() for code, _arg in row.values())
    unit_rules = {i for i, (_o, _a, expand1, modes) in enumerate(t.rules)
                  if expand1 and modes == (1,)}
    reduced = {arg[1] for row in t.actions.values() for code, arg in row.values() if code == REDUCE}
    assert not unit_rules & reduced


# --------------------------------------------------------------------------- BOM, surrogates


def test_a_leading_byte_order_mark_is_not_a_syntax_error() -> None:
    """Issue 11 #11: U+FEFF at offset 0 is trivia; spans still count it."""
    tree = zql.parse('\ufeffstatus = "Fail"')
    assert tree == zql.parse('status = "Fail"')
    assert tree.span.start == 1  # type: ignore[union-attr]
    lint = zql.lint('\ufeff# a comment\nstatus = "Fail"')
    assert not [d for d in lint if d.code.startswith("ZQL1")]
    from zql._lexer import tokenize

    assert [t.type for t in tokenize('\ufeffa = 1')][:2] == ["BOM", "FIELD"]


def test_a_byte_order_mark_elsewhere_is_still_an_error() -> None:
    with pytest.raises(zql.ZQLSyntaxError) as caught:
        zql.parse('a = 1 \ufeff')
    assert caught.value.diagnostics[0].code == "ZQL103"


@pytest.mark.parametrize("literal", ['"\\ud800"', '"x\\uDFFF"', '"\\ud83d and more"',
                                     '"\ud800"'])
def test_a_lone_surrogate_in_a_string_is_flagged(literal: str) -> None:
    """Issue 11 #11: the sandbox answers 400 and the builder refuses it; the parser says so."""
    text = f"name ~ {literal} and tag = \"ok\""
    with pytest.raises(zql.ZQLSyntaxError) as caught:
        zql.parse(text)
    diag = caught.value.diagnostics[0]
    assert diag.code == "ZQL127" and "lone surrogate" in diag.message
    assert diag.span.slice(text) == literal
    assert [d.code for d in zql.lint(text)] == ["ZQL127"]


def test_a_surrogate_pair_escape_is_a_character() -> None:
    assert zql.parse('name ~ "\\ud83d\\ude00"').value == String("😀")  # type: ignore[union-attr]


# --------------------------------------------------------------------------- every syntax error


@pytest.mark.parametrize(("text", "codes"), [
    ('a = Fail and b == 2 or c ~', ["ZQL107", "ZQL110", "ZQL104"]),
    ('a = = 1 and (b = 2 c = 3) or d ~', ["ZQL104", "ZQL121", "ZQL104"]),
    ('a = 1 and or b = 2 and c = Fail', ["ZQL115", "ZQL107"]),
    ('tag in ("a" "b") and x = @ or y = 3 or z', ["ZQL126", "ZQL103", "ZQL105"]),
    ('(a = = 1 and b = 2) or c = 3', ["ZQL104"]),  # the kept "(" still closes: no ZQL117
    ('priority not in ("P1") and x = 1', ["ZQL112"]),  # `not in` is one mistake
    ('AND = 1', ["ZQL115"]),  # what follows is the same mistake, not a second one
    ('a = 1)', ["ZQL117"]),
])
def test_every_syntax_error_of_a_query_is_reported(text: str, codes: list[str]) -> None:
    """Issue 13: recovery resynchronises at the next connective or `)`."""
    from zql.parser import parse_all

    result = parse_all(text)
    assert result.tree is None
    assert [d.code for d in result.diagnostics] == codes
    with pytest.raises(zql.ZQLSyntaxError) as caught:
        zql.parse(text)
    assert caught.value.diagnostics[0] == result.diagnostics[0]  # parse reports the first
    assert [d.code for d in zql.lint(text)] == codes  # lint reports them all


def test_parse_all_of_a_valid_query_is_the_tree() -> None:
    from zql.parser import parse_all

    text = 'a = 1 and (b ~ "x" or not c in (1, 2))'
    assert parse_all(text).tree == zql.parse(text) and parse_all(text).diagnostics == ()


def test_recovery_is_bounded() -> None:
    from zql._syntax_errors import MAX_SYNTAX_DIAGNOSTICS
    from zql.parser import parse_all

    text = " and ".join("a = = 1" for _ in range(120))
    diags = parse_all(text).diagnostics
    assert len(diags) == MAX_SYNTAX_DIAGNOSTICS
    starts = [d.span.start for d in diags]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_recovery_reads_the_text_a_bounded_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """50 errors in a long query cost a few readings of it, not 50 (counted, not timed)."""
    from zql import _syntax_errors
    from zql._lexer import scan
    from zql.parser import parse_all

    read = [0]

    def counting_scan(*args: Any) -> Any:
        for tok in scan(*args):
            read[0] += 1
            yield tok

    monkeypatch.setattr(_syntax_errors, "scan", counting_scan)
    n = 4000
    text = " or ".join((f'f{i} = = "{i}"' if i % 80 == 0 else f'f{i} = "{i}"') for i in range(n))
    tokens = sum(1 for _ in scan(text))
    assert len(parse_all(text).diagnostics) == 50
    # Each part of the text is read a few times (its round's explanation, the parenthesis
    # count, the resync search, a bounded look-ahead); reading the rest of the text again at
    # every one of the 50 rounds would be about 25 readings.
    assert read[0] <= 6 * tokens
