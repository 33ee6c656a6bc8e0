"""``parse()``: ZQL text to AST, by the grammar's LALR tables driven in one tight loop.

Every failure becomes a :class:`~zql.errors.ZQLSyntaxError` whose diagnostic names the offending
text, says what ZE accepts instead and, where one is clear, carries a fix
(:mod:`zql._syntax_errors`). :func:`parse_all` reports every syntax error of a query, not only
the first.

The loop reads tokens with the tokenizer's pattern and word rule (:mod:`zql._lexer`) and
reduces with :class:`AstBuilder`; Lark's own parser of the same grammar gives the same trees
(a differential test checks this on random text), but is never imported at run time.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from zql._lexer import BOM, classify_word
from zql._syntax_errors import diagnose, recover
from zql._tables import REDUCE, SHIFT, UNIT, Rule, tables
from zql._tokens import ParseStop, RawToken
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
    Scalar,
    String,
    ValueList,
    walk,
)
from zql.errors import Diagnostic, Severity, Span, ZQLSyntaxError

__all__ = ["MAX_DEPTH", "AstBuilder", "ParseResult", "parse", "parse_all"]

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
        node = run(text)
    except ParseStop as stop:
        raise ZQLSyntaxError([diagnose(text, stop)], text) from None
    except (RecursionError, ValueError) as err:  # defensive: nothing but ZQLSyntaxError leaves
        raise ZQLSyntaxError(
            [Diagnostic("ZQL199", _ERR, f"could not parse the query: {err}", Span(0, len(text)))],
            text,
        ) from None
    problems = _check(node, text)
    if problems:
        raise ZQLSyntaxError(problems, text)
    return node


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What :func:`parse_all` found: the tree (None if the text has a syntax error) and every
    syntax diagnostic, in text order.

    >>> parse_all('a = 1').diagnostics
    ()
    """

    tree: Node | None
    diagnostics: tuple[Diagnostic, ...]


def parse_all(text: str) -> ParseResult:
    """Parse, and on a syntax error go on: report every syntax error, not only the first.

    After an error, reading starts again at the next ``and``, ``or`` or ``not`` that follows it
    or after the next ``)`` (the end of the broken term), so each broken clause gets its own
    diagnostic. ``parse_all(q).tree`` is ``parse(q)`` when the text is valid, else None.

    >>> [d.code for d in parse_all('a = Fail and b == 2 or c ~').diagnostics]
    ['ZQL107', 'ZQL110', 'ZQL104']
    >>> parse_all('a = 1 and b = 2').tree == parse('a = 1 and b = 2')
    True
    """
    try:
        return ParseResult(parse(text), ())
    except ZQLSyntaxError as err:
        if not isinstance(text, str):
            return ParseResult(None, tuple(err.diagnostics))
        return ParseResult(None, tuple(recover(text, err.diagnostics[0], _stop_or_none)))


def _stop_or_none(text: str) -> ParseStop | None:
    """Where the parse loop stops on ``text`` (None if it parses)."""
    try:
        run(text)
    except ParseStop as stop:
        return stop
    return None


def run(text: str) -> Node:
    """The parse loop: tokens in, AST out; raises :class:`~zql._tokens.ParseStop` on an error.

    Each token is one regular-expression match (trivia skipped in the same match) and one
    tuple; chains of unit reductions are single table steps (collapsed in the cached tables),
    and rules that only pass a child up never call a reducer.

    >>> run('a = 1 or b = 2').children[1].field
    'b'
    """
    t = tables()
    actions, end_state = _bound_actions(), t.end
    prefixes, keyword_by_text = t.keyword_prefixes, vocabulary().keyword_by_text
    stack = [t.start]
    values: list[Any] = []
    pos = 1 if text.startswith(BOM) else 0
    size = len(text)
    next_match = t.matcher(text, pos)
    while True:
        m = next_match()
        if m is not None:
            kind = m.lastgroup or ""
            start, pos = m.span(kind)
            value = text[start:pos]
            if kind == "WORD":
                kind = keyword_by_text.get(value.lower(), "FIELD")
                if kind not in actions[stack[-1]]:  # the contextual split (rare)
                    kind, value = classify_word(value, actions[stack[-1]], prefixes[stack[-1]])
                    if start + len(value) != pos:
                        pos = start + len(value)
                        next_match = t.matcher(text, pos)
            token: RawToken = (kind, value, start, pos)
        else:
            pos = _after_trivia(text, pos)
            if pos < size:
                raise ParseStop(pos)
            kind = "$END"
            token = (kind, "", size, size)
        while True:
            row = actions[stack[-1]]
            try:
                code, arg = row[kind]
            except KeyError:
                raise ParseStop(token[2], token, frozenset(s for s in row if s.isupper())) from None
            if code == SHIFT:
                stack.append(arg)
                values.append(token)
                break
            if code == UNIT:  # the value stays; only the state changes
                stack[-1] = arg[stack[-2]]
                continue
            count, reduce, origin = arg
            children = values[-count:]
            del values[-count:]
            del stack[-count:]
            values.append(reduce(children))
            stack.append(actions[stack[-1]][origin][1])
            if stack[-1] == end_state:
                return cast(Node, values[-1])


def _after_trivia(text: str, pos: int) -> int:
    trivia = tables().trivia.match
    while (skip := trivia(text, pos)) is not None:
        pos = skip.end()
    return pos


@functools.cache
def _bound_actions() -> dict[int, dict[str, tuple[int, Any]]]:
    """The action table with each reduction bound to what it builds (once per process)."""
    t = tables()
    reducers = [_reducer(AstBuilder(), rule) for rule in t.rules]
    return {
        state: {name: (code, (arg[0], reducers[arg[1]], arg[2]) if code == REDUCE else arg)
                for name, (code, arg) in row.items()}
        for state, row in t.actions.items()
    }


def _reducer(builder: AstBuilder, rule: Rule) -> Callable[[list[Any]], Any]:
    """What reducing one rule does, as Lark's tree builder would do it with ``builder``.

    A helper rule Lark made for a repetition (``__or_expr_star_0``) grows the list of its
    first child in place, so a chain of n clauses costs O(n), not O(n²).
    """
    origin, alias, expand1, modes = rule
    if origin.startswith("_"):
        if modes[0] == 2 and all(mode == 1 for mode in modes[1:]):
            return _grow
        if all(mode == 1 for mode in modes):
            return _keep
    if expand1 and modes == (1,):
        return _first  # a unit rule; the tables collapse these, so it is rarely called
    method = getattr(builder, alias or origin)
    if modes[-1] == 2 and all(mode == 1 for mode in modes[:-1]):
        def splice_last(children: list[Any]) -> Any:
            return method([*children[:-1], *children[-1]])
        return splice_last
    assert all(mode == 1 for mode in modes), f"no reducer for the child modes of {rule}"
    if expand1:
        def maybe_inline(children: list[Any]) -> Any:
            return children[0] if len(children) == 1 else method(children)
        return maybe_inline
    return cast(Callable[[list[Any]], Any], method)


def _grow(children: list[Any]) -> list[Any]:
    """``__x_star: __x_star A B`` — append to the list so far (amortised O(1))."""
    grown: list[Any] = children[0]
    grown.extend(children[1:])
    return grown


def _first(children: list[Any]) -> Any:
    """``?rule: child`` — hands its one child up."""
    return children[0]


def _keep(children: list[Any]) -> list[Any]:
    """``__x_star: A B`` — the children, to be spliced into the parent rule."""
    return children


# A surrogate code point in the text, or an escape that decodes to one (\uD800-\uDFFF).
_MAYBE_SURROGATE = re.compile(r"[\ud800-\udfff]|\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check(node: Node, text: str) -> list[Diagnostic]:
    """What the grammar cannot say: nesting depth, and strings that are not Unicode text."""
    problems: list[Diagnostic] = []
    if _MAYBE_SURROGATE.search(text) is not None:  # rare: only then walk the strings
        problems.extend(_lone_surrogates(node))
    if text.count("(") + text.count("n") + text.count("N") < MAX_DEPTH:
        return problems  # fewer "(" and "not" than levels: cannot be too deep; skip the walk
    stack: list[tuple[Node, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.append(Diagnostic(
                "ZQL123", _ERR, f"query is nested more than {MAX_DEPTH} levels deep",
                current.span, hint="flatten the parentheses or split the query"))
            break
        if isinstance(current, And | Or):
            stack.extend((c, depth + 1) for c in current.children)
        elif isinstance(current, Not):
            stack.append((current.child, depth + 1))
    return problems


def _lone_surrogates(node: Node) -> list[Diagnostic]:
    """ZQL127 for each string holding an unpaired surrogate (``"\\ud800"``): not text at all.

    JSON-style escapes allow it, but no server can store it: the sandbox answers 400 and the
    builder refuses such a value, so the parser says so at the string.
    """
    found = []
    for clause in walk(node):
        if not isinstance(clause, Clause):
            continue
        value = clause.value
        for item in value.items if isinstance(value, ValueList) else (value,):
            if isinstance(item, String) and (bad := _SURROGATE.search(item.value)):
                code = f"\\u{ord(bad.group()):04x}"
                found.append(Diagnostic(
                    "ZQL127", _ERR,
                    f"the string holds a lone surrogate ({code}), which is not Unicode text",
                    item.span,
                    hint="write the character itself; a character beyond U+FFFF is a pair of "
                         "escapes, high then low (\\ud83d\\ude00 is 😀)"))
    return found


# --------------------------------------------------------------------------- AST building
#
# Nodes are frozen slotted dataclasses; their generated __init__ pays a call per field to get
# past the frozen __setattr__. The parser builds them by setting the slots directly (same
# objects, equal to ones built with the constructor), which is three times cheaper.

_new = object.__new__


def _setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    slots: tuple[str, ...] = getattr(cls, "__slots__")  # noqa: B009 - slotted dataclasses
    return tuple(vars(cls)[name].__set__ for name in slots)


_set_start, _set_end = _setters(Span)
_CLAUSE = _setters(Clause)
_set_string_value, _set_string_span = _setters(String)


def _span(start: int, end: int) -> Span:
    span: Span = _new(Span)
    _set_start(span, start)
    _set_end(span, end)
    return span


def _make(cls: type, setters: tuple[Callable[[Any, Any], None], ...], *values: Any) -> Any:
    obj: Any = _new(cls)
    for setter, value in zip(setters, values, strict=True):
        setter(obj, value)
    return obj


def _tspan(tok: RawToken) -> Span:
    return _span(tok[2], tok[3])


class AstBuilder:
    """Builds AST nodes as the LALR parser reduces: one method per grammar rule or alias.

    Children are built nodes and raw tokens ``(type, text, start, end)``.

    >>> AstBuilder().compare([("FIELD", "a", 0, 1), ("EQ", "=", 2, 3), ("NUMBER", "1", 4, 5)])
    Clause(field='a', op=<Op.EQ: 'EQ'>, value=Number(value=1))
    """

    def start(self, children: list[Node]) -> Node:
        node: Node = children[0]
        return node

    def or_expr(self, children: list[Any]) -> Node:
        nodes: list[Node] = []
        for child in children:
            if isinstance(child, tuple):  # the OR tokens
                continue
            if isinstance(child, Or):
                nodes.extend(child.children)
            else:
                nodes.append(child)
        return Or(tuple(nodes), _span(nodes[0].span.start, nodes[-1].span.end))

    def and_expr(self, children: list[Any]) -> Node:
        nodes: list[Node] = []
        pending_not: RawToken | None = None
        for child in children:
            if isinstance(child, tuple):  # a connective token
                pending_not = child if child[0] == "NOT" else None
                continue
            if pending_not is not None:
                kw = _tspan(pending_not)
                child = Not(child, _span(kw.start, child.span.end), infix=True,
                            keyword_span=kw)
                pending_not = None
            if isinstance(child, And):
                nodes.extend(child.children)
            else:
                nodes.append(child)
        return And(tuple(nodes), _span(nodes[0].span.start, nodes[-1].span.end))

    def not_expr(self, children: list[Any]) -> Node:
        kw, child = children
        return Not(child, _span(kw[2], child.span.end), keyword_span=_tspan(kw))

    def group(self, children: list[Any]) -> Node:
        lpar, node, rpar = children
        return _respan(node, _span(lpar[2], rpar[3]))

    def compare(self, children: list[Any]) -> Node:
        name, op, value = children
        return _clause(name, op, _scalar(value))

    def contains(self, children: list[Any]) -> Node:
        name, op, value = children
        return _clause(name, op, _scalar(value))

    def in_list(self, children: list[Any]) -> Node:
        name, op, lpar, items, rpar = children
        return _clause(name, op, ValueList(tuple(items), _span(lpar[2], rpar[3])))

    def is_check(self, children: list[Any]) -> Node:
        name, is_tok, *rest = children
        rhs: RawToken = rest[-1]
        op = ("IS_NOT", "", is_tok[2], rest[0][3]) if len(rest) == 2 else is_tok
        return _clause(name, op, Empty(_tspan(rhs), spelled=rhs[1].upper()))

    def value_list(self, children: list[Any]) -> list[Scalar]:
        return [_scalar(c) for c in children if c[0] != "COMMA"]


def _respan(node: Node, span: Span) -> Node:
    if isinstance(node, Clause):
        return cast(Clause, _make(Clause, _CLAUSE, node.field, node.op, node.value, span,
                                  node.field_span, node.op_span))
    if isinstance(node, Not):
        return Not(node.child, span, node.infix, node.keyword_span)
    return type(node)(node.children, span)


_OPS = {op.value: op for op in Op}
_set_field, _set_op, _set_value, _set_span, _set_field_span, _set_op_span = _CLAUSE


def _clause(name: RawToken, op: RawToken, value: Any) -> Clause:
    clause: Clause = _new(Clause)
    start = name[2]
    _set_field(clause, name[1])
    _set_op(clause, _OPS[op[0]])
    _set_value(clause, value)
    _set_span(clause, _span(start, value.span.end))
    _set_field_span(clause, _span(start, name[3]))
    _set_op_span(clause, _span(op[2], op[3]))
    return clause


def _scalar(tok: RawToken) -> Scalar:
    kind, raw, start, end = tok
    if kind == "STRING":
        # Most values have no escapes: slicing is much cheaper than a JSON decode.
        string: String = _new(String)
        _set_string_value(string, raw[1:-1] if "\\" not in raw else json.loads(raw))
        _set_string_span(string, _span(start, end))
        return string
    if kind == "NUMBER":
        return Number(Decimal(raw) if "." in raw else int(raw), _span(start, end))
    return Boolean(kind == "TRUE", _span(start, end))
