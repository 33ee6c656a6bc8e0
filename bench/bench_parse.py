"""Parse + validate speed against luqum (Lucene) and sqlglot (SQL WHERE), and cold CLI start.

Run: ``python bench/bench_parse.py`` (``--quick`` for a smoke run). Prints medians in
microseconds and the ratios ours/luqum and ours/sqlglot per query size, then the parse time of
one long ``or`` chain (10k, 40k, 100k clauses: linear means a flat time per clause), then the
cold-start ratio of ``zql lint -q …`` to ``python -c "import lark"``. Targets (issue 10):
ours/luqum <= 0.5 and ours/sqlglot <= 0.3 at every size; (issue 2) cold lint <= 1.6x import lark.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import median_us  # bench/timing.py, beside this script

ROOT = Path(__file__).resolve().parent.parent

# One clause in three dialects, the same meaning each time.
_CLAUSES = [
    ('priority = "P1"', 'priority:"P1"', "priority = 'P1'"),
    ('name ~ "login"', "name:login", "name LIKE '%login%'"),
    ('project = "Ironclad"', 'project:"Ironclad"', "project = 'Ironclad'"),
    ('automated = true', "automated:true", "automated = TRUE"),
    ('tag in ("smoke", "nightly")', "tag:(smoke OR nightly)", "tag IN ('smoke', 'nightly')"),
]


def queries(n: int) -> tuple[str, str, str]:
    """Equivalent ZQL, Lucene and SQL conditions of ``n`` clauses, mixing and/or with groups."""
    zql, lucene, sql = [], [], []
    for i in range(n):
        z, lu, s = _CLAUSES[i % len(_CLAUSES)]
        zql.append(z)
        lucene.append(lu)
        sql.append(s)

    def join(parts: list[str], and_: str, or_: str) -> str:
        groups = [f"({f' {and_} '.join(parts[i:i + 3])})" for i in range(0, len(parts), 3)]
        return f" {or_} ".join(groups)

    return join(zql, "and", "or"), join(lucene, "AND", "OR"), join(sql, "AND", "OR")


def bench_parsers(sizes: list[int], repeat: int) -> list[dict[str, float]]:
    """Parse+validate (ours) vs luqum.parser.parse vs sqlglot.condition, per size."""
    import luqum.parser
    import sqlglot

    import zql

    validate = getattr(zql, "validate", None)
    rows = []
    for n in sizes:
        zq, lq, sq = queries(n)

        def ours(zq: str = zq) -> object:
            node = zql.parse(zq)
            return validate(node, entity="testcase") if validate else node

        def lucene(lq: str = lq) -> object:
            return luqum.parser.parser.parse(lq, lexer=luqum.parser.lexer.clone())

        row = {
            "clauses": n,
            "ours": median_us(ours, repeat),
            "luqum": median_us(lucene, repeat),
            "sqlglot": median_us(lambda sq=sq: sqlglot.condition(sq), repeat),
        }
        rows.append(row)
    return rows


def bench_chains(sizes: list[int]) -> list[tuple[int, float]]:
    """Seconds to parse one flat ``or`` chain of n clauses (issue 11 #17: was quadratic)."""
    import zql

    rows = []
    for n in sizes:
        text = " or ".join(f'f{i} = "{i}"' for i in range(n))
        start = time.perf_counter()
        zql.parse(text)
        rows.append((n, time.perf_counter() - start))
    return rows


def wall(cmd: list[str], repeat: int) -> float:
    """Median wall time of a fresh process, in milliseconds."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=False, capture_output=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny run for smoke tests")
    args = parser.parse_args(argv)
    sizes = [1, 5] if args.quick else [1, 5, 20, 100]
    repeat = 5 if args.quick else 300
    print(f"{'clauses':>8} {'ours µs':>10} {'luqum µs':>10} {'sqlglot µs':>11} "
          f"{'ours/luqum':>11} {'ours/sqlglot':>13}")
    for row in bench_parsers(sizes, repeat):
        print(f"{row['clauses']:>8} {row['ours']:>10.1f} {row['luqum']:>10.1f} "
              f"{row['sqlglot']:>11.1f} {row['ours'] / row['luqum']:>11.2f} "
              f"{row['ours'] / row['sqlglot']:>13.2f}")
    print(f"\n{'chain':>8} {'parse s':>10} {'µs/clause':>10}")
    for n, seconds in bench_chains([200, 400] if args.quick else [10_000, 40_000, 100_000]):
        print(f"{n:>8} {seconds:>10.3f} {seconds / n * 1e6:>10.2f}")
    # The smoke run starts each command once, with no warm-up: a process start is most of the
    # run's time, and its figures are not judged.
    runs = 1 if args.quick else 15
    zql_bin = str(Path(sys.executable).with_name("zql"))
    if not args.quick:
        # Warm the OS file cache and Lark's grammar cache first: "cold" means a new process.
        wall([zql_bin, "lint", "-q", 'status = "Fail"'], 2)
    lark_ms = wall([sys.executable, "-c", "import lark"], runs)
    lint_ms = wall([zql_bin, "lint", "-q", 'status = "Fail" and priority in ("P1", "P2")'], runs)
    print(f"\ncold start: import lark {lark_ms:.0f} ms, zql lint -q {lint_ms:.0f} ms, "
          f"ratio {lint_ms / lark_ms:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
