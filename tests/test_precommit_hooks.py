"""`.pre-commit-hooks.yaml`: the hooks exist and their entries work the way pre-commit runs them
(``entry`` followed by the staged file names)."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def hooks() -> dict[str, dict[str, str]]:
    """The hook list: a YAML block sequence of flat mappings (read without a YAML library)."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for raw in (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8").splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if raw.startswith("- "):
            current = {}
            raw = "  " + raw[2:]
        key, _, value = raw.strip().partition(":")
        current[key] = value.strip()
        if key == "id":
            found[value.strip()] = current
    return found


def test_both_hooks_are_declared() -> None:
    declared = hooks()
    assert sorted(declared) == ["zql-fmt", "zql-lint"]
    for hook in declared.values():
        assert hook["language"] == "python"
        assert re.search(hook["files"], "queries/nightly.zql")
        assert not re.search(hook["files"], "queries/nightly.zql.bak")


def _entry(hook: str, *files: Path) -> list[str]:
    """The hook's command line after ``zql``, with the staged files, as pre-commit builds it."""
    entry = shlex.split(hooks()[hook]["entry"])
    assert entry[0] == "zql"
    return [*entry[1:], *map(str, files)]


@pytest.mark.parametrize(("text", "code"), [('name ~ "ok"\n', 0), ("status = Fail\n", 1)])
def test_lint_hook_fails_on_errors(tmp_path: Path, text: str, code: int,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from zql.cli import main

    path = tmp_path / "q.zql"
    path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(ROOT)
    assert main(_entry("zql-lint", path)) == code


def test_fmt_hook_rewrites_files(tmp_path: Path) -> None:
    """The real entry point, as pre-commit starts it (in the repository, files appended)."""
    a, b = tmp_path / "a.zql", tmp_path / "b.zql"
    a.write_text('name~"x"AND tag="y"\n', encoding="utf-8")
    b.write_text('name ~ "x"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "zql.cli", *_entry("zql-fmt", a, b)],
                          capture_output=True, text=True, check=False, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert a.read_text(encoding="utf-8") == 'name ~ "x" and tag = "y"\n'
    assert b.read_text(encoding="utf-8") == 'name ~ "x"\n'
