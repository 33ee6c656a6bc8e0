"""Issue 13, "Lint and fix": every fix is marked, every safe fix keeps the query's meaning and
leaves nothing the linter then warns about, and the rule table says which fixes are which.

The meaning of a tree is computed here, independently of the formatter: a negation normal form
(``not`` pushed down by De Morgan), fields by their canonical schema names, values by what the
field's type compares (``"3"`` and ``3`` are one number for a number field), ``=`` as a
one-value ``in``, and sets for ``and`` / ``or`` children and list items.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import pytest

from tests.corpus import all_queries
from zql.ast import And, Boolean, Clause, Empty, Node, Not, Number, Op, Or, String, ValueList
from zql.documents import apply_fixes
from zql.errors import Diagnostic, Fix, Severity, Span, ZQLSyntaxError, apply_edits
from zql.linting import lint
from zql.parser import parse
from zql.rules import FIX_KINDS, rule, rules
from zql.schema import Schema, load_schema

# (query, entity, profile) beyond the rule examples and corpora: each kind of fix at least once.
EXTRA = [
    ("id = 5", "testcase", "ze7"),                            # ZQL201 rename: safe
    ('prority = "P1"', "testcase", "ze7"),                    # ZQL201 did-you-mean: unsafe
    ('version = "3" and version = 2.0', "testcase", "ze7"),   # ZQL204 unquote, drop decimals
    ('automated = "TRUE"', "testcase", "ze7"),                # ZQL204 boolean spelling
    ('estimatedTime = "1:30:00"', "testcase", "ze7"),         # ZQL204 time padding
    ('a = 1 and not b = 2', "testcase", "ze7"),               # ZQL303's second fix: a not b
    ('not (priority = "P1" or tag in ("a", "b"))', "testcase", "ze7"),
    ('priority not in ("P1", "P2") or tag = "x"', "testcase", "ze7"),
    ('tag ~ "flaky" and name = "x"', "testcase", "ze7"),      # ZQL203: no fix, only a hint
    ('status = "passed"', "execution", "ze7"),                # ZQL206 did-you-mean: unsafe
    ('name ~ "a\u202eb" AND tag in ("x", "x")', "testcase", "ze7"),
    ('priority = "" or priority != ""', "testcase", "ze7"),   # ZQL304: a guess
    ('tag is NULL', "testcase", "ze7"),
]


def _cases() -> list[tuple[str, str, str]]:
    cases = [(r.bad, r.entity, r.profile) for r in rules()]
    cases += [(q, "testcase", "ze7") for q in all_queries()]
    return cases + EXTRA


CASES = _cases()


# ---------------------------------------------------------------- meaning of a tree

_NEGATED = {"in": "nin", "nin": "in", "has": "hasnt", "hasnt": "has", "empty": "nonempty",
            "nonempty": "empty"}


def _value(item: Any, ftype: str | None) -> object:
    if isinstance(item, Boolean):
        return ("b", item.value)
    if isinstance(item, Number):
        return ("n", Decimal(item.value))
    assert isinstance(item, String)
    text = item.value
    if ftype in ("int", "long", "number", "float", "decimal"):
        try:
            return ("n", Decimal(text))
        except InvalidOperation:
            pass
    if ftype == "boolean" and text.strip().lower() in ("true", "false"):
        return ("b", text.strip().lower() == "true")
    if ftype == "string" and text.count(":") == 2 and text.replace(":", "").isdigit():
        return ("t", tuple(int(p) for p in text.split(":")))
    return ("s", text)


def meaning(node: Node, schema: Schema, entity: str, negated: bool = False) -> object:
    """A normal form: equal for two trees that match the same items."""
    if isinstance(node, Not):
        return meaning(node.child, schema, entity, not negated)
    if isinstance(node, Clause):
        spec = schema.field(entity, node.field)
        rename = schema.rename_for(entity, node.field)
        name = spec.name if spec else rename.new if rename else node.field.lower()
        ftype = spec.type if spec else None
        value = node.value
        items = value.items if isinstance(value, ValueList) else () if isinstance(
            value, Empty) else (value,)
        values = frozenset(_value(v, ftype) for v in items)
        kind = {Op.EQ: "in", Op.IN: "in", Op.NE: "nin", Op.CONTAINS: "has",
                Op.NOT_CONTAINS: "hasnt", Op.IS: "empty", Op.IS_NOT: "nonempty"}[node.op]
        return (_NEGATED[kind] if negated else kind, name, values)
    assert isinstance(node, And | Or)
    joint = "and" if isinstance(node, And) != negated else "or"
    parts: list[Any] = []
    for child in node.children:
        m = meaning(child, schema, entity, negated)
        parts.extend(m[1] if isinstance(m, tuple) and m[0] == joint else [m])
    # `a != 1 and a != 2` is `not a in (1, 2)`; `a = 1 or a = 2` is `a in (1, 2)`.
    merge = "nin" if joint == "and" else "in"
    merged: dict[str, frozenset[object]] = {}
    rest = set()
    for p in parts:
        if p[0] == merge:
            merged[p[1]] = merged.get(p[1], frozenset()) | p[2]
        else:
            rest.add(p)
    rest |= {(merge, name, values) for name, values in merged.items()}
    return next(iter(rest)) if len(rest) == 1 else (joint, frozenset(rest))


def _tree(text: str) -> Node | None:
    try:
        return parse(text)
    except ZQLSyntaxError:
        return None


def _region(fix: Fix) -> Span:
    """Where the fix's new text sits in the fixed text."""
    ordered = sorted(fix.edits, key=lambda e: e.span.start)
    start = ordered[0].span.start
    end = ordered[-1].span.end + sum(len(e.new_text) - (e.span.end - e.span.start)
                                     for e in ordered)
    return Span(start, max(start, end))


def _findings() -> list[tuple[str, str, str, Diagnostic, Fix]]:
    out = []
    for query, entity, profile in CASES:
        for diag in lint(query, entity=entity, schema=profile):
            out.extend((query, entity, profile, diag, fix) for fix in diag.fixes)
    return out


FINDINGS = _findings()


# ---------------------------------------------------------------- the tests


def test_every_rule_declares_its_fix_kinds_and_shows_them() -> None:
    for r in rules():
        assert set(r.fixes) <= set(FIX_KINDS), r.code
        assert r.fix == ("/".join(r.fixes) or "none")


def test_every_fix_is_of_a_kind_its_rule_declares() -> None:
    for query, _, _, diag, fix in FINDINGS:
        kind = "safe" if fix.safe else "unsafe"
        assert kind in rule(diag.code).fixes, (query, diag.code, fix.title)


def test_every_declared_kind_is_seen_in_the_corpus() -> None:
    seen = {(d.code, "safe" if f.safe else "unsafe") for _, _, _, d, f in FINDINGS}
    declared = {(r.code, kind) for r in rules() for kind in r.fixes}
    assert declared <= seen, sorted(declared - seen)


def test_rules_without_fixes_offer_none() -> None:
    for query, entity, profile in CASES:
        for diag in lint(query, entity=entity, schema=profile):
            if not rule(diag.code).fixes:
                assert not diag.fixes, (query, diag.code)


@pytest.mark.parametrize("finding", [f for f in FINDINGS if f[4].safe],
                         ids=lambda f: f"{f[3].code}:{f[0][:40]}")
def test_a_safe_fix_keeps_the_meaning_and_leaves_nothing_to_warn_about(
        finding: tuple[str, str, str, Diagnostic, Fix]) -> None:
    query, entity, profile, diag, fix = finding
    schema = load_schema(profile)
    fixed = fix.apply(query)
    after = _tree(fixed)
    assert after is not None, f"{diag.code}: a safe fix left a syntax error: {fixed!r}"
    before = _tree(query)
    if before is not None:
        assert meaning(after, schema, entity) == meaning(before, schema, entity), (
            diag.code, query, fixed)
    # Nothing the linter warns about where the fix wrote, that was not there before. (Text
    # with a syntax error was never checked against the schema: its ZQL2xx findings, such as
    # an unknown field, were the user's all along.)
    region = _region(fix)
    old_codes = {d.code for d in lint(query, entity=entity, schema=profile)}
    for new in lint(fixed, entity=entity, schema=profile):
        touches = new.span.start <= region.end and region.start <= new.span.end
        ours = before is not None or not new.code.startswith("ZQL2")
        if touches and ours and new.severity >= Severity.WARNING and new.code not in old_codes:
            pytest.fail(f"{diag.code} fix {fixed!r} gets {new.code}: {new.message}")


def test_the_not_in_fix_writes_the_form_the_linter_prefers() -> None:
    schema = load_schema()
    for query, negated in [('priority not in ("P1", "P2")', 'not (priority in ("P1", "P2"))'),
                           ('tag = "x" or priority not in ("P1", "P2")',
                            'tag = "x" or not (priority in ("P1", "P2"))')]:
        (diag,) = [d for d in lint(query) if d.code == "ZQL112"]
        fixed = diag.fixes[0].apply(query)
        assert diag.fixes[0].safe and lint(fixed) == []
        assert meaning(parse(fixed), schema, "testcase") == meaning(
            parse(negated), schema, "testcase")


def test_an_operator_swap_that_changes_matching_is_a_hint_never_a_fix() -> None:
    (diag,) = [d for d in lint('tag ~ "flaky"') if d.code == "ZQL203"]
    assert diag.fixes == () and 'write tag = "flaky"' in (diag.hint or "")
    for unsafe in (False, True):
        assert apply_fixes('tag ~ "flaky"', unsafe=unsafe).text == 'tag ~ "flaky"'


def test_fixing_everything_safe_ends_clean_of_fixable_findings() -> None:
    """--fix to a fixed point: what remains has no safe fix left (nothing loops or fights)."""
    for query, entity, profile in CASES:
        result = apply_fixes(query, entity=entity, schema=profile)
        left = lint(result.text, entity=entity, schema=profile)
        assert not [d.code for d in left if any(f.safe for f in d.fixes)], (query, result.text)
        if result.applied and _tree(query) is not None:
            schema = load_schema(profile)
            assert meaning(parse(result.text), schema, entity) == meaning(
                parse(query), schema, entity), (query, result.text)


def test_apply_edits_of_every_fix_is_well_formed() -> None:
    for query, _, _, _, fix in FINDINGS:
        apply_edits(query, fix.edits)  # no overlapping edits inside one fix
