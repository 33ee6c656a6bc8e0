"""Run the test suite N times in a row with CPU-burning processes beside it; pass/fail per run.

Proves the suite does not depend on timing: every run must pass while ``--burners`` processes
(default 2, one per core here) spin beside it. Extra arguments go to pytest::

    python bench/stress_suite.py --runs 5
    python bench/stress_suite.py --runs 3 --burners 2 -- tests/test_cli_search.py

Exit status 0 only when every run passed. Each run's failing test ids are printed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _burn() -> None:  # pragma: no cover - runs in a child process
    while True:
        pass


def _pytest(extra: list[str]) -> tuple[int, float, list[str], str]:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    start = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    return done.returncode, elapsed, failed, tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="how many runs in a row (5)")
    parser.add_argument("--burners", type=int, default=2,
                        help="CPU-burning processes beside the suite (2)")
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest (after --)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.burners < 0:
        parser.error("--runs must be >= 1 and --burners >= 0")
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burners)]
    for proc in burners:
        proc.start()
    results: list[bool] = []
    try:
        for run in range(1, args.runs + 1):
            code, elapsed, failed, tail = _pytest(args.pytest_args)
            results.append(code == 0)
            verdict = "PASS" if code == 0 else f"FAIL (exit {code})"
            print(f"run {run}/{args.runs}: {verdict} in {elapsed:.0f} s  [{tail}]", flush=True)
            for test_id in failed:
                print(f"    {test_id}", flush=True)
    finally:
        for proc in burners:
            proc.kill()
            proc.join()
    print(f"{sum(results)}/{len(results)} runs passed with {args.burners} CPU burners beside")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
