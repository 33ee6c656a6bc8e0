"""bench/bench_shell.py runs (smoke only: benchmarks are never timed assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.terminal
def test_bench_shell_quick() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_shell.py"), "--quick"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "zql shell (offline)" in done.stdout and "import prompt_toolkit" in done.stdout
