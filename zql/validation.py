"""Semantic checks of a query against a schema: the ``ZQL2xx`` diagnostics.

Every field fact comes from the :class:`~zql.schema.Schema`; every severity from the rules
registry (:mod:`zql.rules`). Text is parsed first, so a syntax error raises
:class:`~zql.ZQLSyntaxError` (the client relies on that); :func:`zql.lint` is the variant that
never raises.

>>> [d.code for d in validate('prority = "P1" and automated = "yes"')]
['ZQL201', 'ZQL204']
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from zql import _lexer, _vocabulary
from zql.ast import (
    And,
    Boolean,
    Clause,
    Empty,
    Node,
    Not,
    Number,
    Op,
    Or,
    Scalar,
    String,
    ValueList,
    walk,
)
from zql.errors import Diagnostic, Fix, Span, TextEdit
from zql.format import format_value, quote
from zql.parser import parse
from zql.rules import diagnostic
from zql.schema import STATUS_LOOKUP, FieldSpec, Schema, load_schema

__all__ = ["check", "clause_values", "validate"]

# Value ranges of the integer types, as the ZE server (Java int / long) holds them.
_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
# Pieces of a field's value format (FieldSpec.format), as regular expressions.
_FORMAT_PIECES = {"HH": r"[0-9]{2,}", "MM": r"[0-5][0-9]", "SS": r"[0-5][0-9]"}
# Operators whose values are compared against a field's known values.
_EQUALITY_OPS = frozenset({Op.EQ, Op.NE, Op.IN})


def validate(
    query: str | Node,
    *,
    entity: str = "testcase",
    schema: str | os.PathLike[str] | Schema | None = "ze7",
) -> list[Diagnostic]:
    """Check a query (text or AST) against the schema; findings sorted by position.

    Raises :class:`~zql.ZQLSyntaxError` for text that does not parse and
    :class:`~zql.SchemaError` for an unknown entity or schema.

    >>> [(d.code, d.message) for d in validate("id = 5")]
    [('ZQL201', "no field 'id' in testcase: it is named testcaseId in ze7")]
    >>> validate("id = 5")[0].fix.apply("id = 5")
    'testcaseId = 5'
    >>> validate('notes ~ "x"')[0].message
    "no field 'notes' in testcase: it exists for execution, not testcase"
    >>> validate('status = "Fail"', entity="execution")
    []
    """
    node = query if isinstance(query, Clause | Not | And | Or) else parse(query)
    return check(node, load_schema(schema), Schema.entity_name(entity))


def check(node: Node, schema: Schema, entity: str) -> list[Diagnostic]:
    """Validate a parsed tree (``entity`` already canonical); used by :func:`validate` and lint.

    >>> check(parse("version = 1.5"), load_schema(), "testcase")[0].code
    'ZQL204'
    """
    out: list[Diagnostic] = []
    for current in walk(node):
        if isinstance(current, Clause):
            _check_clause(current, schema, entity, out)
    out.sort(key=lambda d: (d.span.start, d.span.end, d.code))
    return out


def clause_values(clause: Clause) -> tuple[Scalar, ...]:
    """The scalar values of a clause: the list items of ``in``, none for ``is [not] empty``.

    >>> [v.value for v in clause_values(parse('a in ("x", "y")'))]
    ['x', 'y']
    """
    value = clause.value
    if isinstance(value, ValueList):
        return value.items
    if isinstance(value, Empty):
        return ()
    return (value,)


# --------------------------------------------------------------------------- per clause


def _check_clause(clause: Clause, schema: Schema, entity: str, out: list[Diagnostic]) -> None:
    spec = schema.field(entity, clause.field)
    if spec is None:
        out.append(_unknown_field(clause, schema, entity))
        return
    if spec.name != clause.field:
        out.append(diagnostic(
            "ZQL202", f"field '{clause.field}' is spelled '{spec.name}'", clause.field_span,
            f"write {spec.name}", [_replace(clause.field_span, spec.name, f"write {spec.name}")]))
    if spec.api_only:
        out.append(diagnostic(
            "ZQL205", f"'{spec.name}' is API-only: not offered in the ZE UI", clause.field_span,
            "the query works through the API but cannot be pasted into the web UI's search"))
    if not spec.accepts(clause.op):
        out.append(_bad_operator(clause, spec))
    for value in clause_values(clause):
        problem = _type_problem(value, spec)
        if problem is not None:
            out.append(problem)
        elif (spec.values and isinstance(value, String) and value.value
              and clause.op in _EQUALITY_OPS):
            unknown = _value_problem(value, spec, schema)
            if unknown is not None:
                out.append(unknown)


def _unknown_field(clause: Clause, schema: Schema, entity: str) -> Diagnostic:
    name, span = clause.field, clause.field_span
    head = f"no field '{name}' in {entity}"
    rename = schema.rename_for(entity, name)
    if rename is not None:
        return diagnostic("ZQL201", f"{head}: it is named {rename.new} in {schema.name}", span,
                          f"{rename.profile} called it {rename.old}",
                          [_replace(span, rename.new, f"rename to {rename.new}")])
    elsewhere = [e for e in schema.entities_with(name) if e != entity]
    if elsewhere:
        return diagnostic("ZQL201", f"{head}: it exists for {', '.join(elsewhere)}, "
                          f"not {entity}", span,
                          f"search {elsewhere[0]} instead, or use a field of {entity}")
    close = schema.suggest(entity, name)
    if close:
        return diagnostic("ZQL201", f"{head}; did you mean {close[0]}?", span,
                          "other close names: " + ", ".join(close[1:]) if close[1:] else None,
                          [_replace(span, c, f"use {c}", safe=False) for c in close])
    names = [f.name for f in schema.fields(entity)]
    return diagnostic("ZQL201", head, span,
                      f"{entity} fields: {', '.join(names)}; custom fields need a schema file "
                      "that declares them" if names else
                      f"the schema '{schema.name}' has no fields for {entity}")


def _bad_operator(clause: Clause, spec: FieldSpec) -> Diagnostic:
    allowed = ", ".join(spec.operator_texts)
    hint = f"{spec.name} takes {allowed}"
    # `name = "x"` on a contains-only field often means "contains", and vice versa; but the
    # swap changes what matches, so it is a suggestion in the hint, never a fix.
    swap = {Op.EQ: Op.CONTAINS, Op.NE: Op.NOT_CONTAINS, Op.CONTAINS: Op.EQ,
            Op.NOT_CONTAINS: Op.NE}.get(clause.op)
    if swap is not None and spec.accepts(swap) and isinstance(clause.value, String):
        hint += (f"; to match {_MATCHES[swap]} {format_value(clause.value)}, write "
                 f"{spec.name} {swap.text} {format_value(clause.value)}")
    return diagnostic("ZQL203", f"'{clause.op.text}' is not allowed for {spec.name}; "
                      f"allowed: {allowed}", clause.op_span, hint)


_MATCHES = {Op.CONTAINS: "values containing", Op.NOT_CONTAINS: "values not containing",
            Op.EQ: "exactly", Op.NE: "everything but exactly"}


# --------------------------------------------------------------------------- value types


def _type_problem(value: Scalar, spec: FieldSpec) -> Diagnostic | None:
    kind = spec.type
    if kind == "string":
        if isinstance(value, String):
            return _format_problem(value, spec)
        text = format_value(value)
        return _value_diag(value, spec, "a quoted string", quote(text), f'quote it: "{text}"')
    if kind == "boolean":
        return None if isinstance(value, Boolean) else _boolean_problem(value, spec)
    whole = kind in _RANGES
    wanted = "a whole number" if whole else "a number"
    if isinstance(value, Number):
        if not whole:
            return None
        if isinstance(value.value, int) or value.value == value.value.to_integral_value():
            low, high = _RANGES[kind]
            if low <= value.value <= high:
                if isinstance(value.value, int):
                    return None
                return _value_diag(value, spec, wanted, str(int(value.value)), "drop the decimals")
            return _value_diag(value, spec, f"{wanted} from {low} to {high}", None, None)
        return _value_diag(value, spec, wanted, None, None)
    if isinstance(value, String) and _is_number(value.value, whole=whole):
        return _value_diag(value, spec, wanted, value.value, "unquote it")
    return _value_diag(value, spec, wanted, None, None)


def _boolean_problem(value: String | Number, spec: FieldSpec) -> Diagnostic:
    keywords = _vocabulary.vocabulary().keywords
    true, false = keywords["TRUE"], keywords["FALSE"]
    guess: str | None = None
    if isinstance(value, String) and value.value.strip().lower() in (true, false):
        guess = value.value.strip().lower()
    elif isinstance(value, Number) and value.value in (0, 1):
        guess = true if value.value == 1 else false
    return _value_diag(value, spec, f"{true} or {false}", guess,
                       f"write {guess}" if guess else None)


def _format_problem(value: String, spec: FieldSpec) -> Diagnostic | None:
    if not spec.format or not value.value:
        return None
    pattern = _format_regex(spec.format)
    if pattern.fullmatch(value.value):
        return None
    # A single-digit hour ("1:30:00") is the one slip with an obvious repair.
    padded = "0" + value.value
    fixed = quote(padded) if pattern.fullmatch(padded) else None
    return _value_diag(value, spec, f"a time as {spec.format}", fixed,
                       f"write {fixed}" if fixed else None)


@functools.cache
def _format_regex(fmt: str) -> re.Pattern[str]:
    parts = re.split(r"(HH|MM|SS)", fmt)
    return re.compile("".join(_FORMAT_PIECES.get(p, re.escape(p)) for p in parts))


def _value_diag(value: Scalar, spec: FieldSpec, wanted: str, replacement: str | None,
                title: str | None) -> Diagnostic:
    shown = format_value(value)
    fixes = [] if replacement is None or title is None else [
        _replace(value.span, replacement, title)]
    return diagnostic("ZQL204", f"{spec.name} takes {wanted}, not {shown}", value.span,
                      f"{spec.name} is a field of type {spec.type}", fixes)


def _is_number(text: str, *, whole: bool) -> bool:
    # Ask the grammar's own NUMBER terminal rather than keeping a second copy of its pattern.
    tokens = list(_lexer.scan(text))
    return len(tokens) == 1 and tokens[0].type == "NUMBER" and not (whole and "." in text)


@dataclass(frozen=True)
class _ValueIndex:
    """A field's known values, indexed once: exact names, and by a key that ignores case,
    spaces and punctuation (``"smoke build 44"`` finds ``"Smoke - Build 44"``)."""

    exact: frozenset[str]
    inactive: frozenset[str]
    by_key: dict[str, str]
    active_keys: tuple[str, ...]
    all_keys: tuple[str, ...]
    shown: str


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


_INDEXES: OrderedDict[int, tuple[FieldSpec, Schema, _ValueIndex]] = OrderedDict()
_INDEX_LOCK = threading.Lock()
_SHOWN_VALUES = 12


def _value_index(spec: FieldSpec, schema: Schema) -> _ValueIndex:
    """The index of ``spec``'s values, built once per field of a schema (a small LRU)."""
    key = id(spec)
    with _INDEX_LOCK:
        cached = _INDEXES.get(key)
        if cached is not None and cached[0] is spec and cached[1] is schema:
            _INDEXES.move_to_end(key)
            return cached[2]
    inactive = frozenset(s.name for s in schema.values.statuses if not s.active) \
        if spec.lookup == STATUS_LOOKUP else frozenset()
    by_key: dict[str, str] = {}
    for name in spec.values:  # active values come first, so they win a shared key
        by_key.setdefault(_key(name), name)
    active = tuple(k for k, v in by_key.items() if v not in inactive)
    listed = [v for v in spec.values if v not in inactive]
    shown = ", ".join(listed[:_SHOWN_VALUES]) + (
        f", … ({len(listed)} in all)" if len(listed) > _SHOWN_VALUES else "")
    index = _ValueIndex(frozenset(spec.values), inactive, by_key, active, tuple(by_key), shown)
    with _INDEX_LOCK:
        _INDEXES[key] = (spec, schema, index)
        if len(_INDEXES) > 256:
            _INDEXES.popitem(last=False)
    return index


def _value_problem(value: String, spec: FieldSpec, schema: Schema) -> Diagnostic | None:
    """ZQL206: a value not among the field's known values, or an inactive status."""
    index = _value_index(spec, schema)
    text = value.value
    if text in index.exact and text not in index.inactive:
        return None
    if text in index.inactive:
        return diagnostic(
            "ZQL206", f"{quote(text)} is an inactive {spec.name} on this server: it can no "
            "longer be set, so it matches only old items", value.span,
            f"active values: {index.shown}")
    key = _key(text)
    same = index.by_key.get(key)
    close = [same] if same else [
        index.by_key[k] for k in (difflib.get_close_matches(key, index.active_keys, n=3,
                                                            cutoff=0.6)
                                  or difflib.get_close_matches(key, index.all_keys, n=3,
                                                               cutoff=0.6))]
    message = f"{quote(text)} is not a known {spec.name}"
    if close:
        message += f"; did you mean {quote(close[0])}?"
    return diagnostic("ZQL206", message, value.span, f"known values: {index.shown}",
                      [_replace(value.span, quote(c), f"use {quote(c)}", safe=False)
                       for c in close])


def _replace(span: Span, text: str, title: str, *, safe: bool = True) -> Fix:
    return Fix(title, (TextEdit(span, text),), safe)
