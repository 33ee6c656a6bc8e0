"""The grammar file and Lark's analysis of it: the only module that imports Lark.

``grammar/zql.lark`` is the one copy of ZQL's syntax. Lark reads it here, once per grammar
text, and :func:`analyse` turns what Lark computed (terminal patterns and LALR(1) tables) into
plain data; :mod:`zql._grammar_cache` keeps that data as JSON, so a warm run never imports Lark.
:func:`lark_parser` is Lark's own parser of the same grammar, for the tests that use Lark as an
oracle (it is never used at run time).

The grammar is found next to this module in an installed wheel (``zql/zql.lark``, force-included
at build time) and in ``grammar/zql.lark`` of a source checkout.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lark import Lark, Token

__all__ = ["ANALYSIS_FORMAT", "analyse", "grammar_path", "grammar_text", "lark_parser"]

_HERE = Path(__file__).resolve().parent

#: Version of the data :func:`analyse` returns; part of the cache key (bump on any change).
ANALYSIS_FORMAT = 2


def grammar_path() -> Path:
    """Where the grammar was found: inside the package (wheel) or in the checkout.

    >>> grammar_path().name
    'zql.lark'
    """
    packaged = _HERE / "zql.lark"
    if packaged.is_file():
        return packaged
    return _HERE.parent / "grammar" / "zql.lark"


@functools.cache
def grammar_text() -> str:
    """The grammar source text.

    >>> "start:" in grammar_text()
    True
    """
    return grammar_path().read_text(encoding="utf-8")


def lark_parser(transformer: Any = None) -> Lark:
    """Lark's LALR parser of the grammar (the test oracle), built once per ``transformer``.

    Without a transformer it builds Lark parse trees; words spelling a keyword are that
    keyword, as in the parse loop.

    >>> lark_parser().options.parser
    'lalr'
    """
    return _lark_parser(transformer)


@functools.cache
def _lark_parser(transformer: Any) -> Lark:
    from lark import Lark

    keywords: dict[str, str] = {}  # filled once Lark has read the terminals

    def reserve(token: Token) -> Token:
        # Where the contextual lexer expects a field, a word spelling a keyword is still that
        # keyword: keywords are reserved, so `and = 1` is an error, not a field named "and".
        name = keywords.get(token.lower())
        if name is not None:
            token.type = name
        return token

    lark = Lark(grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=False,
                transformer=transformer, lexer_callbacks={"FIELD": reserve})
    keywords.update(_keywords(lark))
    return lark


def _keywords(lark: Lark) -> dict[str, str]:
    from lark.lexer import PatternStr

    return {t.pattern.value.lower(): t.name for t in lark.terminals
            if isinstance(t.pattern, PatternStr) and t.pattern.value.isalpha()}


def analyse(digest: str) -> dict[str, Any]:
    """Terminals, rules and LALR states of the grammar, as JSON-ready data (imports Lark).

    Each state maps a terminal or rule name to ``[1, next state]`` (shift, or the goto after a
    reduction) or ``[0, rule index]`` (reduce). A rule is ``[origin, alias, expand1, modes]``
    where ``modes`` says how each child is kept: 1 keep, 2 splice (an inlined ``_rule``), 0 drop.

    >>> data = analyse("x"); data["digest"], data["states"][str(data["start"])]["FIELD"][0]
    ('x', 1)
    """
    from lark import Lark
    from lark.grammar import NonTerminal
    from lark.lexer import PatternStr
    from lark.parsers.lalr_analysis import Shift

    lark = Lark(grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=False)
    table: Any = lark.parser.parser.parser.parse_table  # ParsingFrontend -> LALR_Parser -> _Parser
    rules: list[Any] = []
    index: dict[Any, int] = {}
    states: dict[str, dict[str, list[Any]]] = {}
    for state, actions in table.states.items():
        row: dict[str, list[Any]] = {}
        for name, (action, arg) in actions.items():
            if action is Shift:
                row[name] = [1, arg]
                continue
            if arg not in index:
                index[arg] = len(rules)
                modes = [2 if isinstance(sym, NonTerminal) and sym.name.startswith("_")
                         else 0 if getattr(sym, "filter_out", False) else 1
                         for sym in arg.expansion]
                alias = None if arg.alias is None else str(arg.alias)
                rules.append([str(arg.origin.name), alias, bool(arg.options.expand1), modes])
            row[name] = [0, index[arg]]
        states[str(state)] = row
    terminals = [
        {"name": t.name, "regexp": t.pattern.to_regexp(),
         "string": t.pattern.value if isinstance(t.pattern, PatternStr) else None}
        for t in lark.terminals
    ]
    return {
        "format": ANALYSIS_FORMAT, "digest": digest, "terminals": terminals, "rules": rules,
        "states": states, "start": table.start_states["start"], "end": table.end_states["start"],
    }
