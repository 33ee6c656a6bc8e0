"""``make demo``: a guided tour that needs no Zephyr server.

1. lints the bundled example queries and shows the diagnostics with carets and hints;
2. formats a messy query canonically and portably;
3. starts the bundled sandbox server and runs a search through the API client;
4. opens the interactive shell against that sandbox when a terminal is attached.

Run with ``python -m zql.demo`` (``--no-shell`` to stop after step 3).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["main"]

_MESSY = 'Status="Fail"AND NOT priority IN ("P1","P2") or  tag = "smoke" # nightly'
_BROKEN = [
    'status = Fail',
    'priority in ("P1", "P2") and and automated = true',
    'status not in ("Pass", "WIP")',
    'name ~ "login" ORDER BY name',
    'prority = "P1"',
    'id = 42',
]


def _heading(text: str) -> None:
    # Bold only on a terminal, and not under NO_COLOR (https://no-color.org).
    bold = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    print(f"\n\033[1m== {text}\033[0m" if bold else f"\n== {text}")


def _lint_examples() -> None:
    import zql
    from zql.errors import render

    _heading("zql lint: mistakes and how to fix them")
    for query in _BROKEN:
        for diag in zql.lint(query, entity="testcase"):
            print(render(query, diag))
            if diag.fix:
                print(f"  fix: {diag.fix.apply(query)}")
            print()
    corpus = Path(__file__).resolve().parent.parent / "grammar" / "examples" / "valid.zql"
    if corpus.is_file():  # a source checkout: the example corpus, one query per line
        lines = [line for line in corpus.read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.startswith("#")]
        syntax = sum(d.code.startswith("ZQL1") for q in lines for d in zql.lint(q))
        print(f"grammar/examples/valid.zql: {len(lines)} example queries, {syntax} syntax "
              "errors (schema findings are expected there: the corpus uses made-up fields)")


def _format_examples() -> None:
    import zql

    _heading("zql fmt: canonical and portable text")
    print(f"  input:    {_MESSY}")
    print(f"  format:   {zql.format(_MESSY)}")
    print(f"  portable: {zql.format(_MESSY, portable=True)}")


def _search_sandbox(open_shell: bool) -> int:
    try:
        from zql.client import ZephyrClient
        from zql.sandbox import Sandbox
    except ImportError as err:  # pragma: no cover - the sandbox extra is not installed
        print(f"(skipping the sandbox part: {err}; install with pip install 'zephyr-zql[sandbox]')")
        return 0
    import zql

    _heading("zql search against the bundled sandbox")
    ex = zql.fields("execution")
    failed = zql.load_schema().values.statuses[1].name  # status names live in the schema data
    query = ex.status.eq(failed) & ex.priority.in_("Critical", "High")
    with Sandbox(size="small", seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        print(f"  sandbox at {sb.api_url}")
        print(f"  query: {query}")
        results = client.search(query, entity="execution", limit=5)
        rows = list(results)
        print(f"  {results.total} executions match; the first {len(rows)}:")
        for row in rows:
            flat = zql.client.flatten(row, "execution")
            print("   ", {k: flat[k] for k in list(flat)[:5]})
        if open_shell and sys.stdin.isatty() and sys.stdout.isatty():
            _heading("zql shell on the same sandbox (\\? for help, Ctrl-D to leave)")
            from zql.cli import main as cli_main

            # The token travels in the environment, never on a command line.
            os.environ["ZQL_DEMO_TOKEN"] = sb.token
            return cli_main(["shell", "--url", sb.url, "--token-env", "ZQL_DEMO_TOKEN",
                             "--entity", "execution"])
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the tour; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m zql.demo", description=__doc__)
    parser.add_argument("--no-shell", action="store_true", help="do not open the shell")
    args = parser.parse_args(argv)
    _lint_examples()
    _format_examples()
    return _search_sandbox(open_shell=not args.no_shell)


if __name__ == "__main__":
    raise SystemExit(main())
