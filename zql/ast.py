"""The ZQL abstract syntax tree: frozen, slotted dataclasses.

Spans (and other source trivia such as how a keyword was spelled) are excluded from equality, so
a parsed tree equals one built in code. ``and`` and ``or`` are always flattened: ``a and b and c``
is one :class:`And` with three children, wherever the tree comes from.

>>> import zql
>>> tree = zql.parse('priority = "P1" and automated = true')
>>> tree == And((Clause("priority", Op.EQ, String("P1")),
...              Clause("automated", Op.EQ, Boolean(True))))
True
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as _meta
from decimal import Decimal
from typing import TypeAlias

from zql._vocabulary import vocabulary
from zql.errors import Span

__all__ = [
    "And",
    "Boolean",
    "Clause",
    "Empty",
    "Node",
    "Not",
    "Number",
    "Op",
    "Or",
    "Scalar",
    "String",
    "Value",
    "ValueList",
    "walk",
]

_NOSPAN = Span(0, 0)


class Op(enum.Enum):
    """Clause operators. Their spellings come from the grammar (``Op.EQ.text``).

    >>> Op.NE.text, Op.IS_NOT.text
    ('!=', 'is not')
    >>> Op.from_text("IS  NOT") is Op.IS_NOT
    True
    """

    EQ = "EQ"
    NE = "NE"
    CONTAINS = "CONTAINS"
    NOT_CONTAINS = "NOT_CONTAINS"
    IN = "IN"
    IS = "IS"
    IS_NOT = "IS_NOT"

    @property
    def text(self) -> str:
        """Canonical spelling, derived from the grammar's terminals."""
        return vocabulary().op_text[self.value]

    @classmethod
    def from_text(cls, text: str) -> Op:
        """Look an operator up by its spelling (case- and space-insensitive).

        >>> Op.from_text("~") is Op.CONTAINS
        True
        """
        key = " ".join(text.lower().split())
        for name, spelled in vocabulary().op_text.items():
            if spelled == key:
                return cls(name)
        raise ValueError(f"unknown operator {text!r}")

    @property
    def negated(self) -> Op:
        """The operator meaning the opposite (``in`` has none: it is lowered to ``!=`` clauses).

        >>> Op.CONTAINS.negated is Op.NOT_CONTAINS
        True
        """
        return _NEGATED[self]


_NEGATED = {
    Op.EQ: Op.NE,
    Op.NE: Op.EQ,
    Op.CONTAINS: Op.NOT_CONTAINS,
    Op.NOT_CONTAINS: Op.CONTAINS,
    Op.IS: Op.IS_NOT,
    Op.IS_NOT: Op.IS,
}


@dataclass(frozen=True, slots=True)
class String:
    """A double-quoted string value (``value`` is the decoded text).

    >>> String("a") == String("a", Span(3, 6))
    True
    """

    value: str
    span: Span = _meta(default=_NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Number:
    """An integer or decimal value. Decimals keep their digits (``Decimal("1.50")``).

    >>> Number(5) == Number(5)
    True
    """

    value: int | Decimal
    span: Span = _meta(default=_NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Boolean:
    """``true`` or ``false``.

    >>> Boolean(True).value
    True
    """

    value: bool
    span: Span = _meta(default=_NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Empty:
    """The right-hand side of ``is`` / ``is not``: ``EMPTY`` (``NULL`` is a synonym).

    >>> Empty() == Empty(spelled="NULL")
    True
    """

    span: Span = _meta(default=_NOSPAN, compare=False, repr=False)
    spelled: str = _meta(default="EMPTY", compare=False, repr=False)


Scalar: TypeAlias = String | Number | Boolean


@dataclass(frozen=True, slots=True)
class ValueList:
    """The parenthesised list after ``in``; never empty.

    >>> ValueList((String("a"), Number(1))).items[1]
    Number(value=1)
    """

    items: tuple[Scalar, ...]
    span: Span = _meta(default=_NOSPAN, compare=False, repr=False)


Value: TypeAlias = Scalar | ValueList | Empty


@dataclass(frozen=True, slots=True)
class Clause:
    """``field operator value``. ``field`` keeps the spelling the user typed.

    >>> Clause("status", Op.EQ, String("Fail")).field
    'status'
    """

    field: str
    op: Op
    value: Value
    span: Span = _meta(default=_NOSPAN, compare=False, repr=False)
    field_span: Span = _meta(default=_NOSPAN, compare=False, repr=False)
    op_span: Span = _meta(default=_NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    """Negation. ``infix`` records ``a not b`` (as opposed to ``a and not b``); it is trivia.

    >>> Not(Clause("a", Op.EQ, Number(1))) == Not(Clause("a", Op.EQ, Number(1)), infix=True)
    True
    """

    child: Node
    span: Span = _meta(default=_NOSPAN, compare=False, repr=False)
    infix: bool = _meta(default=False, compare=False, repr=False)
    keyword_span: Span = _meta(default=_NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    """Conjunction of two or more nodes, none of them an :class:`And`.

    >>> len(And((Clause("a", Op.EQ, Number(1)), Clause("b", Op.EQ, Number(2)))).children)
    2
    """

    children: tuple[Node, ...]
    span: Span = _meta(default=_NOSPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Or:
    """Disjunction of two or more nodes, none of them an :class:`Or`.

    >>> Or((Clause("a", Op.EQ, Number(1)), Clause("b", Op.EQ, Number(2)))).children[0].field
    'a'
    """

    children: tuple[Node, ...]
    span: Span = _meta(default=_NOSPAN, compare=False, repr=False)


Node: TypeAlias = Clause | Not | And | Or


def walk(node: Node) -> Iterator[Node]:
    """Yield ``node`` and every node below it, parents first (iteratively: no recursion limit).

    >>> import zql
    >>> [type(n).__name__ for n in walk(zql.parse('a = 1 or not b = 2'))]
    ['Or', 'Clause', 'Not', 'Clause']
    """
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, And | Or):
            stack.extend(reversed(current.children))
        elif isinstance(current, Not):
            stack.append(current.child)
