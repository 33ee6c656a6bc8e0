"""What the parser expects at a cursor: the grammar's LALR tables, driven by hand, never raising.

The completion engine asks one question of the grammar: *which terminals may start where the
word under the cursor starts?* This module answers it by reading the text before the cursor
exactly as the parser reads it (the contextual lexer's word splitting, so ``"x"andna`` is
``and`` + ``na``) and running the parse tables of :func:`zql._grammar.tables` over those tokens.

The tables are driven here instead of through Lark's interactive parser because a completion
engine meets broken text on every keystroke: a hand-driven state stack reports "not accepted"
as a plain ``False`` (no exceptions to translate, which ``parser.py`` alone may do), copies in
microseconds for the look-ahead checks, and costs about half a parse of the same text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as _field

from zql import _grammar
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


class Machine:
    """An LALR state stack over the grammar's tables; feeding never raises.

    >>> m = Machine()
    >>> m.feed("FIELD"), sorted(m.accepts())
    (True, ['CONTAINS', 'EQ', 'IN', 'IS', 'NE', 'NOT_CONTAINS'])
    >>> m.feed("RPAR")
    False
    """

    __slots__ = ("stack",)

    def __init__(self, stack: list[int] | None = None) -> None:
        self.stack = stack if stack is not None else [_grammar.tables().start]

    @property
    def state(self) -> int:
        """The current parser state (its keyword prefixes drive the contextual word split).

        >>> Machine().state == _grammar.tables().start
        True
        """
        return self.stack[-1]

    def feed(self, terminal: str) -> bool:
        """Shift ``terminal`` (reducing first as needed); False if it cannot come here.

        After a False the stack may hold reductions made before the error was seen (LALR may
        reduce once more than LR(1) would), so a caller stops feeding this machine.

        >>> Machine().feed("NOT"), Machine().feed("EQ")
        (True, False)
        """
        t = _grammar.tables()
        states, stack = t.states, self.stack
        while True:
            step = states[stack[-1]].get(terminal)
            if step is None:
                return False
            is_shift, arg = step
            if is_shift:
                stack.append(arg)
                return True
            count, _callback, origin = arg
            if count:
                del stack[-count:]
            stack.append(states[stack[-1]][origin][1])
            if terminal == "$END" and stack[-1] == t.end:
                return True

    def accepts(self) -> frozenset[str]:
        """Terminals that may come next (``$END`` when the text may end here).

        >>> sorted(Machine().accepts())
        ['FIELD', 'LPAR', 'NOT']
        """
        actions = _grammar.tables().states[self.stack[-1]]
        return frozenset(name for name in actions
                         if name.isupper() and Machine(list(self.stack)).feed(name))


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

    def read(self, tok: _grammar.Tok, last: str | None) -> None:
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
               for s in _grammar.vocabulary().symbols.values())


def _read(text: str, cursor: int, pos: int) -> Context | int:
    """Read ``text[pos:cursor]`` like the parser; the Context, or where reading failed."""
    t = _grammar.tables()
    match, states, prefixes = t.pattern.match, t.states, t.keyword_prefixes
    keyword_by_text = _grammar.vocabulary().keyword_by_text
    machine, clause = Machine(), _Clause()
    last: str | None = None
    while pos < cursor:
        m = match(text, pos)
        if m is None:
            # Nothing the parser can read starts here: an unterminated string, a stray
            # character. The tolerant scanner says which, for the cursor checks below.
            tok = next(_grammar.scan(text, pos))
            group = tok.type
        else:
            group, end, value = m.lastgroup or "", m.end(), m.group()
            if group == "WS":
                pos = end
                continue
            if group == "COMMENT":
                if end >= cursor:
                    return Context(frozenset(), cursor, cursor, in_comment=True)
                pos = end
                continue
            kind = group
            if group == "WORD":
                kind = keyword_by_text.get(value.lower(), "FIELD")
                if kind not in states[machine.state]:
                    for kw_text, kw_name in prefixes[machine.state]:
                        if value[: len(kw_text)].lower() == kw_text:
                            kind, value, end = kw_name, value[: len(kw_text)], pos + len(kw_text)
                            break
            tok = _grammar.Tok(kind, "", value, pos, end)
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


def _partial(group: str, tok: _grammar.Tok, cursor: int) -> str:
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


def _at_partial(text: str, cursor: int, tok: _grammar.Tok, partial: str, machine: Machine,
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
    for tok in _grammar.scan(text, error, cursor):
        if tok.kind in (_grammar.WS, _grammar.COMMENT):
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
