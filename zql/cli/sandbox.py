"""``zql sandbox``: run the local Zephyr-compatible server until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from types import FrameType

__all__ = ["register"]

# The profile names as `--help` shows them; zql.sandbox.servers holds the profiles (importing
# it here would load the sandbox on every `zql` start). A test holds the two equal.
SERVER_NAMES = ("ze6", "ze7", "ze8", "cloud")
DEFAULT_SERVER = "ze7"


def register(subparsers: Any) -> None:
    """Add the ``sandbox`` subcommand."""
    parser = subparsers.add_parser(
        "sandbox", help="run a local Zephyr-compatible server with sample data",
        description="Serve the Zephyr Enterprise REST subset this toolkit uses (search, "
        "lookups, ZQL metadata) over a SQLite store of generated sample data. Prints the base "
        "URL and the credentials (the sandbox's own) on start; Ctrl-C or SIGTERM stops it.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: loopback only; anything "
                        "else needs --public)")
    parser.add_argument("--public", action="store_true",
                        help="allow a non-loopback --host such as 0.0.0.0: anyone who can "
                        "reach it gets the sandbox and its printed credentials (a warning is "
                        "printed)")
    parser.add_argument("--port", type=int, default=8080, help="port, 0 for any free one")
    parser.add_argument("--size", choices=("small", "large"), default="small",
                        help="data set: small (~400 test cases) or large (50,000 test cases, "
                        "120,000 executions; use with --db)")
    parser.add_argument("--seed", type=int, default=1, help="data set seed (default 1)")
    parser.add_argument("--db", metavar="FILE",
                        help="build the data into FILE once and reuse it (default: in memory)")
    parser.add_argument("--token", help="API token to accept (default: random)")
    parser.add_argument("--user", metavar="NAME:PASSWORD",
                        help="Basic login account (default: admin with a random password)")
    parser.add_argument("--readonly-user", metavar="NAME:PASSWORD",
                        help="read-only account, whose writes answer 403 (default: viewer "
                        "with a random password; its token is random too)")
    parser.add_argument("--server", choices=SERVER_NAMES, default=DEFAULT_SERVER,
                        help="which Zephyr to emulate: page shape, search variants, custom "
                        f"statuses, never-run rows, 401 shape (default {DEFAULT_SERVER}; see "
                        "docs/sandbox.md)")
    parser.add_argument("--page-cap", type=int, default=None,
                        help="largest page a search returns (default: the server profile's, "
                        "500)")
    parser.add_argument("--cookie-ttl", type=int, default=5400, metavar="SECONDS",
                        help="session cookie lifetime (default 5400 = 90 minutes)")
    parser.add_argument("--latency-ms", type=float, default=0,
                        help="delay added to every request")
    parser.add_argument("--fail-rate", type=float, default=0.0, metavar="P",
                        help="share of API requests answered 429 (with Retry-After) or 503")
    parser.add_argument("--lose-write-rate", type=float, default=0.0, metavar="P",
                        help="share of writes applied whose answer is then lost (the "
                        "connection drops before it is complete): for bulk-update tests")
    parser.add_argument("--quirks", action="store_true",
                        help="off by default. Answer like odd real servers: bare page objects, "
                        "and BAD CREDENTIALS ANSWERED WITH HTTP 200 whose body is a JSON string "
                        "describing the 401 (a client that checks only the status takes a "
                        "wrong password for success)")
    parser.add_argument("--env", action="store_true",
                        help="start in the background and print only an 'export ZEPHYR_URL=… "
                        "ZEPHYR_TOKEN=… ZQL_SANDBOX_PID=…' line, for eval \"$(zql sandbox "
                        "--env)\" (the token never appears on a command line or in history); "
                        "stop it with kill $ZQL_SANDBOX_PID")
    parser.add_argument("--detached", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Start the sandbox, print where and how to connect, wait for a stop signal."""
    import signal
    import threading

    from zql.sandbox import Sandbox, SandboxError, is_loopback

    if not 0.0 <= args.lose_write_rate <= 1.0:
        print(f"zql sandbox: --lose-write-rate must be between 0 and 1, not "
              f"{args.lose_write_rate}", file=sys.stderr)
        return 2
    if args.env:
        from zql.cli._sandbox_env import spawn

        return spawn(args)
    token, user, readonly_user = args.token, args.user, args.readonly_user
    if args.detached:  # started by --env: secrets come through the environment, not argv
        token = os.environ.pop("ZQL_SANDBOX_TOKEN", None) or token
        user = os.environ.pop("ZQL_SANDBOX_USER", None) or user
        readonly_user = os.environ.pop("ZQL_SANDBOX_READONLY_USER", None) or readonly_user
    try:
        sandbox = Sandbox(
            args.size, args.seed, host=args.host, port=args.port, db=args.db,
            token=token, user=user, readonly_user=readonly_user,
            server=args.server, page_cap=args.page_cap,
            cookie_ttl=args.cookie_ttl, latency_ms=args.latency_ms, fail_rate=args.fail_rate,
            quirks=args.quirks, public=args.public)
        if args.size == "large" and not args.db:
            print("zql sandbox: building the large data set in memory (tens of seconds); "
                  "use --db FILE to build it once", file=sys.stderr)
        if args.public and not is_loopback(args.host):
            print(f"zql sandbox: WARNING: listening on {args.host}, beyond this machine: "
                  "anyone who can reach it can read the sandbox data and use the credentials "
                  "printed below", file=sys.stderr)
        # The server's threads inherit a mask without the stop signals, so SIGINT/SIGTERM
        # always reach this (main) thread and wake it; sent to another thread, they would not.
        stop_signals = {signal.SIGINT, signal.SIGTERM}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        try:
            sandbox.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    except SandboxError as err:
        print(f"zql sandbox: {err}", file=sys.stderr)
        return 2
    sandbox.control.writes.lose_rate = args.lose_write_rate
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        if args.detached:
            from zql.cli._sandbox_env import detach

            detach(sandbox)
        else:
            _announce(sandbox)
        while not stop.wait(1.0):  # a timed wait also runs signal handlers while blocked
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        sandbox.stop()
    print("zql sandbox: stopped", file=sys.stderr)
    return 0


def _announce(sandbox: Any) -> None:
    from zql.cli._sandbox_env import export_line

    # The one place credentials are printed: they are the sandbox's own, made up at start.
    word = 'tag = "smoke"'
    lines = [
        f"zql sandbox: {sandbox.size} data set (seed {sandbox.seed}) at {sandbox.url}, "
        f"server profile {sandbox.server.name}",
        f"  API base:  {sandbox.api_url}",
        f"  token:     {sandbox.token}",
        f"  user:      {sandbox.username}",
        f"  password:  {sandbox.password}",
        f"  read-only: {sandbox.readonly_username} / {sandbox.readonly_password} "
        f"(token {sandbox.readonly_token})",
        "  try:       curl -G -H 'Authorization: Bearer " + sandbox.token + "' "
        f"'{sandbox.api_url}/advancesearch' -d entitytype=testcase -d zql=true "
        f"--data-urlencode 'word={word}'",
        "Paste into another shell to point zql at it (the leading space keeps the line "
        "out of bash/zsh history; or use eval \"$(zql sandbox --env)\"):",
        " " + export_line(sandbox),
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
