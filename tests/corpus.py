"""Readers for the grammar/examples corpora, shared by the tests that use them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "grammar" / "examples"
_EXPECT = re.compile(r"#\s*expect:\s*(ZQL\d{3})\s+(\d+)-(\d+)\s*$")


@dataclass(frozen=True)
class Invalid:
    query: str
    code: str
    start: int
    end: int


def valid_queries() -> list[str]:
    """Every query of valid.zql (one per line; '#' lines are comments)."""
    lines = (EXAMPLES / "valid.zql").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def invalid_cases() -> list[Invalid]:
    """Every case of invalid.zql: an '# expect: CODE START-END' line, then the query."""
    cases: list[Invalid] = []
    expect: re.Match[str] | None = None
    for line in (EXAMPLES / "invalid.zql").read_text(encoding="utf-8").splitlines():
        match = _EXPECT.match(line)
        if match:
            expect = match
        elif expect is not None and line.strip():
            code, start, end = expect.groups()
            cases.append(Invalid(line, code, int(start), int(end)))
            expect = None
    return cases


def all_queries() -> list[str]:
    """Valid and invalid queries together (for every-prefix tests)."""
    return valid_queries() + [case.query for case in invalid_cases()]
