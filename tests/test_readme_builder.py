"""The builder's examples in README.md ("## Building queries") and docs/builder.md run as tests.

A ```python block written as a REPL session (``>>>``) is run as a doctest, so printed output is
checked; any other block is executed as a script and carries its own asserts.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Building queries"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _section(text: str, heading: str) -> str:
    start = text.find(heading + "\n")
    if start < 0:
        return ""  # no blocks: test_the_readme_section_has_examples fails
    following = re.search(r"^## ", text[start + len(heading):], re.M)
    return text[start : start + len(heading) + following.start()] if following else text[start:]


def _blocks(path: Path, heading: str | None) -> list[tuple[str, int, str]]:
    text = path.read_text(encoding="utf-8")
    body = _section(text, heading) if heading else text
    offset = text.index(body) if body else 0
    return [(path.name, text.count("\n", 0, offset + m.start(1)) + 1, m.group(1))
            for m in _BLOCK.finditer(body)]


README_BLOCKS = _blocks(ROOT / "README.md", SECTION)
DOC_BLOCKS = _blocks(ROOT / "docs" / "builder.md", None)


def test_the_readme_section_has_examples() -> None:
    assert len(README_BLOCKS) >= 3
    assert any(">>>" in code for _, _, code in README_BLOCKS)
    assert any(">>>" not in code for _, _, code in README_BLOCKS)


@pytest.mark.parametrize(("name", "line", "code"), README_BLOCKS + DOC_BLOCKS,
                         ids=[f"{n}:{line}" for n, line, _ in README_BLOCKS + DOC_BLOCKS])
def test_example_block_runs(name: str, line: int, code: str) -> None:
    where = f"{name}:{line}"
    if ">>>" not in code:
        exec(compile(code, where, "exec"), {"__name__": "__example__"})
        return
    test = doctest.DocTestParser().get_doctest(code, {}, where, where, line - 1)
    report: list[str] = []
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)
