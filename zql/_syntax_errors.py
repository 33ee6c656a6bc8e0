"""Why a query does not parse, in human words: the diagnostics behind ZQLSyntaxError.

The parse loop stops at the first token the grammar does not allow (or a character no
terminal matches) and says where in a :class:`~zql._tokens.ParseStop`; :func:`diagnose` looks
at the text around that point and names the offending text, what ZE accepts instead and, where
one is clear, a fix. :func:`recover` goes on after an error to find the next ones. Messages
never name grammar terminals: :func:`describe` and :func:`expected_phrase` put terminals into
English.

This module does not import the parser (the parser imports it), so the core stays a DAG.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator

from zql._lexer import Machine, scan
from zql._quote import quote
from zql._tokens import OPERATOR, Lexeme, ParseStop, RawToken
from zql._vocabulary import PATTERN_TERMINALS, vocabulary
from zql.errors import Diagnostic, Fix, Severity, Span, TextEdit

__all__ = ["describe", "diagnose", "expected_phrase", "recover"]

_ERR = Severity.ERROR

# Words for the terminals that are patterns rather than fixed spellings.
_PATTERN_WORDS = {
    "FIELD": "a field name",
    "STRING": "a quoted string",
    "NUMBER": "a number",
    "COMMENT": "a comment",
    "WS": "whitespace",
}
assert set(_PATTERN_WORDS) == set(PATTERN_TERMINALS)
# How far after the stop point diagnose() reads tokens (a `not in (…)` list to close, etc.).
_LOOK_AHEAD = 4096
#: Most syntax diagnostics :func:`recover` reports for one query (the rest would be noise).
MAX_SYNTAX_DIAGNOSTICS = 50


def _short(text: str, limit: int = 40) -> str:
    """Text quoted in a message, clipped: a message stays one readable line.

    >>> _short("x" * 50)
    'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(terminal: str) -> str:
    """Human words for a terminal, as used in "expected ..." messages.

    >>> describe("LPAR"), describe("STRING"), describe("$END")
    ("'('", 'a quoted string', 'the end of the query')
    """
    if terminal == "$END":
        return "the end of the query"
    if terminal in _PATTERN_WORDS:
        return _PATTERN_WORDS[terminal]
    vocab = vocabulary()
    spelled = vocab.keywords.get(terminal) or vocab.symbols.get(terminal)
    return f"'{spelled}'" if spelled is not None else terminal.lower()


def expected_phrase(terminals: set[str] | frozenset[str]) -> str:
    """A readable list of what may come, grouped the way people think of it.

    >>> expected_phrase({"STRING", "NUMBER", "TRUE", "FALSE"})
    'a value: a quoted string, a number, true or false'
    """
    vocab = vocabulary()
    names = set(terminals)
    parts: list[str] = []
    value_terms = {"STRING", "NUMBER", "TRUE", "FALSE"}
    if value_terms <= names:
        names -= value_terms
        parts.append("a value: a quoted string, a number, "
                     f"{vocab.keywords['TRUE']} or {vocab.keywords['FALSE']}")
    ops = {t for t in names if vocab.terminal_kind.get(t) == OPERATOR}
    if len(ops) > 1:
        names -= ops
        order = list(vocab.symbols)
        ordered = sorted(ops, key=lambda t: order.index(t) if t in order else len(order))
        parts.append("an operator (" + ", ".join(describe(t) for t in ordered) + ")")
    for t in sorted(names, key=lambda t: (t not in _PATTERN_WORDS, t)):
        parts.append(describe(t))
    if len(parts) == 1:
        return parts[0]
    return "{} or {}".format(", ".join(parts[:-1]), parts[-1])  # English "or", not the keyword

def _diag(code: str, message: str, span: Span, hint: str | None = None,
          *fixes: Fix) -> Diagnostic:
    return Diagnostic(code, _ERR, message, span, hint, tuple(fixes))


def _fix(title: str, *edits: tuple[int, int, str], safe: bool = True) -> Fix:
    return Fix(title, tuple(TextEdit(Span(a, b), t) for a, b, t in edits), safe)


def diagnose(text: str, stop: ParseStop) -> Diagnostic:
    """Turn where the parse stopped into one precise, human diagnostic.

    >>> diagnose("a = @", ParseStop(4)).code
    'ZQL103'
    """
    # Tokens up to a little after the stop: enough for every explanation, and bounded work
    # however long the text after the error is (recovery diagnoses up to 50 stops).
    window = min(len(text), stop.pos + _LOOK_AHEAD)
    toks = [t for t in scan(text, 0, window) if t.kind not in ("whitespace", "comment")]
    foreign = _foreign_construct(text, toks, stop.pos)
    if foreign is not None:
        return foreign
    if stop.token is None:
        return _bad_character(text, stop.pos)
    if stop.token[0] == "$END":
        return _unexpected_end(text, toks, set(stop.expected))
    return _unexpected_token(text, toks, stop.token, set(stop.expected))


def _foreign_construct(text: str, toks: list[Lexeme], pos: int) -> Diagnostic | None:
    """Constructs of SQL or Zephyr Squad's ZQL that ZE does not have, at or before the error."""
    vocab = vocabulary()
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
                _fix("remove ORDER BY", (toks[i - 1].end if i else tok.start, len(text), ""),
                     safe=False),
            )
        if tok.type == "NOT" and nxt and nxt.type == "IN" and i and toks[i - 1].type == "FIELD":
            field = toks[i - 1]
            close = _matching_paren(toks, i + 2)
            fixes: list[Fix] = []
            items = [t.text for t in toks[i + 3:] if close is not None and t.end < close.end
                     and t.type not in ("COMMA", "WS", "COMMENT")]
            if close is not None and items:
                # The form the linter prefers (ZQL303 flags `not (…)`): one != per value.
                ne = f" {vocab.keywords['AND']} ".join(f"{field.text} != {v}" for v in items)
                whole = field.start == toks[0].start and close.end == toks[-1].end
                fixes.append(_fix("rewrite as != clauses", (
                    field.start, close.end, ne if whole or len(items) == 1 else f"({ne})")))
            return _diag(
                "ZQL112", "ZE has no 'not in'",
                Span(tok.start, nxt.end),
                f"use not ({(name := _short(field.text))} in (…)), or {name} != … for each value",
                *fixes,
            )
        if tok.type == "EQ" and nxt and nxt.type == "EQ" and nxt.start == tok.end:
            return _diag("ZQL110", "'==' is not a ZQL operator; ZE compares with a single '='",
                         Span(tok.start, nxt.end), "write =",
                         _fix("use =", (tok.start, nxt.end, "=")))
    return None


def _matching_paren(toks: list[Lexeme], index: int) -> Lexeme | None:
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
            "ZQL109", f"ZE has no '{_short(op)}' comparison", Span(pos, pos + width),
            "ZQL compares with =, !=, ~, !~, in (…) and is [not] empty; "
            "list the values you want with in (…)",
        )
    if ch in "&|":
        width = 2 if text[pos + 1 : pos + 2] == ch else 1
        word = vocabulary().keywords["AND" if ch == "&" else "OR"]
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
                 "close the string with a double quote",
                 _fix("close the string", (end, end, '"'), safe=False))


def _is_value(tok: Lexeme) -> bool:
    return tok.type in ("STRING", "NUMBER", "TRUE", "FALSE", "EMPTY", "NULL", "RPAR")


def _unmatched_open(toks: list[Lexeme]) -> Lexeme | None:
    stack: list[Lexeme] = []
    for tok in toks:
        if tok.type == "LPAR":
            stack.append(tok)
        elif tok.type == "RPAR" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _unexpected_end(text: str, toks: list[Lexeme], expected: set[str]) -> Diagnostic:
    vocab = vocabulary()
    end = Span(len(text), len(text))
    if not toks:
        return _diag("ZQL100", "empty query", end,
                     'write a clause such as name ~ "login"')
    last = toks[-1]
    last_span = Span(last.start, last.end)
    if last.type in ("AND", "OR", "NOT"):
        return _diag("ZQL114", f"query ends after '{_short(last.text)}'", last_span,
                     "add a clause after it, or remove it",
                     _fix(f"remove '{_short(last.text)}'", (_prev_end(toks, -1), last.end, ""),
                          safe=False))
    if "STRING" in expected or "NUMBER" in expected:
        return _diag("ZQL104", f"missing value after '{_short(last.text)}'", last_span,
                     f"expected {expected_phrase(expected)}")
    if last.type == "IN" or expected == {"LPAR"}:
        return _diag("ZQL118", f"'{_short(last.text)}' needs a list in parentheses", last_span,
                     'write in ("a", "b")')
    if last.type in ("IS", "NOT") or expected & {"EMPTY", "NULL"}:
        return _diag("ZQL120", f"missing {vocab.keywords['EMPTY']} after '{_short(last.text)}'",
                     last_span,
                     f"write is {vocab.keywords['EMPTY']} or is not {vocab.keywords['EMPTY']}")
    if "RPAR" in expected:
        opened = _unmatched_open(toks)
        if opened is not None:
            return _diag("ZQL116", "'(' is never closed", Span(opened.start, opened.end),
                         "add the missing ')'",
                         _fix("close it", (len(text), len(text), ")"), safe=False))
    if "EQ" in expected or "CONTAINS" in expected:
        return _diag("ZQL105", f"missing operator after field '{_short(last.text)}'", last_span,
                     f"expected {expected_phrase(expected)}")
    return _diag("ZQL199", "the query ends too early", last_span,
                 f"expected {expected_phrase(expected)}")


def _prev_end(toks: list[Lexeme], index: int) -> int:
    i = index % len(toks)
    return toks[i - 1].end if i > 0 else toks[i].start


def _unexpected_token(
    text: str, toks: list[Lexeme], tok: RawToken, expected: set[str]
) -> Diagnostic:
    vocab = vocabulary()
    kind, found, start, _end = tok
    span = Span(start, _end)
    before = [t for t in toks if t.end <= start]
    prev = before[-1] if before else None
    value_expected = "STRING" in expected or "NUMBER" in expected

    if kind == "RPAR" and _depth(before) <= 0:
        return _diag("ZQL117", "')' has no matching '('", span, "remove it or add the '('",
                     _fix("remove it", (span.start, span.end, ""), safe=False))
    if kind == "RPAR" and prev is not None and prev.type == "LPAR":
        return _diag("ZQL106", "empty list: '()' holds nothing", Span(prev.start, span.end),
                     "ZQL lists need at least one value: in (\"a\", \"b\")")
    if value_expected:
        op = prev.text if prev else "the operator"
        if kind == "FIELD":
            quoted = quote(found)
            return _diag("ZQL107", f"bare word '{_short(found)}' is not a value", span,
                         f"values are quoted in ZE: {_short(quoted)}",
                         _fix("quote it", (span.start, span.end, quoted)))
        if kind == "LPAR":
            in_kw = vocab.keywords["IN"]
            fixes = [] if prev is None else [_fix(f"use {in_kw}", (prev.start, prev.end, in_kw))]
            return _diag("ZQL119", f"a list needs '{in_kw}', not '{_short(op)}'", span,
                         f"write field {in_kw} (…)", *fixes)
        if kind == "NUMBER" and "NUMBER" not in expected:
            quoted = quote(found)
            return _diag("ZQL124", f"'{_short(op)}' compares text; the value must be a quoted "
                         "string", span, f"write {_short(quoted)}",
                         _fix("quote it", (span.start, span.end, quoted)))
        if kind in ("TRUE", "FALSE") and "TRUE" not in expected:
            return _diag("ZQL124", f"'{_short(op)}' compares text; the value must be a quoted "
                         "string",
                         span, f'write "{found}"')
        if kind in ("EMPTY", "NULL"):
            return _diag("ZQL120", f"'{found}' goes with 'is': field is {found.lower()}", span,
                         f"write is {vocab.keywords['EMPTY']} / is not {vocab.keywords['EMPTY']}")
        return _diag("ZQL104", f"missing value after '{_short(op)}'",
                     Span(prev.start, prev.end) if prev else span,
                     f"expected {expected_phrase(expected)}, found {_found(tok)}")
    if expected == {"LPAR"}:
        keyword = prev.text if prev else vocab.keywords["IN"]
        return _diag("ZQL118", f"'{_short(keyword)}' needs a list in parentheses",
                     span, f"write {vocab.keywords['IN']} ({_short(found)})",
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
        return _diag("ZQL105", f"missing operator after field '{_short(name)}'", span,
                     f"expected {expected_phrase(expected)}, found {_found(tok)}")
    if "FIELD" in expected:
        if prev is not None and prev.kind in ("keyword", "constant") and kind in vocab.symbols:
            return _diag("ZQL122", f"'{_short(prev.text)}' is a reserved word, not a field name",
                         Span(prev.start, prev.end),
                         _reserved_hint())
        if kind in ("AND", "OR") or (kind == "NOT" and prev is not None and prev.type == "NOT"):
            if prev is None:
                return _diag("ZQL115", f"query cannot start with '{_short(found)}'", span,
                             "start with a clause such as name ~ \"login\"",
                             _fix(f"remove '{found}'", (span.start, span.end, ""), safe=False))
            return _diag("ZQL115", f"'{found}' follows '{prev.text}' with no clause between",
                         span, "remove one of them or add a clause between",
                         _fix(f"remove '{_short(found)}'", (prev.end, span.end, ""), safe=False))
        if kind in vocab.keywords:
            return _diag("ZQL122", f"'{_short(found)}' is a reserved word, not a field name", span,
                         _reserved_hint())
        if kind == "STRING":
            return _diag("ZQL122", "field names are not quoted", span,
                         f"write {_short(json.loads(found) if _is_json(found) else found)} "
                         "without quotes")
        return _diag("ZQL199", f"expected a clause, found {_found(tok)}", span,
                     f"expected {expected_phrase(expected)}")
    if prev is not None and _is_value(prev) and kind in ("FIELD", "LPAR", "NOT", "STRING"):
        and_kw = vocab.keywords["AND"]
        return _diag("ZQL121", f"missing '{and_kw}' or '{vocab.keywords['OR']}' before "
                     f"{_found(tok)}", span, "join clauses with and / or",
                     _fix(f"insert {and_kw}", (span.start, span.start, f"{and_kw} "), safe=False))
    return _diag("ZQL199", f"unexpected {_found(tok)}", span,
                 f"expected {expected_phrase(expected)}")


def _inside_list(toks: list[Lexeme]) -> bool:
    opened = _unmatched_open(toks)
    if opened is None:
        return False
    index = toks.index(opened)
    return index > 0 and toks[index - 1].type == "IN"


def _reserved_hint() -> str:
    words = ", ".join(vocabulary().keywords.values())
    return f"reserved words ({words}) cannot be field names"


def _is_json(s: str) -> bool:
    try:
        json.loads(s)
    except ValueError:
        return False
    return True


def _depth(toks: list[Lexeme]) -> int:
    depth = 0
    for tok in toks:
        depth += tok.type == "LPAR"
        depth -= tok.type == "RPAR"
    return depth


def _found(tok: RawToken) -> str:
    vocab = vocabulary()
    if tok[0] in vocab.keywords or tok[0] in vocab.symbols:
        return f"'{tok[1]}'"
    return f"{describe(tok[0])} {_short(tok[1])!r}"


# --------------------------------------------------------------------------- error recovery

_CONNECTIVES = frozenset({"AND", "OR", "NOT"})


def recover(text: str, first: Diagnostic,
            stop_at: Callable[[str], ParseStop | None]) -> list[Diagnostic]:
    """Every syntax error of ``text``: ``first`` (the parser's), then one per later broken term.

    After each error, reading resynchronises just after the next ``and``, ``or`` or ``not``
    (a ``not`` that follows ``is`` belongs to its clause) or ``)`` that follows it: the text
    before that point is blanked out (unmatched ``(`` kept, so offsets and nesting stay) and
    ``stop_at`` — the parse loop — runs again. Bounded: at most
    :data:`MAX_SYNTAX_DIAGNOSTICS`, and each round starts further right.

    >>> from zql.parser import parse_all
    >>> [d.span.start for d in parse_all('a = = 1 and (b = 2 c = 3) or d ~').diagnostics]
    [2, 19, 31]
    """
    found = [first]
    masked = text
    opened: list[int] = []  # unmatched "(" before the resync point, kept in the masked text
    done = 0  # text before this has been read for parentheses
    stop = stop_at(text)
    while stop is not None and len(found) < MAX_SYNTAX_DIAGNOSTICS:
        resync = _resync_point(masked, stop.pos, found[-1].span.end)
        if resync is None:
            break  # no connective or ")" after the error with a term after it
        for tok in _significant(text, done, resync):  # each part of the text is read once
            if tok.type == "LPAR":
                opened.append(tok.start)
            elif tok.type == "RPAR" and opened:
                opened.pop()
        done = resync
        masked = _blank_before(text, resync, opened)
        stop = stop_at(masked)
        if stop is None or stop.pos < resync:
            break
        found.append(diagnose(masked, stop))
    return found


def _significant(text: str, start: int, end: int | None = None) -> Iterator[Lexeme]:
    return (t for t in scan(text, start, end) if t.kind not in ("whitespace", "comment"))


def _resync_point(text: str, pos: int, covered: int) -> int | None:
    """Where reading starts again after an error at ``pos``: just after the first connective
    or ``)`` that ends at or after ``covered`` (the end of the last diagnostic: ``not in`` is
    one error) and any ``and``/``or`` right after it, provided a term can start there
    (otherwise the text after it is part of the same mistake, and the next point is taken).
    None if there is no such point."""
    starts = _term_starts()
    toks = _significant(text, pos)  # lazily: most errors resynchronise a few tokens on
    previous: str | None = None
    tok = next(toks, None)
    while tok is not None:
        connective = tok.type in _CONNECTIVES and not (tok.type == "NOT" and previous == "IS")
        if (connective or tok.type == "RPAR") and tok.end >= covered:
            point = tok.end
            nxt = next(toks, None)
            while nxt is not None and nxt.type in ("AND", "OR"):
                point, nxt = nxt.end, next(toks, None)
            if nxt is None:
                return None
            if nxt.type in starts:
                return point
            previous, tok = None, nxt  # the same mistake goes on: look further
            continue
        previous, tok = tok.type, next(toks, None)
    return None


@functools.cache
def _term_starts() -> frozenset[str]:
    """The terminals a query (and so any term) may start with: a field, ``(``, ``not``."""
    return Machine().accepts() - {"$END"}


def _blank_before(text: str, point: int, keep: list[int]) -> str:
    """``text`` with everything before ``point`` blanked except newlines and the ``(`` at
    ``keep`` (ascending offsets); the offsets of everything stay."""
    head = "\n".join(" " * len(line) for line in text[:point].split("\n"))
    pieces, last = [], 0
    for at in keep:
        pieces += [head[last:at], "("]
        last = at + 1
    pieces += [head[last:], text[point:]]
    return "".join(pieces)
