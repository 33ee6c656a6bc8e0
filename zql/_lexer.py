"""The one tokenizer: the parser, completion, highlighting and semantic tokens all read with it.

Everything comes from the cached grammar tables (:func:`zql._tables.tables`), so no part of
the toolkit imports Lark at run time. Three entry points, one set of rules:

- :func:`read_token` reads one token where the parser stands. Given the LALR state, a word
  that is not acceptable there is cut after an acceptable keyword it starts with, exactly as
  Lark's contextual lexer cuts it (``"x"andname`` is ``and`` + ``name``). The parse loop in
  :mod:`zql.parser` runs the same two steps inline (one regular-expression match, then
  :func:`classify_word` for words); a differential test keeps them equal.
- :func:`tokenize` reads a whole text as the parser reads it (a :class:`Machine` follows the
  LALR state), keeping whitespace and comments; after the first token the grammar refuses it
  goes on with :func:`scan`. Highlighting and the language server's semantic tokens use it.
- :func:`scan` reads any text without context and never fails: strings the grammar rejects
  (``UNTERMINATED``, ``BADSTRING``) and stray characters (``ERROR``) become tokens too.

A UTF-8 byte order mark (U+FEFF) at offset 0 is trivia, as editors treat it.

>>> [(t.type, t.text) for t in tokenize('a="x"andb="y"') if t.kind != "whitespace"]
[('FIELD', 'a'), ('EQ', '='), ('STRING', '"x"'), ('AND', 'and'), ('FIELD', 'b'), \
('EQ', '='), ('STRING', '"y"')]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any

from zql._tables import REDUCE, SHIFT, tables
from zql._tokens import COMMENT, ERROR, STRING, WS, Lexeme, RawToken
from zql._vocabulary import vocabulary

__all__ = ["BOM", "Machine", "classified", "classify_word", "read_token", "scan", "tokenize"]

#: The byte order mark some editors put at the start of a file; trivia at offset 0.
BOM = "\ufeff"

# Scanner-only types for strings the grammar rejects; coloured as strings all the same.
_BAD_STRINGS = frozenset({"UNTERMINATED", "BADSTRING"})


def classify_word(value: str, row: Mapping[str, Any] | None,
                  prefixes: tuple[tuple[str, str], ...] = ()) -> tuple[str, str]:
    """The terminal a word is, and the text it takes: the one rule for words.

    A word spelling a keyword (any case) is that keyword: keywords are reserved. Where the
    parser's state ``row`` does not accept the word's terminal, a keyword of ``prefixes`` (the
    state's acceptable keywords) that the word starts with is cut off instead.

    >>> classify_word("AND", None), classify_word("status", None)
    (('AND', 'AND'), ('FIELD', 'status'))
    >>> classify_word("andname", {"AND": 0}, (("and", "AND"),))
    ('AND', 'and')
    """
    kind = vocabulary().keyword_by_text.get(value.lower(), "FIELD")
    if row is not None and kind not in row:
        low = value.lower()
        for kw_text, kw_name in prefixes:
            if low.startswith(kw_text):
                return kw_name, value[: len(kw_text)]
    return kind, value


def read_token(text: str, pos: int, state: int | None = None,
               stop: int | None = None) -> RawToken | None:
    """The next token at or after ``pos`` (whitespace and comments skipped), or None.

    None means nothing the grammar knows starts after the trivia: the end of the text (or of
    ``stop``), an unterminated string or a stray character. With ``state`` (an LALR state)
    words split as the parser splits them there.

    >>> read_token('  status = "Fail"', 0)
    ('FIELD', 'status', 2, 8)
    >>> read_token('x = @', 3) is None
    True
    """
    t = tables()
    m = t.pattern.match(text, pos, len(text) if stop is None else stop)
    if m is None:
        return None
    group = m.lastgroup or ""
    start = m.start(group)
    value = m.group(group)
    if group != "WORD":
        return group, value, start, m.end()
    row = None if state is None else t.actions[state]
    kind, value = classify_word(value, row, () if state is None else t.keyword_prefixes[state])
    return kind, value, start, start + len(value)


class Machine:
    """An LALR state stack over the grammar's tables, without values; feeding never raises.

    >>> m = Machine()
    >>> m.feed("FIELD"), sorted(m.accepts())
    (True, ['CONTAINS', 'EQ', 'IN', 'IS', 'NE', 'NOT_CONTAINS'])
    >>> m.feed("RPAR")
    False
    """

    __slots__ = ("stack",)

    def __init__(self, stack: list[int] | None = None) -> None:
        self.stack = stack if stack is not None else [tables().start]

    @property
    def state(self) -> int:
        """The current parser state (its keyword prefixes drive the contextual word split).

        >>> Machine().state == tables().start
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
        t = tables()
        return _shift(t.actions, t.end, self.stack, terminal)

    def accepts(self) -> frozenset[str]:
        """Terminals that may come next (``$END`` when the text may end here).

        >>> sorted(Machine().accepts())
        ['FIELD', 'LPAR', 'NOT']
        """
        row = tables().actions[self.stack[-1]]
        return frozenset(name for name in row
                         if name.isupper() and Machine(list(self.stack)).feed(name))


@functools.cache
def _tolerant() -> re.Pattern[str]:
    """One token or one piece of trivia, never failing (the ERROR alternative takes any char)."""
    t = tables()
    return re.compile(
        f"(?P<WS>{t.ws_regexp})|(?P<COMMENT>{t.comment_regexp})|{t.alternatives}"
        # A closed string the grammar rejects (a bad escape, a control character) still ends
        # at its closing quote, so the rest of the line is not taken for string text.
        r"|(?P<BADSTRING>\"(?:[^\"\\\n]|\\.)*\")|(?P<UNTERMINATED>\"(?:[^\"\\\n]|\\.)*)"
        r"|(?P<ERROR>.)",
        re.S,
    )


def scan(text: str, start: int = 0, end: int | None = None) -> Iterator[Lexeme]:
    """Tokenise any text without context and without ever failing; trivia included.

    Used where no parser state is at hand: messages, lint, hovers, completion restarts.

    >>> [(t.type, t.text) for t in scan('a = "x" AND b ~ "y') if t.kind != "whitespace"]
    [('FIELD', 'a'), ('EQ', '='), ('STRING', '"x"'), ('AND', 'AND'), ('FIELD', 'b'), \
('CONTAINS', '~'), ('UNTERMINATED', '"y')]
    """
    kinds = vocabulary().terminal_kind
    pattern = _tolerant()
    stop = len(text) if end is None else end
    pos = start
    if pos == 0 < stop and text[0] == BOM:
        yield Lexeme("BOM", WS, BOM, 0, 1)
        pos = 1
    while pos < stop:
        m = pattern.match(text, pos, stop)
        if m is None:  # pragma: no cover - the ERROR alternative matches any character
            break
        name = m.lastgroup or "ERROR"
        value = m.group()
        if name == "WORD":
            name = classify_word(value, None)[0]
        kind = kinds.get(name, STRING if name in _BAD_STRINGS else ERROR)
        yield Lexeme(name, kind, value, pos, m.end())
        pos = m.end()


def tokenize(text: str) -> list[Lexeme]:
    """Every token of ``text`` as the parser reads it, then tolerantly; trivia included.

    Glued text splits as in the parser (``"x"andname`` is ``and`` + ``name``); from the first
    token the grammar does not allow on, the rest is :func:`scan`-ned. The tokens cover the
    text exactly, in order.

    >>> [t.text for t in tokenize('tag in (1,@')]
    ['tag', ' ', 'in', ' ', '(', '1', ',', '@']
    """
    return [Lexeme(*tok) for tok in classified(text)]


def classified(text: str) -> Iterator[tuple[str, str, str, int, int]]:
    """:func:`tokenize` as plain tuples ``(type, kind, text, start, end)`` (no objects).

    Highlighting and semantic tokens use this: it costs about one parse of the text.

    >>> [k for _t, k, _x, _s, _e in classified('a = "x" # c')]
    ['field', 'whitespace', 'operator', 'whitespace', 'string', 'whitespace', 'comment']
    """
    t = tables()
    kinds, actions, end_state = vocabulary().terminal_kind, t.actions, t.end
    keyword_by_text, prefixes = vocabulary().keyword_by_text, t.keyword_prefixes
    trivia = t.trivia.finditer
    stack = [t.start]
    pos = 0
    if text.startswith(BOM):
        yield "BOM", WS, BOM, 0, 1
        pos = 1
    next_match = t.matcher(text, pos)
    while (m := next_match()) is not None:
        kind = m.lastgroup or ""
        start, end = m.span(kind)
        value = text[start:end]
        if kind == "WORD":
            kind = keyword_by_text.get(value.lower(), "FIELD")
            if kind not in actions[stack[-1]]:
                kind, value = classify_word(value, actions[stack[-1]], prefixes[stack[-1]])
                if start + len(value) != end:
                    end = start + len(value)
                    next_match = t.matcher(text, end)
        if not _shift(actions, end_state, stack, kind):
            break
        for gap in trivia(text, pos, start):
            yield ("COMMENT", COMMENT, gap.group(), gap.start(), gap.end()) if text[gap.start()] \
                == "#" else ("WS", WS, gap.group(), gap.start(), gap.end())
        yield kind, kinds.get(kind, ERROR), value, start, end
        pos = end
    for lex in scan(text, pos):
        yield lex.type, lex.kind, lex.text, lex.start, lex.end


def _shift(actions: dict[int, dict[str, tuple[int, Any]]], end_state: int, stack: list[int],
           terminal: str) -> bool:
    """One :meth:`Machine.feed` step on a bare stack (the tokenizer's hot path)."""
    while True:
        step = actions[stack[-1]].get(terminal)
        if step is None:
            return False
        code, arg = step
        if code == SHIFT:
            stack.append(arg)
            return True
        if code == REDUCE:
            count, _rule, origin = arg
            del stack[-count:]
            stack.append(actions[stack[-1]][origin][1])
            if terminal == "$END" and stack[-1] == end_state:
                return True
        else:  # a collapsed chain of unit reductions
            stack[-1] = arg[stack[-2]]
