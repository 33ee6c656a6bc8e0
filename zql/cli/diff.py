"""``zql diff``: what changed between two sets of executions (two cycles, two releases).

Exit codes: 0 compared (and nothing in a ``--fail-on`` category), 1 a test case in a
``--fail-on`` category, or a query or server error, 2 usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from zql.cli._connect import add_connection_arguments, connect
from zql.cli._inputs import UsageError
from zql.cli._reporting import (
    ScanProgress,
    add_output_arguments,
    check_output,
    chosen_format,
    guarded,
    write_output,
)

__all__ = ["register", "run"]


#: The diff categories, in zql.report.CATEGORIES' order (importing zql.report here would load
#: the report engines on every ``zql`` start, for ``--help``). A test holds the two equal.
CATEGORIES = ("regressed", "still failing", "not run in B", "fixed", "newly run", "only in A",
              "only in B", "unchanged")


def _category_names() -> dict[str, str]:
    return {c.replace(" ", "-").lower(): c for c in CATEGORIES}


def register(subparsers: Any) -> None:
    """Add the ``diff`` subcommand.

    >>> import argparse
    >>> commands = argparse.ArgumentParser().add_subparsers()
    >>> register(commands)
    >>> commands.choices["diff"].parse_args(["a", "b", "--fail-on", "regressed"]).fail_on
    'regressed'
    """
    names = ", ".join(_category_names())
    parser = subparsers.add_parser(
        "diff", help="what changed between two sets of executions (regressed, fixed...)",
        description="Compare two sets of executions test case by test case (a test case's\n"
        "status in a set is its most recent executed execution's): regressed, still\n"
        "failing, not run in B, fixed, newly run, only in A, only in B, unchanged. The\n"
        "summary comes first, then the lists, regressions first. Exit codes: 0 compared,\n"
        "1 a test case in a --fail-on category (or a query/server error), 2 usage,\n"
        "130 interrupted.",
        epilog="examples:\n"
        "  zql diff --sandbox 'cycle = \"Hotfix 55\"' 'cycle = \"Release Candidate 18\"'\n"
        "  zql diff --sandbox --a-release 'Ironclad 3.0' --b-release 'Ironclad 3.1' "
        "'priority = \"Critical\"'\n"
        "  zql diff QUERY_A QUERY_B --fail-on regressed,still-failing   # a CI gate",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query_a", metavar="QUERY_A", help="the executions of A (ZQL)")
    parser.add_argument("query_b", metavar="QUERY_B", nargs="?",
                        help="the executions of B (default: QUERY_A, with --a/--b-release)")
    parser.add_argument("--entity", default="execution",
                        help="execution (the only entity a diff compares)")
    parser.add_argument("--a-release", metavar="R", help="release (id or name) of A")
    parser.add_argument("--b-release", metavar="R", help="release (id or name) of B")
    parser.add_argument("--project", metavar="P", help="project id or name")
    parser.add_argument("--fail-on", metavar="CATEGORY[,CATEGORY]",
                        help=f"exit 1 when a test case falls in one of these: {names}")
    add_output_arguments(parser)
    add_connection_arguments(parser)
    parser.set_defaults(run=run)


def _fail_on(text: str | None) -> list[str]:
    if not text:
        return []
    known = _category_names()
    out = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        category = known.get(part.replace(" ", "-"))
        if category is None:
            raise UsageError(f"--fail-on: unknown category {part!r}; one of: "
                             f"{', '.join(known)}")
        out.append(category)
    return out


def run(args: argparse.Namespace) -> int:
    """Compare and write; see the module docstring for exit codes.

    >>> from zql.cli import main
    >>> main(["diff", "--sandbox", 'cycle = "Hotfix 55"', 'cycle = "Release Candidate 18"',
    ...       "--format", "json"])  # doctest: +ELLIPSIS
    {"a": "cycle = \\"Hotfix 55\\"", "b": "cycle = \\"Release Candidate 18\\"", "summary": {...
    0
    """
    from zql.parser import parse
    from zql.report import Diff, ReportInterrupted
    from zql.report.render import render_diff
    from zql.schema import Schema

    fmt = chosen_format(args)
    progress = ScanProgress(args.progress, "zql diff", args.page_size)

    def work() -> int:
        if Schema.entity_name(args.entity) != "execution":
            raise UsageError(f"--entity {args.entity}: a diff compares executions only")
        failing = _fail_on(args.fail_on)
        query_a = sys.stdin.read() if args.query_a == "-" else args.query_a
        query_b = args.query_b
        if query_b is None and not (args.a_release and args.b_release):
            raise UsageError("give QUERY_B, or --a-release and --b-release to compare the "
                             "same query in two releases")
        check_output(args.output)
        parse(query_a)
        if query_b is not None:
            parse(query_b)
        with connect(args) as client:
            try:
                result = client.diff(query_a, query_b, release_a=args.a_release,
                                     release_b=args.b_release, project=args.project,
                                     page_size=args.page_size, progress=progress)
            finally:
                progress.close()
        write_output(render_diff(result, fmt), args.output)
        summary = result.summary
        hit = [f"{summary[c]} {c}" for c in failing if summary[c]]
        if hit:
            print(f"zql diff: failing: {', '.join(hit)}", file=sys.stderr)
            return 1
        return 0

    def interrupted(stop: ReportInterrupted) -> None:
        assert isinstance(stop.partial, Diff)
        write_output(render_diff(stop.partial, fmt), args.output)
        print("zql diff: interrupted; partial comparison", file=sys.stderr)

    return guarded("zql diff", work, interrupted)
