"""``zql completion``: the scripts argcomplete generates, and the answers ``zql`` gives them.

One test drives argcomplete's real protocol end to end: bash sources the generated script and
runs its completion function, which starts the real ``zql`` console script with ``_ARGCOMPLETE``
and ``COMP_LINE`` set and reads the answer from fd 8. The protocol answers one line per process
(it exits after answering), so the other lines are answered in-process by argcomplete's own
``CompletionFinder`` over ``zql``'s real parser (the one ``zql.cli.main`` builds), with the same
environment variables the script sets.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zql.cli import build_parser, main

ZQL = Path(sys.executable).with_name("zql")


def complete(line: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What ``zql`` answers the script for ``line`` (cursor at its end), in-process."""
    import argcomplete
    from argcomplete import io as argcomplete_io

    class Finder(argcomplete.CompletionFinder):
        def _init_debug_stream(self) -> None:
            # argcomplete's documented override for pytest: fd 9 is not ours to open.
            argcomplete_io.debug_stream = sys.stderr

    for name, value in {"_ARGCOMPLETE": "1", "COMP_LINE": line, "COMP_POINT": str(len(line)),
                        "_ARGCOMPLETE_IFS": "\n", "_ARGCOMPLETE_SHELL": "bash"}.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    with pytest.raises(SystemExit) as info:
        Finder()(build_parser(), exit_method=sys.exit, output_stream=out)
    assert info.value.code == 0
    return sorted(x.strip() for x in out.getvalue().splitlines() if x.strip())


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
def test_completes_subcommands_flags_entities_and_columns(monkeypatch: pytest.MonkeyPatch,
                                                          line: str,
                                                          expected: list[str]) -> None:
    assert complete(line, monkeypatch) == expected


def test_completes_profile_names_of_the_config(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[profiles.work]\nurl = "https://z"\n[profiles.wiki]\nurl = "https://w"\n')
    assert complete(f"zql search --config {config} --profile w", monkeypatch) == [
        "wiki", "work"]


def script(shell: str, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_prints_a_script_per_shell(shell: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert ("__fish_zql_complete" if shell == "fish" else "#compdef zql") in script(shell,
                                                                                    capsys)


def test_bash_completes_through_the_real_console_script(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bash script registers ``zql``; its function runs the real ``zql`` (found on PATH,
    as in a user's shell) and fills ``COMPREPLY`` with the live columns of the entity."""
    path = tmp_path / "zql.bash"
    path.write_text(script("bash", capsys))
    line = "zql search --entity execution --columns id,exec"
    driver = (f'source {path} && complete -p zql && COMP_LINE="{line}" && '
              'COMP_POINT=${#COMP_LINE} && read -ra COMP_WORDS <<< "$COMP_LINE" && '
              "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) && _python_argcomplete zql && "
              "printf 'reply:%s\\n' \"${COMPREPLY[@]}\"")
    env = {**os.environ, "PATH": f"{ZQL.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-c", driver], capture_output=True, text=True, timeout=60,
                          env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "_python_argcomplete zql" in lines[0]  # complete -p: registered for zql
    assert sorted(x.removeprefix("reply:").strip() for x in lines[1:]) == [
        "id,executedBy", "id,executedOn"]


def test_an_unknown_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["completion", "tcsh"])
    assert info.value.code == 2 and "invalid choice: 'tcsh'" in capsys.readouterr().err
