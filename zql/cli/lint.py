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
from typing import TYPE_CHECKING, Any

from zql.cli._color import add_color_argument, paint_diagnostics, use_color
from zql.cli._inputs import Source, UsageError, add_input_arguments, iter_sources, write_back
from zql.errors import Diagnostic, Severity, line_col, render
from zql.rules import rule_explanation, rules

if TYPE_CHECKING:
    from zql.config import Settings
    from zql.documents import fix_text, lint_text

# lint_text and fix_text are the engines of zql.documents, kept importable from here (loaded on
# first use: every ``zql`` command builds this module's parser, only ``zql lint`` lints).
__all__ = ["FileResult", "fix_text", "lint_text", "list_rules", "register", "report"]

if not TYPE_CHECKING:
    def __getattr__(name: str) -> Any:
        if name in ("fix_text", "lint_text"):
            from zql import documents

            return getattr(documents, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: Bumped only on an incompatible change of the JSON output.
JSON_FORMAT_VERSION = 1


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
                        help="apply safe fixes (files in place; stdin/-q print the result) and "
                        "print each one: file:line:col: CODE before → after")
    parser.add_argument("--diff", action="store_true",
                        help="print the fixes as a unified diff instead of writing them "
                        "(exit 1 if anything would change)")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix or --diff, also apply guesses such as did-you-mean "
                        "field names")
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

    >>> from zql.documents import lint_text
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

    >>> from zql.documents import lint_text
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
    ZQL100  empty-query                 error    none   the query is empty (or not text at all)
    """
    if output_format == "json":
        return json.dumps([{"code": r.code, "name": r.name, "severity": str(r.severity),
                            "category": r.category, "fix": r.fix, "summary": r.summary,
                            "why": r.why, "bad": r.bad, "good": r.good} for r in rules()],
                          indent=2, ensure_ascii=False)
    lines = [f"{'CODE':<7} {'NAME':<27} {'SEVERITY':<8} {'FIX':<6} SUMMARY"]
    lines += [f"{r.code:<7} {r.name:<27} {r.severity!s:<8} {r.fix:<6} {r.summary}"
              for r in rules()]
    return "\n".join(lines)


def _resolver(args: argparse.Namespace) -> Any:
    """A function from a source to its settings: header > flags > config file > defaults."""
    from pathlib import Path

    from zql.config import ConfigCache, Settings, load_config, resolve, settings_from

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
    from zql.documents import lint_text
    from zql.errors import ZQLError

    if args.list_rules:
        print(list_rules("json" if args.output_format == "json" else "human"))
        return 0
    if args.explain is not None:
        try:
            print(rule_explanation(args.explain))
        except KeyError as err:
            print(f"zql lint: {err.args[0]}", file=sys.stderr)
            return 2
        return 0
    results: list[FileResult] = []
    changed = False
    try:
        settings_for = _resolver(args)
        for source in iter_sources(args):
            text = source.text
            settings = settings_for(text, source.path)
            if args.fix or args.diff:
                text, touched = _fix(source, text, settings, args)
                changed = changed or touched
            results.append(FileResult(source.name, text, lint_text(text, settings=settings)))
    except UsageError as err:
        print(f"zql lint: {err}", file=sys.stderr)
        return 2
    except ZQLError as err:  # unknown entity, unreadable schema or config file, unknown rule
        print(f"zql lint: {err}", file=sys.stderr)
        return 2
    output = report(results, args.output_format)
    if output:
        # With --fix or --diff, stdout carries the fixed text or the diff.
        quiet_stdout = args.diff or (args.fix and args.output_format == "human")
        stream = sys.stderr if quiet_stdout else sys.stdout
        if args.output_format == "human":
            output = paint_diagnostics(output, use_color(args.color, stream))
        print(output, file=stream)
    worst = max((r.worst for r in results if r.worst is not None), default=None)
    return 1 if worst is Severity.ERROR or (args.diff and changed) else 0


def _fix(source: Source, text: str, settings: Settings,
         args: argparse.Namespace) -> tuple[str, bool]:
    """Apply (``--fix``) or show (``--diff``) the fixes of one input; the text to lint next."""
    from zql.documents import apply_fixes

    result = apply_fixes(text, settings=settings, unsafe=args.unsafe_fixes)
    if args.diff:
        import difflib

        old, new = (f"a/{source.name}", f"b/{source.name}") if source.path else ("-", "-")
        for line in difflib.unified_diff(text.splitlines(keepends=True),
                                         result.text.splitlines(keepends=True), old, new):
            # As diff and git show it, so that patch(1) applies it.
            sys.stdout.write(line if line.endswith("\n") else
                             f"{line}\n\\ No newline at end of file\n")
        return text, result.text != text  # nothing is written: lint what is there
    if source.path is not None and result.text != text:
        write_back(source, result.text, force=args.force)  # refused: nothing was changed
    for applied in result.applied:
        print(applied.line_text(source.name), file=sys.stderr)
    if source.path is None:
        sys.stdout.write(_ending(result.text))
    elif result.text != text:
        count = len(result.applied)
        print(f"fixed {source.name} ({count} fix{'es' * (count != 1)})", file=sys.stderr)
    return result.text, result.text != text


def _ending(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"
