"""What ``lint`` and ``validate`` cost on top of ``parse``, measured side by side in one run.

Run: ``python bench/bench_lint.py`` (``--quick`` for a smoke run). For queries of growing size it
prints the median microseconds of ``parse`` (the baseline), ``validate``, ``lint``, and of
``parse`` plus ``_lexer.tokenize`` — the second pass that lint avoids by taking keyword
positions from the tree — with the ratios to ``parse``. Then the wall time of linting a
200-query file query by query, as the language server does. Last, the start-up of the ``zql``
command: fresh processes of ``zql --version`` and ``zql lint FILE`` against ``python -c pass``
(the interpreter alone), alternated in the same run, medians and ratios (docs/design.md,
"Start-up").
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from timing import median_us  # bench/timing.py, beside this script

from zql import _lexer
from zql.lint import lint
from zql.parser import parse
from zql.validate import validate

# Clauses with a little of everything the rules look at: lists, keywords, negation, case.
_CLAUSES = [
    'priority in ("P1", "P{i}")',
    'name ~ "login {i}"',
    "version = {i}",
    'not tag = "flaky{i}"',
    'project = "Ironclad {i}"',
    'altId ~ "A-{i}"',
    "automated = TRUE",
]


def query(n: int) -> str:
    """``n`` distinct clauses in groups of three joined by ``and``, the groups by ``or``."""
    parts = [_CLAUSES[i % len(_CLAUSES)].format(i=i) for i in range(n)]
    groups = [" and ".join(parts[i:i + 3]) for i in range(0, n, 3)]
    return " or ".join(f"({g})" if len(groups) > 1 else g for g in groups)


def run(sizes: list[int], repeat: int, file_queries: int) -> list[dict[str, float]]:
    """Measure every size; print and return the rows."""
    rows = []
    print(f"{'clauses':>7} {'parse':>9} {'validate':>9} {'lint':>9} {'parse+lex':>10} "
          f"{'val/parse':>9} {'lint/parse':>10} {'lex-way/parse':>13}")
    for n in sizes:
        text = query(n)
        base = median_us(lambda t=text: parse(t), repeat)
        val = median_us(lambda t=text: validate(t), repeat)
        lin = median_us(lambda t=text: lint(t), repeat)
        lex = median_us(lambda t=text: (parse(t), _lexer.tokenize(t)), repeat)
        row = {"clauses": n, "parse": base, "validate": val, "lint": lin, "parse+lex": lex}
        rows.append(row)
        print(f"{n:>7} {base:>9.1f} {val:>9.1f} {lin:>9.1f} {lex:>10.1f} {val / base:>9.2f} "
              f"{lin / base:>10.2f} {lex / base:>13.2f}")
    texts = [query(1 + i % 9) for i in range(file_queries)]
    start = time.perf_counter()
    for t in texts:
        lint(t)
    file_ms = (time.perf_counter() - start) * 1e3
    print(f"lint of a {file_queries}-query file, query by query: {file_ms:.1f} ms")
    return rows


def _child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def startup(runs: int) -> dict[str, tuple[float, float]]:
    """Median wall and CPU milliseconds of a fresh process per command; print and return them.

    The commands take turns (one run of each, ``runs`` times), so a change of load on the
    machine weighs on all of them alike.
    """
    zql_bin = str(Path(sys.executable).with_name("zql"))
    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "q.zql"
        file.write_text('priority = "High" and name ~ "login";\nautomated = true\n',
                        encoding="utf-8")
        commands = {"python -c pass": [sys.executable, "-c", "pass"],
                    "zql --version": [zql_bin, "--version"],
                    "zql lint FILE": [zql_bin, "lint", str(file)]}
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm the OS file cache and the grammar cache
            subprocess.run(cmd, check=True, capture_output=True)
        for _ in range(runs):
            for name, cmd in commands.items():
                cpu, start = _child_cpu(), time.perf_counter()
                subprocess.run(cmd, check=True, capture_output=True)
                times[name].append((time.perf_counter() - start, _child_cpu() - cpu))
    result = {name: (statistics.median(w for w, _ in got) * 1e3,
                     statistics.median(c for _, c in got) * 1e3)
              for name, got in times.items()}
    base_wall, base_cpu = result["python -c pass"]
    print(f"start-up, median of {runs} fresh processes (wall ms, CPU ms, "
          "each as a ratio to python -c pass):")
    for name, (wall_ms, cpu_ms) in result.items():
        print(f"  {name:<15} {wall_ms:7.1f} {cpu_ms:7.1f}  {wall_ms / base_wall:5.2f}x wall "
              f"{cpu_ms / base_cpu:5.2f}x CPU")
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point; ``--quick`` runs a few iterations only."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: tiny repeat counts")
    args = parser.parse_args(argv)
    if args.quick:
        run([1, 6], repeat=5, file_queries=10)
        startup(runs=3)
    else:
        run([1, 3, 6, 12, 30, 90], repeat=400, file_queries=200)
        startup(runs=21)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
