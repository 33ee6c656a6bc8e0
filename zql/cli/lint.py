"""``zql lint``: check queries and files; human, gcc, JSON, SARIF and GitHub output; ``--fix``.

The JSON output is a stable, documented format (``docs/cli.md``); gcc output is
``path:line:col: severity: CODE message`` with 1-based columns. SARIF 2.1.0 and GitHub workflow
annotations come from :mod:`zql.sarif`. Settings are resolved by :mod:`zql.config`: the file's
header, then the command line, then the nearest ``zql.toml`` / ``[tool.zql]``, then defaults.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from zql.cli._color import add_color_argument, paint_diagnostics, use_color
from zql.cli._inputs import UsageError, add_input_arguments, iter_sources, write_back
from zql.config import Settings
from zql.errors import Diagnostic, Severity, Span, TextEdit, apply_edits, line_col, render

__all__ = ["FileResult", "explain", "fix_text", "lint_text", "list_rules", "register"]

#: Bumped only on an incompatible change of the JSON output.
JSON_FORMAT_VERSION = 1
_MAX_FIX_ROUNDS = 5


def register(subparsers: Any) -> None:
    """Add the ``lint`` subcommand."""
    parser = subparsers.add_parser(
        "lint", help="check queries for mistakes",
        description="Check ZQL queries against the grammar and a schema profile. A .zql file "
        "holds queries separated by ';' with '#' comments; a first line '# zql: entity=E "
        "schema=S' sets that file's options, over the command line, over the nearest zql.toml "
        "or [tool.zql] in pyproject.toml. Exit 0 clean, 1 errors found, 2 usage or I/O.",
    )
    add_input_arguments(parser)
    parser.add_argument("--entity", default=None,
                        help="testcase (default), requirement or execution")
    parser.add_argument("--schema", default=None, metavar="ze6|ze7|FILE",
                        help="schema profile or schema JSON file (default ze7)")
    parser.add_argument("--format", default="human", choices=FORMATS, dest="output_format",
                        help="output format (default human)")
    parser.add_argument("--fix", action="store_true",
                        help="apply safe fixes (files in place; stdin/-q print the result)")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix, also apply guesses such as did-you-mean field names")
    parser.add_argument("--select", action="append", default=None, metavar="CODES",
                        help="only these rules: codes, prefixes (ZQL3) or names, comma-separated")
    parser.add_argument("--ignore", action="append", default=None, metavar="CODES",
                        help="skip these rules: codes, prefixes or names, comma-separated")
    config = parser.add_mutually_exclusive_group()
    config.add_argument("--config", default=None, metavar="FILE",
                        help="use this zql.toml or pyproject.toml instead of searching")
    config.add_argument("--no-config", action="store_true",
                        help="ignore zql.toml and [tool.zql] files")
    parser.add_argument("--list-rules", action="store_true",
                        help="list every rule (code, name, severity, summary) and exit")
    parser.add_argument("--explain", default=None, metavar="CODE",
                        help="explain a rule: what it catches, why, an example and its fix")
    add_color_argument(parser)
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
              ignore: Sequence[str] | None = None,
              settings: Settings | None = None) -> list[Diagnostic]:
    """Lint every query of a ``.zql`` text; spans are offsets into the whole text.

    With ``settings`` (already resolved by :func:`zql.config.resolve`, header included) the
    other options and the header are not consulted again.

    >>> [(d.code, d.span.start) for d in lint_text('a = 1;\\nstatus = Fail')]
    [('ZQL201', 0), ('ZQL107', 16)]
    >>> [d.code for d in lint_text('a = 1', settings=Settings(ignore=("ZQL2",)))]
    []
    """
    from zql.files import parse_file
    from zql.lint import lint
    from zql.schema import load_schema

    if settings is None:
        entity, schema = _options(text, entity, schema)
        settings = Settings(entity, schema, None if select is None else tuple(select),
                            None if ignore is None else tuple(ignore))
    options = settings.lint_options()
    # A schema file is read once per text, not once per query.
    options["schema"] = load_schema(options["schema"])
    found: list[Diagnostic] = []
    for query in parse_file(text).queries:
        for diag in lint(query.body, **options):
            found.append(diag.shifted(query.offset))
    return found


def fix_text(text: str, *, entity: str | None = None, schema: str | None = None,
             select: Sequence[str] | None = None,
             ignore: Sequence[str] | None = None,
             settings: Settings | None = None, unsafe: bool = False) -> str:
    """Apply the first safe fix of every diagnostic, re-linting until nothing changes.

    Unsafe fixes (guesses, see :class:`zql.Fix`) are applied only with ``unsafe=True``.

    >>> fix_text('status = Fail AND priority in ("P1", "P1")')
    'status = "Fail" and priority = "P1"'
    >>> fix_text('prority = "P1"'), fix_text('prority = "P1"', unsafe=True)
    ('prority = "P1"', 'priority = "P1"')
    """
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
        if not edits:
            break
        text = apply_edits(text, edits)
    return text


def _overlaps(a: Span, b: Span) -> bool:
    if a.start == a.end == b.start == b.end:
        return True  # two insertions at one point: their order would be arbitrary
    return a.start < b.end and b.start < a.end


FORMATS = ("human", "gcc", "json", "sarif", "github")


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
            {"title": f.title, "safe": f.safe, "edits": [
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
    if output_format in ("sarif", "github"):
        from zql.sarif import github_annotations, to_sarif

        triples = [(r.name, r.text, r.diagnostics) for r in results]
        if output_format == "github":
            return github_annotations(triples)
        return json.dumps(to_sarif(triples), indent=2, ensure_ascii=False)
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


def list_rules(output_format: str = "human") -> str:
    """Every rule as a table (or a JSON list with ``output_format="json"``).

    >>> print(list_rules().splitlines()[1])
    ZQL100  empty-query                 error    the query is empty (or not text at all)
    """
    from zql.rules import rules

    if output_format == "json":
        return json.dumps([{"code": r.code, "name": r.name, "severity": str(r.severity),
                            "category": r.category, "summary": r.summary, "why": r.why,
                            "bad": r.bad, "good": r.good} for r in rules()],
                          indent=2, ensure_ascii=False)
    lines = [f"{'CODE':<7} {'NAME':<27} {'SEVERITY':<8} SUMMARY"]
    lines += [f"{r.code:<7} {r.name:<27} {r.severity!s:<8} {r.summary}" for r in rules()]
    return "\n".join(lines)


def explain(code: str) -> str:
    """What a rule catches, why it matters, an example and its fix (``KeyError`` if unknown).

    >>> print(explain("mixed-and-or").splitlines()[0])
    ZQL301 mixed-and-or (warning, style): and and or mixed without parentheses
    """
    from zql.rules import rule

    r = rule(f"ZQL{code}" if code.strip().isdigit() else code)
    return "\n".join([
        f"{r.code} {r.name} ({r.severity}, {r.category}): {r.summary}",
        "",
        r.why,
        "",
        f"Example ({r.entity}, schema {r.profile}):",
        f"  {_shown(r.bad)}",
        "Fixed:",
        f"  {_shown(r.good)}",
        "",
        f"Silence it with --ignore {r.code}, or ignore = [\"{r.code}\"] in zql.toml.",
    ])


def _shown(example: str, limit: int = 160) -> str:
    # Some examples are machine-sized (a query too long for a URL); show their start.
    if len(example) <= limit:
        return example
    return f"{example[:limit - 40]}… ({len(example)} characters)"


def _resolver(args: argparse.Namespace) -> Any:
    """A function from a source to its settings: header > flags > config file > defaults."""
    from pathlib import Path

    from zql.config import ConfigCache, load_config, resolve, settings_from

    joined = {key: ",".join(getattr(args, key)) for key in ("select", "ignore")
              if getattr(args, key) is not None}
    explicit = settings_from({"entity": args.entity, "schema": args.schema, **joined},
                             base_dir=Path.cwd(), origin="command line")
    if args.config and not Path(args.config).is_file():
        raise UsageError(f"{args.config}: no such config file")
    fixed_config = load_config(Path(args.config)) if args.config else None
    cache = ConfigCache()

    def settings_for(text: str, path: Path | None) -> Settings:
        if args.no_config:
            config = Settings()
        elif fixed_config is not None:
            config = fixed_config
        else:
            config = cache.settings(path if path is not None else Path.cwd())
        return resolve(text, path, explicit=explicit, config=config)

    return settings_for


def run(args: argparse.Namespace) -> int:
    """Lint every input and print the report; exit 1 when an error-level finding remains."""
    from zql.errors import ZQLError

    if args.list_rules:
        print(list_rules("json" if args.output_format == "json" else "human"))
        return 0
    if args.explain is not None:
        try:
            print(explain(args.explain))
        except KeyError as err:
            print(f"zql lint: {err.args[0]}", file=sys.stderr)
            return 2
        return 0
    results: list[FileResult] = []
    try:
        settings_for = _resolver(args)
        for source in iter_sources(args):
            text = source.text
            settings = settings_for(text, source.path)
            if args.fix:
                fixed = fix_text(text, settings=settings, unsafe=args.unsafe_fixes)
                if source.path is None:
                    sys.stdout.write(fixed if fixed.endswith("\n") else fixed + "\n")
                elif fixed != text:
                    write_back(source, fixed, force=args.force)
                    print(f"fixed {source.name}", file=sys.stderr)
                text = fixed
            results.append(FileResult(source.name, text, lint_text(text, settings=settings)))
    except UsageError as err:
        print(f"zql lint: {err}", file=sys.stderr)
        return 2
    except ZQLError as err:  # unknown entity, unreadable schema or config file, unknown rule
        print(f"zql lint: {err}", file=sys.stderr)
        return 2
    output = report(results, args.output_format)
    if output:
        stream = sys.stderr if args.fix and args.output_format == "human" else sys.stdout
        if args.output_format == "human":
            output = paint_diagnostics(output, use_color(args.color, stream))
        print(output, file=stream)
    worst = max((r.worst for r in results if r.worst is not None), default=None)
    return 1 if worst is Severity.ERROR else 0
