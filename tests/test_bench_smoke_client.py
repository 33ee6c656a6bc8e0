"""bench/bench_client.py runs (smoke only: benchmarks are never timed assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_client_quick() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_client.py"), "--quick"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    for line in ("throughput, 400 rows in pages of 100", "bare httpx loop", "ZephyrClient",
                 "ratio client/bare", "memory while streaming 400 rows (4 pages)",
                 "peak over the baseline"):
        assert line in done.stdout
