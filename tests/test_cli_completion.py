"""``zql completion``: the scripts argcomplete generates, and the answers ``zql`` gives them
through the real console script (argcomplete's protocol: ``_ARGCOMPLETE``, ``COMP_LINE``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ZQL = str(Path(sys.executable).with_name("zql"))


def complete(line: str, tmp_path: Path, **extra: str) -> list[str]:
    out = tmp_path / "completions"
    env = {**os.environ, "_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
           "_ARGCOMPLETE_STDOUT_FILENAME": str(out), "_ARGCOMPLETE_IFS": "\n", **extra}
    done = subprocess.run([ZQL], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return sorted(x.strip() for x in out.read_text().splitlines() if x.strip())


@pytest.mark.parametrize(("line", "expected"), [
    ("zql compl", ["completion"]),
    ("zql completion ", ["--help", "-h", "bash", "fish", "zsh"]),
    ("zql search --entity e", ["execution"]),
    ("zql search --co", ["--color", "--columns", "--config"]),
    ("zql search --entity execution --columns id,exec",
     ["id,executedBy", "id,executedOn"]),
    ("zql search --columns na", ["name"]),
    ("zql search --entity execution --order ex", ["executedBy"]),  # executedOn: not sortable
])
def test_completes_subcommands_flags_entities_and_columns(tmp_path: Path, line: str,
                                                          expected: list[str]) -> None:
    assert complete(line, tmp_path) == expected


def test_completes_profile_names_of_the_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.work]\nurl = "https://z"\n[profiles.wiki]\nurl = "https://w"\n')
    assert complete(f"zql search --config {config} --profile w", tmp_path) == ["wiki", "work"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_prints_a_script_per_shell(shell: str) -> None:
    done = subprocess.run([ZQL, "completion", shell], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0
    assert ("__fish_zql_complete" if shell == "fish" else "#compdef zql") in done.stdout


def test_the_bash_script_registers_zql(tmp_path: Path) -> None:
    script = tmp_path / "zql.bash"
    script.write_text(subprocess.run([ZQL, "completion", "bash"], capture_output=True,
                                     text=True, timeout=60, check=True).stdout)
    done = subprocess.run(["bash", "-c", f"source {script} && complete -p zql"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "zql" in done.stdout, done.stderr


def test_an_unknown_shell_is_a_usage_error() -> None:
    done = subprocess.run([ZQL, "completion", "tcsh"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "invalid choice: 'tcsh'" in done.stderr
