"""``zql lsp``: the language server over stdin/stdout (needs the ``lsp`` extra: pygls)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add the ``lsp`` subcommand.

    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> register(sub)
    >>> sub.choices["lsp"].parse_args(["--stdio"]).stdio
    True
    """
    parser = subparsers.add_parser(
        "lsp", help="run the language server (stdio)",
        description="Run the ZQL language server on stdin/stdout, for editors: diagnostics, "
        "completion, hover, formatting, quick fixes and semantic tokens for .zql files. "
        "Settings: the file's '# zql:' header, then the nearest zql.toml or [tool.zql] in "
        "pyproject.toml, then the client's initializationOptions (entity, schema, select, "
        "ignore, debounce_ms). See docs/editors.md.",
    )
    # Many clients pass --stdio by habit; stdio is the only transport, so it is accepted.
    parser.add_argument("--stdio", action="store_true", help="use stdin/stdout (the default)")
    parser.add_argument("--log-file", default=None, metavar="FILE",
                        help="write the server's log here (stdout carries the protocol)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Serve until the client exits; exit 2 with a one-line message if pygls is missing."""
    try:
        from zql.lsp.server import main
    except ModuleNotFoundError as err:
        if err.name and err.name.split(".")[0] in ("pygls", "lsprotocol"):
            print("zql lsp: the language server needs pygls: pip install 'zephyr-zql[lsp]'",
                  file=sys.stderr)
            return 2
        raise
    return main(args.log_file)
