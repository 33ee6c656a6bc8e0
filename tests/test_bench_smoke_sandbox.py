"""bench/bench_sandbox.py runs (smoke only: benchmarks are never timed assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_sandbox_quick() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_sandbox.py"), "--quick"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    for line in ("search direct p50", "search http", "export 400 testcase rows",
                 "small sandbox start+stop"):
        assert line in done.stdout
