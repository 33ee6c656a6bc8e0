"""Value, field-name and tree checks shared by the builder (private).

Every Python value becomes an AST scalar here; strings are only ever written by
:func:`zql.format.quote` later, so no value can change a query's structure.

>>> scalar(0.1, None, "x.eq()"), scalar(True, None, "x.eq()")
(Number(value=Decimal('0.1')), Boolean(value=True))
>>> check_field_name("altId"), depth_of(Not(Clause("a", Op.IS, Empty())))
('altId', 2)
"""

from __future__ import annotations

import functools
import math
import re
import sys
from decimal import Decimal
from typing import TypeAlias

from zql import _grammar_cache, _vocabulary
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
)
from zql.parser import MAX_DEPTH
from zql.schema import FieldSpec

#: Python values a clause takes (``bool`` is an ``int`` subclass and becomes ``true``/``false``).
Value: TypeAlias = str | int | float | Decimal

NODE_TYPES = (Clause, Not, And, Or)
NONE_HINT = "None is not a value; to match a missing value use .is_empty() or .is_not_empty()"
_SURROGATE = re.compile("[\ud800-\udfff]")
# Java's long and int: what ZE's long/int fields hold.
_RANGES = {"long": (-(2**63), 2**63 - 1), "int": (-(2**31), 2**31 - 1)}
_ACCEPTS: dict[str, tuple[tuple[type, ...], str]] = {
    "string": ((str,), "str"),
    "long": ((int,), "int"),
    "int": ((int,), "int"),
    "decimal": ((int, float, Decimal), "int, float or Decimal"),
    "boolean": ((bool,), "bool"),
}


# --------------------------------------------------------------------------- values


def _digit_limit() -> int:
    # The parser reads integers with int(), which refuses more digits than this.
    return sys.get_int_max_str_digits() or 4300


def _text(value: str, where: str) -> str:
    if _SURROGATE.search(value):
        raise ValueError(f"{where}: the string contains a lone surrogate (not Unicode text)")
    return str.__str__(value)  # a plain str, even for str subclasses such as StrEnum members


def _integer(value: int, spec: FieldSpec | None, where: str) -> int:
    value = int(value)  # a plain int, even for IntEnum members
    try:
        str(value)  # fails fast past the limit
    except ValueError:
        raise ValueError(f"{where}: a {value.bit_length()}-bit integer is too long for ZQL "
                         "text") from None
    if spec is not None and spec.type in _RANGES:
        low, high = _RANGES[spec.type]
        if not low <= value <= high:
            raise ValueError(f"{where}: {value} is out of range for the {spec.type} field "
                             f"{spec.entity}.{spec.name} ({low} .. {high})")
    return value


def _decimal(value: Decimal, where: str) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"{where}: {value} is not a number ZQL can write (no nan or infinity)")
    digits, exponent = value.as_tuple()[1:]
    assert isinstance(exponent, int)  # finite, so never 'n', 'N' or 'F'
    if len(digits) + abs(exponent) > _digit_limit():
        raise ValueError(f"{where}: {value} is too long to write in plain decimal notation")
    return value


def scalar(value: object, spec: FieldSpec | None, where: str) -> Scalar:
    """One Python value as an AST scalar, checked against the field's type when known."""
    if value is None:
        raise TypeError(f"{where}: {NONE_HINT}")
    if spec is not None and spec.type in _ACCEPTS:
        types, words = _ACCEPTS[spec.type]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            article = "an" if spec.type[0] in "aeiou" else "a"
            raise TypeError(f"{where}: {spec.entity}.{spec.name} is {article} {spec.type} field "
                            f"and takes {words}, not {type(value).__name__}")
    if isinstance(value, bool):
        return Boolean(value)
    if isinstance(value, str):
        return String(_text(value, where))
    if isinstance(value, int):
        return Number(_integer(value, spec, where))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value} is not a number ZQL can write (no nan or infinity)")
        # repr() is the shortest text that reads back as the same float: 0.1 stays 0.1.
        return Number(_decimal(Decimal(repr(value)), where))
    if isinstance(value, Decimal):
        return Number(_decimal(value, where))
    raise TypeError(f"{where}: a {type(value).__name__} is not a ZQL value; "
                    "use str, int, float, Decimal or bool")


# --------------------------------------------------------------------------- field names


@functools.cache
def _field_pattern() -> re.Pattern[str]:
    return re.compile(_grammar_cache.terminal_regexp("FIELD"))


def check_field_name(name: object) -> str:
    """``name`` if it is a field name the grammar reads back as itself; else raise."""
    if not isinstance(name, str):
        raise TypeError(f"a field name is a str, not {type(name).__name__}")
    # ASCII whatever the pattern's flags: under re.I, [a-z] also matches look-alikes such as
    # 'ſ' (long s) or the Kelvin sign.
    if not (name.isascii() and _field_pattern().fullmatch(name)):
        raise ValueError(f"invalid field name {name!r}: a field name is an ASCII letter, then "
                         "letters, digits, '_' or '-'")
    if name.lower() in _vocabulary.vocabulary().keyword_by_text:
        raise ValueError(f"{name!r} is a reserved word of ZQL, not a field name")
    return name


# --------------------------------------------------------------------------- trees


def depth_of(node: Node) -> int:
    """Nesting depth as the parser counts it (a clause is 1), without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(current, And | Or):
            stack.extend((c, depth + 1) for c in current.children)
        elif isinstance(current, Not):
            stack.append((current.child, depth + 1))
    return deepest


def within_depth(depth: int) -> int:
    """``depth`` if the parser accepts that much nesting; else ``ValueError``."""
    if depth > MAX_DEPTH:
        raise ValueError(f"the query would be nested {depth} levels deep and ZQL allows "
                         f"{MAX_DEPTH}: combine many parts in one zql.and_()/zql.or_() call")
    return depth


def check_tree(node: object) -> int:
    """Depth of a hand-built tree, after checking it is one the formatter writes faithfully."""
    if not isinstance(node, NODE_TYPES):
        raise TypeError(f"expected a ZQL AST node (Clause, Not, And, Or), not "
                        f"{type(node).__name__}")
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Clause):
            _check_clause(current)
        elif isinstance(current, Not):
            stack.append(current.child)
        elif isinstance(current, And | Or):
            kind = type(current).__name__
            if len(current.children) < 2 or any(isinstance(c, type(current))
                                                 for c in current.children):
                raise ValueError(f"{kind} needs two or more children, none of them an {kind} "
                                 "(zql.and_()/zql.or_() flatten for you)")
            stack.extend(current.children)
        else:
            raise TypeError(f"not a ZQL AST node: {type(current).__name__}")
    return within_depth(depth_of(node))


def _check_clause(clause: Clause) -> None:
    check_field_name(clause.field)
    where, value = f"clause on {clause.field}", clause.value
    if clause.op in (Op.IS, Op.IS_NOT):
        ok = isinstance(value, Empty)
    elif clause.op is Op.IN:
        ok = isinstance(value, ValueList) and bool(value.items)
        for item in value.items if isinstance(value, ValueList) else ():
            _check_value(item, where)
    else:
        ok = isinstance(value, String if clause.op in (Op.CONTAINS, Op.NOT_CONTAINS)
                        else String | Number | Boolean)
        if ok:
            _check_value(value, where)
    if not ok:
        raise ValueError(f"{where}: {clause.op.text} cannot take {type(value).__name__}")


def _check_value(item: object, where: str) -> None:
    inner = getattr(item, "value", None)
    ok = ((isinstance(item, String) and isinstance(inner, str))
          or (isinstance(item, Boolean) and isinstance(inner, bool))
          or (isinstance(item, Number) and isinstance(inner, int | Decimal)
              and not isinstance(inner, bool)))
    if not ok:
        raise TypeError(f"{where}: not a well-formed value: {item!r}")
    scalar(inner, None, where)
