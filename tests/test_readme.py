"""The README stays true: its console session and its Python examples run as shown."""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from zql.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def _console_blocks() -> list[tuple[str, str]]:
    """(command, expected output) for every `$ zql …` line of the console blocks."""
    pairs: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(encoding="utf-8"), re.S):
        command: str | None = None
        output: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    pairs.append((command, "\n".join(output)))
                command, output = line[2:], []
            else:
                output.append(line)
        if command is not None:
            pairs.append((command, "\n".join(output)))
    return pairs


_EXAMPLES = _console_blocks()


@pytest.mark.parametrize(("command", "expected"), _EXAMPLES, ids=lambda v: v[:40])
def test_console_examples(command: str, expected: str, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Each example through ``zql.cli.main`` (the console script's own function), in this
    process: ``--sandbox`` starts the bundled sandbox here as it would there."""
    argv = shlex.split(command)
    assert argv[0] == "zql"
    monkeypatch.setenv("COLUMNS", "160")  # tables fit the terminal; the README shows a wide one
    main(argv[1:])
    assert capsys.readouterr().out.rstrip("\n") == expected


def test_the_first_example_through_the_console_script() -> None:
    """Once through the installed ``zql`` script in a process of its own (stdout a pipe)."""
    command, expected = _EXAMPLES[0]
    argv = shlex.split(command)
    zql_bin = Path(sys.executable).with_name("zql")
    env = dict(os.environ, COLUMNS="160")
    proc = subprocess.run([str(zql_bin), *argv[1:]], capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.stdout.rstrip("\n") == expected


def test_python_examples() -> None:
    text = README.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if ">>>" in b]
    assert blocks
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for index, block in enumerate(blocks):
        test = parser.get_doctest(block, {}, f"README[{index}]", str(README), 0)
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
