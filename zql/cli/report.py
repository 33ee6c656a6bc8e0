"""``zql report``: count the hits of a query by one or two fields (counts, pivots, charts).

Exit codes: 0 a report (even of nothing), 1 query or server error, 2 usage, 130 interrupted
(the partial counts are printed, marked partial).
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


def register(subparsers: Any) -> None:
    """Add the ``report`` subcommand.

    >>> import argparse
    >>> commands = argparse.ArgumentParser().add_subparsers()
    >>> register(commands)
    >>> commands.choices["report"].parse_args(["x", "--by", "status,cycle"]).by
    'status,cycle'
    """
    parser = subparsers.add_parser(
        "report", help="count the hits of a query by status, cycle, tester... (tables, charts)",
        description="Count the hits of a ZQL query by one field (value, count, percent, bar,\n"
        "total) or two (a pivot with totals both ways); executions also get the pass rate\n"
        "(Pass / executed). The counts come from paging through the rows (scan) or from one\n"
        "tiny request per known value (count); auto picks whichever needs fewer requests.\n"
        "Exit codes: 0 a report, 1 query or server error, 2 usage, 130 interrupted.",
        epilog="examples:\n"
        "  zql report --sandbox --by status 'priority = \"Critical\"'\n"
        "  zql report --sandbox --by cycle,status 'release = \"Ironclad 3.0\"' -o week.html\n"
        "  zql report --sandbox --by executedOn:week --format csv 'status = \"Fail\"'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", metavar="QUERY", help="ZQL text; - reads it from stdin")
    parser.add_argument("--entity", default="execution",
                        help="execution (default), testcase or requirement")
    parser.add_argument("--by", required=True, metavar="FIELD[,FIELD]",
                        help="one or two flat columns (status, priority, cycle, phase, "
                        "release, executedBy, tags...) or executedOn:day|week")
    parser.add_argument("--strategy", choices=("auto", "scan", "count"), default="auto",
                        help="scan the rows, count per known value, or auto (default)")
    parser.add_argument("--release", metavar="R", help="release id or name")
    parser.add_argument("--project", metavar="P", help="project id or name")
    parser.add_argument("--chart", metavar="FILE.svg|FILE.png",
                        help="also write the chart alone to FILE (needs the 'report' extra)")
    add_output_arguments(parser)
    add_connection_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Make the report and write it; see the module docstring for exit codes.

    >>> from zql.cli import main
    >>> main(["report", "--sandbox", "--by", "priority", 'status = "Blocked"'])
    ... # doctest: +NORMALIZE_WHITESPACE +ELLIPSIS
    priority  count  percent
    ...
    total        94   100.0%  pass rate 0.0% (0 of 94 executed)
    0
    """
    from zql.parser import parse
    from zql.report import Report, ReportInterrupted
    from zql.report.render import render_report
    from zql.schema import Schema

    query = sys.stdin.read() if args.query == "-" else args.query
    fmt = chosen_format(args)
    progress = ScanProgress(args.progress, "zql report", args.page_size)

    def work() -> int:
        entity = Schema.entity_name(args.entity)
        by = [b for b in (p.strip() for p in args.by.split(",")) if b]
        if not 1 <= len(by) <= 2:
            raise UsageError(f"--by takes one or two fields, not {len(by)}")
        check_output(args.output)
        _check_chart(args.chart)
        parse(query)  # a syntax error needs no server
        with connect(args) as client:
            try:
                report = client.report(query, entity=entity, by=by, strategy=args.strategy,
                                       release=args.release, project=args.project,
                                       page_size=args.page_size, progress=progress)
            finally:
                progress.close()
        write_output(render_report(report, fmt, width=_width()), args.output)
        if args.chart:
            from zql.report.chart import write_chart

            write_chart(report, args.chart)
        return 0

    def interrupted(stop: ReportInterrupted) -> None:
        partial = stop.partial
        assert isinstance(partial, Report)
        write_output(render_report(partial, fmt, width=_width()), args.output)
        print(f"zql report: interrupted; partial counts of {partial.total:,} rows",
              file=sys.stderr)

    return guarded("zql report", work, interrupted)


def _check_chart(path: str | None) -> None:
    from pathlib import Path

    if path is None:
        return
    if Path(path).suffix.lower() not in (".svg", ".png"):
        raise UsageError(f"--chart {path}: the file must end in .svg or .png")
    check_output(path)


def _width() -> int:
    import shutil

    return shutil.get_terminal_size((100, 24)).columns
