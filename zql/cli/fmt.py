"""``zql fmt``: rewrite queries in canonical form (``--check`` only reports)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from zql.cli._inputs import UsageError, add_input_arguments, iter_sources, write_back
from zql.errors import ZQLSyntaxError, render

if TYPE_CHECKING:
    from zql.documents import format_file

# format_file is the engine of zql.documents, kept importable from here (loaded on first use:
# every ``zql`` command builds this module's parser, only ``zql fmt`` formats).
__all__ = ["format_file", "register"]

if not TYPE_CHECKING:
    def __getattr__(name: str) -> Any:
        if name == "format_file":
            from zql.documents import format_file

            return format_file
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register(subparsers: Any) -> None:
    """Add the ``fmt`` subcommand."""
    parser = subparsers.add_parser(
        "fmt", help="format queries canonically",
        description="Format ZQL queries: lowercase keywords, single spaces, explicit parentheses "
        "where and/or mix. Files are rewritten in place (atomically); stdin and -q print. "
        "Comment lines between queries are kept; a query with a comment inside it is left as "
        "it is rather than lose the comment.",
    )
    add_input_arguments(parser)
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if anything would change")
    parser.add_argument("--portable", action="store_true",
                        help="also rewrite negations into forms every ZE version accepts")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Format every input; 0 when all is well, 1 on a syntax error or (``--check``) a change."""
    from zql.documents import format_file

    status = 0
    try:
        for source in iter_sources(args):
            try:
                result, notes = format_file(source.text, portable=args.portable)
            except ZQLSyntaxError as err:
                for diag in err.diagnostics:
                    print(render(source.text, diag, path=source.name), file=sys.stderr)
                status = 1
                continue
            for note in notes:
                print(f"{source.name}: {note}", file=sys.stderr)
            if source.path is None:
                if args.check:
                    status = max(status, int(result != source.text))
                else:
                    sys.stdout.write(result if result.endswith("\n") else result + "\n")
                continue
            if result == source.text:
                continue
            if args.check:
                print(f"would reformat {source.name}", file=sys.stderr)
                status = 1
            else:
                write_back(source, result, force=args.force)
                print(f"reformatted {source.name}", file=sys.stderr)
    except UsageError as err:
        print(f"zql fmt: {err}", file=sys.stderr)
        return 2
    return status
