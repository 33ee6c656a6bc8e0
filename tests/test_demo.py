"""`make demo` runs its tour end to end (without the interactive shell when not on a terminal)."""

from __future__ import annotations

import subprocess
import sys


def test_demo_tour_runs() -> None:
    proc = subprocess.run([sys.executable, "-m", "zql.demo"], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "error[ZQL107]: bare word 'Fail' is not a value" in out
    assert "fix: priority = \"P1\"" in out
    assert "0 syntax errors" in out
    assert 'format:   (Status = "Fail" not priority in ("P1", "P2")) or tag = "smoke"' in out
    assert "53 executions match; the first 5:" in out
