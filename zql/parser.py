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
from zql.errors import Diagnostic, Fix, Severity, Span, TextEdit, ZQLSyntaxError

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
        raise ZQLSyntaxError([_explain(text, err)], text) from None
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


# --------------------------------------------------------------------------- error messages


def _diag(code: str, message: str, span: Span, hint: str | None = None,
          *fixes: Fix) -> Diagnostic:
    return Diagnostic(code, _ERR, message, span, hint, tuple(fixes))


def _fix(title: str, *edits: tuple[int, int, str]) -> Fix:
    return Fix(title, tuple(TextEdit(Span(a, b), t) for a, b, t in edits))


def _explain(text: str, err: Unexpected) -> Diagnostic:
    """Turn where the parse stopped into one precise, human diagnostic."""
    toks = [t for t in _grammar.scan(text) if t.kind not in ("whitespace", "comment")]
    foreign = _foreign_construct(text, toks, err.pos)
    if foreign is not None:
        return foreign
    if err.token is None:
        return _bad_character(text, err.pos)
    if err.token.type == "$END":
        return _unexpected_end(text, toks, set(err.expected))
    return _unexpected_token(text, toks, err.token, set(err.expected))


def _foreign_construct(text: str, toks: list[_grammar.Tok], pos: int) -> Diagnostic | None:
    """Constructs of SQL or Zephyr Squad's ZQL that ZE does not have, at or before the error."""
    vocab = _grammar.vocabulary()
    for i, tok in enumerate(toks):
        if tok.start > pos:
            break
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        low = tok.text.lower()
        if tok.type == "FIELD" and low == "order" and nxt and nxt.text.lower() == "by":
            return _diag(
                "ZQL113", "ZE has no ORDER BY; sorting is a search parameter, not part of ZQL",
                Span(tok.start, nxt.end),
                "remove it; sort with `zql search --order NAME [--desc]` or order_by=...",
                _fix("remove ORDER BY", (toks[i - 1].end if i else tok.start, len(text), "")),
            )
        if tok.type == "NOT" and nxt and nxt.type == "IN" and i and toks[i - 1].type == "FIELD":
            field = toks[i - 1]
            close = _matching_paren(toks, i + 2)
            fixes: list[Fix] = []
            if close is not None:
                fixes.append(_fix(
                    "rewrite as not (… in …)",
                    (field.start, field.start, f"{vocab.keywords['NOT']} ("),
                    (tok.start, nxt.start, ""),
                    (close.end, close.end, ")"),
                ))
            return _diag(
                "ZQL112", "ZE has no 'not in'",
                Span(tok.start, nxt.end),
                f"use not ({field.text} in (…)), or {field.text} != … for each value",
                *fixes,
            )
        if tok.type == "EQ" and nxt and nxt.type == "EQ" and nxt.start == tok.end:
            return _diag("ZQL110", "'==' is not a ZQL operator; ZE compares with a single '='",
                         Span(tok.start, nxt.end), "write =",
                         _fix("use =", (tok.start, nxt.end, "=")))
    return None


def _matching_paren(toks: list[_grammar.Tok], index: int) -> _grammar.Tok | None:
    if index >= len(toks) or toks[index].type != "LPAR":
        return None
    depth = 0
    for tok in toks[index:]:
        depth += tok.type == "LPAR"
        depth -= tok.type == "RPAR"
        if depth == 0:
            return tok
    return None


def _bad_character(text: str, pos: int) -> Diagnostic:
    ch = text[pos]
    if ch == '"':
        return _bad_string(text, pos)
    if ch == "'":
        close = text.find("'", pos + 1)
        fixes = []
        if close != -1 and '"' not in text[pos:close] and "\n" not in text[pos:close]:
            fixes.append(_fix("use double quotes", (pos, pos + 1, '"'), (close, close + 1, '"')))
            span = Span(pos, close + 1)
        else:
            span = Span(pos, pos + 1)
        return _diag("ZQL108", "single quotes do not delimit strings in ZE", span,
                     "put text values in double quotes: \"…\"", *fixes)
    if ch in "<>":
        width = 2 if text[pos + 1 : pos + 2] == "=" else 1
        op = text[pos : pos + width]
        return _diag(
            "ZQL109", f"ZE has no '{op}' comparison", Span(pos, pos + width),
            "ZQL compares with =, !=, ~, !~, in (…) and is [not] empty; "
            "list the values you want with in (…)",
        )
    if ch in "&|":
        width = 2 if text[pos + 1 : pos + 2] == ch else 1
        word = _grammar.vocabulary().keywords["AND" if ch == "&" else "OR"]
        left = "" if pos == 0 or text[pos - 1].isspace() else " "
        right = "" if text[pos + width : pos + width + 1].isspace() else " "
        return _diag(
            "ZQL111", f"'{text[pos:pos + width]}' is not a ZQL connective; use '{word}'",
            Span(pos, pos + width), f"write {word}",
            _fix(f"use {word}", (pos, pos + width, f"{left}{word}{right}")),
        )
    if ch == "!":
        return _diag("ZQL103", "'!' is not an operator on its own", Span(pos, pos + 1),
                     "use != (not equal) or !~ (does not contain)")
    return _diag("ZQL103", f"unexpected character {ch!r} (U+{ord(ch):04X})", Span(pos, pos + 1),
                 "ZQL is `field operator value` joined by and, or, not and parentheses")


def _bad_string(text: str, pos: int) -> Diagnostic:
    i = pos + 1
    while i < len(text):
        ch = text[i]
        if ch == '"':  # pragma: no cover - a well-formed string would have lexed
            break
        if ch == "\\":
            esc = text[i + 1 : i + 2]
            if esc == "u":
                digits = text[i + 2 : i + 6]
                if len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits):
                    i += 6
                    continue
                return _diag("ZQL102", "invalid \\u escape: it needs four hex digits",
                             Span(i, min(len(text), i + 2 + len(digits))),
                             "write \\u00e9 for é, or \\\\ for a backslash")
            if esc and esc in '"\\/bfnrt':
                i += 2
                continue
            if esc in ("", "\n"):
                break
            return _diag("ZQL102", f"invalid escape '\\{esc}' in string", Span(i, i + 2),
                         "valid escapes: \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX; "
                         "write \\\\ for a backslash",
                         _fix("escape the backslash", (i, i + 1, "\\\\")))
        if ch == "\n":
            break
        if ord(ch) < 0x20:
            return _diag("ZQL102", f"control character U+{ord(ch):04X} inside a string",
                         Span(i, i + 1), "escape it, e.g. \\t or \\u0001")
        i += 1
    end = i
    return _diag("ZQL101", "unterminated string: no closing '\"'", Span(pos, end),
                 "close the string with a double quote", _fix("close the string", (end, end, '"')))


def _is_value(tok: _grammar.Tok) -> bool:
    return tok.type in ("STRING", "NUMBER", "TRUE", "FALSE", "EMPTY", "NULL", "RPAR")


def _unmatched_open(toks: list[_grammar.Tok]) -> _grammar.Tok | None:
    stack: list[_grammar.Tok] = []
    for tok in toks:
        if tok.type == "LPAR":
            stack.append(tok)
        elif tok.type == "RPAR" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _unexpected_end(text: str, toks: list[_grammar.Tok], expected: set[str]) -> Diagnostic:
    vocab = _grammar.vocabulary()
    end = Span(len(text), len(text))
    if not toks:
        return _diag("ZQL100", "empty query", end,
                     'write a clause such as name ~ "login"')
    last = toks[-1]
    last_span = Span(last.start, last.end)
    if last.type in ("AND", "OR", "NOT"):
        return _diag("ZQL114", f"query ends after '{last.text}'", last_span,
                     "add a clause after it, or remove it",
                     _fix(f"remove '{last.text}'", (_prev_end(toks, -1), last.end, "")))
    if "STRING" in expected or "NUMBER" in expected:
        return _diag("ZQL104", f"missing value after '{last.text}'", last_span,
                     f"expected {vocab.expected(expected)}")
    if last.type == "IN" or expected == {"LPAR"}:
        return _diag("ZQL118", f"'{last.text}' needs a list in parentheses", last_span,
                     'write in ("a", "b")')
    if last.type in ("IS", "NOT") or expected & {"EMPTY", "NULL"}:
        return _diag("ZQL120", f"missing {vocab.keywords['EMPTY']} after '{last.text}'", last_span,
                     f"write is {vocab.keywords['EMPTY']} or is not {vocab.keywords['EMPTY']}")
    if "RPAR" in expected:
        opened = _unmatched_open(toks)
        if opened is not None:
            return _diag("ZQL116", "'(' is never closed", Span(opened.start, opened.end),
                         "add the missing ')'", _fix("close it", (len(text), len(text), ")")))
    if "EQ" in expected or "CONTAINS" in expected:
        return _diag("ZQL105", f"missing operator after field '{last.text}'", last_span,
                     f"expected {vocab.expected(expected)}")
    return _diag("ZQL199", "the query ends too early", last_span,
                 f"expected {vocab.expected(expected)}")


def _prev_end(toks: list[_grammar.Tok], index: int) -> int:
    i = index % len(toks)
    return toks[i - 1].end if i > 0 else toks[i].start


def _unexpected_token(
    text: str, toks: list[_grammar.Tok], tok: Token, expected: set[str]
) -> Diagnostic:
    vocab = _grammar.vocabulary()
    start = tok.start_pos or 0
    span = _span(tok)
    found = str(tok)
    kind = tok.type
    before = [t for t in toks if t.end <= start]
    prev = before[-1] if before else None
    value_expected = "STRING" in expected or "NUMBER" in expected

    if kind == "RPAR" and _depth(before) <= 0:
        return _diag("ZQL117", "')' has no matching '('", span, "remove it or add the '('",
                     _fix("remove it", (span.start, span.end, "")))
    if kind == "RPAR" and prev is not None and prev.type == "LPAR":
        return _diag("ZQL106", "empty list: '()' holds nothing", Span(prev.start, span.end),
                     "ZQL lists need at least one value: in (\"a\", \"b\")")
    if value_expected:
        op = prev.text if prev else "the operator"
        if kind == "FIELD":
            quoted = json.dumps(found, ensure_ascii=False)
            return _diag("ZQL107", f"bare word '{found}' is not a value", span,
                         f"values are quoted in ZE: {quoted}",
                         _fix("quote it", (span.start, span.end, quoted)))
        if kind == "LPAR":
            in_kw = vocab.keywords["IN"]
            fixes = [] if prev is None else [_fix(f"use {in_kw}", (prev.start, prev.end, in_kw))]
            return _diag("ZQL119", f"a list needs '{in_kw}', not '{op}'", span,
                         f"write field {in_kw} (…)", *fixes)
        if kind == "NUMBER" and "NUMBER" not in expected:
            quoted = json.dumps(found)
            return _diag("ZQL124", f"'{op}' compares text; the value must be a quoted string",
                         span, f"write {quoted}", _fix("quote it", (span.start, span.end, quoted)))
        if kind in ("TRUE", "FALSE") and "TRUE" not in expected:
            return _diag("ZQL124", f"'{op}' compares text; the value must be a quoted string",
                         span, f'write "{found}"')
        if kind in ("EMPTY", "NULL"):
            return _diag("ZQL120", f"'{found}' goes with 'is': field is {found.lower()}", span,
                         f"write is {vocab.keywords['EMPTY']} / is not {vocab.keywords['EMPTY']}")
        return _diag("ZQL104", f"missing value after '{op}'",
                     Span(prev.start, prev.end) if prev else span,
                     f"expected {vocab.expected(expected)}, found {_found(tok)}")
    if expected == {"LPAR"}:
        keyword = prev.text if prev else vocab.keywords["IN"]
        return _diag("ZQL118", f"'{keyword}' needs a list in parentheses",
                     span, f"write {vocab.keywords['IN']} ({found})",
                     _fix("wrap in parentheses", (span.start, span.start, "("),
                          (span.end, span.end, ")")))
    if expected & {"EMPTY", "NULL"}:
        hint = f"write is {vocab.keywords['EMPTY']} or is not {vocab.keywords['EMPTY']}"
        if kind in ("STRING", "NUMBER", "TRUE", "FALSE"):
            hint += "; to compare with a value use = or !="
        return _diag("ZQL120", f"'is' takes {vocab.keywords['EMPTY']}, not {_found(tok)}",
                     span, hint)
    if "COMMA" in expected and _inside_list(before):
        return _diag("ZQL126", f"expected ',' or ')' in the list, found {_found(tok)}", span,
                     "separate list items with commas",
                     *([_fix("add a comma", (prev.end, prev.end, ","))] if prev else []))
    if "EQ" in expected or "CONTAINS" in expected:
        name = prev.text if prev else "field"
        return _diag("ZQL105", f"missing operator after field '{name}'", span,
                     f"expected {vocab.expected(expected)}, found {_found(tok)}")
    if "FIELD" in expected:
        if prev is not None and prev.kind in ("keyword", "constant") and kind in vocab.symbols:
            return _diag("ZQL122", f"'{prev.text}' is a reserved word, not a field name",
                         Span(prev.start, prev.end),
                         _reserved_hint())
        if kind in ("AND", "OR") or (kind == "NOT" and prev is not None and prev.type == "NOT"):
            if prev is None:
                return _diag("ZQL115", f"query cannot start with '{found}'", span,
                             "start with a clause such as name ~ \"login\"",
                             _fix(f"remove '{found}'", (span.start, span.end, "")))
            return _diag("ZQL115", f"'{found}' follows '{prev.text}' with no clause between",
                         span, "remove one of them or add a clause between",
                         _fix(f"remove '{found}'", (prev.end, span.end, "")))
        if kind in vocab.keywords:
            return _diag("ZQL122", f"'{found}' is a reserved word, not a field name", span,
                         _reserved_hint())
        if kind == "STRING":
            return _diag("ZQL122", "field names are not quoted", span,
                         f"write {json.loads(found) if _is_json(found) else found} without quotes")
        return _diag("ZQL199", f"expected a clause, found {_found(tok)}", span,
                     f"expected {vocab.expected(expected)}")
    if prev is not None and _is_value(prev) and kind in ("FIELD", "LPAR", "NOT", "STRING"):
        and_kw = vocab.keywords["AND"]
        return _diag("ZQL121", f"missing '{and_kw}' or '{vocab.keywords['OR']}' before "
                     f"{_found(tok)}", span, "join clauses with and / or",
                     _fix(f"insert {and_kw}", (span.start, span.start, f"{and_kw} ")))
    return _diag("ZQL199", f"unexpected {_found(tok)}", span,
                 f"expected {vocab.expected(expected)}")


def _inside_list(toks: list[_grammar.Tok]) -> bool:
    opened = _unmatched_open(toks)
    if opened is None:
        return False
    index = toks.index(opened)
    return index > 0 and toks[index - 1].type == "IN"


def _reserved_hint() -> str:
    words = ", ".join(_grammar.vocabulary().keywords.values())
    return f"reserved words ({words}) cannot be field names"


def _is_json(s: str) -> bool:
    try:
        json.loads(s)
    except ValueError:
        return False
    return True


def _depth(toks: list[_grammar.Tok]) -> int:
    depth = 0
    for tok in toks:
        depth += tok.type == "LPAR"
        depth -= tok.type == "RPAR"
    return depth


def _found(tok: Token) -> str:
    vocab = _grammar.vocabulary()
    if tok.type in vocab.keywords or tok.type in vocab.symbols:
        return f"'{tok}'"
    return f"{vocab.describe(tok.type)} {str(tok)!r}"
