"""Run the test suite N times in a row with CPU-burning processes beside it; pass/fail per run.

Proves the suite does not depend on timing: every run must pass while ``--burners`` processes
(default 2, one per core here) spin beside it. Extra arguments go to pytest::

    python bench/stress_suite.py --runs 5
    python bench/stress_suite.py --runs 3 --burners 2 -- tests/test_cli_search.py
    python bench/stress_suite.py --runs 5 --leak-check   # who left a socket open

Without pytest arguments each run is what ``make test`` runs (``-n 2``, coverage). Exit status 0
only when every run passed. Each run's failing test ids are printed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _burn(parent: int) -> None:  # pragma: no cover - runs in a child process
    """Spin one core until the parent is gone (never outlives this script)."""
    while os.getppid() == parent:
        for _ in range(1_000_000):
            pass


#: what ``make test`` runs (two workers, coverage), when no pytest arguments are given
MAKE_TEST = ["-n", "2", "--dist", "worksteal", "--cov", "--cov-report=term:skip-covered"]


def _pytest(extra: list[str], log: Path | None) -> tuple[int, float, list[str], str]:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    start = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=1800)
    elapsed = time.monotonic() - start
    if log is not None:
        log.write_text(done.stdout + done.stderr, encoding="utf-8")
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)
    tail = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    return done.returncode, elapsed, failed, tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="how many runs in a row (5)")
    parser.add_argument("--burners", type=int, default=2,
                        help="CPU-burning processes beside the suite (2)")
    parser.add_argument("--log-dir", type=Path,
                        help="keep each run's whole pytest output as DIR/run-N.log")
    parser.add_argument("--leak-check", action="store_true",
                        help="name the test that created any socket left unclosed "
                             "(tests/leak_check.py; written to $ZQL_LEAK_LOG)")
    parser.add_argument("pytest_args", nargs="*", help="arguments for pytest (after --)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.burners < 0:
        parser.error("--runs must be >= 1 and --burners >= 0")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the burners on SIGTERM too
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with `cmd &`
    burners = [multiprocessing.Process(target=_burn, args=(os.getpid(),), daemon=True)
               for _ in range(args.burners)]
    for proc in burners:
        proc.start()
    results: list[bool] = []
    try:
        for run in range(1, args.runs + 1):
            if args.log_dir is not None:
                args.log_dir.mkdir(parents=True, exist_ok=True)
            log = args.log_dir / f"run-{run}.log" if args.log_dir is not None else None
            extra = [*(args.pytest_args or MAKE_TEST), *(["-p", "tests.leak_check"]
                                                         if args.leak_check else [])]
            code, elapsed, failed, tail = _pytest(extra, log)
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
