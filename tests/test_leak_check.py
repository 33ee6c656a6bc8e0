"""tests/leak_check.py names the test that created a socket found unclosed later."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LEAKY = '''
import gc, socket

class Holder:
    pass

def test_leaves_a_socket_in_a_cycle():
    holder = Holder()
    holder.me, holder.sock = holder, socket.socket()

def test_meets_it():
    gc.collect()
'''


def test_the_log_names_the_creating_test_and_line(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(LEAKY, encoding="utf-8")
    log = tmp_path / "leaks.log"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.leak_check",
         "-W", "error", "--rootdir", str(tmp_path), str(tmp_path / "test_leaky.py")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "ZQL_LEAK_LOG": str(log)})
    # the warning still fails the test that met it; the log says who made the socket
    assert "1 failed, 1 passed" in done.stdout, done.stdout + done.stderr
    text = log.read_text(encoding="utf-8")
    assert "met in test_leaky.py::test_meets_it" in text
    assert "created in test_leaky.py::test_leaves_a_socket_in_a_cycle" in text
    assert "holder.me, holder.sock = holder, socket.socket()" in text
