"""Positions, diagnostics and the exception hierarchy shared by every part of the toolkit.

A :class:`Diagnostic` is the one currency of the parser, validator, linter, shell and language
server. Spans are 0-based code-point offsets into the query text; line and column numbers are
computed only at the edges (:func:`line_col` for people, the LSP adapter for UTF-16).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = [
    "EXCERPT_WIDTH",
    "Diagnostic",
    "Fix",
    "Severity",
    "Span",
    "TextEdit",
    "ZQLError",
    "ZQLSyntaxError",
    "apply_edits",
    "line_col",
    "render",
]


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A half-open range ``[start, end)`` of code-point offsets.

    >>> Span(2, 5).slice("a = b and c")
    '= b'
    >>> len(Span(2, 5))
    3
    """

    start: int
    end: int

    def __len__(self) -> int:
        return self.end - self.start

    def slice(self, text: str) -> str:
        """Return the part of ``text`` this span covers.

        >>> Span(0, 1).slice("xyz")
        'x'
        """
        return text[self.start : self.end]

    def cover(self, other: Span) -> Span:
        """The smallest span covering both.

        >>> Span(1, 2).cover(Span(5, 7))
        Span(start=1, end=7)
        """
        return Span(min(self.start, other.start), max(self.end, other.end))


class Severity(enum.IntEnum):
    """How serious a diagnostic is; higher is worse.

    >>> Severity.ERROR > Severity.WARNING
    True
    >>> str(Severity.INFO)
    'info'
    """

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace the text under ``span`` with ``new_text``.

    >>> TextEdit(Span(0, 1), "b").apply("a = 1")
    'b = 1'
    """

    span: Span
    new_text: str

    def apply(self, text: str) -> str:
        """Return ``text`` with this edit applied.

        >>> TextEdit(Span(4, 4), '"').apply('a = 1')
        'a = "1'
        """
        return text[: self.span.start] + self.new_text + text[self.span.end :]


@dataclass(frozen=True, slots=True)
class Fix:
    """A named set of edits that an editor or ``zql lint --fix`` can apply together.

    ``safe`` fixes keep what the query evidently means (quote a bare word, lowercase a
    keyword, lower a negation); unsafe ones are guesses (a did-you-mean field or value,
    closing a string at the end of its line), which ``zql lint --fix`` applies only when asked
    with ``--unsafe-fixes`` and editors offer without preferring them.

    >>> Fix("quote the value", (TextEdit(Span(4, 4), '"'), TextEdit(Span(8, 8), '"'))).apply(
    ...     "s = Fail")
    's = "Fail"'
    """

    title: str
    edits: tuple[TextEdit, ...]
    safe: bool = True

    def apply(self, text: str) -> str:
        """Apply every edit of this fix to ``text``.

        >>> Fix("x", (TextEdit(Span(0, 1), "y"),)).apply("x")
        'y'
        """
        return apply_edits(text, self.edits)


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """Apply non-overlapping edits, right to left so earlier offsets stay valid.

    Overlapping edits raise ``ValueError`` rather than producing garbage.

    >>> apply_edits("a b c", [TextEdit(Span(0, 1), "x"), TextEdit(Span(4, 5), "z")])
    'x b z'
    """
    ordered = sorted(edits, key=lambda e: (e.span.start, e.span.end))
    for left, right in itertools.pairwise(ordered):
        if right.span.start < left.span.end:
            raise ValueError(f"overlapping edits at {left.span} and {right.span}")
    for edit in reversed(ordered):
        text = edit.apply(text)
    return text


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding about a query: a stable code, a severity, a human message and where.

    ``hint`` says what to do; ``fixes`` are edits that do it. Codes: ``ZQL1xx`` syntax,
    ``ZQL2xx`` schema, ``ZQL3xx`` style and portability (see ``grammar/README.md``).

    >>> d = Diagnostic("ZQL101", Severity.ERROR, "unterminated string", Span(4, 8))
    >>> d.code, str(d.severity), d.span.start
    ('ZQL101', 'error', 4)
    """

    code: str
    severity: Severity
    message: str
    span: Span
    hint: str | None = None
    fixes: tuple[Fix, ...] = field(default=())

    @property
    def fix(self) -> Fix | None:
        """The preferred fix, if any.

        >>> Diagnostic("ZQL1", Severity.INFO, "m", Span(0, 0)).fix is None
        True
        """
        return self.fixes[0] if self.fixes else None

    def shifted(self, offset: int) -> Diagnostic:
        """The same diagnostic with every position moved by ``offset`` (for multi-query files).

        >>> Diagnostic("ZQL1", Severity.INFO, "m", Span(1, 2)).shifted(10).span
        Span(start=11, end=12)
        """

        def move(s: Span) -> Span:
            return Span(s.start + offset, s.end + offset)

        fixes = tuple(
            Fix(f.title, tuple(TextEdit(move(e.span), e.new_text) for e in f.edits), f.safe)
            for f in self.fixes
        )
        return Diagnostic(self.code, self.severity, self.message, move(self.span), self.hint, fixes)


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in code points) of ``offset`` in ``text``.

    >>> line_col("a\\nbc", 3)
    (2, 2)
    """
    offset = max(0, min(offset, len(text)))
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


#: Widest source excerpt :func:`render` prints; a longer line is clipped to a window around the
#: span, with ``…`` where text was left out (carets never run past the window).
EXCERPT_WIDTH = 100
# Characters of context kept before the span when a line is clipped.
_BEFORE = 30


def render(text: str, diagnostic: Diagnostic, *, path: str | None = None) -> str:
    """Render a diagnostic with its source line, a caret under the span and the hint.

    >>> print(render('status = Fail', Diagnostic("ZQL107", Severity.ERROR,
    ...     "bare word 'Fail' is not a value", Span(9, 13), hint='quote it: "Fail"')))
    1:10: error[ZQL107]: bare word 'Fail' is not a value
      status = Fail
               ^^^^
      hint: quote it: "Fail"

    A line longer than :data:`EXCERPT_WIDTH` is clipped around the span:

    >>> long = "a = 1 and " * 20 + "b = Fail" + " and c = 2" * 20
    >>> shown, carets = render(long, Diagnostic("ZQL107", Severity.ERROR, "bare word",
    ...                                        Span(204, 208))).splitlines()[1:]
    >>> len(shown) <= EXCERPT_WIDTH + 4, shown[:24], shown.endswith("…")
    (True, '  …1 and a = 1 and a = 1', True)
    >>> shown[carets.index("^"):][:4], carets.count("^")
    ('Fail', 4)
    """
    line, col = line_col(text, diagnostic.span.start)
    line_start = text.rfind("\n", 0, diagnostic.span.start) + 1
    line_end = text.find("\n", line_start)
    if line_end == -1:
        line_end = len(text)
    start = diagnostic.span.start - line_start
    end = min(diagnostic.span.end, line_end) - line_start
    shown, caret_at, width = _excerpt(text[line_start:line_end], start, end)
    where = f"{path}:{line}:{col}" if path else f"{line}:{col}"
    out = [
        f"{where}: {diagnostic.severity}[{diagnostic.code}]: {diagnostic.message}",
        f"  {shown}",
        "  " + " " * caret_at + "^" * width,
    ]
    if diagnostic.hint:
        out.append(f"  hint: {diagnostic.hint}")
    return "\n".join(out)


def _excerpt(source: str, start: int, end: int) -> tuple[str, int, int]:
    """The printable part of ``source`` to show, where the carets start in it, how many."""
    width = max(1, end - start)
    if len(source) <= EXCERPT_WIDTH:
        return _printable(source), start, width
    left = max(0, start - _BEFORE)
    right = min(len(source), left + EXCERPT_WIDTH)
    left = max(0, min(left, right - EXCERPT_WIDTH))
    head = "…" if left > 0 else ""
    tail = "…" if right < len(source) else ""
    shown = head + _printable(source[left:right]) + tail
    return shown, len(head) + start - left, max(1, min(width, right - start))


def _printable(source: str) -> str:
    # Tabs would misalign the caret; other control characters would garble the terminal.
    return "".join(" " if ch == "\t" else ("?" if ord(ch) < 32 else ch) for ch in source)


class ZQLError(Exception):
    """Root of every error this library raises about queries and schemas.

    >>> issubclass(ZQLSyntaxError, ZQLError)
    True
    """


class ZQLSyntaxError(ZQLError, ValueError):
    """A query that does not parse. ``diagnostics`` is never empty.

    ``str(err)`` renders the source line with a caret and the hint.

    >>> import zql
    >>> try:
    ...     zql.parse('status = "Fail')
    ... except zql.ZQLSyntaxError as err:
    ...     print(err.diagnostics[0].code, err.diagnostics[0].span)
    ZQL101 Span(start=9, end=14)
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], text: str) -> None:
        if not diagnostics:
            raise ValueError("ZQLSyntaxError needs at least one diagnostic")
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        self.text = text
        super().__init__(self.diagnostics[0].message)

    @property
    def diagnostic(self) -> Diagnostic:
        """The first (primary) diagnostic."""
        return self.diagnostics[0]

    def __str__(self) -> str:
        return "\n".join(render(self.text, d) for d in self.diagnostics)
