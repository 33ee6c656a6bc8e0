"""bench/bench_complete.py runs (smoke only: benchmarks are never timed assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import zql

ROOT = Path(__file__).resolve().parent.parent


def test_bench_complete_quick() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_complete.py"), "--quick"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "complete/parse" in done.stdout
    assert len(done.stdout.splitlines()) == 3


def test_bench_queries_are_valid_and_sized() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_complete
    finally:
        sys.path.remove(str(ROOT / "bench"))
    for size in (50, 200, 2000):
        text = bench_complete.query(size)
        zql.parse(text)
        assert size * 0.8 <= len(text) <= size
