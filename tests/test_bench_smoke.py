"""Every benchmark under bench/ runs in its ``--quick`` form and prints what it measures
(smoke only: benchmarks are never timed assertions; their figures live in bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import zql

ROOT = Path(__file__).resolve().parent.parent

#: bench script → lines its quick run must print (a missing line is a broken benchmark)
BENCHES = {
    "bench_client": ["throughput, 400 rows in pages of 100", "bare httpx loop", "ZephyrClient",
                     "ratio client/bare", "memory while streaming 400 rows (4 pages)",
                     "peak over the baseline"],
    "bench_complete": ["complete/parse"],
    "bench_export": ["export of 200 execution rows", "csv", "flat jsonl", "xlsx",
                     "constant memory"],
    "bench_lint": ["lint/parse", "start-up, median of", "python -c pass", "zql --version",
                   "zql lint FILE"],
    "bench_lsp": ["per-query cache (shipped)", "20-query file over stdio",
                  "p99 after a one-character edit"],
    "bench_parse": ["ours/luqum", "cold start: import lark"],
    "bench_report": ["report --by status, 370 executions", "plain paging", "strategy scan",
                     "ratio scan/plain", "strategy count", "same numbers as scan: yes",
                     "flat (growth under one page)"],
    "bench_sandbox": ["search direct p50", "search http", "export 400 testcase rows",
                      "small sandbox start+stop"],
    "bench_shell": ["zql shell (offline)", "import prompt_toolkit"],
    "bench_update": ["status update of 200 executions", "bare httpx loop",
                     "zql apply (journal, fsync each batch)", "ratio zql/bare throughput (decoded)",
                     "ratio zql/bare throughput (bytes)"],
}
#: benches that need more than a plain process
MARKS = {"bench_shell": [pytest.mark.terminal]}


def quick_run(name: str) -> str:
    """Run ``bench/NAME.py --quick`` from the repository root; its stdout (exit 0 asserted)."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / f"{name}.py"), "--quick"],
                          capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", [pytest.param(name, marks=MARKS.get(name, []))
                                  for name in BENCHES])
def test_bench_quick(name: str) -> None:
    out = quick_run(name)
    missing = [line for line in BENCHES[name] if line not in out]
    assert not missing, f"bench/{name}.py --quick did not print {missing}:\n{out}"
    if name == "bench_complete":
        assert len(out.splitlines()) == 3


def test_every_bench_has_a_smoke_run() -> None:
    assert sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py")) == sorted(BENCHES)


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
