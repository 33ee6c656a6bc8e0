"""Engines over a whole ``.zql`` text: lint every query, apply fixes, format, in file offsets.

``zql lint`` / ``zql fmt`` (:mod:`zql.cli`), the language server (:mod:`zql.lsp`) and the
shell call these; none of them depends on another adapter for it. Spans are offsets into the
whole text (the header and comments included), so they can be shown or applied as they are.

>>> [(d.code, d.span.start) for d in lint_text('a = 1;\\nstatus = Fail')]
[('ZQL201', 0), ('ZQL107', 16)]
>>> fix_text('status = Fail AND priority in ("P1", "P1")')
'status = "Fail" and priority = "P1"'
>>> format_file('status="Fail";name~"x"')
('status = "Fail";name ~ "x"', [])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from zql.config import Settings
from zql.errors import Diagnostic, Fix, Span, TextEdit, ZQLSyntaxError, apply_edits, line_col
from zql.files import NamedQuery, comment_names, named_queries, parse_file, parse_header
from zql.formatting import format as format_query
from zql.linting import lint, selector
from zql.rules import diagnostic
from zql.schema import load_schema

__all__ = [
    "AppliedFix",
    "FixResult",
    "apply_fixes",
    "file_findings",
    "fix_text",
    "format_file",
    "lint_text",
    "outline",
]

_MAX_FIX_ROUNDS = 5


def _settings(text: str, entity: str | None, schema: str | None,
              select: Sequence[str] | None, ignore: Sequence[str] | None) -> Settings:
    header = parse_header(text)
    return Settings(header.get("entity", entity or "testcase"),
                    header.get("schema", schema or "ze7"),
                    None if select is None else tuple(select),
                    None if ignore is None else tuple(ignore))


def lint_text(text: str, *, entity: str | None = None, schema: str | None = None,
              select: Sequence[str] | None = None,
              ignore: Sequence[str] | None = None,
              settings: Settings | None = None) -> list[Diagnostic]:
    """Lint every query of a ``.zql`` text; spans are offsets into the whole text.

    With ``settings`` (already resolved by :func:`zql.config.resolve`, header included) the
    other options and the header are not consulted again.

    >>> [(d.code, d.span.start) for d in lint_text('# zql: entity=execution\\nstatus = Fail')]
    [('ZQL107', 33)]
    >>> [d.code for d in lint_text('a = 1', settings=Settings(ignore=("ZQL2",)))]
    []
    """
    if settings is None:
        settings = _settings(text, entity, schema, select, ignore)
    options = settings.lint_options()
    # A schema file is read once per text, not once per query.
    options["schema"] = load_schema(options["schema"])
    found: list[Diagnostic] = []
    for query in parse_file(text).queries:
        for diag in lint(query.body, **options):
            found.append(diag.shifted(query.offset))
    found.extend(file_findings(text, settings))
    return found


def file_findings(text: str, settings: Settings) -> list[Diagnostic]:
    """Findings about the file rather than one query: ZQL312, a query name used twice.

    A query is named by a ``# name: NAME`` comment line directly above it
    (:func:`zql.files.named_queries`); ``zql search -f FILE --name NAME`` runs it, so a name
    must be unique in its file. The finding points at the later name.

    >>> text = "# name: fails\\nstatus = 1;\\n# name: fails\\nstatus = 2"
    >>> [(d.code, d.span.start, d.message) for d in file_findings(text, Settings())]
    [('ZQL312', 34, "query name 'fails' is already used on line 2")]
    """
    options = settings.lint_options()
    if not selector(options["select"], options["ignore"])("ZQL312"):
        return []
    names = comment_names(text)
    if len(set(names)) == len(names):
        return []  # the usual case, decided without splitting the file (the LSP runs this per edit)
    first: dict[str, NamedQuery] = {}
    out: list[Diagnostic] = []
    for named in named_queries(text):
        earlier = first.setdefault(named.name, named)
        if earlier is named:
            continue
        out.append(diagnostic(
            "ZQL312", f"query name {named.name!r} is already used on line {earlier.line}",
            Span(*named.name_span),
            f"rename one of them: `zql search --name {named.name}` must pick one query"))
    return out


def outline(text: str) -> list[NamedQuery]:
    """The named queries of a file, in order (an editor's outline; ``# name:`` comments).

    >>> [(q.name, q.line) for q in outline("# name: mine\\nexecutedBy = \\"me\\";\\nx = 1")]
    [('mine', 2)]
    """
    return named_queries(text)


@dataclass(frozen=True, slots=True)
class AppliedFix:
    """One fix ``fix_text`` applied: where (in the text as given), which rule, what changed.

    >>> AppliedFix(1, 5, "ZQL107", "Fail", '"Fail"', "quote it").line_text("q.zql")
    'q.zql:1:5: ZQL107 Fail → "Fail"'
    """

    line: int
    column: int
    code: str
    before: str
    after: str
    title: str

    def line_text(self, name: str) -> str:
        """``name:line:col: CODE before → after``, as ``zql lint --fix`` prints it."""
        return f"{name}:{self.line}:{self.column}: {self.code} {self.before} → {self.after}"


@dataclass(frozen=True, slots=True)
class FixResult:
    """The fixed text and every fix taken, in the order taken."""

    text: str
    applied: tuple[AppliedFix, ...]


def apply_fixes(text: str, *, entity: str | None = None, schema: str | None = None,
                select: Sequence[str] | None = None,
                ignore: Sequence[str] | None = None,
                settings: Settings | None = None, unsafe: bool = False) -> FixResult:
    """Apply the first safe fix of every diagnostic, re-linting until nothing changes.

    Unsafe fixes (guesses, see :class:`zql.Fix`) are applied only with ``unsafe=True``.
    Positions in :attr:`FixResult.applied` refer to ``text`` as given, even for fixes taken
    in a later round (after an earlier fix moved the text).

    >>> r = apply_fixes('status = Fail AND x = 1')
    >>> r.text
    'status = "Fail" and x = 1'
    >>> [(f.code, f.line, f.column, f.before, f.after) for f in r.applied]
    [('ZQL107', 1, 10, 'Fail', '"Fail"'), ('ZQL302', 1, 15, 'AND', 'and')]
    """
    original = text
    rounds: list[list[TextEdit]] = []
    applied: list[AppliedFix] = []
    for _ in range(_MAX_FIX_ROUNDS):
        edits: list[TextEdit] = []
        for diag in lint_text(text, entity=entity, schema=schema, select=select, ignore=ignore,
                              settings=settings):
            fix = next((f for f in diag.fixes if f.safe or unsafe), None)
            if fix is None:
                continue
            if any(_overlaps(new.span, old.span) for new in fix.edits for old in edits):
                continue  # clashes with an edit taken this round: the next round redoes it
            edits.extend(fix.edits)
            applied.append(_describe(text, original, rounds, diag.code, fix))
        if not edits:
            break
        rounds.append(edits)
        text = apply_edits(text, edits)
    return FixResult(text, tuple(applied))


def fix_text(text: str, *, entity: str | None = None, schema: str | None = None,
             select: Sequence[str] | None = None,
             ignore: Sequence[str] | None = None,
             settings: Settings | None = None, unsafe: bool = False) -> str:
    """The text of :func:`apply_fixes` (safe fixes only unless ``unsafe=True``).

    >>> fix_text('prority = "P1"'), fix_text('prority = "P1"', unsafe=True)
    ('prority = "P1"', 'priority = "P1"')
    """
    return apply_fixes(text, entity=entity, schema=schema, select=select, ignore=ignore,
                       settings=settings, unsafe=unsafe).text


def _describe(text: str, original: str, rounds: list[list[TextEdit]], code: str,
              fix: Fix) -> AppliedFix:
    start = min(e.span.start for e in fix.edits)
    end = max(e.span.end for e in fix.edits)
    local = [TextEdit(Span(e.span.start - start, e.span.end - start), e.new_text)
             for e in fix.edits]
    before = text[start:end]
    after = apply_edits(before, local)
    where = start
    for edits in reversed(rounds):  # back through earlier rounds to the text as given
        where = _before_edits(where, edits)
    line, column = line_col(original, where)
    return AppliedFix(line, column, code, _shown(before), _shown(after), fix.title)


def _before_edits(offset: int, edits: list[TextEdit]) -> int:
    """Where ``offset`` of the edited text was before ``edits`` (inside new text: its start)."""
    delta = 0
    for edit in sorted(edits, key=lambda e: e.span.start):
        new_start = edit.span.start + delta
        if offset < new_start:
            break
        if offset < new_start + len(edit.new_text):
            return edit.span.start
        delta += len(edit.new_text) - (edit.span.end - edit.span.start)
    return offset - delta


def _shown(piece: str, limit: int = 60) -> str:
    flat = piece.replace("\n", "\\n")
    if not flat:
        return "''"
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _overlaps(a: Span, b: Span) -> bool:
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one point: their order would be arbitrary
    return a.start < b.end and b.start < a.end


def format_file(text: str, *, portable: bool = False) -> tuple[str, list[str]]:
    """Canonical text of a whole ``.zql`` file, and notes about queries left alone.

    Comments and whitespace around each query are kept; each query is rewritten in place.
    A query that does not parse raises :class:`~zql.ZQLSyntaxError` with file offsets.

    >>> format_file('# zql: entity=execution\\nstatus="Fail"  ;\\nname~"x"\\n')
    ('# zql: entity=execution\\nstatus = "Fail"  ;\\nname ~ "x"\\n', [])
    """
    zfile = parse_file(text)
    pieces: list[str] = []
    notes: list[str] = []
    cursor = 0
    for index, query in enumerate(zfile.queries, 1):
        start, end = query.offset, query.start + query.body_end
        try:
            formatted = format_query(query.body, portable=portable)
        except ZQLSyntaxError as err:
            raise ZQLSyntaxError([d.shifted(query.offset) for d in err.diagnostics], text) from None
        if query.inner_comments:
            notes.append(f"query {index} kept as it is: formatting would drop its comments")
            formatted = query.body
        pieces.append(text[cursor:start])
        pieces.append(formatted)
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces), notes
