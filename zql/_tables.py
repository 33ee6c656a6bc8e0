"""The grammar's LALR tables and token pattern, ready to drive (from the cached analysis).

:func:`tables` turns the cached JSON (:func:`zql._grammar_cache.analysis`) into what the parse
loop (:mod:`zql.parser`), the tokenizer (:mod:`zql._lexer`) and completion need: an action
table with integer-coded actions, one compiled pattern that skips trivia and matches one token,
and per state the keywords acceptable there. Nothing here knows about the AST: the parser binds
its own reducers to the rule indexes.

>>> t = tables(); t.start in t.actions
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from zql._grammar_cache import analysis
from zql._vocabulary import vocabulary

__all__ = ["REDUCE", "SHIFT", "UNIT", "Rule", "Tables", "tables"]

#: Action codes: shift to (or, after a reduction, go to) a state; reduce by a rule; a collapsed
#: chain of unit reductions (argument: state beneath -> final state).
SHIFT, REDUCE, UNIT = 0, 1, 2

#: ``(origin, alias, expand1, modes)``; modes per child: 1 keep, 2 splice, 0 drop.
Rule: TypeAlias = tuple[str, "str | None", bool, tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class Tables:
    """LALR actions, rules and the token pattern of the grammar.

    ``actions[state][name]`` is ``(SHIFT, next state)``, ``(REDUCE, (child count, rule index,
    rule name))`` or ``(UNIT, {state beneath: final state})``; nonterminal gotos are shifts.
    ``pattern`` skips whitespace and comments, then matches one token into a group named after
    its terminal (``WORD`` for a field or keyword); ``alternatives`` is its token part alone.
    ``keyword_prefixes`` lists, per state, the
    keywords acceptable there (longest first), so a word glued to a keyword (``"x"andname``)
    splits exactly as Lark's contextual lexer splits it.
    """

    actions: dict[int, dict[str, tuple[int, Any]]]
    rules: tuple[Rule, ...]
    start: int
    end: int
    pattern: re.Pattern[str]
    trivia: re.Pattern[str]
    alternatives: str
    ws_regexp: str
    comment_regexp: str
    keyword_prefixes: dict[int, tuple[tuple[str, str], ...]]

    def matcher(self, text: str, pos: int) -> Callable[[], re.Match[str] | None]:
        """Successive token matches of :attr:`pattern` from ``pos`` (one ``re`` scanner).

        >>> m = tables().matcher("a = 1", 0); [m().lastgroup, m().lastgroup, m().lastgroup, m()]
        ['WORD', 'EQ', 'NUMBER', None]
        """
        scanner: Any = self.pattern.scanner(text, pos)  # type: ignore[attr-defined]
        match: Callable[[], re.Match[str] | None] = scanner.match
        return match


@functools.cache
def tables() -> Tables:
    """Parse tables and the token pattern (built once per process).

    >>> t = tables(); t.pattern.match('  # c\\n "x" and').lastgroup
    'STRING'
    """
    data = analysis()
    regexps = {t["name"]: t["regexp"] for t in data["terminals"]}
    vocab = vocabulary()
    trivia = f"(?:{regexps['WS']})|(?:{regexps['COMMENT']})"
    parts = [f"(?P<{name}>{regexps[name]})" for name in ("STRING", "NUMBER")]
    parts.append(f"(?P<WORD>{regexps['FIELD']})")
    parts += [f"(?P<{name}>{re.escape(text)})"
              for name, text in sorted(vocab.symbols.items(), key=lambda kv: -len(kv[1]))]
    alternatives = "|".join(parts)
    codes = {0: REDUCE, 1: SHIFT, 2: UNIT}
    actions: dict[int, dict[str, tuple[int, Any]]] = {}
    for state, row in data["states"].items():
        out: dict[str, tuple[int, Any]] = {}
        actions[int(state)] = out
        for name, (code, arg) in row.items():
            if code == 0:
                origin, _alias, _expand1, modes = data["rules"][arg]
                out[name] = (REDUCE, (len(modes), arg, origin))
            elif code == 2:
                out[name] = (UNIT, {int(k): v for k, v in arg.items()})
            else:
                out[name] = (codes[code], arg)
    prefixes = {
        state: tuple(sorted(((text, name) for name, text in vocab.keywords.items()
                             if name in row), key=lambda kv: -len(kv[0])))
        for state, row in actions.items()
    }
    rules = tuple((o, a, bool(e), tuple(m)) for o, a, e, m in data["rules"])
    return Tables(
        actions=actions,
        rules=rules,
        start=int(data["start"]),
        end=int(data["end"]),
        # Possessive: trivia never backtracks, so a long run of spaces cannot blow up.
        pattern=re.compile(f"(?:{trivia})*+(?:{alternatives})"),
        trivia=re.compile(trivia),
        alternatives=alternatives,
        ws_regexp=regexps["WS"],
        comment_regexp=regexps["COMMENT"],
        keyword_prefixes=prefixes,
    )
