"""``zql sandbox --env`` (ssh-agent style): evaluated by a real bash, used by a real
``zql search``, the token never on a command line. (The paste line of a foreground
``zql sandbox`` is checked in test_sandbox_cli.py, on the process that test starts anyway.)"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
_ZQL = [sys.executable, "-c", "import sys; from zql.cli import main; sys.exit(main())"]


def _gone(pid: int, timeout: float = 20.0) -> bool:
    """Whether the process ends (or is left a zombie for init to reap) within ``timeout``:
    a pidfd turns readable when it exits (no polling of its state)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(fd)


def test_eval_env_then_search_then_kill(tmp_path: Path) -> None:
    # The --env line is printed as well as evaluated, its stderr kept apart: one background
    # sandbox shows both that --env prints only the export line and that bash can eval it.
    script = f"""
set -e
export PATH={BIN}:$PATH
unset ZEPHYR_URL ZEPHYR_TOKEN
line="$(zql sandbox --env --port 0 --token tok-ENVsecret-42 2>env.err)"
printf '%s\\n' "$line"
eval "$line"
echo "pid=$ZQL_SANDBOX_PID"
tr '\\0' ' ' < /proc/$ZQL_SANDBOX_PID/cmdline; echo
zql search 'status = "Fail"' --entity execution --limit 2 --format csv --columns id,status
kill $ZQL_SANDBOX_PID
"""
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "env.err").read_text() == ""
    export, *lines = done.stdout.splitlines()
    found = re.fullmatch(r"export ZEPHYR_URL=(http://127\.0\.0\.1:\d+) ZEPHYR_TOKEN=(\S+) "
                         r"ZQL_SANDBOX_PID=(\d+)", export)
    assert found is not None and found.group(2) == "tok-ENVsecret-42"
    pid = int(lines[0].removeprefix("pid="))
    assert pid == int(found.group(3))
    assert "tok-ENVsecret-42" not in lines[1] and "--detached" in lines[1]  # not in ps
    assert lines[2:] == ["id,status", "4,Fail", "12,Fail"]
    assert _gone(pid)


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
