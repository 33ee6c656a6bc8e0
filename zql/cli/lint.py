"""``zql lint``: check queries and files; human, gcc and JSON output; ``--fix``.

The JSON output is a stable, documented format (``docs/cli.md``); gcc output is
``path:line:col: severity: CODE message`` with 1-based columns.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from zql.cli._inputs import UsageError, add_input_arguments, iter_sources, write_atomically
from zql.errors import Diagnostic, Severity, Span, TextEdit, apply_edits, line_col, render

__all__ = ["FileResult", "fix_text", "lint_text", "register"]

#: Bumped only on an incompatible change of the JSON output.
JSON_FORMAT_VERSION = 1
_MAX_FIX_ROUNDS = 5


def register(subparsers: Any) -> None:
    """Add the ``lint`` subcommand."""
    parser = subparsers.add_parser(
        "lint", help="check queries for mistakes",
        description="Check ZQL queries against the grammar and a schema profile. A .zql file "
        "holds queries separated by ';' with '#' comments; a first line '# zql: entity=E "
        "schema=S' sets that file's options. Exit 0 clean, 1 errors found, 2 usage or I/O.",
    )
    add_input_arguments(parser)
    parser.add_argument("--entity", default=None,
                        help="testcase (default), requirement or execution")
    parser.add_argument("--schema", default=None, metavar="ze6|ze7|FILE",
                        help="schema profile or schema JSON file (default ze7)")
    parser.add_argument("--format", default="human", choices=FORMATS, dest="output_format",
                        help="output format (default human)")
    parser.add_argument("--fix", action="store_true",
                        help="apply available fixes (files in place; stdin/-q print the result)")
    parser.set_defaults(run=run)


class FileResult:
    """Diagnostics of one input, with file-level offsets.

    >>> r = FileResult("q.zql", "a = Fail", lint_text("a = Fail"))
    >>> [d.code for d in r.diagnostics]
    ['ZQL107']
    """

    def __init__(self, name: str, text: str, diagnostics: Sequence[Diagnostic]) -> None:
        self.name = name
        self.text = text
        self.diagnostics = list(diagnostics)

    @property
    def worst(self) -> Severity | None:
        """The most severe finding, if any."""
        return max((d.severity for d in self.diagnostics), default=None)


def _options(text: str, entity: str | None, schema: str | None) -> tuple[str, str]:
    from zql.files import parse_header

    header = parse_header(text)
    return header.get("entity", entity or "testcase"), header.get("schema", schema or "ze7")


def lint_text(text: str, *, entity: str | None = None, schema: str | None = None,
              select: Sequence[str] | None = None,
              ignore: Sequence[str] | None = None) -> list[Diagnostic]:
    """Lint every query of a ``.zql`` text; spans are offsets into the whole text.

    >>> [(d.code, d.span.start) for d in lint_text('a = 1;\\nstatus = Fail')]
    [('ZQL201', 0), ('ZQL107', 16)]
    """
    from zql.files import parse_file
    from zql.lint import lint

    entity, schema = _options(text, entity, schema)
    found: list[Diagnostic] = []
    for query in parse_file(text).queries:
        for diag in lint(query.body, entity=entity, schema=schema, select=select, ignore=ignore):
            found.append(diag.shifted(query.offset))
    return found


def fix_text(text: str, *, entity: str | None = None, schema: str | None = None,
             select: Sequence[str] | None = None,
             ignore: Sequence[str] | None = None) -> str:
    """Apply the preferred fix of every diagnostic, re-linting until nothing changes.

    >>> fix_text('status = Fail AND priority in ("P1", "P1")')
    'status = "Fail" AND priority in ("P1", "P1")'
    """
    for _ in range(_MAX_FIX_ROUNDS):
        edits: list[TextEdit] = []
        for diag in lint_text(text, entity=entity, schema=schema, select=select, ignore=ignore):
            fix = diag.fix
            if fix is None:
                continue
            if any(_overlaps(new.span, old.span) for new in fix.edits for old in edits):
                continue  # clashes with an edit taken this round: the next round redoes it
            edits.extend(fix.edits)
        if not edits:
            break
        text = apply_edits(text, edits)
    return text


def _overlaps(a: Span, b: Span) -> bool:
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one point: their order would be arbitrary
    return a.start < b.end and b.start < a.end


FORMATS = ("human", "gcc", "json")


def _json_diag(text: str, diag: Diagnostic) -> dict[str, Any]:
    line, col = line_col(text, diag.span.start)
    end_line, end_col = line_col(text, diag.span.end)
    return {
        "code": diag.code,
        "severity": str(diag.severity),
        "message": diag.message,
        "hint": diag.hint,
        "line": line,
        "column": col,
        "end_line": end_line,
        "end_column": end_col,
        "offset": diag.span.start,
        "end_offset": diag.span.end,
        "fixes": [
            {"title": f.title, "edits": [
                {"offset": e.span.start, "end_offset": e.span.end, "new_text": e.new_text}
                for e in f.edits]}
            for f in diag.fixes
        ],
    }


def report(results: Sequence[FileResult], output_format: str) -> str:
    """Render results in one of :data:`FORMATS`.

    >>> print(report([FileResult("q.zql", "a = Fail", lint_text("a = Fail"))], "gcc"))
    q.zql:1:5: error: ZQL107 bare word 'Fail' is not a value
    """
    if output_format == "json":
        counts = {str(s): 0 for s in Severity}
        for result in results:
            for diag in result.diagnostics:
                counts[str(diag.severity)] += 1
        return json.dumps({
            "version": JSON_FORMAT_VERSION,
            "files": [{"path": r.name, "diagnostics": [_json_diag(r.text, d)
                                                       for d in r.diagnostics]}
                      for r in results],
            "summary": {"files": len(results), "errors": counts["error"],
                        "warnings": counts["warning"], "infos": counts["info"]},
        }, indent=2, ensure_ascii=False)
    lines: list[str] = []
    for result in results:
        for diag in result.diagnostics:
            if output_format == "gcc":
                line, col = line_col(result.text, diag.span.start)
                lines.append(f"{result.name}:{line}:{col}: {diag.severity}: {diag.code} "
                             f"{diag.message}")
            else:
                lines.append(render(result.text, diag, path=result.name))
    if output_format == "human":
        total = sum(len(r.diagnostics) for r in results)
        errors = sum(d.severity is Severity.ERROR for r in results for d in r.diagnostics)
        if total:
            lines.append(f"Found {total} problem{'s' * (total != 1)} ({errors} "
                         f"error{'s' * (errors != 1)}) in {len(results)} "
                         f"input{'s' * (len(results) != 1)}.")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Lint every input and print the report; exit 1 when an error-level finding remains."""
    from zql.errors import ZQLError

    results: list[FileResult] = []
    try:
        for source in iter_sources(args):
            text = source.text
            if args.fix:
                fixed = fix_text(text, entity=args.entity, schema=args.schema)
                if source.path is None:
                    sys.stdout.write(fixed if fixed.endswith("\n") else fixed + "\n")
                elif fixed != text:
                    write_atomically(source.path, fixed)
                    print(f"fixed {source.name}", file=sys.stderr)
                text = fixed
            results.append(FileResult(source.name, text,
                                       lint_text(text, entity=args.entity, schema=args.schema)))
    except UsageError as err:
        print(f"zql lint: {err}", file=sys.stderr)
        return 2
    except ZQLError as err:  # unknown entity, unreadable schema file
        print(f"zql lint: {err}", file=sys.stderr)
        return 2
    output = report(results, args.output_format)
    if output:
        print(output, file=sys.stderr if args.fix and args.output_format == "human" else sys.stdout)
    worst = max((r.worst for r in results if r.worst is not None), default=None)
    return 1 if worst is Severity.ERROR else 0
