"""Build ZQL from Python: field handles, immutable expressions, ``&`` ``|`` ``~``.

ZQL has no bind parameters, so values are the security boundary: every string value becomes an
AST :class:`~zql.ast.String` and is written by :func:`zql.format.quote`, never glued into text.
Expressions wrap AST nodes and render through the same formatter the parser round-trips through,
so ``zql.parse(str(expr))`` gives back the tree that was built (after portable lowering).

>>> import zql
>>> status, name = zql.field("status"), zql.field("name")
>>> q = status.in_("Fail", "Blocked") & ~name.contains('say "hi"')
>>> print(q)
status in ("Fail", "Blocked") and name !~ "say \\"hi\\""
>>> print(q.to_zql(portable=False))
status in ("Fail", "Blocked") not name ~ "say \\"hi\\""
>>> zql.parse(q.to_zql(portable=False)) == q.node
True
"""

from __future__ import annotations

import functools
import math
import os
import re
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import TypeAlias, final

from zql import _grammar
from zql.ast import And, Boolean, Clause, Empty, Node, Not, Number, Op, Or, Scalar, String, ValueList
from zql.errors import ZQLError
from zql.format import format_node, lower_negations
from zql.parser import MAX_DEPTH, parse
from zql.schema import FieldSpec, Schema, SchemaError, custom_field, load_schema

__all__ = [
    "Expr",
    "ExprLike",
    "Field",
    "Fields",
    "OperatorNotAllowedError",
    "UnknownFieldError",
    "Value",
    "all_of",
    "and_",
    "any_of",
    "field",
    "fields",
    "not_",
    "or_",
]

#: Python values a clause takes (``bool`` is an ``int`` subclass and becomes ``true``/``false``).
Value: TypeAlias = str | int | float | Decimal
#: What ``&``, ``|``, :func:`and_`, :func:`or_` and :func:`not_` accept: ZQL text is parsed.
ExprLike: TypeAlias = "Expr | str | Node"

_NODE_TYPES = (Clause, Not, And, Or)
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
_METHOD = {Op.EQ: "eq", Op.NE: "ne", Op.CONTAINS: "contains", Op.NOT_CONTAINS: "not_contains",
           Op.IN: "in_", Op.IS: "is_empty", Op.IS_NOT: "is_not_empty"}
_NONE_HINT = "None is not a value; to match a missing value use .is_empty() or .is_not_empty()"


class UnknownFieldError(ZQLError, AttributeError, KeyError):
    """A field the schema does not have (an ``AttributeError`` and a ``KeyError``).

    ``suggestions`` holds did-you-mean names, a renamed field's new name first.

    >>> import zql
    >>> try:
    ...     zql.fields("testcase").prority
    ... except AttributeError as err:
    ...     print(err.suggestions, "|", err)
    ('priority',) | testcase has no field 'prority' in schema ze7; did you mean 'priority'?
    """

    def __init__(self, message: str, *, entity: str, name: str,
                 suggestions: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.entity, self.field, self.suggestions = entity, name, suggestions

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class OperatorNotAllowedError(ZQLError, ValueError):
    """The schema does not allow this operator on this field; ``allowed`` lists what it does.

    >>> import zql
    >>> try:
    ...     zql.fields("testcase").name.eq("login")
    ... except zql.ZQLError as err:
    ...     print(err.allowed, "|", err)
    ('~', '!~') | testcase.name does not allow = (.eq()); allowed: ~ (.contains()), \
!~ (.not_contains())
    """

    def __init__(self, spec: FieldSpec, op: Op) -> None:
        self.field, self.op = spec, op
        self.allowed = tuple(spec.operator_texts)
        allowed = ", ".join(f"{o.text} (.{_METHOD[o]}())" for o in Op if o in spec.operators)
        super().__init__(f"{spec.entity}.{spec.name} does not allow {op.text} (.{_METHOD[op]}()); "
                         f"allowed: {allowed or 'nothing'}")


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


def _scalar(value: object, spec: FieldSpec | None, where: str) -> Scalar:
    """One Python value as an AST scalar, checked against the field's type when known."""
    if value is None:
        raise TypeError(f"{where}: {_NONE_HINT}")
    if spec is not None and spec.type in _ACCEPTS:
        types, words = _ACCEPTS[spec.type]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise TypeError(f"{where}: {spec.entity}.{spec.name} is a {spec.type} field and takes "
                            f"{words}, not {type(value).__name__}")
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
    terminals = {t.name: t for t in _grammar.lark_parser(transformer=False).terminals}
    return re.compile(terminals["FIELD"].pattern.to_regexp())


def _check_field_name(name: object) -> str:
    if not isinstance(name, str):
        raise TypeError(f"a field name is a str, not {type(name).__name__}")
    # ASCII only: the grammar's case-insensitive pattern would also let look-alikes such as
    # 'ſ' (long s) or the Kelvin sign through.
    if not (name.isascii() and _field_pattern().fullmatch(name)):
        raise ValueError(f"invalid field name {name!r}: a field name is an ASCII letter, then "
                         "letters, digits, '_' or '-'")
    if name.lower() in _grammar.vocabulary().keyword_by_text:
        raise ValueError(f"{name!r} is a reserved word of ZQL, not a field name")
    return name


# --------------------------------------------------------------------------- expressions


def _depth_of(node: Node) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(current, And | Or):
            stack.extend((c, depth + 1) for c in current.children)
        elif isinstance(current, Not):
            stack.append((current.child, depth + 1))
    return deepest


def _within_depth(depth: int) -> int:
    if depth > MAX_DEPTH:
        raise ValueError(f"the query would be nested {depth} levels deep and ZQL allows "
                         f"{MAX_DEPTH}: combine many parts in one zql.and_()/zql.or_() call")
    return depth


def _check_tree(node: object) -> int:
    """Depth of a hand-built tree, after checking it is one the formatter writes faithfully."""
    if not isinstance(node, _NODE_TYPES):
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
    return _within_depth(_depth_of(node))


def _check_clause(clause: Clause) -> None:
    _check_field_name(clause.field)
    where, value = f"clause on {clause.field}", clause.value
    if clause.op in (Op.IS, Op.IS_NOT):
        ok = isinstance(value, Empty)
    elif clause.op is Op.IN:
        ok = isinstance(value, ValueList) and bool(value.items)
        for item in value.items if isinstance(value, ValueList) else ():
            _check_scalar(item, where)
    else:
        ok = isinstance(value, String if clause.op in (Op.CONTAINS, Op.NOT_CONTAINS)
                        else String | Number | Boolean)
        if ok:
            _check_scalar(value, where)
    if not ok:
        raise ValueError(f"{where}: {clause.op.text} cannot take {type(value).__name__}")


def _check_scalar(item: object, where: str) -> None:
    inner = getattr(item, "value", None)
    ok = ((isinstance(item, String) and isinstance(inner, str))
          or (isinstance(item, Boolean) and isinstance(inner, bool))
          or (isinstance(item, Number) and isinstance(inner, int | Decimal)
              and not isinstance(inner, bool)))
    if not ok:
        raise TypeError(f"{where}: not a well-formed value: {item!r}")
    _scalar(inner, None, where)


@final
class Expr:
    """An immutable ZQL condition wrapping an AST node (``expr.node``).

    Build them with :func:`field` / :func:`fields` and combine with ``&`` (and), ``|`` (or),
    ``~`` (not); ZQL text and AST nodes may stand in for either side. ``Expr(text_or_node)``
    wraps a query. ``==`` compares structure and expressions are hashable. Python's own
    ``and``/``or``/``not`` cannot be overloaded, so using an ``Expr`` as a truth value raises.

    >>> import zql
    >>> q = zql.field("status").eq("Fail") & 'priority in ("P1", "P2")'
    >>> q
    <Expr status = "Fail" and priority in ("P1", "P2")>
    >>> q == zql.Expr('status = "Fail" and priority in ("P1","P2")'), len({q, q})
    (True, 1)
    >>> print(~q | zql.field("automated").eq(True))
    status != "Fail" or priority != "P1" or priority != "P2" or automated = true
    """

    __slots__ = ("_depth", "_node")
    _node: Node
    _depth: int

    def __init__(self, query: str | Node) -> None:
        if isinstance(query, str):
            node = parse(query)
            self._set(node, _depth_of(node))
        else:
            self._set(query, _check_tree(query))

    @classmethod
    def _trusted(cls, node: Node, depth: int) -> Expr:
        expr = cls.__new__(cls)
        expr._set(node, depth)
        return expr

    def _set(self, node: Node, depth: int) -> None:
        object.__setattr__(self, "_node", node)
        object.__setattr__(self, "_depth", depth)

    @property
    def node(self) -> Node:
        """The AST (:mod:`zql.ast`) of this expression.

        >>> import zql
        >>> zql.field("id").eq(7).node
        Clause(field='id', op=<Op.EQ: 'EQ'>, value=Number(value=7))
        """
        return self._node

    def to_zql(self, *, portable: bool = True) -> str:
        """Canonical one-line text. ``portable`` (the default) lowers every ``not`` into
        operator forms (:func:`zql.format.lower_negations`); ``portable=False`` keeps them.

        >>> import zql
        >>> q = ~zql.field("tag").in_("a", "b")
        >>> q.to_zql(), q.to_zql(portable=False)
        ('tag != "a" and tag != "b"', 'not tag in ("a", "b")')
        """
        return format_node(lower_negations(self._node) if portable else self._node)

    def __str__(self) -> str:
        return self.to_zql()

    def __repr__(self) -> str:
        text = self.to_zql(portable=False)
        return f"<Expr {text if len(text) <= 200 else text[:199] + '…'}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expr):
            return NotImplemented
        return self._node == other._node

    def __hash__(self) -> int:
        return hash((Expr, self._node))

    def __bool__(self) -> bool:
        raise TypeError("a ZQL expression has no truth value: combine expressions with &, | and ~ "
                        "(or zql.and_/or_/not_), and test optional filters with `is None`")

    def __and__(self, other: ExprLike) -> Expr:
        return _combine(And, (self, other), "&")

    def __rand__(self, other: ExprLike) -> Expr:
        return _combine(And, (other, self), "&")

    def __or__(self, other: ExprLike) -> Expr:
        return _combine(Or, (self, other), "|")

    def __ror__(self, other: ExprLike) -> Expr:
        return _combine(Or, (other, self), "|")

    def __invert__(self) -> Expr:
        return Expr._trusted(Not(self._node), _within_depth(self._depth + 1))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Expr is immutable: &, | and ~ make new expressions")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Expr is immutable")

    def __reduce__(self) -> tuple[type[Expr], tuple[Node]]:
        return (Expr, (self._node,))


def _coerce(part: object, where: str) -> Expr:
    if isinstance(part, Expr):
        return part
    if isinstance(part, str):
        node = parse(part)  # ZQLSyntaxError now, not at the server
        return Expr._trusted(node, _depth_of(node))
    if isinstance(part, _NODE_TYPES):
        return Expr(part)
    if part is None:
        raise TypeError(f"{where}: got None; zql.all_of()/zql.any_of() skip missing filters")
    if isinstance(part, Field):
        raise TypeError(f"{where}: a Field is not a condition; call a method such as "
                        f"{part.name}.eq(...)")
    raise TypeError(f"{where}: expected an Expr, ZQL text or an AST node, "
                    f"not {type(part).__name__}")


def _expand(parts: tuple[object, ...]) -> tuple[object, ...]:
    # One iterable argument stands for its items: and_(f.eq(v) for v in values).
    if len(parts) == 1 and isinstance(parts[0], Iterable) and not isinstance(
            parts[0], str | bytes | bytearray):
        return tuple(parts[0])
    return parts


def _combine(kind: type[And] | type[Or], parts: Iterable[object], where: str) -> Expr:
    exprs = [_coerce(p, where) for p in parts]
    if not exprs:
        raise ValueError(f"{where} needs at least one expression; use zql.all_of()/zql.any_of() "
                         "when every filter may be missing")
    if len(exprs) == 1:
        return exprs[0]
    children: list[Node] = []
    depth = 0
    for expr in exprs:
        if isinstance(expr.node, kind):  # flatten, as the parser does
            children.extend(expr.node.children)
            depth = max(depth, expr._depth - 1)
        else:
            children.append(expr.node)
            depth = max(depth, expr._depth)
    return Expr._trusted(kind(tuple(children)), _within_depth(depth + 1))


def and_(*parts: ExprLike | Iterable[ExprLike]) -> Expr:
    """All of the parts (expressions, ZQL text or AST nodes; or one iterable of them).

    Nested conjunctions flatten; one part comes back unchanged; none raises ``ValueError``.

    >>> import zql
    >>> print(zql.and_(zql.field("tag").eq(t) for t in ["smoke", "nightly"]))
    tag = "smoke" and tag = "nightly"
    >>> print(zql.and_('a = 1 and b = 2', zql.field("c").eq(3)))
    a = 1 and b = 2 and c = 3
    """
    return _combine(And, _expand(parts), "zql.and_()")


def or_(*parts: ExprLike | Iterable[ExprLike]) -> Expr:
    """Any of the parts; otherwise like :func:`and_`.

    >>> import zql
    >>> print(zql.or_('status = "Fail"', zql.field("status").eq("Blocked")) & 'release = "R1"')
    (status = "Fail" or status = "Blocked") and release = "R1"
    """
    return _combine(Or, _expand(parts), "zql.or_()")


def not_(part: ExprLike) -> Expr:
    """The negation of an expression, ZQL text or AST node (the same as ``~``).

    >>> import zql
    >>> print(zql.not_('automated = true'))
    automated != true
    >>> print(zql.not_('automated = true').to_zql(portable=False))
    not automated = true
    """
    return ~_coerce(part, "zql.not_()")


def all_of(*parts: ExprLike | None | Iterable[ExprLike | None]) -> Expr | None:
    """Like :func:`and_`, but ``None`` parts are skipped: optional filters in one line.

    Returns ``None`` when every part is ``None``, so results nest (``all_of(a, any_of(b, c))``)
    and the caller decides what "no filter" means.

    >>> import zql
    >>> release, status = "R1", None  # e.g. from command-line flags
    >>> print(zql.all_of(zql.field("release").eq(release) if release else None,
    ...                  zql.field("status").eq(status) if status else None))
    release = "R1"
    >>> zql.all_of(None, None) is None
    True
    """
    kept = [p for p in _expand(parts) if p is not None]
    return _combine(And, kept, "zql.all_of()") if kept else None


def any_of(*parts: ExprLike | None | Iterable[ExprLike | None]) -> Expr | None:
    """Like :func:`or_`, but ``None`` parts are skipped; ``None`` when nothing is left.

    >>> import zql
    >>> print(zql.any_of(None, 'tag = "smoke"', None))
    tag = "smoke"
    >>> zql.any_of() is None
    True
    """
    kept = [p for p in _expand(parts) if p is not None]
    return _combine(Or, kept, "zql.any_of()") if kept else None


# --------------------------------------------------------------------------- fields


@final
class Field:
    """An immutable handle on one field; its methods make clauses.

    Made by :func:`field` (any valid name, no schema) or by a :class:`Fields` lookup (``spec``
    set: operators and value types are checked against the schema).

    >>> import zql
    >>> zql.field("status")
    <Field status>
    >>> zql.fields("testcase").automated
    <Field testcase.automated (boolean; =, !=)>
    """

    __slots__ = ("_name", "_spec")
    _name: str
    _spec: FieldSpec | None

    def __init__(self, name: str, spec: FieldSpec | None = None) -> None:
        object.__setattr__(self, "_name", _check_field_name(name))
        object.__setattr__(self, "_spec", spec)

    @property
    def name(self) -> str:
        """The field name as it is written in the query.

        >>> import zql
        >>> zql.fields("testcase").ALTID.name
        'altId'
        """
        return self._name

    @property
    def spec(self) -> FieldSpec | None:
        """The schema entry this handle checks against, or ``None``.

        >>> import zql
        >>> zql.fields("testcase").version.spec.type
        'int'
        """
        return self._spec

    def eq(self, value: Value) -> Expr:
        """``field = value``.

        >>> import zql
        >>> print(zql.field("priority").eq("P1"), "|", zql.field("automated").eq(False))
        priority = "P1" | automated = false
        """
        return self._clause(Op.EQ, _scalar(value, self._spec, self._where("eq")))

    def ne(self, value: Value) -> Expr:
        """``field != value``.

        >>> import zql
        >>> print(zql.field("estimate").ne(0.1))
        estimate != 0.1
        """
        return self._clause(Op.NE, _scalar(value, self._spec, self._where("ne")))

    def contains(self, text: str) -> Expr:
        """``field ~ "text"`` (ZQL's ``~`` takes only strings).

        >>> import zql
        >>> print(zql.field("name").contains('" or project = "x'))
        name ~ "\\" or project = \\"x"
        """
        return self._clause(Op.CONTAINS, self._string(text, "contains"))

    def not_contains(self, text: str) -> Expr:
        """``field !~ "text"``.

        >>> import zql
        >>> print(zql.field("name").not_contains("wip"))
        name !~ "wip"
        """
        return self._clause(Op.NOT_CONTAINS, self._string(text, "not_contains"))

    def in_(self, *values: Value | Iterable[Value]) -> Expr:
        """``field in (v1, v2, ...)``: values as arguments or as one iterable; never empty.

        >>> import zql
        >>> print(zql.field("testcaseId").in_(range(3)))
        testcaseId in (0, 1, 2)
        """
        self._allow(Op.IN)
        if len(values) == 1 and isinstance(values[0], Iterable) and not isinstance(
                values[0], str | bytes | bytearray):
            values = tuple(values[0])
        if not values:
            raise ValueError(f"{self._where('in_')}: needs at least one value (ZQL has no empty "
                             "list); skip the filter instead, e.g. with zql.all_of()")
        items = tuple(_scalar(v, self._spec, f"{self._where('in_')} value {i + 1}")
                      for i, v in enumerate(values))
        return self._clause(Op.IN, ValueList(items))

    def is_empty(self) -> Expr:
        """``field is empty``: the field has no value.

        >>> import zql
        >>> print(zql.field("tag").is_empty())
        tag is empty
        """
        return self._clause(Op.IS, Empty())

    def is_not_empty(self) -> Expr:
        """``field is not empty``.

        >>> import zql
        >>> print(zql.field("tag").is_not_empty())
        tag is not empty
        """
        return self._clause(Op.IS_NOT, Empty())

    def _where(self, method: str) -> str:
        return f"{self._name}.{method}()"

    def _allow(self, op: Op) -> None:
        if self._spec is not None and not self._spec.accepts(op):
            raise OperatorNotAllowedError(self._spec, op)

    def _string(self, text: object, method: str) -> String:
        self._allow(Op.CONTAINS if method == "contains" else Op.NOT_CONTAINS)
        if not isinstance(text, str):
            raise TypeError(f"{self._where(method)}: " + (
                _NONE_HINT if text is None else f"takes a str, not {type(text).__name__}"))
        scalar = _scalar(text, self._spec, self._where(method))
        assert isinstance(scalar, String)
        return scalar

    def _clause(self, op: Op, value: Scalar | ValueList | Empty) -> Expr:
        self._allow(op)
        return Expr._trusted(Clause(self._name, op, value), 1)

    def __repr__(self) -> str:
        if self._spec is None:
            return f"<Field {self._name}>"
        spec = self._spec
        return f"<Field {spec.entity}.{spec.name} ({spec.type}; {', '.join(spec.operator_texts)})>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Field):
            return NotImplemented
        return (self._name, self._spec) == (other._name, other._spec)

    def __hash__(self) -> int:
        return hash((Field, self._name, self._spec))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Field is immutable")

    def __reduce__(self) -> tuple[type[Field], tuple[str, FieldSpec | None]]:
        return (Field, (self._name, self._spec))


def field(name: str) -> Field:
    """A handle on the field ``name``, without schema checks (any valid field name).

    The name must be what the grammar calls a field: an ASCII letter, then letters, digits,
    ``_`` or ``-``, and not a reserved word; anything else raises ``ValueError``.

    >>> import zql
    >>> print(zql.field("customtext").contains("x") | zql.field("id").in_([1, 2]))
    customtext ~ "x" or id in (1, 2)
    >>> zql.field("cycle name")
    Traceback (most recent call last):
      ...
    ValueError: invalid field name 'cycle name': a field name is an ASCII letter, then letters, \
digits, '_' or '-'
    """
    return Field(name)


@final
class Fields:
    """The schema-checked fields of one entity: ``tc.priority``, ``tc["customtext"]``.

    Look-ups ignore case and return the canonical name. Names that collide with this class's
    own attributes (``entity``, ``schema``, ``custom``, ``where``) are reached with ``tc[name]``.

    >>> import zql
    >>> tc = zql.fields("testcase", schema="ze7")
    >>> print(tc.PRIORITY.in_("P1", "P2") & tc.automated.eq(True))
    priority in ("P1", "P2") and automated = true
    >>> "version" in tc, len(tc), tc
    (True, 15, <Fields testcase (schema ze7, 15 fields)>)
    """

    __slots__ = ("_entity", "_schema")
    _entity: str
    _schema: Schema

    def __init__(self, entity: str, schema: Schema) -> None:
        object.__setattr__(self, "_entity", Schema.entity_name(entity))
        object.__setattr__(self, "_schema", schema)

    @property
    def entity(self) -> str:
        """The canonical entity name.

        >>> import zql
        >>> zql.fields("testSchedule").entity
        'execution'
        """
        return self._entity

    @property
    def schema(self) -> Schema:
        """The schema the fields come from.

        >>> import zql
        >>> zql.fields("execution", schema="ze6").schema.name
        'ze6'
        """
        return self._schema

    def __getattr__(self, name: str) -> Field:
        if name.startswith("_"):  # dunder probes (copy, pickle, IPython) are not fields
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Field:
        spec = self._schema.field(self._entity, name)
        if spec is None:
            raise self._unknown(name)
        return Field(spec.name, spec)

    def custom(self, name: str, kind: str) -> Field:
        """A custom field by search name and kind (text, longtext, picklist, number, checkbox),
        for schemas that do not list it; a field the schema has is checked to be that kind.

        >>> import zql
        >>> print(zql.fields("testcase").custom("customnumber", kind="number").in_(1, 2))
        customnumber in (1, 2)
        """
        known = self._schema.field(self._entity, name)
        if known is None:
            return Field(name, custom_field(self._entity, name, kind))
        if known.custom != kind:
            what = f"a {known.custom} custom field" if known.custom else "a built-in field"
            raise SchemaError(f"{self._entity}.{known.name} is {what} in schema "
                              f"{self._schema.name}, not a {kind} custom field")
        return Field(known.name, known)

    def where(self, **filters: Value | Iterable[Value] | None) -> Expr | None:
        """Equality filters from keyword arguments, skipping ``None`` and empty lists.

        A list, tuple or set becomes ``in``; a text-only field (``~``, no ``=``) such as
        ``name`` gets ``~``. Returns ``None`` when nothing is left (see :func:`all_of`).

        >>> import zql
        >>> ex = zql.fields("execution")
        >>> print(ex.where(release="R1", status=["Fail", "Blocked"], notes="flaky", cycle=None))
        release = "R1" and status in ("Fail", "Blocked") and notes ~ "flaky"
        """
        parts: list[Expr] = []
        for name, value in filters.items():
            if value is None:
                continue
            handle = self[name]
            if isinstance(value, list | tuple | set | frozenset):
                if value:
                    parts.append(handle.in_(value))
            elif isinstance(value, str | int | float | Decimal):
                spec = handle.spec
                text_only = (spec is not None and not spec.accepts(Op.EQ)
                             and spec.accepts(Op.CONTAINS) and isinstance(value, str))
                parts.append(handle.contains(value) if text_only else handle.eq(value))
            else:
                raise TypeError(f"where({name}=...): a {type(value).__name__} is not a ZQL value "
                                "or a list of them")
        return all_of(*parts)

    def _unknown(self, name: str) -> UnknownFieldError:
        schema, entity = self._schema, self._entity
        parts = [f"{entity} has no field {name!r} in schema {schema.name}"]
        suggestions = schema.suggest(entity, name)
        rename = schema.rename_for(entity, name)
        if rename is not None:
            parts.append(f"it is called {rename.new!r} here ({rename.old!r} in {rename.profile})")
            suggestions = [rename.new, *(s for s in suggestions if s != rename.new)]
        elif suggestions:
            parts.append("did you mean " + " or ".join(map(repr, suggestions)) + "?")
        others = [e for e in schema.entities_with(name) if e != entity]
        if others:
            parts.append(f"{name!r} is a field of {', '.join(others)}")
        if not (suggestions or others):
            parts.append("fields: " + ", ".join(f.name for f in schema.fields(entity))
                         + "; for a custom field use .custom(name, kind=...)")
        return UnknownFieldError("; ".join(parts), entity=entity, name=name,
                                 suggestions=tuple(suggestions))

    def __dir__(self) -> list[str]:
        own = ["custom", "entity", "schema", "where"]
        return sorted({*own, *(f.name for f in self._schema.fields(self._entity))})

    def __iter__(self) -> Iterator[Field]:
        return (Field(f.name, f) for f in self._schema.fields(self._entity))

    def __len__(self) -> int:
        return len(self._schema.fields(self._entity))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._schema.field(self._entity, name) is not None

    def __repr__(self) -> str:
        return f"<Fields {self._entity} (schema {self._schema.name}, {len(self)} fields)>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fields):
            return NotImplemented
        return (self._entity, self._schema) == (other._entity, other._schema)

    def __hash__(self) -> int:
        return hash((Fields, self._entity, self._schema.name))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Fields is immutable")

    def __reduce__(self) -> tuple[type[Fields], tuple[str, Schema]]:
        return (Fields, (self._entity, self._schema))


def fields(entity: str, schema: str | os.PathLike[str] | Schema | None = None) -> Fields:
    """Schema-checked field handles for ``entity`` (``testcase``, ``requirement``,
    ``execution``); ``schema`` is a profile name (``ze7`` by default), a JSON file or a Schema.

    >>> import zql
    >>> tc = zql.fields("testcase", schema="ze7")
    >>> tc.id
    Traceback (most recent call last):
      ...
    zql.builder.UnknownFieldError: testcase has no field 'id' in schema ze7; it is called \
'testcaseId' here ('id' in ze6)
    >>> tc.automated.eq("yes")
    Traceback (most recent call last):
      ...
    TypeError: automated.eq(): testcase.automated is a boolean field and takes bool, not str
    """
    return Fields(entity, load_schema(schema))
