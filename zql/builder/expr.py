"""Immutable expressions and the functions that combine them.

>>> import zql
>>> print(zql.and_('status = "Fail"', zql.field("tag").eq("smoke")))
status = "Fail" and tag = "smoke"
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias, final

from zql.ast import And, Node, Not, Or
from zql.builder._values import NODE_TYPES, check_tree, depth_of, within_depth
from zql.format import format_node, lower_negations
from zql.parser import parse

__all__ = ["Expr", "ExprLike", "all_of", "and_", "any_of", "not_", "or_"]

#: What ``&``, ``|``, :func:`and_`, :func:`or_` and :func:`not_` accept: ZQL text is parsed.
ExprLike: TypeAlias = "Expr | str | Node"


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
    status != "Fail" or (priority != "P1" and priority != "P2") or automated = true
    """

    __slots__ = ("_depth", "_node")
    _node: Node
    _depth: int

    def __init__(self, query: str | Node) -> None:
        if isinstance(query, str):
            node = parse(query)
            self._set(node, depth_of(node))
        else:
            self._set(query, check_tree(query))

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
        return _combine(And, (self, other), "the & operator")

    def __rand__(self, other: ExprLike) -> Expr:
        return _combine(And, (other, self), "the & operator")

    def __or__(self, other: ExprLike) -> Expr:
        return _combine(Or, (self, other), "the | operator")

    def __ror__(self, other: ExprLike) -> Expr:
        return _combine(Or, (other, self), "the | operator")

    def __invert__(self) -> Expr:
        return Expr._trusted(Not(self._node), within_depth(self._depth + 1))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Expr is immutable: &, | and ~ make new expressions")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Expr is immutable")

    def __reduce__(self) -> tuple[type[Expr], tuple[str]]:
        # Text, not the node: unpickling re-parses, which accepts whatever the parser did.
        return (Expr, (self.to_zql(portable=False),))


def _coerce(part: object, where: str) -> Expr:
    if isinstance(part, Expr):
        return part
    if isinstance(part, str):
        node = parse(part)  # ZQLSyntaxError now, not at the server
        return Expr._trusted(node, depth_of(node))
    if isinstance(part, NODE_TYPES):
        return Expr(part)
    if part is None:
        raise TypeError(f"{where}: got None; zql.all_of()/zql.any_of() skip missing filters")
    # A field handle (zql.builder.handles builds on this module, so it is not imported here)
    # says itself what to call instead.
    hint = getattr(part, "condition_hint", None)
    if callable(hint):
        raise TypeError(f"{where}: {hint()}")
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
    return Expr._trusted(kind(tuple(children)), within_depth(depth + 1))


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


def all_of(*parts: ExprLike | Iterable[ExprLike | None] | None) -> Expr | None:
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


def any_of(*parts: ExprLike | Iterable[ExprLike | None] | None) -> Expr | None:
    """Like :func:`or_`, but ``None`` parts are skipped; ``None`` when nothing is left.

    >>> import zql
    >>> print(zql.any_of(None, 'tag = "smoke"', None))
    tag = "smoke"
    >>> zql.any_of() is None
    True
    """
    kept = [p for p in _expand(parts) if p is not None]
    return _combine(Or, kept, "zql.any_of()") if kept else None
