"""Keyword and operator spellings and token kinds, derived from the grammar's named terminals.

This is the only module that knows how keywords and operators are spelled. Highlighting,
completion, error messages and the formatter ask :func:`vocabulary`.

>>> v = vocabulary()
>>> v.keywords["AND"], v.op_text["IS_NOT"], v.terminal_kind["STRING"]
('and', 'is not', 'string')
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from zql._grammar_cache import analysis
from zql._tokens import COMMENT, CONSTANT, FIELD, KEYWORD, NUMBER, OPERATOR, PUNCT, STRING, WS

__all__ = ["OP_TERMINALS", "PATTERN_TERMINALS", "Vocabulary", "vocabulary"]

# Terminals whose spelling is a value rather than a connective (coloured as constants).
_CONSTANT_TERMINALS = frozenset({"TRUE", "FALSE", "EMPTY", "NULL"})
#: Terminals that spell clause operators, by the name of the ``zql.ast.Op`` they stand for
#: (``IS_NOT`` is ``IS`` followed by ``NOT``).
OP_TERMINALS = ("EQ", "NE", "CONTAINS", "NOT_CONTAINS", "IN", "IS")
#: Terminals that are patterns rather than fixed spellings, and their token kinds.
PATTERN_TERMINALS = {"FIELD": FIELD, "STRING": STRING, "NUMBER": NUMBER, "COMMENT": COMMENT,
                     "WS": WS}


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Spellings derived from the grammar's named terminals.

    >>> vocabulary().symbols["NE"], vocabulary().keyword_by_text["or"]
    ('!=', 'OR')
    """

    #: keyword terminal name -> lowercase spelling (reserved words)
    keywords: dict[str, str]
    #: lowercase spelling -> keyword terminal name
    keyword_by_text: dict[str, str]
    #: operator/punctuation terminal name -> spelling
    symbols: dict[str, str]
    #: clause operator name (``zql.ast.Op`` value) -> canonical spelling
    op_text: dict[str, str]
    #: terminal name -> token kind (keyword, operator, ...)
    terminal_kind: dict[str, str]


@functools.cache
def vocabulary() -> Vocabulary:
    """Derive keyword and operator spellings from the grammar (computed once).

    >>> sorted(vocabulary().keywords.values())
    ['and', 'empty', 'false', 'in', 'is', 'not', 'null', 'or', 'true']
    """
    word = re.compile(r"[a-z][a-z0-9_\-]*\Z", re.I)
    keywords: dict[str, str] = {}
    symbols: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for term in analysis()["terminals"]:
        name, spelled = term["name"], term["string"]
        if spelled is not None:
            text = spelled.lower()
            if word.match(text):
                keywords[name] = text
                kinds[name] = CONSTANT if name in _CONSTANT_TERMINALS else KEYWORD
            else:
                symbols[name] = text
                kinds[name] = OPERATOR if name in OP_TERMINALS else PUNCT
        elif name in PATTERN_TERMINALS:
            kinds[name] = PATTERN_TERMINALS[name]
    op_text = {name: (keywords.get(name) or symbols[name]) for name in OP_TERMINALS}
    op_text["IS_NOT"] = f"{keywords['IS']} {keywords['NOT']}"
    return Vocabulary(
        keywords=keywords,
        keyword_by_text={v: k for k, v in keywords.items()},
        symbols=symbols,
        op_text=op_text,
        terminal_kind=kinds,
    )
