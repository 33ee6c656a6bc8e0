"""What the tokenizer produces and where the parse loop stops: plain data, no behaviour.

This is a leaf module (it imports nothing from ``zql``), so the tokenizer, the parser, the
syntax-error explanations, completion and highlighting can all share these types without
importing each other.

A *raw token* is the tuple ``(type, text, start, end)`` the parse loop pushes on its value
stack: the grammar terminal's name, the text it matched and its code-point span. Tuples, not
objects, because the parse loop makes one per token and a tuple costs a tenth of an object.

A :class:`Lexeme` is a token classified for people (highlighting, completion, hovers): it adds
the token's ``kind``, one of :data:`TOKEN_KINDS`.

>>> Lexeme("FIELD", FIELD, "status", 0, 6).kind
'field'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

__all__ = [
    "COMMENT",
    "CONSTANT",
    "ERROR",
    "FIELD",
    "KEYWORD",
    "NUMBER",
    "OPERATOR",
    "PUNCT",
    "STRING",
    "TOKEN_KINDS",
    "WS",
    "Lexeme",
    "ParseStop",
    "RawToken",
]

#: Token kinds, used by highlighting, semantic tokens and completion.
KEYWORD, OPERATOR, PUNCT, FIELD, STRING, NUMBER, CONSTANT, COMMENT, WS, ERROR = (
    "keyword",
    "operator",
    "punctuation",
    "field",
    "string",
    "number",
    "constant",
    "comment",
    "whitespace",
    "error",
)

#: Every kind a :class:`Lexeme` can have.
TOKEN_KINDS: tuple[str, ...] = (
    KEYWORD, OPERATOR, PUNCT, FIELD, STRING, NUMBER, CONSTANT, COMMENT, WS, ERROR,
)

#: ``(terminal type, text, start, end)``: one token of the parse loop.
RawToken: TypeAlias = tuple[str, str, int, int]


@dataclass(frozen=True, slots=True)
class Lexeme:
    """A classified slice of query text: terminal ``type``, ``kind`` for colouring, position.

    Types are the grammar's terminal names, plus ``WS`` and ``COMMENT`` (trivia),
    ``UNTERMINATED`` (a string with no closing quote), ``BADSTRING`` (a closed string with a
    bad escape or control character) and ``ERROR`` (a character no terminal matches).

    >>> Lexeme("EQ", OPERATOR, "=", 2, 3).end
    3
    """

    type: str
    kind: str
    text: str
    start: int
    end: int


class ParseStop(Exception):
    """Where the parse loop stopped: a character no terminal matches (``token`` None), or a
    token the grammar does not allow there (``expected``: the terminals it would allow).

    >>> ParseStop(4).pos, ParseStop(0, ("$END", "", 0, 0), frozenset({"FIELD"})).token[0]
    (4, '$END')
    """

    def __init__(self, pos: int, token: RawToken | None = None,
                 expected: frozenset[str] = frozenset()) -> None:
        super().__init__(pos)
        self.pos, self.token, self.expected = pos, token, expected
