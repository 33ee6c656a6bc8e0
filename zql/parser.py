"""``parse()``: ZQL text to AST. The only module that turns parse failures into diagnostics.

Every failure becomes a :class:`~zql.errors.ZQLSyntaxError` whose diagnostic names the offending
text, says what ZE accepts instead and, where one is clear, carries a fix.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any, cast

from zql import _grammar
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
from zql.errors import Diagnostic, Severity, Span, ZQLSyntaxError

__all__ = ["MAX_DEPTH", "parse"]

#: Deepest nesting of parentheses / ``not`` accepted; deeper input is rejected, not crashed on.
MAX_DEPTH = 100

_ERR = Severity.ERROR


def parse(text: str) -> Node:
    """Parse ZQL text into an AST; raise :class:`~zql.ZQLSyntaxError` and nothing else.

    >>> parse('status = "Fail" and not priority in ("P1", "P2")')  # doctest: +NORMALIZE_WHITESPACE
    And(children=(Clause(field='status', op=<Op.EQ: 'EQ'>, value=String(value='Fail')),
        Not(child=Clause(field='priority', op=<Op.IN: 'IN'>,
            value=ValueList(items=(String(value='P1'), String(value='P2')))))))
    >>> parse('status = Fail')
    Traceback (most recent call last):
      ...
    zql.errors.ZQLSyntaxError: 1:10: error[ZQL107]: bare word 'Fail' is not a value
      status = Fail
               ^^^^
      hint: values are quoted in ZE: "Fail"
    """
    if not isinstance(text, str):
        raise ZQLSyntaxError(
            [Diagnostic("ZQL100", _ERR, f"expected query text (str), got {type(text).__name__}",
                        Span(0, 0))],
            "",
        )
    try:
        node = _lalr_parse(text)
    except Unexpected as err:
        from zql._syntax_errors import explain  # only on the failure path

        raise ZQLSyntaxError([explain(text, err)], text) from None
    except (RecursionError, ValueError) as err:  # defensive: nothing but ZQLSyntaxError leaves
        raise ZQLSyntaxError(
            [Diagnostic("ZQL199", _ERR, f"could not parse the query: {err}", Span(0, len(text)))],
            text,
        ) from None
    _check_depth(node, text)
    return node


class Token(str):
    """A token of the parse loop: its text, terminal ``type`` and code-point span.

    Lark's own tokens have the same attributes, so :class:`AstBuilder` serves both.
    """

    __slots__ = ("end_pos", "start_pos", "type")
    type: str
    start_pos: int
    end_pos: int

    @classmethod
    def make(cls, kind: str, value: str, start: int, end: int) -> Token:
        """A token of terminal ``kind``.

        >>> t = Token.make("FIELD", "a", 0, 1); (t, t.type, t.end_pos)
        ('a', 'FIELD', 1)
        """
        tok = str.__new__(cls, value)
        tok.type, tok.start_pos, tok.end_pos = kind, start, end
        return tok


class Unexpected(Exception):
    """Where the parse loop stopped: a character no terminal matches (``token`` None), or a
    token the grammar does not allow there (``expected``: the terminals it would allow)."""

    def __init__(self, pos: int, token: Token | None = None,
                 expected: frozenset[str] = frozenset()) -> None:
        super().__init__(pos)
        self.pos, self.token, self.expected = pos, token, expected


def _lalr_parse(text: str) -> Node:
    """Lex and run the grammar's LALR tables (computed by Lark) in one tight loop.

    Lark's own ``parse`` gives the same result (a test checks this on random text); this loop
    is about twice as fast, and needs no Lark import once the tables are cached. Words are
    split exactly as Lark's contextual lexer splits them: a word whose type is not acceptable
    in the current state is cut after an acceptable keyword it starts with (``"x"andname``).
    """
    t = _grammar.tables()
    states, end_state = t.states, t.end
    match, skip, prefixes = t.pattern.match, t.skip, t.keyword_prefixes
    keyword_by_text = _grammar.vocabulary().keyword_by_text
    state_stack = [t.start]
    value_stack: list[Any] = []
    pos, size = 0, len(text)
    while True:
        if pos < size:
            m = match(text, pos)
            if m is None:
                raise Unexpected(pos)
            kind = m.lastgroup or ""
            end = m.end()
            if kind in skip:
                pos = end
                continue
            value = m.group()
            if kind == "WORD":
                kind = keyword_by_text.get(value.lower(), "FIELD")
                if kind not in states[state_stack[-1]]:
                    for kw_text, kw_name in prefixes[state_stack[-1]]:
                        if value[: len(kw_text)].lower() == kw_text:
                            kind, value, end = kw_name, value[: len(kw_text)], pos + len(kw_text)
                            break
            token = Token.make(kind, value, pos, end)
            pos = end
        else:
            kind = "$END"
            token = Token.make(kind, "", size, size)
        while True:
            actions = states[state_stack[-1]]
            try:
                is_shift, arg = actions[kind]
            except KeyError:
                expected = frozenset(s for s in actions if s.isupper())
                raise Unexpected(token.start_pos, token, expected) from None
            if is_shift:
                state_stack.append(arg)
                value_stack.append(token)
                break
            count, callback, origin = arg
            if count:
                children = value_stack[-count:]
                del state_stack[-count:]
                del value_stack[-count:]
            else:
                children = []
            value_stack.append(callback(children))
            state_stack.append(states[state_stack[-1]][origin][1])
            if state_stack[-1] == end_state:
                return cast(Node, value_stack[-1])


def _check_depth(node: Node, text: str) -> None:
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ZQLSyntaxError(
                [Diagnostic("ZQL123", _ERR,
                            f"query is nested more than {MAX_DEPTH} levels deep", current.span,
                            hint="flatten the parentheses or split the query")],
                text,
            )
        if isinstance(current, And | Or):
            stack.extend((c, depth + 1) for c in current.children)
        elif isinstance(current, Not):
            stack.append((current.child, depth + 1))


# --------------------------------------------------------------------------- AST building


def _span(tok: Token) -> Span:
    start = tok.start_pos or 0
    return Span(start, tok.end_pos if tok.end_pos is not None else start + len(tok))


class AstBuilder:
    """Builds AST nodes as the LALR parser reduces: one method per grammar rule or alias.

    Serves the parse loop here and Lark's own parser (as its embedded transformer).
    """

    def start(self, children: list[Node]) -> Node:
        node: Node = children[0]
        return node

    def or_expr(self, children: list[Any]) -> Node:
        nodes: list[Node] = []
        for child in children:
            if isinstance(child, str):
                continue
            nodes.extend(child.children if isinstance(child, Or) else (child,))
        return Or(tuple(nodes), nodes[0].span.cover(nodes[-1].span))

    def and_expr(self, children: list[Any]) -> Node:
        nodes: list[Node] = []
        pending_not: Token | None = None
        for child in children:
            if isinstance(child, str):  # a connective token (ours or Lark's; both are str)
                token = cast(Token, child)
                pending_not = token if token.type == "NOT" else None
                continue
            if pending_not is not None:
                kw = _span(pending_not)
                child = Not(child, kw.cover(child.span), infix=True, keyword_span=kw)
                pending_not = None
            nodes.extend(child.children if isinstance(child, And) else (child,))
        return And(tuple(nodes), nodes[0].span.cover(nodes[-1].span))

    def not_expr(self, children: list[Any]) -> Node:
        kw, child = children
        return Not(child, _span(kw).cover(child.span), keyword_span=_span(kw))

    def group(self, children: list[Any]) -> Node:
        lpar, node, rpar = children
        grouped: Node = replace(node, span=_span(lpar).cover(_span(rpar)))
        return grouped

    def compare(self, children: list[Any]) -> Node:
        name, op, value = children
        return self._clause(name, op, _scalar(value))

    def contains(self, children: list[Any]) -> Node:
        name, op, value = children
        return self._clause(name, op, _scalar(value))

    def in_list(self, children: list[Any]) -> Node:
        name, op, lpar, items, rpar = children
        return self._clause(name, op, ValueList(tuple(items), _span(lpar).cover(_span(rpar))))

    def is_check(self, children: list[Any]) -> Node:
        name, is_tok, *rest = children
        rhs: Token = rest[-1]
        if len(rest) == 2:
            op = Token.make("IS_NOT", "", is_tok.start_pos, rest[0].end_pos)
        else:
            op = is_tok
        return self._clause(name, op, Empty(_span(rhs), spelled=str(rhs).upper()))

    def compare_op(self, children: list[Token]) -> Token:
        return children[0]

    def contains_op(self, children: list[Token]) -> Token:
        return children[0]

    def is_rhs(self, children: list[Token]) -> Token:
        return children[0]

    def value_list(self, children: list[Any]) -> list[Scalar]:
        return [_scalar(c) for c in children if c.type != "COMMA"]

    @staticmethod
    def _clause(name: Token, op: Token, value: Any) -> Clause:
        op_span = _span(op)
        field_span = _span(name)
        return Clause(
            str(name), Op(op.type), value, field_span.cover(value.span), field_span, op_span
        )


def _scalar(tok: Token) -> Scalar:
    span = _span(tok)
    kind = tok.type
    if kind == "STRING":
        raw = str(tok)
        # Most values have no escapes: slicing is much cheaper than a JSON decode.
        return String(raw[1:-1] if "\\" not in raw else json.loads(raw), span)
    if kind == "NUMBER":
        text = str(tok)
        return Number(Decimal(text) if "." in text else int(text), span)
    return Boolean(kind == "TRUE", span)
