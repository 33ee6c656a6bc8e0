"""Every diagnostic code is emitted, registered and documented — and nothing else is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zql.rules import rules

ROOT = Path(__file__).resolve().parent.parent
_LITERAL = re.compile(r"""["'](ZQL\d{3})["']""")
# A table row of grammar/README.md: | ZQL301 | warning | `mixed-and-or` | meaning |
_ROW = re.compile(r"^\|\s*(ZQL\d{3})\s*\|\s*(\w+)\s*\|\s*`([a-z0-9-]+)`\s*\|(.+)\|\s*$", re.M)


def _literals(*, skip: str | None = None) -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "zql").rglob("*.py"):
        if path.name != skip:
            codes.update(_LITERAL.findall(path.read_text(encoding="utf-8")))
    return codes


def _table() -> dict[str, tuple[str, str]]:
    text = (ROOT / "grammar" / "README.md").read_text(encoding="utf-8")
    rows = _ROW.findall(text)
    table = {code: (severity, name) for code, severity, name, _ in rows}
    assert len(table) == len(rows), "a code appears twice in the table"
    return table


def test_every_code_in_the_source_is_registered_and_documented() -> None:
    registered = {r.code for r in rules()}
    found = _literals()
    assert found, "the literal pattern found nothing: is the pattern still right?"
    assert found - registered == set()
    assert found - set(_table()) == set()


def test_every_registered_code_is_emitted_somewhere() -> None:
    """The registry names no code that no module outside it produces."""
    assert {r.code for r in rules()} - _literals(skip="rules.py") == set()


def test_table_and_registry_agree() -> None:
    table = _table()
    registry = {r.code: (str(r.severity), r.name) for r in rules()}
    assert table == registry


@pytest.mark.parametrize("code", sorted(_table()))
def test_table_rows_have_a_meaning(code: str) -> None:
    text = (ROOT / "grammar" / "README.md").read_text(encoding="utf-8")
    meaning = next(m for c, _, _, m in _ROW.findall(text) if c == code)
    assert meaning.strip()
