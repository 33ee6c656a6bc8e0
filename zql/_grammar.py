"""Loads ``zql.lark`` once and derives everything else from its terminals.

This is the only module that knows how keywords and operators are spelled. Highlighting,
completion, error messages and the formatter ask :func:`vocabulary` and :func:`scan`.

The grammar is found next to this module in an installed wheel (``zql/zql.lark``, force-included
at build time) and in ``grammar/zql.lark`` of a source checkout.
"""

from __future__ import annotations

import functools
import json
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zql.ast import Op

if TYPE_CHECKING:
    from lark import Lark, Token

__all__ = [
    "Tables",
    "Tok",
    "Vocabulary",
    "analysis",
    "grammar_path",
    "grammar_text",
    "lark_parser",
    "scan",
    "tables",
    "terminal_regexp",
    "vocabulary",
]

_HERE = Path(__file__).resolve().parent

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

# Terminals whose spelling is a value rather than a connective (coloured as constants).
_CONSTANT_TERMINALS = frozenset({"TRUE", "FALSE", "EMPTY", "NULL"})
# Terminals that map to clause operators (IS_NOT is IS followed by NOT).
_OP_TERMINALS = {
    "EQ": Op.EQ,
    "NE": Op.NE,
    "CONTAINS": Op.CONTAINS,
    "NOT_CONTAINS": Op.NOT_CONTAINS,
    "IN": Op.IN,
    "IS": Op.IS,
}
# Words for the terminals that are patterns rather than fixed spellings.
_PATTERN_WORDS = {
    "FIELD": "a field name",
    "STRING": "a quoted string",
    "NUMBER": "a number",
    "COMMENT": "a comment",
    "WS": "whitespace",
}
# Scanner-only types for strings the grammar rejects; coloured as strings all the same.
_BAD_STRINGS = frozenset({"UNTERMINATED", "BADSTRING"})
_PATTERN_KINDS = {"FIELD": FIELD, "STRING": STRING, "NUMBER": NUMBER, "COMMENT": COMMENT, "WS": WS}


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


@functools.cache
def lark_parser(*, transformer: bool = True) -> Lark:
    """The LALR parser, built once; with ``transformer`` it builds the AST while parsing.

    >>> lark_parser().options.parser
    'lalr'
    """
    from lark import Lark

    from zql.parser import AstBuilder

    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        maybe_placeholders=False,
        transformer=AstBuilder() if transformer else None,
        lexer_callbacks={"FIELD": _reserve_keywords},
    )


# ---------------------------------------------------------------------------- analysis cache
#
# Importing Lark and analysing the grammar takes longer than a whole `zql lint` run should. The
# analysis (terminal patterns and LALR tables) is plain data, so it is computed with Lark once
# per grammar text and kept as JSON in the user's cache directory; `parse()`, `scan()` and the
# vocabulary then run without importing Lark at all. JSON, not pickle: a cache file must never
# be able to run code.

_ANALYSIS_FORMAT = 1


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
    digest = f"{zlib.crc32(text):08x}{len(text):x}v{_ANALYSIS_FORMAT}"
    path = _cache_dir() / f"grammar-{digest}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if data.get("digest") == digest and data.get("format") == _ANALYSIS_FORMAT:
            return data
    except (OSError, ValueError):
        pass  # missing, unreadable or stale: recompute
    data = _analyse(digest)
    from zql._fs import write_atomically  # only on a cache miss

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(data))
    except OSError:
        pass  # a read-only home: compute every time, which is only slower
    return data


def _analyse(digest: str) -> dict[str, Any]:
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
                # How each child is kept: 1 keep, 2 splice (an inlined `_rule`), 0 drop.
                modes = [2 if isinstance(sym, NonTerminal) and sym.name.startswith("_")
                         else 0 if getattr(sym, "filter_out", False) else 1
                         for sym in arg.expansion]
                rules.append([arg.origin.name, arg.alias, bool(arg.options.expand1), modes])
            row[name] = [0, index[arg]]
        states[str(state)] = row
    terminals = [
        {"name": t.name, "regexp": t.pattern.to_regexp(),
         "string": t.pattern.value if isinstance(t.pattern, PatternStr) else None}
        for t in lark.terminals
    ]
    return {
        "format": _ANALYSIS_FORMAT, "digest": digest, "terminals": terminals, "rules": rules,
        "states": states, "start": table.start_states["start"], "end": table.end_states["start"],
    }


def terminal_regexp(name: str) -> str:
    """The regular expression of a grammar terminal.

    >>> bool(re.fullmatch(terminal_regexp("NUMBER"), "-1.5"))
    True
    """
    for term in analysis()["terminals"]:
        if term["name"] == name:
            return str(term["regexp"])
    raise KeyError(name)


def _reserve_keywords(token: Token) -> Token:  # used by Lark's own lexer (lark_parser)
    # Where the contextual lexer expects a field, a word spelling a keyword is still that
    # keyword: keywords are reserved, so `and = 1` is an error, not a field named "and".
    name = vocabulary().keyword_by_text.get(token.lower())
    if name is not None:
        token.type = name
    return token


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Spellings derived from the grammar's named terminals.

    >>> v = vocabulary()
    >>> v.keywords["AND"], v.op_text[Op.IS_NOT], v.terminal_kind["STRING"]
    ('and', 'is not', 'string')
    """

    #: keyword terminal name -> lowercase spelling (reserved words)
    keywords: dict[str, str]
    #: lowercase spelling -> keyword terminal name
    keyword_by_text: dict[str, str]
    #: operator/punctuation terminal name -> spelling
    symbols: dict[str, str]
    #: clause operator -> canonical spelling
    op_text: dict[Op, str]
    #: terminal name -> token kind (keyword, operator, ...)
    terminal_kind: dict[str, str]
    #: terminal name -> words used in messages
    words: dict[str, str]

    def describe(self, terminal: str) -> str:
        """Human words for a terminal, as used in "expected ..." messages.

        >>> vocabulary().describe("LPAR"), vocabulary().describe("STRING")
        ("'('", 'a quoted string')
        """
        if terminal == "$END":
            return "the end of the query"
        return self.words.get(terminal, terminal.lower())

    def expected(self, terminals: set[str] | frozenset[str]) -> str:
        """A readable list of what may come, grouped the way people think of it.

        >>> vocabulary().expected({"STRING", "NUMBER", "TRUE", "FALSE"})
        'a value: a quoted string, a number, true or false'
        """
        names = set(terminals)
        parts: list[str] = []
        value_terms = {"STRING", "NUMBER", "TRUE", "FALSE"}
        if value_terms <= names:
            names -= value_terms
            parts.append("a value: a quoted string, a number, " + self._bools())
        ops = {t for t in names if t in self.terminal_kind and self.terminal_kind[t] == OPERATOR}
        if len(ops) > 1:
            names -= ops
            order = list(self.symbols)
            ordered = sorted(ops, key=lambda t: order.index(t) if t in order else len(order))
            parts.append("an operator (" + ", ".join(self.describe(t) for t in ordered) + ")")
        for t in sorted(names, key=lambda t: (t not in _PATTERN_WORDS, t)):
            parts.append(self.describe(t))
        if len(parts) == 1:
            return parts[0]
        return ", ".join(parts[:-1]) + " or " + parts[-1]

    def _bools(self) -> str:
        return f"{self.keywords['TRUE']} or {self.keywords['FALSE']}"


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
    words: dict[str, str] = dict(_PATTERN_WORDS)
    for term in analysis()["terminals"]:
        name, spelled = term["name"], term["string"]
        if spelled is not None:
            text = spelled.lower()
            if word.match(text):
                keywords[name] = text
                kinds[name] = CONSTANT if name in _CONSTANT_TERMINALS else KEYWORD
            else:
                symbols[name] = text
                kinds[name] = OPERATOR if name in _OP_TERMINALS else PUNCT
            words[name] = f"'{text}'"
        elif name in _PATTERN_KINDS:
            kinds[name] = _PATTERN_KINDS[name]
    op_text = {op: (keywords.get(name) or symbols[name]) for name, op in _OP_TERMINALS.items()}
    op_text[Op.IS_NOT] = f"{keywords['IS']} {keywords['NOT']}"
    return Vocabulary(
        keywords=keywords,
        keyword_by_text={v: k for k, v in keywords.items()},
        symbols=symbols,
        op_text=op_text,
        terminal_kind=kinds,
        words=words,
    )


@dataclass(frozen=True, slots=True)
class Tables:
    """What the fast LALR driver in ``parser.py`` needs, taken from Lark's analysis of the grammar.

    ``states`` maps a parser state to ``{terminal or rule name: (is_shift, argument)}`` where a
    shift's argument is the next state and a reduce's is ``(child count, reducer, rule name)``;
    ``keyword_prefixes`` lists, per state, the keywords acceptable there (longest first), so a
    word glued to a keyword (``"x"andname``) splits exactly as Lark's contextual lexer splits it.
    """

    pattern: re.Pattern[str]
    states: dict[int, dict[str, tuple[bool, Any]]]
    start: int
    end: int
    keyword_prefixes: dict[int, tuple[tuple[str, str], ...]]
    skip: frozenset[str]


@functools.cache
def tables() -> Tables:
    """Parse tables and the token pattern for the fast parse loop (built once).

    >>> t = tables(); t.start in t.states
    True
    """
    from zql.parser import AstBuilder

    data = analysis()
    regexps = {t["name"]: t["regexp"] for t in data["terminals"]}
    vocab = vocabulary()
    parts = [f"(?P<{name}>{regexps[name]})" for name in ("WS", "COMMENT", "STRING", "NUMBER")]
    parts.append(f"(?P<WORD>{regexps['FIELD']})")
    parts += [f"(?P<{name}>{re.escape(text)})"
              for name, text in sorted(vocab.symbols.items(), key=lambda kv: -len(kv[1]))]
    builder = AstBuilder()
    reducers = [(len(modes), _reducer(builder, origin, alias, expand1, modes), origin)
                for origin, alias, expand1, modes in data["rules"]]
    states: dict[int, dict[str, tuple[bool, Any]]] = {
        int(state): {name: (True, arg) if shift else (False, reducers[arg])
                     for name, (shift, arg) in actions.items()}
        for state, actions in data["states"].items()
    }
    prefixes = {
        state: tuple(sorted(((text, name) for name, text in vocab.keywords.items()
                             if name in actions), key=lambda kv: -len(kv[0])))
        for state, actions in states.items()
    }
    return Tables(
        pattern=re.compile("|".join(parts)),
        states=states,
        start=int(data["start"]),
        end=int(data["end"]),
        keyword_prefixes=prefixes,
        skip=frozenset({"WS", "COMMENT"}),
    )


def _reducer(builder: Any, origin: str, alias: str | None, expand1: bool,
             modes: list[int]) -> Callable[[list[Any]], Any]:
    """What reducing one rule does, as Lark's tree builder would do it with our transformer."""
    method = getattr(builder, alias or origin, None)
    simple = all(mode == 1 for mode in modes)

    def reduce(children: list[Any]) -> Any:
        if not simple:
            kept: list[Any] = []
            for child, mode in zip(children, modes, strict=True):
                if mode == 1:
                    kept.append(child)
                elif mode == 2:
                    kept.extend(child)
            children = kept
        if origin.startswith("_"):
            return children  # an inlined helper rule: its parent splices these in
        if expand1 and len(children) == 1:
            return children[0]
        assert method is not None, f"AstBuilder has no method for rule {alias or origin}"
        return method(children)

    return reduce


@dataclass(frozen=True, slots=True)
class Tok:
    """A token from the tolerant scanner: terminal ``type``, ``kind`` for colouring, position.

    Types are the grammar's terminal names, plus ``UNTERMINATED`` (a string with no closing
    quote), ``BADSTRING`` (a closed string with a bad escape or control character) and
    ``ERROR`` (a character no terminal matches).
    """

    type: str
    kind: str
    text: str
    start: int
    end: int


@functools.cache
def _scanner() -> re.Pattern[str]:
    parts: list[str] = []
    for name in ("WS", "COMMENT", "STRING", "NUMBER"):
        parts.append(f"(?P<{name}>{terminal_regexp(name)})")
    # A closed string the grammar rejects (a bad escape, a control character) still ends at
    # its closing quote, so the rest of the line is not taken for string text.
    parts.append(r"(?P<BADSTRING>\"(?:[^\"\\\n]|\\.)*\")")
    parts.append(r"(?P<UNTERMINATED>\"(?:[^\"\\\n]|\\.)*)")
    parts.append(f"(?P<WORD>{terminal_regexp('FIELD')})")
    for name, text in sorted(vocabulary().symbols.items(), key=lambda kv: -len(kv[1])):
        parts.append(f"(?P<{name}>{re.escape(text)})")
    parts.append(r"(?P<ERROR>.)")
    return re.compile("|".join(parts), re.S)


def scan(text: str, start: int = 0, end: int | None = None) -> Iterator[Tok]:
    """Tokenise any text without ever failing (used for highlighting, completion and messages).

    Words that spell a keyword become that keyword, as the parser's lexer does.

    >>> [(t.type, t.text) for t in scan('a = "x" AND b ~ "y') if t.kind != "whitespace"]
    [('FIELD', 'a'), ('EQ', '='), ('STRING', '"x"'), ('AND', 'AND'), ('FIELD', 'b'), \
('CONTAINS', '~'), ('UNTERMINATED', '"y')]
    """
    vocab = vocabulary()
    pattern = _scanner()
    stop = len(text) if end is None else end
    pos = start
    while pos < stop:
        m = pattern.match(text, pos, stop)
        if m is None:  # pragma: no cover - the ERROR alternative matches any character
            break
        name = m.lastgroup or "ERROR"
        value = m.group()
        if name == "WORD":
            name = vocab.keyword_by_text.get(value.lower(), "FIELD")
        kind = vocab.terminal_kind.get(name, STRING if name in _BAD_STRINGS else ERROR)
        yield Tok(name, kind, value, m.start(), m.end())
        pos = m.end()


def lex_like_parser(text: str) -> list[Tok]:
    """Tokens exactly as the parser's contextual lexer sees them, then tolerant scanning.

    This matters for glued text like ``"x"andname`` (``and`` + ``name``), which a context-free
    scanner would read as one word. Whitespace and comments are kept.

    >>> [t.text for t in lex_like_parser('a="x"andb="y"')]
    ['a', '=', '"x"', 'and', 'b', '=', '"y"']
    """
    from lark import Token
    from lark.exceptions import LarkError

    out: list[Tok] = []
    vocab = vocabulary()
    pos = 0
    interactive: Any = lark_parser(transformer=False).parse_interactive(text)
    try:
        for token in interactive.iter_parse():
            if not isinstance(token, Token) or token.type == "$END":
                continue
            start = token.start_pos if token.start_pos is not None else pos
            out.extend(t for t in scan(text, pos, start))
            out.append(
                Tok(token.type, vocab.terminal_kind.get(token.type, ERROR), str(token), start,
                    token.end_pos if token.end_pos is not None else start + len(token))
            )
            pos = out[-1].end
    except LarkError:
        # The prefix above is exactly what the parser read before the error;
        # scan the rest tolerantly.
        pass
    out.extend(scan(text, pos))
    return out
