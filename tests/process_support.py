"""The one way tests start and stop real processes: always kill, wait and close the pipes.

A process a test starts is stopped by :func:`stop` whatever happens in the test, so no child
outlives it and no pipe is left for the garbage collector (a ``ResourceWarning`` there fails a
later, unrelated test under ``filterwarnings = error``).

>>> import sys
>>> with running([sys.executable, "-c", "print('hi')"], stdout=subprocess.PIPE, text=True) as p:
...     p.stdout.read()
'hi\\n'
>>> p.returncode
0
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

__all__ = ["STOP_TIMEOUT", "close_child", "running", "stop"]

#: How long a process gets to exit after SIGKILL (it cannot refuse; this bounds a wedged wait).
STOP_TIMEOUT = 10.0


def stop(proc: subprocess.Popen[Any]) -> int:
    """Kill ``proc`` if it still runs, reap it and close its pipes; its exit code.

    Safe to call twice and on a process that already exited (it is only reaped).
    """
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(timeout=STOP_TIMEOUT)
    finally:
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    return proc.returncode


@contextmanager
def running(argv: Sequence[str], **popen: Any) -> Iterator[subprocess.Popen[Any]]:
    """``subprocess.Popen(argv, **popen)`` for the block, then :func:`stop` (always)."""
    proc = subprocess.Popen(list(argv), **popen)
    try:
        yield proc
    finally:
        stop(proc)


def close_child(child: Any) -> None:
    """Stop a ``pexpect.spawn`` child the same way: force it closed (SIGKILL at worst)."""
    if child.isalive():
        child.terminate(force=True)
    child.close(force=True)
