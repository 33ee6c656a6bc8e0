"""Rendered diagnostics stay bounded: every excerpt is clipped around its span (issue 11 #20)."""

from __future__ import annotations

import pytest

import zql
from zql.errors import EXCERPT_WIDTH, Diagnostic, Severity, Span, render


def _lines(text: str, diag: Diagnostic) -> tuple[str, str, str]:
    header, shown, carets = render(text, diag).splitlines()[:3]
    return header, shown[2:], carets[2:]


def test_zql307_on_a_28000_character_line_prints_a_bounded_line_and_carets() -> None:
    text = " or ".join(f'name ~ "login{i:05d}"' for i in range(1000))
    assert len(text) > 20000 and "\n" not in text
    diags = [d for d in zql.lint(text) if d.code == "ZQL307"]
    assert diags, "the URL-length rule fires on this query"
    rendered = render(text, diags[0])
    assert all(len(line) <= EXCERPT_WIDTH + 4 for line in rendered.splitlines()[1:3])
    _header, shown, carets = _lines(text, diags[0])
    assert shown.endswith("…") and not shown.startswith("…")  # the span starts the line
    assert set(carets) == {"^"} and len(carets) <= EXCERPT_WIDTH


@pytest.mark.parametrize("where", [0, 5000, 13990])
def test_carets_sit_under_the_span_in_a_clipped_line(where: int) -> None:
    text = "x" * where + "NEEDLE" + "y" * (14000 - where)
    diag = Diagnostic("ZQL103", Severity.ERROR, "here", Span(where, where + 6))
    header, shown, carets = _lines(text, diag)
    assert header.startswith(f"1:{where + 1}:")
    assert len(shown) <= EXCERPT_WIDTH + 2
    assert shown.startswith("…") == (where > 0) and shown.endswith("…") == (where < 13990)
    col = carets.index("^")
    assert shown[col:col + 6] == "NEEDLE" and carets.count("^") == 6


def test_a_short_line_is_shown_whole() -> None:
    text = 'status = Fail and x = 1'
    _header, shown, carets = _lines(text, Diagnostic("ZQL107", Severity.ERROR, "m", Span(9, 13)))
    assert shown == text and carets == " " * 9 + "^^^^"


def test_syntax_error_messages_clip_the_offending_text() -> None:
    word = "w" * 30000
    with pytest.raises(zql.ZQLSyntaxError) as caught:
        zql.parse(f"status = {word}")
    diag = caught.value.diagnostics[0]
    assert len(diag.message) < 200 and (diag.hint is None or len(diag.hint) < 300)
    assert all(len(line) <= EXCERPT_WIDTH + 300 for line in str(caught.value).splitlines())
