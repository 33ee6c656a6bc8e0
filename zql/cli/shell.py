"""``zql shell``: the interactive ZQL shell (the ``zql_repl`` package), pgcli-style.

Only argument parsing lives here; the shell is imported when the command runs, so ``zql lint``
never pays for prompt_toolkit. Nothing remote happens before the first prompt: the server (or
the ``--sandbox``) is connected in the background.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from zql.cli._connect import add_connection_arguments

if TYPE_CHECKING:
    from zql_repl.connection import Opened, Opener

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``shell`` subcommand.

    >>> parser = argparse.ArgumentParser(); register(parser.add_subparsers())
    >>> args = parser.parse_args(["shell", "--sandbox", "--entity", "execution"])
    >>> args.sandbox, args.entity
    (True, 'execution')
    """
    parser = subparsers.add_parser(
        "shell", help="interactive shell with highlighting, completion and search",
        description="An interactive ZQL shell: highlighting, completion of fields, operators "
        "and server values, validation as you type, and searches shown as tables. Settings and "
        "server profiles live in $XDG_CONFIG_HOME/zql/config.toml (written, fully commented, "
        "on the first run). Type \\? in the shell for its commands.",
        epilog="examples:\n"
        "  zql shell --sandbox                      # try it against the bundled sandbox\n"
        "  zql shell --profile work --entity execution\n"
        "  ZEPHYR_TOKEN=… zql shell --url https://zephyr.example.com",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--profile", metavar="NAME", help="a [profiles.NAME] of the config file")
    parser.add_argument("--token", metavar="TOKEN",
                        help="API token (visible to other users in the process list: prefer "
                        "--token-env or a profile)")
    parser.add_argument("--entity", metavar="E", help="testcase, requirement or execution")
    parser.add_argument("--release", metavar="R", help="release id or name to search in")
    parser.add_argument("--project", metavar="P", help="project id or name to search in")
    parser.add_argument("--schema", metavar="ze6|ze7|FILE",
                        help="schema used until the server's loads (default from the config)")
    parser.add_argument("--config", metavar="FILE",
                        help="config file (default $XDG_CONFIG_HOME/zql/config.toml)")
    parser.add_argument("--vi", action="store_true", help="vi key bindings")
    add_connection_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Start the shell; returns 0 when it is left, 2 for a usage or config problem.

    >>> import contextlib, io, os, tempfile
    >>> parser = argparse.ArgumentParser(); register(parser.add_subparsers())
    >>> config = os.path.join(tempfile.mkdtemp(), "config.toml")
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     run(parser.parse_args(["shell", "--entity", "bug", "--config", config]))
    2
    >>> err.getvalue()
    "zql shell: unknown entity 'bug'; one of: testcase, requirement, execution\\n"
    """
    try:
        from zql_repl.main import ShellError, start
    except ImportError as err:  # pragma: no cover - a build without the repl package
        print(f"zql shell: the shell is not installed ({err})", file=sys.stderr)
        return 2
    try:
        return start(args, sandbox=sandbox_opener() if args.sandbox else None)
    except ShellError as err:
        print(f"zql shell: {err}", file=sys.stderr)
        return 2


def sandbox_opener(*, size: str = "small", seed: int = 1) -> Opener:
    """An opener that starts the bundled sandbox, then connects to it with its token.

    This command is the launcher: the shell (an adapter) never imports the sandbox (another
    adapter); it gets this opener for ``zql shell --sandbox`` (docs/design.md, "Layers").

    >>> sandbox_opener().__name__
    'open_sandbox'
    """

    def open_sandbox() -> Opened:
        from urllib.parse import urlsplit

        from zql_repl.connection import Opened

        from zql.client import ZephyrClient
        from zql.sandbox import Sandbox

        sandbox = Sandbox(size=size, seed=seed)
        sandbox.__enter__()
        url = sandbox.url or ""
        try:
            client = ZephyrClient(url, token=sandbox.token)
        except BaseException:
            sandbox.__exit__(None, None, None)
            raise

        def close() -> None:
            try:
                client.close()
            finally:
                sandbox.__exit__(None, None, None)

        return Opened(client, f"sandbox {urlsplit(url).netloc or url}", close,
                      notes=(f"sandbox running at {url} (user {sandbox.username})",))

    return open_sandbox
