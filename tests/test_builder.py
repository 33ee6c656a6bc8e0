"""Query builder: hostile values cannot change a query's structure; built trees parse back."""

from __future__ import annotations

import copy
import math
import pickle
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import zql
from tests.property_budget import examples
from tests.strategies import field_names, trees
from zql._vocabulary import vocabulary
from zql.ast import And, Boolean, Clause, Empty, Node, Not, Number, Op, Or, String, ValueList, walk
from zql.builder import Expr, OperatorNotAllowedError, UnknownFieldError
from zql.format import lower_negations
from zql.parser import MAX_DEPTH
from zql.schema import Schema, SchemaError, load_schema, profile_names

PROPERTY = settings(max_examples=examples(200), deadline=None)
KEYWORDS = sorted(vocabulary().keyword_by_text)
HOSTILE = [
    "", '"', "\\", '\\"', '""', '" or project = "x', '") or (a = "', "\\u0022", "\\n",
    "line\nbreak", "tab\there", "\r\n", "\x00", "nul\x00inside", "\x1b[31mred", "\x7f\x85\x9f",
    "\u2028\u2029", "\ufeff", "مرحبا بالعالم", "\u202eevil", "e\u0301\u0301",
    "새로운 테스트 케이스", "😀\U0010ffff", "# not a comment", "a = 1", "/", "\\/",
    *KEYWORDS, *(k.upper() for k in KEYWORDS),
]
any_text = st.one_of(st.text(st.characters(blacklist_categories=["Cs"])),
                     st.sampled_from(HOSTILE))


def _single_clause(query: str) -> Clause:
    node = zql.parse(query)
    assert isinstance(node, Clause)
    return node


def _examples(values: Sequence[object]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def decorate(test: Callable[..., None]) -> Callable[..., None]:
        for value in values:
            test = example(value)(test)
        return test
    return decorate


# --------------------------------------------------------------------------- value properties


@PROPERTY
@given(any_text)
@_examples(HOSTILE)
def test_contains_value_round_trips_exactly(value: str) -> None:
    for method, op in (("contains", Op.CONTAINS), ("not_contains", Op.NOT_CONTAINS)):
        clause = _single_clause(str(getattr(zql.field("name"), method)(value)))
        assert (clause.field, clause.op) == ("name", op)
        assert isinstance(clause.value, String) and clause.value.value == value


@PROPERTY
@given(st.lists(any_text, min_size=1, max_size=6))
@_examples([HOSTILE, ["a", "a"]])
def test_in_list_round_trips_exactly(values: list[str]) -> None:
    clause = _single_clause(str(zql.field("tag").in_(values)))
    assert clause.op is Op.IN and isinstance(clause.value, ValueList)
    assert [item.value for item in clause.value.items] == values
    assert all(isinstance(item, String) for item in clause.value.items)


def _in_limit(d: Decimal) -> bool:
    digits, exponent = d.as_tuple()[1:]
    return isinstance(exponent, int) and len(digits) + abs(exponent) <= sys.get_int_max_str_digits()


numbers = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**63 - 1, -(2**63), 10**4299, -(10**4299)]),
    st.decimals(allow_nan=False, allow_infinity=False).filter(_in_limit),
    st.sampled_from([Decimal("-0"), Decimal("-0.0"), Decimal("1E+2"), Decimal("1.50"),
                     Decimal("1E-30")]),
    st.booleans(),
)


@PROPERTY
@given(numbers)
def test_eq_numbers_and_booleans_round_trip(value: int | Decimal) -> None:
    clause = _single_clause(str(zql.field("n").eq(value)))
    if isinstance(value, bool):
        assert clause.value == Boolean(value)
    else:
        assert isinstance(clause.value, Number) and clause.value.value == value
        assert not isinstance(clause.value.value, bool)


@PROPERTY
@given(st.floats(allow_nan=False, allow_infinity=False))
@_examples([0.1, -0.0, 1e16, 5e-324, 1.7976931348623157e308])
def test_floats_keep_their_shortest_repr(value: float) -> None:
    clause = _single_clause(str(zql.field("n").ne(value)))
    assert isinstance(clause.value, Number)
    assert clause.value.value == Decimal(repr(value))
    parsed = float(clause.value.value)
    assert parsed == value and math.copysign(1, parsed) == math.copysign(1, value)


@PROPERTY
@given(st.text(max_size=12) | field_names)
def test_a_field_name_is_rejected_or_round_trips(name: str) -> None:
    try:
        handle = zql.field(name)
    except ValueError:
        return
    assert _single_clause(str(handle.eq(1))) == Clause(name, Op.EQ, Number(1))


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("Fail", '"Fail"'),
        ('say "hi"', r'"say \"hi\""'),
        ("a\\b", r'"a\\b"'),
        ("two\nlines", r'"two\nlines"'),
        ("\x00", r'"\u0000"'),
        ("新しい", '"新しい"'),
        (7, "7"),
        (-7, "-7"),
        (True, "true"),
        (False, "false"),
        (0.1, "0.1"),
        (1e20, "100000000000000000000"),
        (-0.0, "-0.0"),
        (Decimal("1.50"), "1.50"),
        (Decimal("1E+2"), "100"),
        (Decimal("1E-3"), "0.001"),
        (10**30, "1" + "0" * 30),
    ],
)
def test_value_text(value: object, text: str) -> None:
    assert str(zql.field("x").eq(value)) == f"x = {text}"  # type: ignore[arg-type]


# --------------------------------------------------------------------------- expression properties


def _leaf(draw: st.DrawFn) -> Expr:
    handle = zql.field(draw(field_names))
    kind = draw(st.sampled_from(["eq", "ne", "contains", "not_contains", "in_", "is_empty",
                                 "is_not_empty", "text"]))
    scalar = st.one_of(any_text, st.integers(), st.booleans(),
                       st.decimals(allow_nan=False, allow_infinity=False, places=3))
    if kind in ("eq", "ne"):
        result: Expr = getattr(handle, kind)(draw(scalar))
    elif kind in ("contains", "not_contains"):
        result = getattr(handle, kind)(draw(any_text))
    elif kind == "in_":
        result = handle.in_(draw(st.lists(scalar, min_size=1, max_size=3)))
    elif kind == "text":  # a ZQL string stands in for an expression
        return zql.Expr(f"{handle.name} = {draw(st.integers())}")
    else:
        result = getattr(handle, kind)()
    return result


@st.composite
def exprs(draw: st.DrawFn, depth: int = 3) -> Expr:
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return _leaf(draw)
    how = draw(st.sampled_from(["&", "|", "~", "and_", "or_", "not_", "str&"]))
    left = draw(exprs(depth - 1))
    if how == "~":
        return ~left
    if how == "not_":
        return zql.not_(left)
    if how in ("and_", "or_"):
        rest = draw(st.lists(exprs(depth - 1), min_size=1, max_size=3))
        combine: Callable[..., Expr] = getattr(zql, how)
        return combine(left, *rest)
    right = draw(exprs(depth - 1))
    if how == "str&":
        return right.to_zql(portable=False) & left
    return left & right if how == "&" else left | right


def _flat(node: Node) -> bool:
    return all(not isinstance(c, type(n)) for n in walk(node) if isinstance(n, And | Or)
               for c in n.children)


@PROPERTY
@given(exprs())
def test_built_expressions_parse_back(expr: Expr) -> None:
    assert zql.parse(str(expr)) == lower_negations(expr.node)
    assert zql.parse(expr.to_zql(portable=False)) == expr.node
    assert not any(isinstance(n, Not) for n in walk(zql.parse(str(expr))))
    assert _flat(expr.node)
    assert Expr(expr.node) == expr and hash(Expr(expr.node)) == hash(expr)


@PROPERTY
@given(trees)
def test_any_canonical_tree_is_an_expression(tree: Node) -> None:
    expr = Expr(tree)
    assert zql.parse(expr.to_zql(portable=False)) == tree
    assert zql.and_(expr) is expr


# --------------------------------------------------------------------------- composition


A, B, C = (zql.field(n).eq(1) for n in "abc")


@pytest.mark.parametrize(
    ("built", "text"),
    [
        (A & B & C, "a = 1 and b = 1 and c = 1"),
        (A & (B & C), "a = 1 and b = 1 and c = 1"),
        (zql.and_(A & B, B & C), "a = 1 and b = 1 and b = 1 and c = 1"),
        (A | B & C, "a = 1 or (b = 1 and c = 1)"),
        ((A | B) & C, "(a = 1 or b = 1) and c = 1"),
        (zql.or_(A | B, "c = 1 or d = 2"), "a = 1 or b = 1 or c = 1 or d = 2"),
        ("x = 2" & A, "x = 2 and a = 1"),
        ("x = 2" | A, "x = 2 or a = 1"),
        (A & "x = 2", "a = 1 and x = 2"),
        (~~A, "not not a = 1"),
        (A & ~B, "a = 1 not b = 1"),
        (zql.not_("a = 1 and b = 2"), "not (a = 1 and b = 2)"),
        (zql.and_(zql.field("t").eq(v) for v in "xy"), 't = "x" and t = "y"'),
        (zql.and_([A, B]), "a = 1 and b = 1"),
        (zql.all_of(None, A, None, B), "a = 1 and b = 1"),
        (zql.all_of([None, A]), "a = 1"),
        (zql.any_of(A, None, zql.all_of(None, None)), "a = 1"),
        (zql.all_of(A, zql.any_of(B, C)), "a = 1 and (b = 1 or c = 1)"),
    ],
)
def test_composition(built: Expr, text: str) -> None:
    assert built.to_zql(portable=False) == text
    assert built == zql.Expr(text)
    assert _flat(built.node)


def test_one_part_comes_back_unchanged_and_none_gives_none() -> None:
    assert zql.and_(A) is A and zql.or_(A) is A and zql.all_of(None, A) is A
    assert zql.and_("a = 1") == A
    assert zql.all_of() is None and zql.any_of(None, None) is None


def test_expressions_are_values() -> None:
    again = zql.field("a").eq(1)
    assert again == A and hash(again) == hash(A) and again is not A
    assert A != B and A.node != A and len({A, again, B}) == 2
    assert zql.field("a").eq(1) != zql.field("a").eq(True)  # 1 and true are different values
    assert repr(zql.field("status").eq("Fail")) == '<Expr status = "Fail">'
    long = zql.field("a").in_(range(100))
    assert len(repr(long)) < 220 and repr(long).endswith("…>")
    for obj in (A & ~B, zql.fields("testcase"), zql.fields("testcase").priority,
                zql.Expr("a = 1 or not b in (1, 2.50)")):
        assert pickle.loads(pickle.dumps(obj)) == obj and copy.deepcopy(obj) == obj


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH])
def test_nesting_up_to_the_parser_limit(depth: int) -> None:
    expr = A
    for _ in range(depth - 1):
        expr = ~expr
    assert zql.parse(expr.to_zql(portable=False)) == expr.node
    with pytest.raises(ValueError, match=str(MAX_DEPTH)) if depth == MAX_DEPTH else nullcontext():
        ~expr  # noqa: B018 - the operator is the test
    alternating = A
    for i in range(depth - 1):
        alternating = (alternating & B) if i % 2 else (alternating | B)
    assert zql.parse(alternating.to_zql(portable=False)) == alternating.node


# --------------------------------------------------------------------------- schema-checked fields


TC = zql.fields("testcase", schema="ze7")
EX = zql.fields("execution")


@pytest.mark.parametrize("profile", profile_names())
def test_every_schema_field_is_reachable(profile: str) -> None:
    schema = load_schema(profile)
    own = {"custom", "entity", "schema", "where"}
    for entity in schema.entities:
        handles = zql.fields(entity, schema=schema)
        names = [spec.name for spec in schema.fields(entity)]
        assert not own & {n.lower() for n in names}
        assert [h.name for h in handles] == names and len(handles) == len(names)
        assert set(names) <= set(dir(handles))
        for name in names:
            assert getattr(handles, name.upper()).name == name == handles[name.lower()].name
            assert name in handles


def test_schema_field_handles() -> None:
    assert TC.ALTID.name == "altId" and TC.priority.spec is not None
    assert repr(TC.automated) == "<Field testcase.automated (boolean; =, !=)>"
    assert repr(TC) == "<Fields testcase (schema ze7, 15 fields)>"
    assert str(TC.priority.in_("P1", "P2") & TC.automated.eq(True)) == \
        'priority in ("P1", "P2") and automated = true'
    assert str(TC.estimatedTime.is_empty()) == "estimatedTime is empty"
    same = zql.fields("tc", schema=load_schema("ze7"))
    assert same == TC and hash(same) == hash(TC) and TC != EX
    assert zql.fields("testSchedule").entity == "execution"
    assert TC.priority != zql.field("priority")  # a checked handle carries its spec
    assert TC.priority.eq("P1") == zql.field("priority").eq("P1")  # the clause is the same


def test_custom_fields(tmp_path: Path) -> None:
    schema = load_schema("ze7").with_custom_fields("testcase", [("customtext", "text")])
    path = tmp_path / "custom.json"
    schema.save(path)
    for source in (schema, path):
        tc = zql.fields("testcase", schema=source)
        assert str(tc["CUSTOMTEXT"].contains("x")) == 'customtext ~ "x"'
        assert tc.custom("customtext", kind="text") == tc.customtext
    number = TC.custom("customnumber", kind="number")
    assert str(number.in_(1, 2)) == "customnumber in (1, 2)"
    assert str(TC.custom("custombox", kind="checkbox").ne(True)) == "custombox != true"


def test_where_builds_filters_from_flags() -> None:
    assert EX.where() is None and EX.where(release=None, status=[]) is None
    built = EX.where(release="R1", status=["Fail", "Blocked"], notes="flaky", TESTCASEID=7)
    assert built is not None and str(built) == (
        'release = "R1" and status in ("Fail", "Blocked") and notes ~ "flaky" and testcaseId = 7')
    assert str(TC.where(automated=False, tag={"smoke"})) == 'automated = false and tag = "smoke"'
    assert str(TC.where(version=range(2, 4))) == "version in (2, 3)"


def test_where_with_one_item_builds_equals_and_lints_clean() -> None:
    built = EX.where(status=["Fail"], testcaseId=(7,), notes=["flaky"])
    assert str(built) == 'status = "Fail" and testcaseId = 7 and notes ~ "flaky"'
    assert zql.lint(str(built), entity="execution") == []


@pytest.mark.parametrize(("compare", "method"), [
    (lambda f: f == "Pass", "eq"), (lambda f: f != "Pass", "ne"),
    (lambda f: "Pass" == f, "eq"),  # noqa: SIM300
    (lambda f: f == ["Pass"], "eq"), (lambda f: f != 3, "ne"),
    (lambda f: f == None, "eq"),  # noqa: E711
])
def test_comparing_a_field_handle_with_a_value_raises(
        compare: Callable[[Any], object], method: str) -> None:
    with pytest.raises(TypeError, match=rf"write status\.{method}\("):
        compare(EX.status)


def test_handles_and_expressions_keep_structural_equality() -> None:
    assert EX.status == EX.status and EX.status != EX.notes and EX.status != zql.field("status")
    assert EX.status.eq("Pass") == EX.status.eq("Pass") != EX.status.ne("Pass")
    assert EX.status in {EX.status: 1} and EX.status in [EX.notes, EX.status]
    assert (EX.status == object()) is False


# --------------------------------------------------------------------------- every error path

Case = tuple[Callable[[], object], type[BaseException], str]

ERRORS: dict[str, Case] = {
    "empty name": (lambda: zql.field(""), ValueError, "''"),
    "digit first": (lambda: zql.field("1st"), ValueError, "'1st'"),
    "space": (lambda: zql.field("cycle name"), ValueError, "'cycle name'"),
    "dot": (lambda: zql.field("a.b"), ValueError, "'a.b'"),
    "look-alike": (lambda: zql.field("ſtatus"), ValueError, "ASCII"),
    "keyword": (lambda: zql.field(KEYWORDS[0].upper()), ValueError, "reserved"),
    "name type": (lambda: zql.field(3), TypeError, "int"),  # type: ignore[arg-type]
    "None": (lambda: zql.field("x").eq(None), TypeError, ".is_empty()"),  # type: ignore[arg-type]
    "None in list": (lambda: zql.field("x").in_(1, None),  # type: ignore[arg-type]
                     TypeError, "value 2"),
    "list value": (lambda: zql.field("x").eq([1]), TypeError, "list"),  # type: ignore[arg-type]
    "bytes": (lambda: zql.field("x").ne(b"x"), TypeError, "bytes"),  # type: ignore[arg-type]
    "complex": (lambda: zql.field("x").eq(1j), TypeError, "complex"),  # type: ignore[arg-type]
    "nan": (lambda: zql.field("x").eq(math.nan), ValueError, "nan"),
    "inf": (lambda: zql.field("x").eq(-math.inf), ValueError, "inf"),
    "Decimal nan": (lambda: zql.field("x").eq(Decimal("NaN")), ValueError, "NaN"),
    "Decimal snan": (lambda: zql.field("x").eq(Decimal("sNaN")), ValueError, "sNaN"),
    "Decimal inf": (lambda: zql.field("x").eq(Decimal("Infinity")), ValueError, "Infinity"),
    "huge int": (lambda: zql.field("x").eq(10**5000), ValueError, "too long"),
    "huge Decimal": (lambda: zql.field("x").eq(Decimal("1E+5000")), ValueError, "too long"),
    "surrogate": (lambda: zql.field("x").contains("a\ud800"), ValueError, "surrogate"),
    "contains int": (lambda: zql.field("x").contains(1), TypeError, "int"),  # type: ignore[arg-type]
    "contains None": (lambda: zql.field("x").not_contains(None),  # type: ignore[arg-type]
                      TypeError, ".is_empty()"),
    "empty in": (lambda: zql.field("x").in_(), ValueError, "at least one"),
    "empty list": (lambda: zql.field("x").in_([]), ValueError, "at least one"),
    "empty and_": (lambda: zql.and_(), ValueError, "zql.and_()"),
    "empty or_": (lambda: zql.or_(iter([])), ValueError, "zql.or_()"),
    "None part": (lambda: zql.and_(A, None), TypeError, "zql.all_of()"),  # type: ignore[arg-type]
    "& None": (lambda: A & None, TypeError, "zql.all_of()"),  # type: ignore[operator]
    "| int": (lambda: A | 3, TypeError, "int"),  # type: ignore[operator]
    "Field part": (lambda: zql.or_(zql.field("x")), TypeError, "x.eq"),  # type: ignore[arg-type]
    "bad text": (lambda: zql.and_(A, "status = "), zql.ZQLSyntaxError, "value"),
    "bad text not_": (lambda: zql.not_("(a = 1"), zql.ZQLSyntaxError, ""),
    "bad text &": (lambda: A & "a = Fail", zql.ZQLSyntaxError, "Fail"),
    "truth value": (lambda: bool(A), TypeError, "is None"),
    "python and": (lambda: A and B, TypeError, "&"),
    "too deep": (lambda: zql.not_(zql.Expr("not " * (MAX_DEPTH - 1) + "a = 1")), ValueError,
                 str(MAX_DEPTH)),
    "immutable expr": (lambda: setattr(A, "node", None), AttributeError, "immutable"),
    "immutable field": (lambda: setattr(TC.priority, "_name", "x"), AttributeError, "immutable"),
    "immutable fields": (lambda: setattr(TC, "entity", "x"), AttributeError, "immutable"),
    # hand-built trees the formatter could not write faithfully
    "node name": (lambda: Expr(Clause("a b", Op.EQ, Number(1))), ValueError, "'a b'"),
    "node empty list": (lambda: Expr(Clause("a", Op.IN, ValueList(()))), ValueError, "in"),
    "node ~ number": (lambda: Expr(Clause("a", Op.CONTAINS, Number(1))), ValueError, "Number"),
    "node is string": (lambda: Expr(Clause("a", Op.IS, String("x"))), ValueError, "String"),
    "node = empty": (lambda: Expr(Clause("a", Op.EQ, Empty())), ValueError, "Empty"),
    "node bool number": (lambda: Expr(Clause("a", Op.EQ, Number(True))), TypeError, "True"),
    "node nan": (lambda: Expr(Clause("a", Op.IN, ValueList((Number(Decimal("NaN")),)))),
                 ValueError, "NaN"),
    "node one child": (lambda: Expr(And((Clause("a", Op.IS, Empty()),))), ValueError, "two"),
    "node nested and": (lambda: Expr(And((And((A.node, B.node)), C.node))), ValueError, "flatten"),
    "node type": (lambda: Expr(3), TypeError, "int"),  # type: ignore[arg-type]
    "node child type": (lambda: Expr(Not("a = 1")), TypeError, "str"),  # type: ignore[arg-type]
    # schema-checked fields
    "unknown entity": (lambda: zql.fields("defect"), SchemaError, "'defect'"),
    "unknown profile": (lambda: zql.fields("testcase", schema="ze9"), SchemaError, "ze9"),
    "item type": (lambda: TC[3], TypeError, "int"),  # type: ignore[index]
    "op not allowed": (lambda: TC.automated.in_(True), OperatorNotAllowedError, "automated"),
    "op before type": (lambda: TC.name.eq(3), OperatorNotAllowedError, ".contains()"),
    "~ on long": (lambda: TC.testcaseId.contains("1"), OperatorNotAllowedError, "testcaseId"),
    "is on name": (lambda: TC.name.is_empty(), OperatorNotAllowedError, "name"),
    "str for bool": (lambda: TC.automated.eq("yes"), TypeError, "boolean"),
    "int for bool": (lambda: TC.automated.ne(1), TypeError, "bool"),
    "bool for int": (lambda: TC.version.eq(True), TypeError, "an int field"),
    "str for long": (lambda: TC.testcaseId.in_(1, "2"), TypeError, "value 2"),
    "int for string": (lambda: TC.priority.eq(1), TypeError, "string"),
    "float for long": (lambda: TC.versionId.ne(1.0), TypeError, "float"),
    "int range": (lambda: TC.version.eq(2**31), ValueError, "out of range"),
    "long range": (lambda: TC.testcaseId.eq(-(2**63) - 1), ValueError, "out of range"),
    "custom bad name": (lambda: TC.custom("my field", kind="text"), SchemaError, "my field"),
    "custom bad kind": (lambda: TC.custom("customx", kind="date"), SchemaError, "date"),
    "custom built-in": (lambda: TC.custom("NAME", kind="text"), SchemaError, "built-in"),
    "custom op": (lambda: TC.custom("customtext", kind="text").eq("x"), OperatorNotAllowedError,
                  "customtext"),
    "where unknown": (lambda: EX.where(statuss="Fail"), UnknownFieldError, "status"),
    "where generator": (lambda: EX.where(status=(s for s in "ab")), TypeError, "generator"),
    "where op": (lambda: EX.where(notes=["a", "b"]), OperatorNotAllowedError, "notes"),
}


@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_error_paths(case: str) -> None:
    build, kind, mentioned = ERRORS[case]
    with pytest.raises(kind) as info:
        build()
    assert mentioned in str(info.value)
    assert "\n" not in str(info.value) or kind is zql.ZQLSyntaxError  # one-line messages


DECIMAL_SCHEMA = Schema.from_json({"entities": {"testcase": [
    {"name": "estimate", "type": "decimal", "operators": ["=", "!=", "in"]}]}})


@pytest.mark.parametrize("value", [1, 1.5, Decimal("2.25")])
def test_decimal_fields_take_numbers(value: object) -> None:
    estimate = zql.fields("testcase", schema=DECIMAL_SCHEMA).estimate
    assert _single_clause(str(estimate.eq(value))).value == Number(  # type: ignore[arg-type]
        Decimal(repr(value)) if isinstance(value, float) else value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["1.5", True, None])
def test_decimal_fields_refuse_other_values(value: object) -> None:
    with pytest.raises(TypeError):
        zql.fields("testcase", schema=DECIMAL_SCHEMA).estimate.eq(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "suggestions", "mentions"),
    [
        ("prority", ("priority",), "did you mean"),
        ("id", ("testcaseId",), "'id' in ze6"),
        ("notes", ("contents",), "a field of execution"),
        ("zzzzz", (), ".custom("),
    ],
)
def test_unknown_fields_explain_themselves(name: str, suggestions: tuple[str, ...],
                                          mentions: str) -> None:
    for lookup in (lambda: getattr(TC, name), lambda: TC[name]):
        with pytest.raises(UnknownFieldError) as info:
            lookup()
        err = info.value
        assert isinstance(err, AttributeError) and isinstance(err, KeyError)
        assert (err.entity, err.name, err.suggestions) == ("testcase", name, suggestions)
        assert mentions in str(err)
    assert not hasattr(TC, name) and getattr(TC, "_private", None) is None


def test_operator_error_names_the_allowed_ones() -> None:
    with pytest.raises(OperatorNotAllowedError) as info:
        TC.automated.in_(True)
    assert info.value.op is Op.IN and info.value.allowed == ("=", "!=")
    assert info.value.spec.name == "automated" and isinstance(info.value, zql.ZQLError)


@pytest.mark.parametrize(("field", "value"), [("version", 2**31 - 1), ("version", -(2**31)),
                                              ("testcaseId", 2**63 - 1), ("versionId", 0)])
def test_range_boundaries_are_accepted(field: str, value: int) -> None:
    assert _single_clause(str(TC[field].eq(value))).value == Number(value)
