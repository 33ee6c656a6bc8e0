"""The grammar's analysis, cached as JSON so that a warm run never imports Lark.

Importing Lark and analysing the grammar takes longer than a whole ``zql lint`` run should. The
analysis (:func:`zql._grammar.analyse`: terminal patterns and LALR tables) is plain data, so it
is computed once per grammar text and kept in ``$XDG_CACHE_HOME/zql/`` (default
``~/.cache/zql/``) under a checksum of the grammar text and :data:`~zql._grammar.ANALYSIS_FORMAT`.
Before it is stored, chains of unit reductions are collapsed (:func:`collapse_unit_chains`).
JSON, not pickle: a cache file must never be able to run code. A missing, corrupt or unwritable
cache only costs time.
"""

from __future__ import annotations

import functools
import json
import os
import zlib
from pathlib import Path
from typing import Any

from zql._grammar import ANALYSIS_FORMAT, analyse, grammar_text

__all__ = ["analysis", "collapse_unit_chains", "terminal_regexp"]


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "zql"


@functools.cache
def analysis() -> dict[str, Any]:
    """Terminals and LALR tables of the grammar: from the cache, else computed with Lark.

    >>> sorted(analysis())[:3]
    ['digest', 'end', 'format']
    """
    # A checksum, not a security boundary: the cache only says what this grammar text means.
    text = grammar_text().encode("utf-8")
    digest = f"{zlib.crc32(text):08x}{len(text):x}v{ANALYSIS_FORMAT}"
    path = _cache_dir() / f"grammar-{digest}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if data.get("digest") == digest and data.get("format") == ANALYSIS_FORMAT:
            return data
    except (OSError, ValueError):
        pass  # missing, unreadable or stale: recompute
    data = collapse_unit_chains(analyse(digest))
    from zql._fs import write_atomically  # only on a cache miss

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(data))
    except OSError:
        pass  # a read-only home: compute every time, which is only slower
    return data


def _is_unit(rule: list[Any]) -> bool:
    """A ``?rule`` reduced from one kept child: it hands that child up unchanged."""
    _origin, _alias, expand1, modes = rule
    return bool(expand1) and modes == [1]


def collapse_unit_chains(data: dict[str, Any]) -> dict[str, Any]:
    """Replace every chain of unit reductions by one step, ``[2, {beneath: final state}]``.

    Reducing ``?unary: clause`` then ``?and_expr: unary`` then ``?or_expr: and_expr`` keeps
    the same value and only changes the top state, and the state beneath stays the same all
    along the chain; so the final top state depends only on (state beneath, state, look-ahead)
    and is computed here once instead of at every clause.

    >>> from zql._grammar import analyse
    >>> raw = analyse("x"); done = collapse_unit_chains(raw)
    >>> sum(a[0] == 2 for row in done["states"].values() for a in row.values()) > 0
    True
    """
    states, rules = data["states"], data["rules"]
    beneath: dict[str, set[str]] = {}
    for state, row in states.items():
        for action in row.values():
            if action[0] == 1:
                beneath.setdefault(str(action[1]), set()).add(state)
    collapsed: dict[str, dict[str, list[Any]]] = {}
    for state, row in states.items():
        new_row: dict[str, list[Any]] = {}
        for name, action in row.items():
            if action[0] != 0 or not _is_unit(rules[action[1]]):
                new_row[name] = action
                continue
            finals: dict[str, int] = {}
            for below in sorted(beneath.get(state, ()), key=int):
                top = state
                step = action
                while step[0] == 0 and _is_unit(rules[step[1]]):
                    top = str(states[below][rules[step[1]][0]][1])
                    step = states[top].get(name, [1, None])
                finals[below] = int(top)
            new_row[name] = [2, finals]
        collapsed[state] = new_row
    return {**data, "states": collapsed}


def terminal_regexp(name: str) -> str:
    """The regular expression of a grammar terminal.

    >>> import re; bool(re.fullmatch(terminal_regexp("NUMBER"), "-1.5"))
    True
    """
    for term in analysis()["terminals"]:
        if term["name"] == name:
            return str(term["regexp"])
    raise KeyError(name)
