"""Canonical ZQL text, and the portable lowering of negations.

:func:`quote` (from the leaf module :mod:`zql._quote`) is the one function through which every
string value becomes query text: the formatter, the builder and the shell all use it, so no
value can change a query's structure.

Canonical text is one line: lowercase keywords, single spaces, ``in ("a", "b")``, minimal
escapes, explicit parentheses wherever ``and`` and ``or`` mix, comments dropped, and ``not``
between terms (``a = 1 not b = 2``) where it follows another term, as the ZE UI grammar has it.
"""

from __future__ import annotations

from decimal import Decimal

from zql._quote import quote
from zql._vocabulary import vocabulary
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
    String,
    Value,
    ValueList,
)
from zql.parser import parse

__all__ = ["format", "format_node", "format_value", "lower_negations", "quote"]

def format_value(value: Value) -> str:
    """Canonical text of a value.

    >>> format_value(Number(Decimal("1.50"))), format_value(Boolean(False))
    ('1.50', 'false')
    """
    vocab = vocabulary()
    if isinstance(value, String):
        return quote(value.value)
    if isinstance(value, Boolean):
        return vocab.keywords["TRUE" if value.value else "FALSE"]
    if isinstance(value, Number):
        if isinstance(value.value, Decimal):
            return f"{value.value:f}"
        return str(value.value)
    if isinstance(value, Empty):
        return vocab.keywords["EMPTY"]
    if isinstance(value, ValueList):
        return "(" + ", ".join(format_value(v) for v in value.items) + ")"
    raise TypeError(f"not a ZQL value: {value!r}")


def format_node(node: Node) -> str:
    """Canonical text of an AST.

    >>> format_node(parse('a=1 OR b=2 AND NOT c~"x"'))
    'a = 1 or (b = 2 not c ~ "x")'
    """
    if isinstance(node, Clause):
        return f"{node.field} {node.op.text} {format_value(node.value)}"
    kw = vocabulary().keywords
    if isinstance(node, Not):
        return f"{kw['NOT']} {_wrapped(node.child, parent=node)}"
    if isinstance(node, And):
        parts = [_wrapped(node.children[0], parent=node)]
        for child in node.children[1:]:
            if isinstance(child, Not):
                parts.append(f"{kw['NOT']} {_wrapped(child.child, parent=child)}")
            else:
                parts.append(f"{kw['AND']} {_wrapped(child, parent=node)}")
        return " ".join(parts)
    if isinstance(node, Or):
        return f" {kw['OR']} ".join(_wrapped(c, parent=node) for c in node.children)
    raise TypeError(f"not a ZQL node: {node!r}")


def _wrapped(child: Node, *, parent: Node) -> str:
    text = format_node(child)
    if isinstance(child, And | Or) and (isinstance(parent, Not) or type(parent) is not type(child)):
        return f"({text})"
    return text


def lower_negations(node: Node) -> Node:
    """Rewrite every ``not`` into operator forms the ZE UI grammar is sure to accept.

    ``not a = 1`` becomes ``a != 1``, ``not a in (1, 2)`` becomes ``a != 1 and a != 2``,
    ``is`` becomes ``is not``, and De Morgan's laws push ``not`` through groups.
    The meaning is kept; the result has no :class:`Not` node.

    >>> format_node(lower_negations(parse('not (a = 1 or b in (2, 3))')))
    'a != 1 and b != 2 and b != 3'
    """
    if isinstance(node, Clause):
        return node
    if isinstance(node, And):
        return _join(And, [lower_negations(c) for c in node.children])
    if isinstance(node, Or):
        return _join(Or, [lower_negations(c) for c in node.children])
    return _negate(node.child)


def _negate(node: Node) -> Node:
    if isinstance(node, Not):
        return lower_negations(node.child)
    if isinstance(node, And):
        return _join(Or, [_negate(c) for c in node.children])
    if isinstance(node, Or):
        return _join(And, [_negate(c) for c in node.children])
    if node.op is Op.IN:
        assert isinstance(node.value, ValueList)
        clauses: list[Node] = [Clause(node.field, Op.NE, item) for item in node.value.items]
        return _join(And, clauses)
    return Clause(node.field, node.op.negated, node.value, node.span, node.field_span,
                  node.op_span)


def _join(kind: type[And] | type[Or], children: list[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    if len(flat) == 1:
        return flat[0]
    return kind(tuple(flat))


def format(query: str | Node, *, portable: bool = False) -> str:
    """Canonical one-line text of a query (text is parsed first; comments are dropped).

    ``parse(format(q)) == parse(q)`` and ``format`` is idempotent. With ``portable=True``
    negations are lowered too (see :func:`lower_negations`).

    >>> format('status="Fail"  AND\\n priority IN ("P1","P2") # urgent')
    'status = "Fail" and priority in ("P1", "P2")'
    >>> format('not status = "Pass" and x is NULL', portable=True)
    'status != "Pass" and x is empty'
    """
    node = parse(query) if isinstance(query, str) else query
    if portable:
        node = lower_negations(node)
    return format_node(node)
