"""The core is a DAG: grammar data -> tokens -> tokenizer -> syntax errors -> parser -> format.

Every import counts, lazy ones inside functions included (they hide a cycle, they do not
remove it); only ``if TYPE_CHECKING:`` imports are exempt. The package-wide contracts are
import-linter's (``make test``); this test pins the parser's own layering and fails with the
offending import named.
"""

from __future__ import annotations

import ast as pyast
import functools
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ZQL = ROOT / "zql"

#: The core, lowest layer first: a module may import only modules listed before it.
CORE = [
    "zql._fs", "zql._tokens", "zql._quote", "zql._callable_module", "zql.errors", "zql._grammar",
    "zql._grammar_cache", "zql._vocabulary", "zql.ast", "zql._tables", "zql._lexer",
    "zql._syntax_errors", "zql.parser", "zql.formatting", "zql.format",
]
#: Modules above the core that belong to the parser's area.
ABOVE = ["zql._complete_context", "zql._complete_rank", "zql.complete", "zql.highlight",
         "zql.textmate"]


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _is_type_checking(test: pyast.expr) -> bool:
    return (isinstance(test, pyast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, pyast.Attribute) and test.attr == "TYPE_CHECKING")


@functools.cache
def _modules() -> frozenset[str]:
    return frozenset(_module_name(p) for p in ZQL.rglob("*.py"))


def imports_of(path: Path) -> set[str]:
    """Every zql module ``path`` imports, at any depth, except under ``if TYPE_CHECKING:``."""
    modules = _modules()
    found: set[str] = set()

    def visit(node: pyast.AST) -> None:
        if isinstance(node, pyast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, pyast.Import):
            found.update(a.name for a in node.names if a.name.startswith("zql"))
        elif isinstance(node, pyast.ImportFrom) and node.module and node.module.startswith("zql"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
        for child in pyast.iter_child_nodes(node):
            visit(child)

    visit(pyast.parse(path.read_text(encoding="utf-8")))
    if path.is_relative_to(ROOT):
        found.discard(_module_name(path))
    return found


def _path(module: str) -> Path:
    return ROOT / (module.replace(".", "/") + ".py")


@pytest.mark.parametrize("module", CORE)
def test_core_modules_import_only_lower_layers(module: str) -> None:
    allowed = set(CORE[: CORE.index(module)])
    wrong = {m for m in imports_of(_path(module)) if m != "zql" and m not in allowed}
    assert not wrong, f"{module} imports {sorted(wrong)}, not below it in {CORE}"


@pytest.mark.parametrize("module", ABOVE)
def test_completion_and_highlighting_sit_above_the_core(module: str) -> None:
    later = set(ABOVE[ABOVE.index(module):])
    assert not imports_of(_path(module)) & later - {module}


def test_no_import_cycle_through_the_parser_area() -> None:
    graph = {_module_name(p): imports_of(p) for p in ZQL.rglob("*.py")}
    ours = set(CORE + ABOVE)

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            for nxt in graph.get(current, ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    assert [m for m in sorted(ours) if reaches(m, m)] == []


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import zql.lint\n"
                     "def f():\n    from zql.parser import parse\n", encoding="utf-8")
    assert imports_of(probe) == {"zql.parser"}


def test_the_shell_and_the_language_server_run_without_lark() -> None:
    """With a warm cache nothing but the tests' oracle imports Lark (issue 10, one tokenizer)."""
    code = ("import sys, zql, zql.highlight, zql.complete, zql.format, zql.lsp.analysis;"
            "import zql_repl.completer, zql_repl.app;"
            "zql.parse('a = 1 or b ~ \"x\"'); zql.highlight.token_kinds('a = (');"
            "list(zql.highlight.ZQLLexer().get_tokens('a = 1'));"
            "zql.complete.complete('a = 1 an'); zql.lint('a = = 1 and b = Fail');"
            "print('lark' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout.strip() == "False"
