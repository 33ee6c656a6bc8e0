"""Syntax highlighting: a pygments lexer generated from the grammar's terminals.

There is no keyword list here. :func:`zql._lexer.tokenize` (the parser's own tokenizer) reads
the text exactly as the parser does (so ``"x"andname`` shows ``and`` as a keyword), then scans
whatever follows a syntax error tolerantly, so half-typed input (an open string, a stray ``@``)
still colours. Each token's kind comes from its terminal (:attr:`Vocabulary.terminal_kind`) and
:data:`PYGMENTS_TYPES` maps kinds to pygments token types. :func:`token_kinds` gives the same
kinds as plain ranges, for the language server's semantic tokens.

``ZQLLexer`` is registered as the pygments entry point ``zql`` (``pygmentize -l zql``, files
``*.zql``).

>>> from pygments import highlight
>>> from pygments.formatters import NullFormatter
>>> highlight('status = "Fail"', ZQLLexer(), NullFormatter())
'status = "Fail"\\n'
"""

from __future__ import annotations

from collections.abc import Iterator

from pygments.lexer import Lexer  # type: ignore[import-untyped]
from pygments.token import (  # type: ignore[import-untyped]
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from zql import _lexer, _tokens

__all__ = ["PYGMENTS_TYPES", "TOKEN_KINDS", "ZQLLexer", "token_kinds"]

#: Every token kind the tokenizer produces (see :mod:`zql._tokens`).
TOKEN_KINDS: tuple[str, ...] = _tokens.TOKEN_KINDS

#: Token kind -> pygments token type (total over :data:`TOKEN_KINDS`; an open string is a
#: string).
PYGMENTS_TYPES: dict[str, _TokenType] = {
    _tokens.KEYWORD: Keyword,
    _tokens.OPERATOR: Operator,
    _tokens.PUNCT: Punctuation,
    _tokens.FIELD: Name.Attribute,
    _tokens.STRING: String.Double,
    _tokens.NUMBER: Number,
    _tokens.CONSTANT: Keyword.Constant,
    _tokens.COMMENT: Comment.Single,
    _tokens.WS: Whitespace,
    _tokens.ERROR: Error,
}


def token_kinds(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` for every token but whitespace, in order; never raises.

    Offsets are code points. Kinds are those of :data:`TOKEN_KINDS`; an unterminated string is
    a ``string``, a character no terminal matches an ``error``.

    >>> token_kinds('a="x"and b ~ "y  # no closing quote')
    [(0, 1, 'field'), (1, 2, 'operator'), (2, 5, 'string'), (5, 8, 'keyword'), \
(9, 10, 'field'), (11, 12, 'operator'), (13, 35, 'string')]
    """
    return [(start, end, kind) for _type, kind, _text, start, end in _lexer.classified(text)
            if kind != _tokens.WS]


class ZQLLexer(Lexer):  # type: ignore[misc]
    """Pygments lexer for ZQL, driven by the grammar (``pygments.lexers.get_lexer_by_name("zql")``).

    >>> [(str(t), v) for _, t, v in ZQLLexer().get_tokens_unprocessed("tag in (1,@")]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('Token.Name.Attribute', 'tag'), ('Token.Text.Whitespace', ' '), ('Token.Keyword', 'in'),
     ('Token.Text.Whitespace', ' '), ('Token.Punctuation', '('),
     ('Token.Literal.Number', '1'), ('Token.Punctuation', ','), ('Token.Error', '@')]
    """

    name = "ZQL"
    aliases = ["zql"]  # noqa: RUF012 - pygments reads these class attributes as lists
    filenames = ["*.zql"]  # noqa: RUF012
    mimetypes = ["text/x-zql"]  # noqa: RUF012

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, _TokenType, str]]:
        """Yield ``(offset, token type, text)`` covering ``text`` exactly.

        >>> list(ZQLLexer().get_tokens_unprocessed("# hi"))
        [(0, Token.Comment.Single, '# hi')]
        """
        for _type, kind, value, start, _end in _lexer.classified(text):
            yield start, PYGMENTS_TYPES[kind], value
