"""docs/report.md stays true: its console sessions and Python examples run as shown."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest

from zql.cli import main

DOC = Path(__file__).resolve().parent.parent / "docs" / "report.md"


def _console() -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            pairs.append((command, output.rstrip("\n")))
    return pairs


@pytest.mark.parametrize(("command", "expected"), _console(), ids=lambda v: v[:40])
def test_console_examples(command: str, expected: str, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process through ``zql.cli.main`` (the README test runs the console script)."""
    argv = shlex.split(command)
    assert argv[0] == "zql"
    monkeypatch.setenv("COLUMNS", "100")
    main(argv[1:])
    assert capsys.readouterr().out.rstrip("\n") == expected


def test_python_examples() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```python\n(.*?)```", text, re.S) if ">>>" in b]
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for index, block in enumerate(blocks):
        runner.run(doctest.DocTestParser().get_doctest(block, {}, f"report.md[{index}]",
                                                       str(DOC), 0))
    assert blocks and runner.summarize(verbose=False).failed == 0
