"""The TextMate grammar: committed file up to date, and it scopes ZQL the way the parser reads it.

A small TextMate-style matcher (earliest match wins, ties go to the first pattern) runs the
grammar's regexes with Python's ``re``, whose syntax for these patterns is Oniguruma's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from zql import _vocabulary
from zql.textmate import grammar, render

COMMITTED = Path(__file__).resolve().parent.parent / "editors" / "zql.tmLanguage.json"


def test_committed_grammar_is_up_to_date() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), (
        "editors/zql.tmLanguage.json is out of date: run "
        "`python -m zql.textmate > editors/zql.tmLanguage.json`")


def _rules() -> list[tuple[str, re.Pattern[str]]]:
    g = grammar()
    out = []
    for include in g["patterns"]:
        entry = g["repository"][include["include"][1:]]
        for rule in entry.get("patterns", [entry]):
            out.append((rule["name"].rsplit(".", 1)[0], re.compile(rule["match"])))
    return out


def scopes(line: str) -> list[tuple[str, str]]:
    rules = _rules()
    pos, found = 0, []
    while pos < len(line):
        best = None
        for name, pattern in rules:
            m = pattern.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[1].start()):
                best = (name, m)
        if best is None:
            break
        found.append((best[1].group(), best[0]))
        pos = best[1].end()
    return found


@pytest.mark.parametrize(("line", "expected"), [
    ('status = "Fail" AND android ~ "x"', [
        ("status", "variable.other.property"), ("=", "keyword.operator.comparison"),
        ('"Fail"', "string.quoted.double"), ("AND", "keyword.operator.logical"),
        ("android", "variable.other.property"), ("~", "keyword.operator.comparison"),
        ('"x"', "string.quoted.double")]),
    ('notes is not empty or isActive != true', [
        ("notes", "variable.other.property"), ("is", "keyword.operator.word"),
        ("not", "keyword.operator.logical"), ("empty", "constant.language"),
        ("or", "keyword.operator.logical"), ("isActive", "variable.other.property"),
        ("!=", "keyword.operator.comparison"), ("true", "constant.language")]),
    ('id in (1, -2.5);  # done; really', [
        ("id", "variable.other.property"), ("in", "keyword.operator.word"),
        ("(", "punctuation.section.parens"), ("1", "constant.numeric"),
        (",", "punctuation.separator.comma"), ("-2.5", "constant.numeric"),
        (")", "punctuation.section.parens"), (";", "punctuation.terminator.query"),
        ("# done; really", "comment.line.number-sign")]),
    ('name ~ "a \\"q\\" 😀 \\u00e9" and x2 = 3', [
        ("name", "variable.other.property"), ("~", "keyword.operator.comparison"),
        ('"a \\"q\\" 😀 \\u00e9"', "string.quoted.double"), ("and", "keyword.operator.logical"),
        ("x2", "variable.other.property"), ("=", "keyword.operator.comparison"),
        ("3", "constant.numeric")]),
    ('name ~ "open @', [("name", "variable.other.property"),
                        ("~", "keyword.operator.comparison"),
                        ('"open @', "invalid.illegal.string")]),
    ("a @ 'x'", [("a", "variable.other.property"), ("@", "invalid.illegal.character"),
                 ("'", "invalid.illegal.character"), ("x", "variable.other.property"),
                 ("'", "invalid.illegal.character")]),
])
def test_scopes(line: str, expected: list[tuple[str, str]]) -> None:
    assert scopes(line) == expected


def test_every_keyword_and_operator_is_covered() -> None:
    vocab = _vocabulary.vocabulary()
    for word in vocab.keywords.values():
        assert len(scopes(word)) == 1 and scopes(word)[0][1] != "variable.other.property", word
        assert scopes(word.upper())[0][1] == scopes(word)[0][1]
    for symbol in vocab.symbols.values():
        assert scopes(symbol)[0][1].startswith(("keyword.operator", "punctuation")), symbol


def test_file_is_plain_json_with_the_scope() -> None:
    data = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert data["scopeName"] == "source.zql" and data["fileTypes"] == ["zql"]
