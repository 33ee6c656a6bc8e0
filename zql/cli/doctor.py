"""``zql doctor``: check the connection to a Zephyr server, one line per check, with a hint.

The output is what to paste into a bug report: it never contains a secret, nor any part of
one. ``--format json`` prints ``{"server", "auth", "user", "page_cap", "statuses",
"endpoints", "checks"}``. Exit codes: 0 every check passed, 1 any failed, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from zql.cli._connect import add_connection_arguments, connect
from zql.cli._inputs import UsageError

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``doctor`` subcommand.

    >>> import argparse
    >>> commands = argparse.ArgumentParser().add_subparsers()
    >>> register(commands)
    >>> commands.choices["doctor"].parse_args(["--format", "json"]).output_format
    'json'
    """
    parser = subparsers.add_parser(
        "doctor", help="check the connection to a Zephyr server and say what to fix",
        description="Check, in order: base URL, TLS, authentication, user and roles, search\n"
        "endpoints, page cap (measured), ZQL metadata and values, configured statuses,\n"
        "searchable custom fields, clock skew and latency. One line each, with a hint when a\n"
        "check fails. Nothing printed is a secret: paste it into a bug report as it is.\n"
        "Exit codes: 0 all checks passed, 1 any failed, 2 usage.",
        epilog="examples:\n  zql doctor --sandbox\n"
        "  ZEPHYR_URL=https://zephyr.example.com ZEPHYR_TOKEN=… zql doctor --format json",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        dest="output_format", help="output format (default text)")
    add_connection_arguments(parser)
    parser.set_defaults(run=run)


def render(report: Any) -> str:
    """The text report: a header line, then ``✓``/``✗``, the check's name and what was seen.

    >>> from zql.client._doctor import Check, Report
    >>> print(render(Report("http://h/flex/services/rest/latest", "bearer", user="ann",
    ...                     checks=[Check("latency", True, "12 ms")])))
    zql doctor: http://h/flex/services/rest/latest (auth bearer, user ann)
    ✓ latency           12 ms
    all 1 checks passed
    """
    user = f", user {report.user}" if report.user else ""
    lines = [f"zql doctor: {report.server} (auth {report.auth}{user})"]
    width = max((len(check.name) for check in report.checks), default=0) + 2
    lines += [f"{'✓' if check.ok else '✗'} {check.name.ljust(max(width, 18))}{check.detail}"
              for check in report.checks]
    failed = sum(not check.ok for check in report.checks)
    lines.append(f"all {len(report.checks)} checks passed" if not failed
                 else f"{failed} of {len(report.checks)} checks failed")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Diagnose and print; see the module docstring for exit codes.

    >>> from zql.cli import main
    >>> main(["doctor", "--sandbox", "--format", "json"])  # doctest: +ELLIPSIS
    {
      "server": "http://127.0.0.1:.../flex/services/rest/latest",
      "auth": "bearer",
      "user": "admin",
      "page_cap": 500,
    ...
    0
    """
    from zql.client import ConfigurationError, ZephyrError
    from zql.client._doctor import diagnose
    from zql.client._tls import trust_source, verify_context

    insecure = bool(getattr(args, "insecure", False))
    try:
        verify = verify_context(args.ca_cert, insecure=insecure)
        trust = trust_source(args.ca_cert, insecure=insecure, environ=os.environ)
        with connect(args) as client:
            report = diagnose(client, verify=verify, trust=trust)
    except (UsageError, ConfigurationError) as err:
        print(f"zql doctor: {err}", file=sys.stderr)
        return 2
    except ZephyrError as err:  # every check catches its own; this is a last resort
        print(f"zql doctor: {err}", file=sys.stderr)
        return 1
    if args.output_format == "json":
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print(render(report))
    return 0 if report.ok else 1
