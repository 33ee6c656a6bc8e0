"""``zql sandbox --env`` (ssh-agent style) and the paste line of ``zql sandbox``: evaluated by a
real bash, used by a real ``zql search``, the token never on a command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.process_support import running

BIN = Path(sys.executable).parent
_ZQL = [sys.executable, "-c", "import sys; from zql.cli import main; sys.exit(main())"]


def _gone(pid: int, timeout: float = 20.0) -> bool:
    """Whether the process ends (or is left a zombie for init to reap) within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_eval_env_then_search_then_kill(tmp_path: Path) -> None:
    script = f"""
set -e
export PATH={BIN}:$PATH
unset ZEPHYR_URL ZEPHYR_TOKEN
eval "$(zql sandbox --env --port 0 --token tok-ENVsecret-42)"
echo "pid=$ZQL_SANDBOX_PID"
tr '\\0' ' ' < /proc/$ZQL_SANDBOX_PID/cmdline; echo
zql search 'status = "Fail"' --entity execution --limit 2 --format csv --columns id,status
kill $ZQL_SANDBOX_PID
"""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    pid = int(lines[0].removeprefix("pid="))
    assert "tok-ENVsecret-42" not in lines[1] and "--detached" in lines[1]  # not in ps
    assert lines[2:] == ["id,status", "4,Fail", "12,Fail"]
    assert _gone(pid)


def test_env_prints_only_the_export_line() -> None:
    done = subprocess.run([*_ZQL, "sandbox", "--env", "--port", "0"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    (line,) = done.stdout.splitlines()
    found = re.fullmatch(r"export ZEPHYR_URL=(http://127\.0\.0\.1:\d+) ZEPHYR_TOKEN=(\S+) "
                         r"ZQL_SANDBOX_PID=(\d+)", line)
    assert found is not None
    os.kill(int(found.group(3)), 15)
    assert _gone(int(found.group(3)))


def test_env_reports_a_sandbox_that_cannot_start() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = subprocess.run([*_ZQL, "sandbox", "--env", "--port",
                               str(taken.getsockname()[1])],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("zql sandbox: ") and len(done.stderr.splitlines()) == 1


def test_the_foreground_sandbox_prints_a_paste_line() -> None:
    with running([*_ZQL, "sandbox", "--port", "0"], stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
    paste = lines[-2]
    assert re.fullmatch(r" export ZEPHYR_URL=http://127\.0\.0\.1:\d+ ZEPHYR_TOKEN=\S+", paste)
    assert "history" in lines[-3]
