"""Export memory and time: 50,000 execution rows to xlsx (xlsxwriter constant_memory) beside
CSV and flat JSON lines, through the same renderers ``zql search -o`` uses.

Items are real sandbox executions (the small data set), repeated with fresh ids to the row
count, fed in pages of 500 as the client yields them. Memory is tracemalloc's peak of Python
allocations during the export; a run of a tenth of the rows shows whether memory stays flat
(constant memory: the peak does not grow with the row count). Times are ratios against the CSV
export of the same run (the machine is shared and busy; ratios hold up under load).

    python bench/bench_export.py            # 50,000 rows
    python bench/bench_export.py --quick    # 200 rows in pages of 100 (smoke)
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from zql.client import flatten
from zql.rows import OutputOptions, make_renderer
from zql.sandbox import Store

PAGE = 500


def items(rows: int) -> list[dict[str, Any]]:
    """``rows`` execution items shaped as the server sends them."""
    import json

    with Store.open() as store:
        ids = [r[0] for r in store.rows("SELECT id FROM executions ORDER BY id")]
        base = [json.loads(b) for b in store.items("execution", ids)]
    out = []
    for n in range(rows):
        item = dict(base[n % len(base)])
        item["id"] = n + 1
        out.append(item)
    return out


def export(fmt: str, data: list[dict[str, Any]], target: Path,
           page: int = PAGE) -> tuple[float, int]:
    """Seconds and tracemalloc peak (bytes) of one export to ``target``, in pages of ``page``."""
    options = OutputOptions(fmt, flat=fmt == "jsonl", width=None)
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    renderer = make_renderer(options, "execution", flatten=flatten, path=target)
    with target.open("w", encoding="utf-8", newline="") if fmt != "xlsx" else _null() as out:
        for first in range(0, len(data), page):
            out.write(renderer.page(data[first:first + page]))
        out.write(renderer.end())
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak


class _null:
    def __enter__(self) -> _null:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def write(self, text: str) -> None:
        assert text == ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 rows in pages of 100 (smoke)")
    # The smoke run: two pages at the full count, one (part of a page) at a tenth.
    quick = parser.parse_args().quick
    rows, page = (200, 100) if quick else (50_000, PAGE)
    data = items(rows)
    small = data[: rows // 10]
    if quick:
        # The smoke run: the collection before each export then walks only what the last one
        # left, not every module imported so far (tens of ms each time, nine times).
        gc.freeze()
    print(f"export of {rows:,} execution rows in pages of {page} (tracemalloc peak; time "
          "ratio to CSV)")
    print(f"{'format':<12}{'seconds':>9}{'ratio':>8}{'peak MiB':>10}{'peak at 1/10':>14}"
          f"{'file MiB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        base = None
        for fmt, suffix in (("csv", "csv"), ("jsonl", "jsonl"), ("xlsx", "xlsx")):
            target = Path(tmp) / f"hits.{suffix}"
            export(fmt, small[:page], target, page)  # warm-up (imports, first page)
            _, small_peak = export(fmt, small, target, page)
            elapsed, peak = export(fmt, data, target, page)
            base = base or elapsed
            label = "flat jsonl" if fmt == "jsonl" else fmt
            print(f"{label:<12}{elapsed:>9.2f}{elapsed / base:>7.2f}x{peak / 2**20:>10.1f}"
                  f"{small_peak / 2**20:>14.1f}{target.stat().st_size / 2**20:>10.1f}")
    print("constant memory: the peak at the full count stays close to the peak at a tenth")


if __name__ == "__main__":
    main()
