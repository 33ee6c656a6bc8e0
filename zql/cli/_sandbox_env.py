"""``zql sandbox --env``: a sandbox in the background and one ``export`` line, ssh-agent style.

``eval "$(zql sandbox --env)"`` starts the sandbox as a detached process (its own session, its
output sent to ``/dev/null``), prints ``export ZEPHYR_URL=… ZEPHYR_TOKEN=… ZQL_SANDBOX_PID=…``
and returns; the shell that evaluates it has the credentials in its environment while the
token never appears on a command line, in shell history or in ``ps`` (a ``--token`` given by
the user reaches the background process through its environment, not its arguments). Stop it
with ``kill $ZQL_SANDBOX_PID``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import threading
from typing import Any

__all__ = ["detach", "export_line", "spawn"]

_START_TIMEOUT = 300.0  # seconds: the large data set takes tens of seconds to build
#: Options passed on to the background sandbox as they were given (secrets excluded).
_PASSED = (("host", "--host"), ("port", "--port"), ("size", "--size"), ("seed", "--seed"),
           ("db", "--db"), ("page_cap", "--page-cap"), ("cookie_ttl", "--cookie-ttl"),
           ("latency_ms", "--latency-ms"), ("fail_rate", "--fail-rate"), ("server", "--server"))


def export_line(sandbox: Any, pid: int | None = None) -> str:
    """``export ZEPHYR_URL=… ZEPHYR_TOKEN=…`` (and ``ZQL_SANDBOX_PID``) for ``sandbox``.

    >>> class Sb: url, token = "http://127.0.0.1:8080", "t0k"
    >>> export_line(Sb(), 42)
    'export ZEPHYR_URL=http://127.0.0.1:8080 ZEPHYR_TOKEN=t0k ZQL_SANDBOX_PID=42'
    """
    line = f"export ZEPHYR_URL={shlex.quote(sandbox.url)} ZEPHYR_TOKEN={shlex.quote(sandbox.token)}"
    return line + (f" ZQL_SANDBOX_PID={pid}" if pid is not None else "")


def detach(sandbox: Any) -> None:
    """In the background process: hand the line to the starter, then let go of its pipes."""
    sys.stdout.write(export_line(sandbox, os.getpid()) + "\n")
    sys.stdout.flush()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def spawn(args: argparse.Namespace) -> int:
    """Start the background sandbox, print its ``export`` line, return 0 (2 if it fails)."""
    argv = [sys.executable, "-m", "zql.cli", "sandbox", "--detached"]
    for name, flag in _PASSED:
        value = getattr(args, name)
        if value is not None:
            argv += [flag, str(value)]
    argv += [flag for name, flag in (("quirks", "--quirks"), ("public", "--public"))
             if getattr(args, name, False)]
    env = dict(os.environ)
    for name, var in (("token", "ZQL_SANDBOX_TOKEN"), ("user", "ZQL_SANDBOX_USER"),
                      ("readonly_user", "ZQL_SANDBOX_READONLY_USER")):
        if getattr(args, name, None):
            env[var] = getattr(args, name)
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(proc.stdout.readline()  # type: ignore[union-attr]
                                                        ), daemon=True)
    reader.start()
    reader.join(_START_TIMEOUT)
    line = got[0].strip() if got else ""
    if not line.startswith("export "):
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        problem = proc.stderr.read().strip().splitlines()
        print(problem[-1] if problem else "zql sandbox: the background sandbox did not start",
              file=sys.stderr)
        return 2
    proc.stdout.close()
    proc.stderr.close()
    print(line, flush=True)
    return 0
