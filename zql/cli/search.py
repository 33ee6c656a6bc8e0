"""``zql search``: run a ZQL (or quick) search against a Zephyr server and stream the rows.

Rows are written as they arrive (one page in memory at a time). ``-o FILE`` writes through a
temporary file renamed at the end (an error keeps a previous FILE intact; Ctrl-C keeps the rows
written so far). The query is checked as ``zql lint`` checks it, with the server's schema, and
its warnings go to stderr before the search; an empty result says so on stderr with a hint.
Exit codes: 0 results (even none), 1 query or server error, 2 usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zql.cli._color import add_color_argument, bold, paint_diagnostics, use_color
from zql.cli._connect import add_connection_arguments, connect, count, positive
from zql.cli._inputs import UsageError
from zql.cli._profiles import add_profile_arguments, load_profile

if TYPE_CHECKING:
    from zql.cli._export import Export, Target

__all__ = ["register", "run"]

_ENTITIES = ("testcase", "requirement", "execution")
#: The output formats as ``--format`` offers them; zql.rows.FORMATS holds the renderers
#: (importing it here would load the row engine on every ``zql`` start). A test holds the two
#: equal.
FORMATS = ("table", "vertical", "json", "jsonl", "csv", "excel-csv", "xlsx")


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
        description="Check a ZQL query as zql lint does (with the server's schema; warnings\n"
        "on stderr), then page through the server's results and write them as a table,\n"
        "JSON, JSON lines, CSV or an Excel workbook. Rows stream (constant memory); a\n"
        "progress bar shows on stderr when rows go to a file or a pipe; Ctrl-C stops and\n"
        "keeps the rows written so far. Exit codes: 0 results (even none), 1 query or\n"
        "server error, 2 usage, 130 interrupted.",
        epilog="examples:\n"
        "  zql search --sandbox 'status = \"Fail\"' --entity execution --limit 5 \\\n"
        "    --columns id,name,status,executedBy,executedOn --order executedBy\n"
        "  zql search --profile work 'priority in (\"Critical\", \"High\")' -o hits.xlsx\n"
        "  zql search -f team.zql --list\n"
        "  zql search -f team.zql --name nightly-fails -o nightly.csv --excel",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("query", metavar="QUERY", nargs="?",
                        help="ZQL text (or free text with --quick); - reads it from stdin")
    what = parser.add_argument_group("what to search")
    entity = what.add_argument("--entity", metavar="E",
                               help="testcase (default), requirement or execution")
    entity.completer = lambda **_: list(_ENTITIES)
    what.add_argument("--release", metavar="R", help="release id or name")
    what.add_argument("--project", metavar="P", help="project id or name")
    what.add_argument("--all", action="store_true",
                      help="no query: list every item (of the release/project, if given)")
    what.add_argument("--quick", action="store_true", help="free-text quick search, not ZQL")
    what.add_argument("-f", "--file", metavar="FILE",
                      help="a .zql file of named queries (# name: NAME above a query)")
    what.add_argument("--name", metavar="NAME",
                      help="run the query named NAME of --file (with the file's header "
                      "settings unless options override them)")
    what.add_argument("--list", action="store_true", help="list the named queries of --file")
    what.add_argument("--schema", metavar="ze6|ze7|FILE",
                      help="check the query against this schema instead of the server's")
    what.add_argument("--no-validate", dest="validate", action="store_false",
                      help="send the query as typed, without local checks")
    rows = parser.add_argument_group("rows")
    order = rows.add_argument("--order", metavar="COLUMN",
                              help="sort by a column (executedBy, priority, modified, …) or field")
    order.completer = _complete_order
    rows.add_argument("--desc", action="store_true", help="sort descending")
    rows.add_argument("--limit", type=count, metavar="N",
                      help="stop after N rows (0: no limit, the default)")
    rows.add_argument("--page-size", type=positive, default=100, metavar="N",
                      help="rows asked for per request (default 100; servers may cap it)")
    out = parser.add_argument_group("output")
    out.add_argument("--format", choices=FORMATS,
                     help="output format (default: from -o FILE's extension, else table)")
    out.add_argument("-o", "--output", metavar="FILE",
                     help="write rows to FILE (.csv, .json, .jsonl, .xlsx pick the format)")
    columns = out.add_argument("--columns", metavar="A,B,…",
                               help="columns to show, in order (flat columns of the entity, or "
                               "dotted paths into the raw item)")
    columns.completer = _complete_columns
    out.add_argument("--flat", action="store_true",
                     help="json/jsonl: flat rows with the table's columns, not raw items")
    out.add_argument("--excel", action="store_true",
                     help="CSV for spreadsheets: UTF-8 with BOM, formulas neutralised "
                     "(the same as --format excel-csv)")
    bar = out.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_const", const="always",
                     default="auto", help="always report progress on stderr")
    bar.add_argument("--no-progress", dest="progress", action="store_const", const="never",
                     help="never report progress")
    add_color_argument(out)
    add_profile_arguments(parser)
    add_connection_arguments(parser)
    parser.set_defaults(run=run)


def _complete_columns(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    from zql.client import flat_columns

    head, _sep, _last = prefix.rpartition(",")
    lead = head + "," if _sep else ""
    chosen = set(head.split(",")) if head else set()
    return [lead + c for c in flat_columns(getattr(parsed_args, "entity", None) or "testcase")
            if c not in chosen]


def _complete_order(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
    from zql.columns import SORT_FIELDS

    entity = getattr(parsed_args, "entity", None) or "testcase"
    return [c for c, field in SORT_FIELDS.get(entity, {}).items()
            if field is not None and c.startswith(prefix)]


@dataclass
class _Job:
    """What to search, after the query file, the profile and the options are combined."""

    text: str
    quick: bool
    entity: str
    release: str | None
    project: str | None
    schema: str | None


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
    from zql.cli._export import Export, Target
    from zql.client import ConfigurationError, SearchOptions, ZephyrError, ZQLValidationError
    from zql.columns import ColumnError
    from zql.errors import ZQLError, ZQLSyntaxError
    from zql.schema import SchemaError

    export = Export()
    target: Target | None = None
    try:
        if args.list:
            return _list(args)
        job = _job(args)
        fmt = _format(args)
        _check_locally(job, args)  # before any request
        with connect(args) as client:
            schema = _schema(job, args, client)
            order = _order(job, args, schema)
            warnings = _lint(job, args, schema)
            # Status ids become the server's own names (custom ones too) in flat rows.
            statuses = client.statuses() if job.entity == "execution" else None
            target = Target(args.output, fmt, binary=fmt == "xlsx")
            renderer = _renderer(args, fmt, job, target, statuses)
            options = SearchOptions(
                entity=job.entity, release=_id_or_name(job.release),
                project=_id_or_name(job.project), order_by=order, ascending=not args.desc,
                page_size=args.page_size, limit=args.limit or None, quick=job.quick,
                validate=args.validate)
            results = client.search(job.text, options)
            _write(results, target, renderer, args, fmt, job.entity, export)
            target.commit()
    except (UsageError, ColumnError, SchemaError, ConfigurationError) as err:
        _discard(target)
        print(f"zql search: {err}", file=sys.stderr)
        return 2
    except (ZQLSyntaxError, ZQLValidationError) as err:
        _discard(target)
        print(paint_diagnostics(str(err), use_color(args.color, sys.stderr)), file=sys.stderr)
        return 1
    except (ZephyrError, ZQLError) as err:
        _discard(target)
        print(f"zql search: {err}", file=sys.stderr)
        if export.rows and args.output:
            print(f"zql search: {export.rows} rows fetched before the error were not saved; "
                  f"{args.output} is unchanged", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if target is not None and export.rows:
            target.commit()  # the user stopped it: keep what was written, under its name
        elif target is not None:
            target.discard()  # nothing written yet: a previous file stays as it was
        kept = f" ({args.output} is unchanged)" if _to(args) and not export.rows else ""
        print(f"zql search: interrupted; {export.rows} rows written{_to(args)}{kept}",
              file=sys.stderr)
        return 130
    _summary(args, job, export, warnings, fmt == "table" and target.to_terminal)
    return 0


def _discard(target: Target | None) -> None:
    if target is not None:
        target.discard()


def _id_or_name(value: str | None) -> int | str | None:
    if not value:
        return None
    return int(value) if value.isdigit() else value


def _to(args: argparse.Namespace) -> str:
    return f" to {args.output}" if args.output and args.output != "-" else ""


def _list(args: argparse.Namespace) -> int:
    if not args.file:
        raise UsageError("--list lists the named queries of a file: give -f FILE")
    named = _named(args.file)
    if not named:
        print(f"zql search: {args.file} names no query (put '# name: NAME' on the line above "
              "one)", file=sys.stderr)
        return 0
    width = max(len(q.name) for q in named)
    for q in named:
        print(f"{q.name:<{width}}  {args.file}:{q.line}  {' '.join(q.query.split())}")
    return 0


def _named(path: str) -> list[Any]:
    from zql.cli._inputs import iter_sources
    from zql.files import named_queries

    (source,) = iter_sources(argparse.Namespace(paths=[path], query=[]))
    return named_queries(source.text)


def _job(args: argparse.Namespace) -> _Job:
    profile = load_profile(args)
    defaults: dict[str, str | None] = {
        "entity": getattr(profile, "entity", None) or None,
        "release": getattr(profile, "release", None) or None,
        "project": getattr(profile, "project", None) or None, "schema": None}
    quick = args.quick
    if args.file:
        if args.query is not None or args.all:
            raise UsageError("give either QUERY, --all or -f FILE --name NAME")
        if not args.name:
            raise UsageError("-f FILE needs --name NAME (--list shows the names)")
        named = _named(args.file)
        found = [q for q in named if q.name == args.name]
        if not found:
            from zql.columns import did_you_mean

            names = [q.name for q in named]
            raise UsageError(f"{args.file}: no query named {args.name!r}"
                             f"{did_you_mean(args.name, names)} (names: "
                             f"{', '.join(names) or 'none'})")
        q = found[0]
        text = q.query
        for key in defaults:
            defaults[key] = getattr(q, key) or defaults[key]
    elif args.name:
        raise UsageError("--name picks a query of a file: give -f FILE")
    elif args.all:
        if args.query not in (None, "") or args.quick:
            raise UsageError("--all lists everything: give no QUERY (and no --quick)")
        text, quick = "", True  # INFERRED: ZE's quick search with no words matches every item
    elif args.query is None:
        raise UsageError("no query: give QUERY (- reads stdin), -f FILE --name NAME, or --all "
                         "to list everything")
    else:
        text = sys.stdin.read() if args.query == "-" else args.query
        if not text.strip():
            raise UsageError("empty query: give one, or --all to list everything")
    entity = _entity_or_usage(args.entity or defaults["entity"] or "testcase")
    return _Job(text, quick, entity, args.release or defaults["release"],
                args.project or defaults["project"], args.schema or defaults["schema"])


def _entity_or_usage(name: str | None) -> str:
    from zql.schema import Schema, SchemaError

    try:
        return Schema.entity_name(name or "")
    except SchemaError as err:
        raise UsageError(str(err)) from None


def _format(args: argparse.Namespace) -> str:
    from zql.rows import format_for_path

    fmt: str = args.format or (format_for_path(args.output, "table")
                               if args.output and args.output != "-" else "table")
    if args.excel:
        if fmt not in ("csv", "excel-csv", "table") or (args.format and fmt == "table"):
            raise UsageError(f"--excel makes CSV for spreadsheets; it does not apply to {fmt}")
        fmt = "excel-csv"
    if args.flat and fmt not in ("json", "jsonl"):
        raise UsageError(f"--flat applies to json and jsonl, not {fmt}")
    if fmt == "xlsx":
        from zql._xlsx import MissingXlsxWriter, available

        if not args.output or args.output == "-":
            raise UsageError("xlsx is a workbook file: give -o FILE.xlsx")
        if not available():
            raise UsageError(str(MissingXlsxWriter()))
    return fmt


def _schema(job: _Job, args: argparse.Namespace, client: Any) -> Any:
    from zql.schema import load_schema

    if job.schema is not None:
        return load_schema(job.schema)
    if args.validate and not job.quick:
        return client.schema()  # the server's own fields (custom ones too)
    return client.schema() if args.order else None


def _check_locally(job: _Job, args: argparse.Namespace) -> None:
    from zql.parser import parse
    from zql.schema import load_schema

    if job.schema is not None:
        load_schema(job.schema)  # a bad schema name is a usage error before connecting
    if args.validate and not job.quick:
        parse(job.text)  # a syntax error needs no server


def _order(job: _Job, args: argparse.Namespace, schema: Any) -> str | None:
    from zql.columns import sort_key

    if not args.order:
        return None
    return sort_key(job.entity, args.order, schema).field


def _lint(job: _Job, args: argparse.Namespace, schema: Any) -> list[str]:
    """The query's findings as ``zql lint`` reports them: errors stop, the rest go to stderr."""
    if job.quick or not args.validate or schema is None:
        return []
    from zql.client import ZQLValidationError
    from zql.errors import Severity, render
    from zql.lint import lint

    found = lint(job.text, entity=job.entity, schema=schema)
    errors = [d for d in found if d.severity >= Severity.ERROR]
    if errors:
        raise ZQLValidationError(errors, job.text)
    shown = [render(job.text, d) for d in found]
    if shown:
        print(paint_diagnostics("\n".join(shown), use_color(args.color, sys.stderr)),
              file=sys.stderr)
    return shown


def _renderer(args: argparse.Namespace, fmt: str, job: _Job, target: Target,
              statuses: Any = None) -> Any:
    import functools
    import shutil

    from zql.client import flatten
    from zql.rows import OutputOptions, make_renderer

    # A table is cut to the width of a terminal only; to a pipe or a file it is never cut.
    width = shutil.get_terminal_size((120, 24)).columns if target.to_terminal else None
    # Plain borders (easy to cut and awk); widths from the first 100 rows.
    options = OutputOptions(fmt, columns=tuple(args.columns.split(",")) if args.columns
                            else None, flat=args.flat, width=width, style="plain", sample=100)
    return make_renderer(options, job.entity, path=target.tmp,
                         flatten=functools.partial(flatten, statuses=statuses))


def _write(results: Any, target: Target, renderer: Any, args: argparse.Namespace, fmt: str,
           entity: str, export: Export) -> None:
    from zql.cli._output import make_progress

    progress = make_progress(args.progress, to_terminal=target.to_terminal,
                             title=f"zql search ({entity})")
    colour = target.to_terminal and use_color(args.color, sys.stdout)
    out: Any = target.stream
    if colour and out is not None and fmt == "table":
        out = _BoldHeader(out)
    export.pages(results, out, renderer, progress, args.limit or None)


class _BoldHeader:
    """A stream that makes the first line written (a table's header) bold."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.first = True

    def write(self, text: str) -> int:
        if self.first and text:
            self.first = False
            head, nl, rest = text.partition("\n")
            text = bold(head, True) + nl + rest
        return int(self.stream.write(text))

    def flush(self) -> None:
        self.stream.flush()


def _summary(args: argparse.Namespace, job: _Job, export: Export, warnings: list[str],
             table_on_terminal: bool) -> None:
    from zql.rows import noun, seconds

    total = export.total
    if export.rows == 0:
        print(f"zql search: {noun(job.entity, 0)}", file=sys.stderr)
        if warnings:
            print(paint_diagnostics("\n".join(warnings), use_color(args.color, sys.stderr)),
                  file=sys.stderr)
        print(f"zql search: hint: {_hint(job, warnings)}", file=sys.stderr)
    elif export.rows < (export.matches or 0) and table_on_terminal:
        print(f"{export.rows:,} of {noun(job.entity, export.matches or 0)} shown (--limit "
              f"{args.limit})")
    if args.output and args.output != "-":
        of = f" of {total:,}" if total is not None else ""
        print(f"zql search: {export.rows:,}{of} rows written{_to(args)} in "
              f"{seconds(export.elapsed)}", file=sys.stderr)


def _hint(job: _Job, warnings: list[str]) -> str:
    from zql.rows import empty_result_hint

    return empty_result_hint(warned=bool(warnings), release=job.release, project=job.project,
                             quick=job.quick, widen="leaving out --release/--project")
