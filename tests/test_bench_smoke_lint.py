"""bench/bench_lint.py runs (smoke only: benchmarks are never timed assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_lint_quick() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_lint.py"), "--quick"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "lint/parse" in done.stdout
