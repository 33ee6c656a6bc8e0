"""The ``zql`` command: a thin adapter over the library.

Each subcommand lives in its own module with ``register(subparsers)``, which adds an
``argparse`` parser whose ``run`` default takes the parsed arguments and returns the exit code.
Modules import their heavy dependencies inside ``run`` so ``zql lint`` starts fast.

Exit codes everywhere: 0 success, 1 findings or a query/server error, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["SUBCOMMANDS", "main"]

#: Subcommand modules, in the order ``zql --help`` lists them.
SUBCOMMANDS: tuple[str, ...] = ("lint", "fmt", "search", "report", "diff", "shell", "sandbox",
                                 "schema", "doctor", "update", "apply", "undo", "lsp",
                                 "completion")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available subcommand registered.

    >>> "lint" in build_parser().format_help()
    True
    """
    from zql import __version__

    parser = argparse.ArgumentParser(
        prog="zql",
        description="ZQL toolkit for Zephyr Enterprise: lint, format, search and explore.",
    )
    parser.add_argument("--version", action="version", version=f"zql {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"zql.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name == f"zql.cli.{name}":
                continue  # subcommand not built into this installation
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``zql`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    >>> main(["fmt", "-q", 'a="x"'])
    a = "x"
    0
    """
    parser = build_parser()
    from zql.cli.completion import autocomplete

    autocomplete(parser)  # a completion request from the shell script answers and exits
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    run = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return code


def entry() -> None:  # pragma: no cover - console script shim
    """Console-script entry point."""
    sys.exit(main())
