"""``report --by status`` on the large sandbox data set (120,000 executions), each strategy:
requests made, seconds, scan throughput against the client's plain paging in the same run,
memory while scanning, and the count strategy's request bound.

Run: ``python bench/bench_report.py`` (the large data set, built once into
``bench/.data/sandbox-large-<seed>.sqlite3``, served by a sandbox in its own process);
``--quick`` uses the small data set (its ``priority = "High"`` executions) for a smoke run.

- Plain paging (the baseline): ``client.search(QUERY, entity="execution", page_size=500)``,
  every item touched. Scan: ``client.report(QUERY, by=["status"], strategy="scan")`` — the same
  pages, each item flattened and counted. Runs alternate; medians are compared. Target: scan
  >= 0.9x the plain paging's rows/s.
- Count: ``strategy="count"``: one ``maxresults=1`` request per status plus the total; target
  at most groups + 1 search requests. Requests are counted by a transport under the client (so
  lookups such as the schema show up separately).
- Memory: traced memory after every page of one more scan and of one more plain pass; flat
  means the scan grows by less than one decoded page more than plain paging does (the client
  itself keeps a few bytes per delivered id, to drop rows a server repeats).
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_client import TOKEN, page_size_in_memory, sandbox_process  # noqa: E402
from timing import PLAIN_HTTP, data_set_parser  # noqa: E402  (bench/timing.py, beside)

from zql.client import ZephyrClient  # noqa: E402
from zql.report import Report  # noqa: E402

QUERY = 'notes !~ "zz-no-such-note"'  # every execution
#: the smoke run's query: a quarter of the small data set's executions, of every status
QUICK_QUERY = 'priority = "High"'
ENTITY = "execution"


class Counting(httpx.HTTPTransport):
    """An httpx transport that counts the requests it sends, by path."""

    def __init__(self) -> None:
        super().__init__(verify=PLAIN_HTTP)
        self.searches = 0
        self.other = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/advancesearch"):
            self.searches += 1
        else:
            self.other += 1
        return super().handle_request(request)


def plain(url: str, page: int, query: str = QUERY) -> tuple[float, int, int]:
    """Seconds, rows and search requests of one plain pass (the client set up beforehand)."""
    transport = Counting()
    with ZephyrClient(url, token=TOKEN, transport=transport) as client:
        client.schema()  # both sides validate against the server's schema
        start = time.perf_counter()
        seen = 0
        for got in client.search(query, entity=ENTITY, page_size=page).pages():
            for _item in got.items:
                seen += 1
        seconds = time.perf_counter() - start
    return seconds, seen, transport.searches


def report(url: str, page: int, strategy: str,
           query: str = QUERY) -> tuple[float, Report, Counting]:
    """Seconds, the report and its requests (the schema lookup made beforehand)."""
    transport = Counting()
    with ZephyrClient(url, token=TOKEN, transport=transport) as client:
        client.schema()
        transport.other = 0
        start = time.perf_counter()
        result = client.report(query, by=["status"], strategy=strategy, page_size=page)
        seconds = time.perf_counter() - start
    return seconds, result, transport


def throughput(url: str, page: int, runs: int, query: str = QUERY,
               warm: bool = True) -> Report:
    if warm:
        plain(url, page, query)  # warm the server's caches
    base: list[float] = []
    scan: list[float] = []
    rows = 0
    scanned: Report | None = None
    for _ in range(runs):  # alternate, so drift hits both sides alike
        seconds, rows, _ = plain(url, page, query)
        base.append(seconds)
        seconds, scanned, transport = report(url, page, "scan", query)
        scan.append(seconds)
    assert scanned is not None and scanned.total == rows, (scanned, rows)
    b, s = statistics.median(base), statistics.median(scan)
    ratio = (rows / s) / (rows / b)
    print(f"report --by status, {rows:,} executions in pages of {page} ({runs} runs, medians):")
    print(f"  plain paging       {b:7.3f} s  {rows / b:10,.0f} rows/s  "
          f"{-(-rows // page)} requests")
    print(f"  strategy scan      {s:7.3f} s  {rows / s:10,.0f} rows/s  "
          f"{transport.searches} requests")
    verdict = "met" if ratio >= 0.9 else "MISSED"
    print(f"  ratio scan/plain   {ratio:.2f}x (target >= 0.9x: {verdict})")
    return scanned


def counted(url: str, page: int, scanned: Report, query: str = QUERY) -> None:
    for strategy in ("count", "auto"):
        seconds, result, transport = report(url, page, strategy, query)
        groups = len(result.values(0))
        bound = "met" if transport.searches <= groups + 1 else "MISSED"
        print(f"  strategy {strategy:<9} {seconds:7.3f} s  {transport.searches} requests "
              f"({result.strategy}; {groups} groups: at most groups + 1 = {groups + 1}: "
              f"{bound})")
        same = {g.values: g.count for g in result.groups} == {
            g.values: g.count for g in scanned.groups}
        print(f"    same numbers as scan: {'yes' if same else 'NO'}")


def _traced(url: str, run: Any) -> tuple[list[int], int]:
    """Traced memory after each page of ``run(client, sample)`` and the peak, over a baseline
    taken once the client is set up."""
    after: list[int] = []
    with ZephyrClient(url, token=TOKEN, verify=PLAIN_HTTP) as client:
        client.schema()
        client.statuses()
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        run(client, lambda: after.append(tracemalloc.get_traced_memory()[0] - base))
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    return after, peak


def memory(url: str, page: int, query: str = QUERY) -> None:
    """The scan's memory against plain paging's (the client itself keeps a few bytes per
    delivered id, to drop rows a server repeats): flat means the scan adds less than one
    decoded page over the whole pass."""
    one_page = page_size_in_memory(url, page)

    def plain_pass(client: ZephyrClient, sample: Any) -> None:
        for _got in client.search(query, entity=ENTITY, page_size=page).pages():
            sample()

    def scan_pass(client: ZephyrClient, sample: Any) -> None:
        client.report(query, by=["status"], strategy="scan", page_size=page,
                      progress=lambda done, total: sample())

    plain_after, plain_peak = _traced(url, plain_pass)
    after, peak = _traced(url, scan_pass)
    first, last = after[0], after[-1]
    growth, plain_growth = last - first, plain_after[-1] - plain_after[0]
    figures = [("one decoded page", one_page, ""), ("after the first page", first, ""),
               ("after the last page", last, f"  (growth {growth / 1e6:+.2f} MB)"),
               ("peak over the baseline", peak, f"  = {peak / one_page:.1f} decoded pages"),
               ("plain paging: growth", plain_growth, f", peak {plain_peak / 1e6:.2f} MB")]
    print(f"memory while scanning ({len(after)} pages), tracemalloc:")
    for label, size, note in figures:
        print(f"  {label:<22}  {size / 1e6:8.2f} MB{note}")
    extra = growth - plain_growth
    print(f"  flat (growth under one page): {'yes' if abs(extra) < one_page else 'NO'} "
          f"(the scan adds {extra / 1e6:+.2f} MB to plain paging's growth)")


def main(argv: list[str] | None = None) -> int:
    parser = data_set_parser(__doc__)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per side (default 3)")
    args = parser.parse_args(argv)
    if args.quick:  # the smoke run: one run over 370 executions in four pages
        size, db, runs, page, query = "small", None, 1, 100, QUICK_QUERY
    else:
        size, runs, page, query = "large", args.runs, 500, QUERY
        db = args.db or ROOT / "bench" / ".data" / f"sandbox-large-{args.seed}.sqlite3"
    start = time.perf_counter()
    with sandbox_process(size, args.seed, db, page) as url:
        print(f"{size} sandbox ready in {time.perf_counter() - start:.1f} s"
              + (f" ({db})" if db else " (memory)"))
        scanned = throughput(url, page, runs, query, warm=not args.quick)
        counted(url, page, scanned, query)
        memory(url, page, query)
    return 0


if __name__ == "__main__":
    sys.exit(main())
