"""bench/bench_parse.py runs (smoke only: benchmarks are never timed assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_parse_quick() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_parse.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "ours/luqum" in done.stdout and "cold start: import lark" in done.stdout
