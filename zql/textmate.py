"""A TextMate grammar for ``.zql`` files, generated from the grammar's terminals.

Editors that colour with TextMate grammars (VS Code, Sublime Text, TextMate, GitHub's
Linguist, Helix/Zed through their importers) read ``editors/zql.tmLanguage.json``. Nothing in
it is typed by hand: keyword and operator spellings come from :func:`zql._vocabulary.vocabulary`,
the field, string, number and comment patterns from the Lark terminals. A test fails when the
committed file differs from what this module generates; regenerate it with::

    python -m zql.textmate > editors/zql.tmLanguage.json

>>> g = grammar()
>>> g["scopeName"], g["fileTypes"]
('source.zql', ['zql'])
>>> g["repository"]["operator"]["match"]
'!=|!~|=|~'
"""

from __future__ import annotations

import json
import re
from typing import Any

from zql import _grammar_cache, _tokens, _vocabulary

__all__ = ["SCOPE", "grammar", "main", "render"]

SCOPE = "source.zql"
_SEPARATOR = ";"


def _portable(regex: str) -> str:
    # Control characters appear raw in Lark's regexes; Oniguruma wants them escaped.
    return "".join(f"\\x{ord(ch):02x}" if ord(ch) < 0x20 else ch for ch in regex)


def _terminal(name: str) -> str:
    return _portable(_grammar_cache.terminal_regexp(name))


def _escape(text: str) -> str:
    # re.escape also escapes characters Oniguruma takes literally (~), which only adds noise.
    return "".join(f"\\{ch}" if ch in r"\.^$*+?{}[]|()" else ch for ch in text)


def _words(words: list[str], boundary: str) -> str:
    # Keywords are reserved but may start or end a field name (android, notes, isActive):
    # they count only where no field character touches them.
    alternatives = "|".join(_escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))
    return f"(?i)(?<!{boundary})(?:{alternatives})(?!{boundary})"


def grammar() -> dict[str, Any]:
    """The TextMate grammar as a JSON-ready dict.

    >>> sorted(grammar()["repository"])[:3]
    ['clause-keyword', 'comma', 'comment']
    """
    vocab = _vocabulary.vocabulary()
    field = _terminal("FIELD")
    parts = re.fullmatch(r"(\[[^\]]+\])(\[[^\]]+\])\*", field)
    if parts is None:
        raise LookupError(f"unexpected FIELD pattern {field!r}")
    boundary = parts.group(2)
    op_words = {text for text in vocab.op_text.values() if text in vocab.keyword_by_text}
    constants = [w for n, w in vocab.keywords.items()
                 if vocab.terminal_kind[n] == _tokens.CONSTANT]
    clause_words = [w for n, w in vocab.keywords.items()
                    if vocab.terminal_kind[n] == _tokens.KEYWORD and w in op_words]
    connectives = [w for n, w in vocab.keywords.items()
                   if vocab.terminal_kind[n] == _tokens.KEYWORD and w not in op_words]
    operators = [t for n, t in vocab.symbols.items()
                 if vocab.terminal_kind[n] == _tokens.OPERATOR]
    punct = {n: t for n, t in vocab.symbols.items() if vocab.terminal_kind[n] == _tokens.PUNCT}
    string = _terminal("STRING")
    repository: dict[str, Any] = {
        "comment": {"name": "comment.line.number-sign.zql", "match": _terminal("COMMENT")},
        "string": {"patterns": [
            {"name": "string.quoted.double.zql", "match": string},
            # An open string, or one with a bad escape: shown as the error it is.
            {"name": "invalid.illegal.string.zql", "match": '"[^\\x0a]*'},
        ]},
        "constant": {"name": "constant.language.zql", "match": _words(constants, boundary)},
        "clause-keyword": {"name": "keyword.operator.word.zql",
                           "match": _words(clause_words, boundary)},
        "connective": {"name": "keyword.operator.logical.zql",
                       "match": _words(connectives, boundary)},
        "field": {"name": "variable.other.property.zql", "match": field},
        "number": {"name": "constant.numeric.zql",
                   "match": f"(?<!{boundary}){_terminal('NUMBER')}(?!{boundary})"},
        "operator": {"name": "keyword.operator.comparison.zql",
                     "match": "|".join(_escape(o) for o in
                                       sorted(operators, key=lambda o: (-len(o), o)))},
        "parens": {"name": "punctuation.section.parens.zql",
                   "match": "|".join(_escape(punct[n]) for n in ("LPAR", "RPAR"))},
        "comma": {"name": "punctuation.separator.comma.zql", "match": _escape(punct["COMMA"])},
        "separator": {"name": "punctuation.terminator.query.zql",
                      "match": _escape(_SEPARATOR)},
        "invalid": {"name": "invalid.illegal.character.zql", "match": "[^\\s]"},
    }
    order = ["comment", "string", "constant", "clause-keyword", "connective", "field", "number",
             "operator", "parens", "comma", "separator", "invalid"]
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/"
                   "tmlanguage.json",
        "name": "ZQL",
        "scopeName": SCOPE,
        "fileTypes": ["zql"],
        "comment": "Generated by `python -m zql.textmate` from grammar/zql.lark; do not edit.",
        "patterns": [{"include": f"#{name}"} for name in order],
        "repository": repository,
    }


def render() -> str:
    """The grammar as the committed file holds it (2-space indent, final newline).

    >>> render().endswith("}\\n")
    True
    """
    return json.dumps(grammar(), indent=2, ensure_ascii=True) + "\n"


def main() -> int:
    """Print the grammar (``python -m zql.textmate > editors/zql.tmLanguage.json``).

    >>> main()
    {
    "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
    ...
    }
    0
    """
    import sys

    sys.stdout.write(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
