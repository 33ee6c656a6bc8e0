"""What the parser expects at a cursor: the grammar's LALR tables, driven by hand, never raising.

The completion engine asks one question of the grammar: *which terminals may start where the
word under the cursor starts?* This module answers it by reading the text before the cursor
with the one tokenizer (:func:`zql._lexer.read_token`, so ``"x"andna`` is ``and`` + ``na``,
as in the parser) and running the parse tables of :func:`zql._tables.tables` over those tokens
(:class:`zql._lexer.Machine`).

The tables are driven here instead of through Lark's interactive parser because a completion
engine meets broken text on every keystroke: a hand-driven state stack reports "not accepted"
as a plain ``False`` (no exceptions to translate, which ``parser.py`` alone may do), copies in
microseconds for the look-ahead checks, and costs about half a parse of the same text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as _field

from zql import _lexer, _tables, _tokens, _vocabulary
from zql._lexer import Machine
from zql._tokens import Lexeme
from zql.ast import Op

__all__ = [
    "PARTIAL_KINDS",
    "VALUE_TERMINALS",
    "Context",
    "Machine",
    "context_at",
    "decode_partial",
]

#: How the word under the cursor is being typed; "" when the cursor starts a new token.
PARTIAL_KINDS = ("", "word", "number", "string", "symbol")

# Terminals after which a new term starts, so reading may restart there after an error. NOT
# right after IS and "(" right after IN belong to a clause and are no restart points.
_BOUNDARIES = frozenset({"AND", "OR", "NOT", "LPAR"})
#: Terminals that are values (the right-hand side of a comparison, the items of a list).
VALUE_TERMINALS = frozenset({"STRING", "NUMBER", "TRUE", "FALSE"})
_OPS = {op.value: op for op in Op if op is not Op.IS_NOT}


@dataclass(frozen=True, slots=True)
class Context:
    """The cursor as the completion engine sees it.

    ``accepts`` holds the terminals that may start at ``start`` (empty inside a comment or
    after text that cannot be read). ``[start, end)`` is what a completion replaces: the word,
    number, string or operator under the cursor, or the empty range at the cursor. ``prefix``
    is the part typed before the cursor (decoded inside a string) and ``partial`` how that
    word is being typed (one of :data:`PARTIAL_KINDS`). ``field``/``op`` describe
    the clause being typed, ``listed`` the values already in its ``in (...)`` list, ``last``
    the type of the token read before ``start`` (None at the start of the text), and
    ``in_comment`` says the cursor is inside a ``#`` comment.

    >>> c = context_at('tag in ("a", "b', 15)
    >>> c.partial, c.prefix, (c.start, c.end), c.field, c.op, c.listed, c.last
    ('string', 'b', (13, 15), 'tag', <Op.IN: 'IN'>, ('a',), 'COMMA')
    """

    accepts: frozenset[str]
    start: int
    end: int
    prefix: str = ""
    partial: str = ""
    field: str | None = None
    op: Op | None = None
    listed: tuple[str, ...] = ()
    last: str | None = None
    in_comment: bool = False


@dataclass(slots=True)
class _Clause:
    """The clause being read: its field, operator so far, and list items."""

    field: str | None = None
    op: Op | None = None
    listed: list[str] = _field(default_factory=list)

    def read(self, tok: Lexeme, last: str | None) -> None:
        kind = tok.type
        if kind == "FIELD":
            self.field, self.op, self.listed = tok.text, None, []
        elif kind == "NOT" and last == "IS":
            self.op = Op.IS_NOT
        elif kind in _OPS:
            self.op = _OPS[kind]
        elif kind in VALUE_TERMINALS and self.op is Op.IN:
            self.listed.append(_decode(tok.text) if kind == "STRING" else tok.text)


def _decode(literal: str) -> str:
    """The value of a complete string literal (JSON-compatible by grammar)."""
    try:
        value = json.loads(literal)
    except ValueError:
        return literal[1:-1]
    return value if isinstance(value, str) else literal[1:-1]


def decode_partial(raw: str) -> str:
    """The value typed so far inside an open string: escapes decoded, a half escape dropped.

    >>> decode_partial('say \\\\"hi'), decode_partial('tab\\\\'), decode_partial('a\\\\u00')
    ('say "hi', 'tab', 'a')
    """
    cut = raw
    for _ in range(2):  # at most one trailing half escape (``\`` or ``\\u00``) to drop
        try:
            value = json.loads('"' + cut + '"')
        except ValueError:
            slash = cut.rfind("\\")
            if slash < 0:
                return raw
            cut = cut[:slash]
            continue
        return value if isinstance(value, str) else raw
    return raw


def _is_symbol_prefix(text: str) -> bool:
    return any(s.startswith(text) and s != text
               for s in _vocabulary.vocabulary().symbols.values())


def _read(text: str, cursor: int, pos: int) -> Context | int:
    """Read ``text[pos:cursor]`` like the parser; the Context, or where reading failed."""
    trivia = _tables.tables().trivia.match
    machine, clause = Machine(), _Clause()
    last: str | None = None
    if pos == 0 and text.startswith(_lexer.BOM):
        pos = 1
    while pos < cursor:
        skip = trivia(text, pos)
        if skip is not None:
            if text[pos] == "#" and skip.end() >= cursor:
                return Context(frozenset(), cursor, cursor, in_comment=True)
            pos = skip.end()
            continue
        raw = _lexer.read_token(text, pos, machine.state)
        if raw is None:
            # Nothing the parser can read starts here: an unterminated string, a stray
            # character. The tolerant scanner says which, for the cursor checks below.
            tok = next(_lexer.scan(text, pos))
            group = tok.type
        else:
            kind, value, start, end = raw
            group = "WORD" if value[:1].isalpha() else kind
            tok = Lexeme(kind, "", value, start, end)
        if tok.end >= cursor:
            partial = _partial(group, tok, cursor)
            if partial:
                return _at_partial(text, cursor, tok, partial, machine, clause, last)
        if group in ("UNTERMINATED", "ERROR") or not machine.feed(tok.type):
            return tok.start
        clause.read(tok, last)
        last, pos = tok.type, tok.end
    return Context(machine.accepts(), cursor, cursor, field=clause.field, op=clause.op,
                   listed=tuple(clause.listed), last=last)


def _partial(group: str, tok: Lexeme, cursor: int) -> str:
    """How the token reaching the cursor is still being typed ("" when it is complete)."""
    if group in ("WORD", "NUMBER"):
        return "word" if group == "WORD" else "number"
    if group == "UNTERMINATED":
        return "string"
    if group == "ERROR":
        return "symbol" if tok.end == cursor and _is_symbol_prefix(tok.text) else ""
    if cursor < tok.end:  # inside a closed string or a two-character operator
        return "string" if group == "STRING" else "symbol"
    return ""


def _at_partial(text: str, cursor: int, tok: Lexeme, partial: str, machine: Machine,
                clause: _Clause, last: str | None) -> Context:
    start, end = tok.start, tok.end
    if partial == "string":
        raw = text[start + 1 : cursor]
        if tok.type == "UNTERMINATED":
            # An open string runs to the end of the line; replace only up to the end of the
            # word under the cursor, so text after it survives.
            end = cursor
            while end < len(text) and (text[end].isalnum() or text[end] in "_-."):
                end += 1
        prefix = decode_partial(raw)
    else:
        prefix = text[start:cursor]
    return Context(machine.accepts(), start, end, prefix=prefix, partial=partial,
                   field=clause.field, op=clause.op, listed=tuple(clause.listed), last=last)


def _restart_point(text: str, error: int, cursor: int) -> int | None:
    """Just after the last ``and``/``or``/``not``/``(`` between ``error`` and the cursor."""
    point: int | None = None
    previous: str | None = None
    for tok in _lexer.scan(text, error, cursor):
        if tok.kind in (_tokens.WS, _tokens.COMMENT):
            continue
        # A word ending at the cursor is still being typed; "(" is complete once typed.
        complete = tok.end < cursor or tok.type == "LPAR"
        in_clause = (tok.type, previous) in (("NOT", "IS"), ("LPAR", "IN"))
        if tok.type in _BOUNDARIES and complete and not in_clause:
            point = tok.end
        previous = tok.type
    return point


def context_at(text: str, cursor: int) -> Context | None:
    """Read ``text`` up to ``cursor``; None when nothing sensible can come there.

    If the text before the cursor cannot be read (a typo in an earlier clause), reading starts
    again after the last ``and``, ``or``, ``not`` or ``(`` that follows the problem, so the
    clause being typed still completes.

    >>> c = context_at('status = "Fail" an', 18)
    >>> (c.start, c.end, c.prefix, c.partial), sorted(c.accepts)
    ((16, 18, 'an', 'word'), ['$END', 'AND', 'NOT', 'OR'])
    >>> sorted(context_at('a = = 1 and st', 14).accepts)
    ['FIELD', 'LPAR', 'NOT']
    >>> context_at('a = = 1', 7) is None
    True
    """
    result = _read(text, cursor, 0)
    if isinstance(result, int):
        restart = _restart_point(text, result, cursor)
        if restart is None:
            return None
        result = _read(text, cursor, restart)
        if isinstance(result, int):
            return None
    return result
