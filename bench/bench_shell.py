"""Time to the first prompt of ``zql shell``, against ``python -c "import prompt_toolkit"``.

Run: ``python bench/bench_shell.py`` (``--quick`` for a smoke run). Each command runs in a
fresh pseudo-terminal (pexpect) with an empty HOME; the clock stops when the prompt text
``testcase>`` has been drawn (for the baseline: when the process ends). Reported: medians in
milliseconds and the ratio shell / baseline, offline and with ``--sandbox`` (whose server starts
in a background thread, so it must not delay the prompt). Target (issue 6): the first prompt in
under one second.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pexpect

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "testcase>"
TIMEOUT = 30


def _zql() -> list[str]:
    script = Path(sys.executable).with_name("zql")
    return [str(script)] if script.exists() else [sys.executable, "-m", "zql.cli"]


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZEPHYR_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"),
               XDG_DATA_HOME=str(home / "data"), TERM="xterm-256color", PAGER="cat",
               # pexpect never answers prompt_toolkit's cursor-position request, and on exit
               # prompt_toolkit waits a second for that answer; a real terminal answers at once.
               PROMPT_TOOLKIT_NO_CPR="1")
    return env


def baseline_ms(home: Path) -> float:
    """Wall time of ``python -c "import prompt_toolkit"`` in a pseudo-terminal."""
    start = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-c", "import prompt_toolkit"], env=_env(home),
                          timeout=TIMEOUT, dimensions=(40, 120), encoding="utf-8")
    child.expect(pexpect.EOF)
    elapsed = (time.perf_counter() - start) * 1000
    child.close()
    return elapsed


def shell_ms(home: Path, extra: list[str]) -> float:
    """Milliseconds until the first prompt has been drawn."""
    command = [*_zql(), "shell", *extra]
    start = time.perf_counter()
    child = pexpect.spawn(command[0], command[1:], env=_env(home), timeout=TIMEOUT,
                          dimensions=(40, 120), encoding="utf-8")
    try:
        child.expect_exact(PROMPT)
        prompt = (time.perf_counter() - start) * 1000
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    return prompt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="one run each, no warm-up (smoke test)")
    parser.add_argument("--runs", type=int, default=9, help="runs per command (default 9)")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="zql-bench-shell-") as tmp:
        home = Path(tmp)
        if not args.quick:  # (the smoke run counts its first run)
            shell_ms(home, [])  # first run writes the config file; not counted
        base = [baseline_ms(home) for _ in range(runs)]
        offline = [shell_ms(home, []) for _ in range(runs)]
        sandbox = [shell_ms(home, ["--sandbox"]) for _ in range(runs)]
    b = statistics.median(base)
    o = statistics.median(offline)
    s = statistics.median(sandbox)
    print(f"time to first prompt, median of {runs} runs (pseudo-terminal, empty HOME)")
    print(f"  python -c 'import prompt_toolkit'   {b:7.0f} ms   1.00x")
    print(f"  zql shell (offline)                 {o:7.0f} ms   {o / b:4.2f}x")
    print(f"  zql shell --sandbox                 {s:7.0f} ms   {s / b:4.2f}x")
    verdict = "met" if max(o, s) < 1000 else "MISSED"
    print(f"target: first prompt < 1000 ms: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
