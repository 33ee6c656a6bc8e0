"""``zql sandbox``: run the local Zephyr-compatible server until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

from zql.cli._sandbox_env import export_line

__all__ = ["register"]

_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def register(subparsers: Any) -> None:
    """Add the ``sandbox`` subcommand."""
    parser = subparsers.add_parser(
        "sandbox", help="run a local Zephyr-compatible server with sample data",
        description="Serve the Zephyr Enterprise REST subset this toolkit uses (search, "
        "lookups, ZQL metadata) over a SQLite store of generated sample data. Prints the base "
        "URL and the credentials (the sandbox's own) on start; Ctrl-C or SIGTERM stops it.",
    )
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: loopback only)")
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
    parser.add_argument("--page-cap", type=int, default=500,
                        help="largest page a search returns (default 500)")
    parser.add_argument("--cookie-ttl", type=int, default=5400, metavar="SECONDS",
                        help="session cookie lifetime (default 5400 = 90 minutes)")
    parser.add_argument("--latency-ms", type=float, default=0,
                        help="delay added to every request")
    parser.add_argument("--fail-rate", type=float, default=0.0, metavar="P",
                        help="share of API requests answered 429 (with Retry-After) or 503")
    parser.add_argument("--quirks", action="store_true",
                        help="answer like odd real servers: bare page objects, HTTP 200 with "
                        "a JSON string for bad credentials")
    parser.add_argument("--env", action="store_true",
                        help="start in the background and print only an 'export ZEPHYR_URL=… "
                        "ZEPHYR_TOKEN=… ZQL_SANDBOX_PID=…' line, for eval \"$(zql sandbox "
                        "--env)\" (the token never appears on a command line or in history); "
                        "stop it with kill $ZQL_SANDBOX_PID")
    parser.add_argument("--detached", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Start the sandbox, print where and how to connect, wait for a stop signal."""
    from zql.sandbox import Sandbox, SandboxError

    if args.env:
        from zql.cli._sandbox_env import spawn

        return spawn(args)
    token, user = args.token, args.user
    if args.detached:  # started by --env: secrets come through the environment, not argv
        token = os.environ.pop("ZQL_SANDBOX_TOKEN", None) or token
        user = os.environ.pop("ZQL_SANDBOX_USER", None) or user
    try:
        sandbox = Sandbox(
            args.size, args.seed, host=args.host, port=args.port, db=args.db,
            token=token, user=user, page_cap=args.page_cap,
            cookie_ttl=args.cookie_ttl, latency_ms=args.latency_ms, fail_rate=args.fail_rate,
            quirks=args.quirks)
        if args.size == "large" and not args.db:
            print("zql sandbox: building the large data set in memory (tens of seconds); "
                  "use --db FILE to build it once", file=sys.stderr)
        # The server's threads inherit a mask without the stop signals, so SIGINT/SIGTERM
        # always reach this (main) thread and wake it; sent to another thread, they would not.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            sandbox.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    except SandboxError as err:
        print(f"zql sandbox: {err}", file=sys.stderr)
        return 2
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
    # The one place credentials are printed: they are the sandbox's own, made up at start.
    word = 'tag = "smoke"'
    lines = [
        f"zql sandbox: {sandbox.size} data set (seed {sandbox.seed}) at {sandbox.url}",
        f"  API base:  {sandbox.api_url}",
        f"  token:     {sandbox.token}",
        f"  user:      {sandbox.username}",
        f"  password:  {sandbox.password}",
        "  try:       curl -G -H 'Authorization: Bearer " + sandbox.token + "' "
        f"'{sandbox.api_url}/advancesearch' -d entitytype=testcase -d zql=true "
        f"--data-urlencode 'word={word}'",
        "Paste into another shell to point zql at it (the leading space keeps the line "
        "out of bash/zsh history; or use eval \"$(zql sandbox --env)\"):",
        " " + export_line(sandbox),
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
