"""``zql search``: run a ZQL (or quick) search against a Zephyr server and stream the rows.

Rows are written as they arrive (one page in memory at a time) and flushed page by page, so
a Ctrl-C keeps everything written so far; the command then says how many rows that was.
Exit codes: 0 results (even none), 1 query or server error, 2 usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import IO, Any

from zql.cli._connect import add_connection_arguments, connect, count, positive
from zql.cli._inputs import UsageError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``search`` subcommand.

    >>> import argparse
    >>> commands = argparse.ArgumentParser().add_subparsers()
    >>> register(commands)
    >>> commands.choices["search"].parse_args(["x", "--desc", "--limit", "5"]).limit
    5
    """
    parser = subparsers.add_parser(
        "search", help="search a Zephyr server with ZQL and export the results",
        description="Validate a ZQL query locally, then page through the server's results and\n"
        "write them as a table, JSON, JSON lines or CSV. Rows stream (constant memory); a\n"
        "progress bar shows on stderr when rows go to a file or a pipe; Ctrl-C stops and\n"
        "keeps the rows written so far. Table and CSV show flat columns; JSON and JSON lines\n"
        "keep the server's items as they are. Exit codes: 0 results (even none), 1 query or\n"
        "server error, 2 usage, 130 interrupted.",
        epilog="examples:\n"
        "  zql search --sandbox 'status = \"Fail\"' --entity execution --limit 5\n"
        "  ZEPHYR_URL=https://zephyr.example.com ZEPHYR_TOKEN=… \\\n"
        "    zql search 'priority in (\"Critical\", \"High\")' --release \"Atlas 4.0\" "
        "--format csv -o hits.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", metavar="QUERY",
                        help="ZQL text (or free text with --quick); - reads it from stdin")
    parser.add_argument("--entity", default="testcase",
                        help="testcase (default), requirement or execution")
    parser.add_argument("--release", metavar="R", help="release id or name")
    parser.add_argument("--project", metavar="P", help="project id or name")
    parser.add_argument("--order", metavar="FIELD", help="sort by this field")
    parser.add_argument("--desc", action="store_true", help="sort descending")
    parser.add_argument("--limit", type=count, metavar="N", help="stop after N rows")
    parser.add_argument("--page-size", type=positive, default=100, metavar="N",
                        help="rows asked for per request (default 100; servers may cap it)")
    parser.add_argument("--format", choices=("table", "json", "jsonl", "csv"), default="table",
                        help="output format (default table)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write rows to FILE, not stdout")
    parser.add_argument("--quick", action="store_true", help="free-text quick search, not ZQL")
    parser.add_argument("--no-validate", dest="validate", action="store_false",
                        help="send the query as typed, without local checks")
    bar = parser.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_const", const="always",
                     default="auto", help="always report progress on stderr")
    bar.add_argument("--no-progress", dest="progress", action="store_const", const="never",
                     help="never report progress")
    add_connection_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Search and write; see the module docstring for exit codes.

    >>> from zql.cli import main
    >>> main(["search", "--sandbox", 'status = "Fail" and priority = "Critical"', "--entity",
    ...       "execution", "--limit", "2", "--format", "csv"])  # doctest: +ELLIPSIS
    id,testcaseId,name,status,priority,executedBy,executedOn,cycle,phase,release,project,...
    310,1368,Validate dashboard widget after a timeout,Fail,Critical,omar.costa,...
    445,1368,Validate dashboard widget after a timeout,Fail,Critical,yuki.obrien,...
    0
    """
    from zql.client import ConfigurationError, SearchOptions, ZephyrError, ZQLValidationError
    from zql.errors import ZQLError, ZQLSyntaxError
    from zql.parser import parse
    from zql.schema import SchemaError

    query = sys.stdin.read() if args.query == "-" else args.query
    try:
        options = SearchOptions(
            entity=args.entity, release=args.release, project=args.project,
            order_by=args.order, ascending=not args.desc, page_size=args.page_size,
            limit=args.limit, quick=args.quick, validate=args.validate)
    except SchemaError as err:
        print(f"zql search: {err}", file=sys.stderr)
        return 2
    entity = options.entity
    written = _Count()
    try:
        if options.validate and not options.quick:
            parse(query)  # a syntax error needs no server, no file
        with connect(args) as client, _open_output(args.output, args.format) as out:
            if options.validate and not options.quick:
                # Validate against the server's own fields (custom ones too) before sending.
                client.schema()
            # Status ids become the server's own names (custom ones too) in flat rows.
            statuses = client.statuses() if entity == "execution" else None
            _export(client.search(query, options), out, args, entity, written, statuses)
    except UsageError as err:
        print(f"zql search: {err}", file=sys.stderr)
        return 2
    except (ZQLSyntaxError, ZQLValidationError) as err:
        print(str(err), file=sys.stderr)
        return 1
    except ConfigurationError as err:
        print(f"zql search: {err}", file=sys.stderr)
        return 2
    except (ZephyrError, ZQLError) as err:
        print(f"zql search: {err}", file=sys.stderr)
        if written.rows:
            print(f"zql search: {written.rows} rows written before the error{_to(args)}",
                  file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"zql search: interrupted; {written.rows} rows written{_to(args)}",
              file=sys.stderr)
        return 130
    if args.output:
        total = f" of {written.total}" if written.total is not None else ""
        print(f"zql search: {written.rows}{total} rows written{_to(args)}", file=sys.stderr)
    return 0


class _Count:
    rows = 0
    total: int | None = None


def _to(args: argparse.Namespace) -> str:
    return f" to {args.output}" if args.output else ""


@contextlib.contextmanager
def _open_output(path: str | None, fmt: str) -> Iterator[IO[str]]:
    if path is None or path == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    try:
        handle = open(path, "w", encoding="utf-8", newline="" if fmt == "csv" else None)  # noqa: SIM115
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
    with handle:
        yield handle


def _export(results: Any, out: IO[str], args: argparse.Namespace, entity: str,
            written: _Count, statuses: Any = None) -> None:
    import functools
    import shutil

    from zql.cli._output import make_progress
    from zql.client import flatten
    from zql.rows import make_renderer

    to_terminal = out is sys.stdout and sys.stdout.isatty()
    progress = make_progress(args.progress, to_terminal=to_terminal,
                             title=f"zql search ({entity})")
    # Plain borders (easy to cut and awk); widths from the first 100 rows, buffered across
    # small pages, so at most a page beyond them is ever held.
    renderer = make_renderer(args.format, entity, style="plain", sample=100,
                             flatten=functools.partial(flatten, statuses=statuses),
                             width=shutil.get_terminal_size((120, 24)).columns)
    try:
        for page in results.pages():
            if page.total is not None:
                written.total = page.total if args.limit is None else min(page.total, args.limit)
            out.write(renderer.page(page.items))
            written.rows += len(page.items)
            out.flush()  # an interrupted export keeps every page written so far
            progress.update(written.rows, written.total)
    except BaseException:
        if written.rows:
            out.write(renderer.end())  # e.g. close the JSON array: what was written stays usable
        raise
    else:
        out.write(renderer.end())
    finally:
        out.flush()
        progress.close()
