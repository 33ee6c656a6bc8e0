"""The layering contract (docs/design.md, "Layers"): import-linter's contracts in pyproject.toml,
no import cycle anywhere in zql/ or the shell, and a light ``import zql``.

``make test`` runs ``lint-imports`` itself; these tests prove that the contracts hold, that
they fail on a deliberate violation (on a copy of the source tree, never on the real one), and
that no cycle hides behind a lazy import.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

#: Cycles that live in another engineer's modules, each with who removes it. The test fails
#: when one of them disappears too, so the entry cannot outlive the cycle.
KNOWN_ELSEWHERE: dict[frozenset[str], str] = {}


def _lint_imports(cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=cwd, env=env,
                          capture_output=True, text=True, check=False, timeout=120)


def test_the_contracts_hold() -> None:
    done = _lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.fixture(scope="module")
def tree_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages and the contract; tests break it, never the real source."""
    top = tmp_path_factory.mktemp("layering")
    shutil.copytree(ROOT / "zql", top / "zql", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "repl" / "zql_repl", top / "zql_repl",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", top / "pyproject.toml")
    return top


VIOLATIONS = [
    # (module to edit, line to add, words of the broken contract, the offending import)
    ("zql/files.py", "import zql.cli.lint", "Launchers over adapters over engines",
     "zql.files -> zql.cli.lint"),
    ("zql/lsp/hover.py", "import zql.sandbox", "the LSP and the sandbox are independent",
     "zql.lsp.hover -> zql.sandbox"),
    ("zql_repl/lexer.py", "import zql.lsp.server", "The shell (zql_repl) uses engines only",
     "zql_repl.lexer -> zql.lsp.server"),
    ("zql/format.py", "import lark", "Only the _grammar module family imports Lark",
     "zql.format -> lark"),
    ("zql/rows.py", "import prompt_toolkit", "Engines never import prompt_toolkit",
     "zql.rows -> prompt_toolkit"),
    ("zql/cli/fmt.py", "import zql.lsp.server", "The CLI's own commands reach no other adapter",
     "zql.cli.fmt -> zql.lsp.server"),
]


@pytest.fixture(scope="module")
def all_violations(tree_copy: Path) -> str:
    """``lint-imports`` run once on the copy with every violation in place: its report."""
    originals = {module: (tree_copy / module).read_text(encoding="utf-8")
                 for module, *_ in VIOLATIONS}
    for module, line, *_ in VIOLATIONS:
        path = tree_copy / module
        # Inside a function, as lazy imports are: they count as much as top-level ones.
        path.write_text(path.read_text(encoding="utf-8")
                        + f"\n\ndef _violation() -> None:\n    {line}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tree_copy)}
    try:
        done = _lint_imports(tree_copy, env)
    finally:
        for module, original in originals.items():
            (tree_copy / module).write_text(original, encoding="utf-8")
    assert done.returncode == 1, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize(("module", "line", "contract", "offence"), VIOLATIONS,
                         ids=[v[3] for v in VIOLATIONS])
def test_a_deliberate_violation_breaks_the_contract(
        all_violations: str, module: str, line: str, contract: str, offence: str) -> None:
    sections = _broken_sections(all_violations)
    # The offence is reported under its own contract's heading.
    assert any(contract in title and offence in body for title, body in sections.items()), \
        all_violations


def _broken_sections(report: str) -> dict[str, str]:
    """The "Broken contracts" part of a report: each contract heading (wrapped lines joined)
    and the text under it, up to the next heading."""
    sections: dict[str, str] = {}
    title: list[str] = []
    body: list[str] = []
    pending: list[str] = []  # non-blank lines since the last blank one: a heading, maybe
    for line in report.split("Broken contracts", 1)[1].splitlines()[2:]:
        text = line.strip()
        if text and set(text) == {"-"}:
            if pending:  # an underline: the pending lines were the next heading
                if title:
                    sections[" ".join(title)] = "\n".join(body[:-len(pending)])
                title, body, pending = pending, [], []
            continue
        body.append(text)
        pending = [*pending, text] if text else []
    if title:
        sections[" ".join(title)] = "\n".join(body)
    return sections


def test_an_unplaced_module_breaks_the_exhaustive_layers(tree_copy: Path) -> None:
    new = tree_copy / "zql" / "brand_new.py"
    new.write_text('"""A module nobody placed in a layer."""\n', encoding="utf-8")
    try:
        done = _lint_imports(tree_copy, {**os.environ, "PYTHONPATH": str(tree_copy)})
    finally:
        new.unlink()
    assert done.returncode == 1 and "zql.brand_new" in done.stdout, done.stdout


def _cycles() -> list[frozenset[str]]:
    """Strongly connected groups of modules (Tarjan), lazy imports included."""
    graph = grimp.build_graph("zql", "zql_repl", exclude_type_checking_imports=True,
                              cache_dir=None)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(start: str) -> None:  # iterative, so a long chain cannot hit the recursion limit
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(frozenset(group))
                continue
            if child not in edges:
                continue  # an external package
            if child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(sorted(edges[child]))))
            elif child in stack:
                low[node] = min(low[node], index[child])

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return found


def test_no_import_cycle_inside_zql_lazy_imports_included() -> None:
    cycles = set(_cycles())
    unexpected = cycles - KNOWN_ELSEWHERE.keys()
    assert not unexpected, "import cycles: " + "; ".join(" <-> ".join(sorted(c))
                                                         for c in unexpected)
    gone = KNOWN_ELSEWHERE.keys() - cycles
    assert not gone, f"fixed, remove from KNOWN_ELSEWHERE: {[KNOWN_ELSEWHERE[g] for g in gone]}"


def test_the_cycle_finder_finds_a_lazy_cycle(tree_copy: Path) -> None:
    """The cycle check is not vacuous: a lazy import back from a leaf makes a cycle."""
    path = tree_copy / "zql" / "errors.py"
    original = path.read_text(encoding="utf-8")
    path.write_text(original + "\n\ndef _back() -> None:\n    import zql.linting\n",
                    encoding="utf-8")
    code = ("import sys, tests.test_layering as t; "
            "print(any({'zql.errors', 'zql.linting'} <= c for c in t._cycles()))")
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": f"{tree_copy}{os.pathsep}{ROOT}"},
                              cwd=tree_copy, check=False, timeout=120)
    finally:
        path.write_text(original, encoding="utf-8")
    assert done.stdout.strip() == "True", done.stdout + done.stderr


def test_import_zql_loads_no_parser_generator_http_terminal_or_lsp_library() -> None:
    heavy = ("lark", "httpx", "prompt_toolkit", "pygls", "lsprotocol", "starlette")
    code = ("import zql, sys; zql.lint('a = 1'); zql.format('a = 1'); "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    # A cold grammar-table cache needs Lark once, to analyse the grammar: warm it first.
    subprocess.run([sys.executable, "-c", "import zql; zql.parse('a = 1')"], check=True,
                   timeout=120)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


#: a client's internals: only zql/client itself touches them
CLIENT_PRIVATE = ("_core", "_driver")


def reaches_into_a_client(source: str) -> list[tuple[int, str]]:
    """Where ``source`` touches a client's internals (``x._core``, ``x._driver``)."""
    return sorted((node.lineno, node.attr) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Attribute) and node.attr in CLIENT_PRIVATE)


def test_only_the_client_touches_its_core_and_driver() -> None:
    """Engines and adapters use a client's public surface; ``client.driver`` is the seam for
    calls of their own (zql.update's writes), never ``client._driver`` or ``client._core``."""
    client = ROOT / "zql" / "client"
    offenders = [f"{path.relative_to(ROOT)}:{line}: .{attr}"
                 for path in sorted((ROOT / "zql").rglob("*.py")) + sorted(
                     (ROOT / "repl").rglob("*.py")) if client not in path.parents
                 for line, attr in reaches_into_a_client(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_client_internals_check_sees_an_attribute_access() -> None:
    assert reaches_into_a_client("x = client._driver.run(op)\ny = c._core\nz = c.driver") == \
        [(1, "_driver"), (2, "_core")]
