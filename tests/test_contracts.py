"""Architecture contracts: one grammar and one schema feed everything."""

from __future__ import annotations

import ast as pyast
import functools
import json
from pathlib import Path

import pytest

import zql
from zql import _grammar, _vocabulary
from zql._syntax_errors import describe
from zql.ast import Op
from zql.parser import AstBuilder
from zql.schema import load_schema, profile_names

ROOT = Path(__file__).resolve().parent.parent


def test_every_grammar_rule_has_a_transformer_method() -> None:
    parser = _grammar.lark_parser()
    missing = set()
    for rule in parser.rules:
        name = rule.alias or rule.origin.name
        name = name if isinstance(name, str) else name.value
        if rule.options.expand1 and len(rule.expansion) == 1 and not rule.alias:
            continue  # inlined `?rule` with one child: no node of its own
        if name.startswith("__"):
            continue  # Lark's helper rules for `(...)*`, inlined into their parent
        if not callable(getattr(AstBuilder, name, None)):
            missing.add(name)
    assert not missing


def test_every_terminal_has_a_token_kind_and_words() -> None:
    vocab = _vocabulary.vocabulary()
    for term in _grammar.lark_parser().terminals:
        assert term.name in vocab.terminal_kind, term.name
        assert describe(term.name) != term.name.lower() or term.name in ("WS",), term.name


def test_every_operator_has_grammar_spelling() -> None:
    for op in Op:
        assert Op.from_text(op.text) is op


@pytest.mark.parametrize("profile", profile_names())
def test_every_schema_operator_exists_in_the_grammar(profile: str) -> None:
    raw = json.loads((ROOT / "zql" / "schema" / "profiles" / f"{profile}.json").read_text())
    for fields in raw["entities"].values():
        for entry in fields:
            for text in entry["operators"]:
                Op.from_text(text)  # raises for an operator the grammar lacks
    schema = load_schema(profile)
    assert schema.fields("testcase")


@functools.cache
def _literals(path: Path) -> tuple[tuple[int, str, bool], ...]:
    """Every string constant in ``path`` but docstrings, as (line, value, inside an f-string);
    one parse and one walk per file, shared by the spelling checks below."""
    nodes = list(pyast.walk(pyast.parse(path.read_text(encoding="utf-8"))))
    docstrings = {
        id(node.body[0].value)
        for node in nodes
        if isinstance(node, pyast.Module | pyast.FunctionDef | pyast.ClassDef
                      | pyast.AsyncFunctionDef)
        and node.body and isinstance(node.body[0], pyast.Expr)
        and isinstance(node.body[0].value, pyast.Constant)
    }
    in_fstrings = {id(part) for node in nodes if isinstance(node, pyast.JoinedStr)
                   for part in node.values}
    return tuple(
        (node.lineno, node.value, id(node) in in_fstrings)
        for node in nodes
        if isinstance(node, pyast.Constant) and isinstance(node.value, str)
        and id(node) not in docstrings
    )


def _string_literals(path: Path, *, keep_fstring_parts: bool = False) -> list[tuple[int, str]]:
    # prose inside f-string messages is not a spelling used as syntax, unless kept
    return [(line, value) for line, value, in_fstring in _literals(path)
            if keep_fstring_parts or not in_fstring]


def test_no_module_but_grammar_spells_a_keyword() -> None:
    keywords = set(_vocabulary.vocabulary().keyword_by_text)
    symbols = set(_vocabulary.vocabulary().symbols.values())
    offenders = []
    for path in sorted((ROOT / "zql").rglob("*.py")) + sorted((ROOT / "repl").rglob("*.py")):
        if path.name in ("_grammar.py", "_vocabulary.py"):
            continue
        for line, value in _string_literals(path):
            word = value.strip()
            if word in keywords or word in {"is not", "not in"}:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {value!r}")
    assert not offenders, "spell keywords via vocabulary():\n" + "\n".join(offenders)
    assert symbols  # the check above is only meaningful if the vocabulary loaded


def test_public_api_is_sorted_and_complete() -> None:
    assert zql.__all__ == sorted(zql.__all__)
    for name in zql.__all__:
        assert hasattr(zql, name), name


def test_only_the_grammar_module_imports_lark() -> None:
    """Lark analyses the grammar in `_grammar.py`; nothing else depends on it (docs/design.md)."""
    importers = sorted(
        str(path.relative_to(ROOT))
        for path in list((ROOT / "zql").rglob("*.py")) + list((ROOT / "repl").rglob("*.py"))
        if "import lark" in (text := path.read_text(encoding="utf-8")) or "from lark" in text
    )
    assert importers == ["zql/_grammar.py"]


def test_no_module_spells_a_status_name_outside_the_schema_data() -> None:
    """Status ids and names live in the profiles' ``values`` object (zql.schema reads them);
    code elsewhere takes them from ``Schema.values``, never a copy (issue 12 #1)."""
    facts = load_schema().values
    names = {s.name for s in facts.statuses} | {facts.not_executed.name}
    assert {"Pass", "Fail", "WIP", "Blocked", "Not Executed"} <= names
    offenders = []
    for path in sorted((ROOT / "zql").rglob("*.py")) + sorted((ROOT / "repl").rglob("*.py")):
        if (ROOT / "zql" / "schema") in path.parents:
            continue
        for line, value in _string_literals(path, keep_fstring_parts=True):
            if value.strip() in names:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {value!r}")
    assert not offenders, "read statuses from load_schema().values:\n" + "\n".join(offenders)


def test_the_status_field_values_are_derived_from_the_value_facts() -> None:
    for profile in profile_names():
        raw = json.loads((ROOT / "zql" / "schema" / "profiles" / f"{profile}.json").read_text())
        (status,) = [f for f in raw["entities"]["execution"] if f.get("lookup") == "status"]
        assert "values" not in status, profile  # written once, in the values object
        schema = load_schema(profile)
        spec = schema.field("execution", "status")
        assert spec is not None and list(spec.values) == [
            s.name for s in schema.values.statuses] + [schema.values.not_executed.name]
