"""The ``zql`` command: a thin adapter over the library.

Each subcommand lives in its own module with ``register(subparsers)``, which adds an
``argparse`` parser whose ``run`` default takes the parsed arguments and returns the exit code.
``zql`` imports only the module of the command it runs (the others are listed by ``--help``
from :data:`SUMMARIES`), and modules import their heavy dependencies inside ``run``, so
``zql lint`` never loads the HTTP client, the sandbox or the shell (docs/design.md, "Start-up").

Exit codes everywhere: 0 success, 1 findings or a query/server error, 2 usage or I/O error.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence

__all__ = ["SUBCOMMANDS", "SUMMARIES", "build_parser", "main"]

#: Each subcommand and the line ``zql --help`` shows for it, in that order. The line is the
#: ``help`` its module registers (a test holds the two equal): ``zql --help`` and every other
#: command list it without importing the module.
SUMMARIES: dict[str, str] = {
    "lint": "check queries for mistakes",
    "fmt": "format queries canonically",
    "search": "search a Zephyr server with ZQL and export the results",
    "report": "count the hits of a query by status, cycle, tester... (tables, charts)",
    "diff": "what changed between two sets of executions (regressed, fixed...)",
    "shell": "interactive shell with highlighting, completion and search",
    "sandbox": "run a local Zephyr-compatible server with sample data",
    "schema": "save a server's schema to a file, or show a schema",
    "doctor": "check the connection to a Zephyr server and say what to fix",
    "update": "change the items a ZQL query selects (planned, confirmed, journaled)",
    "apply": "apply a saved plan, or resume an interrupted run (--resume JOURNAL)",
    "undo": "write back the values a journaled run changed",
    "lsp": "run the language server (stdio)",
    "completion": "print a shell-completion script (bash, zsh, fish)",
}

#: Subcommand modules, in the order ``zql --help`` lists them.
SUBCOMMANDS: tuple[str, ...] = tuple(SUMMARIES)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every available subcommand registered.

    With ``command``, only that subcommand is registered in full (its module imported); the
    others are stand-ins with their :data:`SUMMARIES` line, which parse nothing but are listed
    by ``--help`` and named by an "invalid choice" error as before. ``command=""`` registers
    stand-ins only (``zql``, ``zql --help``, ``zql --version``).

    >>> "lint" in build_parser().format_help()
    True
    >>> build_parser("").format_help() == build_parser().format_help()
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
        module_name = f"zql.cli.{name}"
        if command is not None and name != command:
            if importlib.util.find_spec(module_name) is not None:  # built into this install
                subparsers.add_parser(name, help=SUMMARIES[name], add_help=False)
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:
                continue  # subcommand not built into this installation
            raise
        module.register(subparsers)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` runs, "" for none, None when it names no known one.

    ``zql``'s own options (``-h``, ``--version``) take no value, so the first word that is not
    an option is the subcommand, as argparse reads it.

    >>> _command_in(["lint", "-q", "a = 1"]), _command_in(["--version"]), _command_in(["lnt"])
    ('lint', '', None)
    """
    for index, word in enumerate(argv):
        if word == "--":
            word = argv[index + 1] if index + 1 < len(argv) else ""
            break
        if not word.startswith("-") or word == "-":
            break
    else:
        word = ""
    return word if word in SUMMARIES or not word else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``zql`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    >>> main(["fmt", "-q", 'a="x"'])
    a = "x"
    0
    """
    words = list(sys.argv[1:] if argv is None else argv)
    # httpx's package imports its own command line (httpx._main: click, rich and pygments,
    # more than half the time of `import httpx`) whenever they are installed; zql never runs
    # it. A None entry makes that import fail as if they were missing, and httpx falls back to
    # its stub `httpx.main` (docs/design.md, "Start-up"; a no-op once httpx is imported).
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    if "_ARGCOMPLETE" in os.environ:  # the shell asks what to complete: every parser, in full
        parser = build_parser()
        from zql.cli.completion import autocomplete

        autocomplete(parser)  # answers and exits
    else:
        parser = build_parser(_command_in(words))
    args = parser.parse_args(words)
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
