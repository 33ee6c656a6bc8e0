"""bench/bench_lsp.py runs (smoke only: benchmarks are never timed assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_lsp_quick() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_lsp.py"), "--quick"],
                          capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "per-query cache (shipped)" in done.stdout
    assert "200-query file over stdio" in done.stdout
    assert "p99 after a one-character edit" in done.stdout
