"""Sandbox speed: advanced-search latency on the large data set, and a paged export over HTTP
against reading the same pages straight from SQLite, in the same run.

Run: ``python bench/bench_sandbox.py`` (builds ``bench/.data/sandbox-large-<seed>.sqlite3``
once, ~10 s); ``--quick`` uses the small in-memory data set for a smoke run.

Prints, per typical query, the median time to count the hits and build the first page of 50
(count cache cleared every time, so each search is cold), then p50/p99 over all of them,
in-process and over HTTP. Then the export: every page of 500 read straight from SQLite (the
same SQL the server runs, items as JSON) versus fetched over HTTP with httpx, bytes only and
decoded. Targets (issue 4): search p50 <= 50 ms, p99 <= 200 ms; export over HTTP <= 2x direct.
Last, the query shapes that used to be HTTP 500s (issue 11 #14) and a trivial GET while they
run (issue 11 #15), against the trivial GET alone.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import PLAIN_HTTP, data_set_parser  # noqa: E402  (bench/timing.py, beside)

from zql.sandbox import Sandbox  # noqa: E402
from zql.sandbox.sql import compile_query  # noqa: E402
from zql.sandbox.store import Store  # noqa: E402


def typical_queries(store: Store) -> list[tuple[str, str]]:
    """What people search for: fields alone and combined, names, tags, custom fields."""
    release = store.releases()[-1]["name"]
    project = store.projects()[0]["name"]
    user = store.rows("SELECT u.username FROM executions e JOIN users u ON u.id = e.tester_id "
                      "GROUP BY u.id ORDER BY count(*) DESC LIMIT 1")[0][0]
    return [
        ("testcase", 'priority = "High"'),
        ("testcase", 'tag = "smoke"'),
        ("testcase", 'name ~ "login"'),
        ("testcase", f'release = "{release}" and automated = false'),
        ("testcase", f'project = "{project}" and priority in ("Critical", "High")'),
        ("testcase", f'creator = "{user}" or tag = "security"'),
        ("testcase", 'customnumber = 5 and custompicklist = "Web"'),
        ("testcase", 'folder = "Checkout" and not tag = "flaky"'),
        ("testcase", "altId is empty"),
        ("execution", 'status = "Fail"'),
        ("execution", f'status = "Fail" and release = "{release}"'),
        ("execution", f'executedBy = "{user}" and status != "Pass"'),
        ("execution", 'tag = "smoke" and status in ("Fail", "Blocked")'),
        ("execution", 'notes ~ "staging"'),
        ("execution", 'priority = "Critical" and (status = "Fail" or status = "Blocked") '
                      'and not tag = "flaky"'),
        ("requirement", 'name ~ "password"'),
        ("requirement", 'priority = "High" and tag = "gdpr"'),
    ]


def percentile(values: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _verdict(ok: bool, judged: bool) -> str:
    return ("ok" if ok else "MISSED") if judged else "not judged on the quick data set"


def bench_search(sb: Sandbox, repeat: int, judged: bool) -> None:
    store = sb.store
    queries = typical_queries(store)
    direct: list[float] = []
    http: list[float] = []
    print(f"{'direct ms':>10} {'http ms':>8} {'hits':>7}  query (first page of 50, cold count)")
    with httpx.Client(base_url=sb.api_url, timeout=60, verify=PLAIN_HTTP,
                      headers={"Authorization": f"Bearer {sb.token}"}) as client:
        for entity, query in queries:
            mine: list[float] = []
            theirs: list[float] = []
            hits = 0
            for _ in range(repeat):
                store.clear_cache()
                mine.append(timed(lambda e=entity, q=query: store.search(
                    e, compile_query(q, e), limit=50)))
                store.clear_cache()
                params = {"entitytype": entity, "zql": "true", "word": query, "maxresults": 50}
                theirs.append(timed(lambda p=params: client.get("/advancesearch", params=p)))
            hits = store.count(entity, compile_query(query, entity))
            direct += mine
            http += theirs
            print(f"{statistics.median(mine) * 1e3:10.2f} {statistics.median(theirs) * 1e3:8.2f} "
                  f"{hits:7d}  {entity}: {query}")
    for name, values in (("direct", direct), ("http", http)):
        p50, p99 = percentile(values, 50) * 1e3, percentile(values, 99) * 1e3
        print(f"search {name:6s} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
              f"(target p50 <= 50, p99 <= 200: {_verdict(p50 <= 50 and p99 <= 200, judged)})")


def bench_export(sb: Sandbox, entity: str, query: str, rows: int, page: int, runs: int,
                 judged: bool) -> None:
    store = sb.store
    where = compile_query(query, entity)
    total = min(rows, store.count(entity, where))
    firsts = range(0, total, page)

    def direct(decode: bool) -> None:
        for first in firsts:
            items = store.items(entity, store.page_ids(entity, where, first=first,
                                                       limit=min(page, total - first)))
            if decode:
                [json.loads(item) for item in items]

    with httpx.Client(base_url=sb.api_url, timeout=120, verify=PLAIN_HTTP,
                      headers={"Authorization": f"Bearer {sb.token}"}) as client:
        def over_http(decode: bool) -> None:
            for first in firsts:
                response = client.get("/advancesearch", params={
                    "entitytype": entity, "zql": "true", "word": query, "firstresult": first,
                    "maxresults": min(page, total - first)})
                response.json() if decode else response.content

        over_http(False)  # warm both paths: page cache, count cache, connection
        direct(False)
        times = {name: statistics.median(timed(lambda f=fn, d=d: f(d)) for _ in range(runs))
                 for name, fn, d in (("direct", direct, False), ("http", over_http, False),
                                     ("direct+decode", direct, True),
                                     ("http+decode", over_http, True))}
    ratio = times["http"] / times["direct"]
    decoded = times["http+decode"] / times["direct+decode"]
    print(f"export {total} {entity} rows ({query or 'everything'}), pages of {page}: "
          f"direct {times['direct']:.3f} s, http {times['http']:.3f} s -> {ratio:.2f}x; "
          f"decoded both sides {times['direct+decode']:.3f} s vs "
          f"{times['http+decode']:.3f} s -> {decoded:.2f}x; http+decode vs direct bytes "
          f"{times['http+decode'] / times['direct']:.2f}x "
          f"(target <= 2x: {_verdict(ratio <= 2, judged)})")


def big_queries() -> list[tuple[str, str]]:
    """The shapes that used to end in HTTP 500 (issue 11 #14), as the sandbox now runs them."""
    return [
        ("testcase", " or ".join(f"testcaseId = {1000 + i}" for i in range(1000))),
        ("testcase", " or ".join(f'name ~ "w{i}"' for i in range(997))),
        ("testcase", "".join('not (name ~ "e" and ' for _ in range(43)) + 'priority = "High"'
         + ")" * 43),
        ("execution", " and ".join(f'tag != "t{i}"' for i in range(5000))),
    ]


def bench_big_queries(sb: Sandbox, runs: int, gets: int) -> None:
    """Each big query over HTTP, and ``gets`` trivial GETs while big queries run back to back
    in another thread (they run in the server's thread pool), against the trivial GET alone."""
    headers = {"Authorization": f"Bearer {sb.token}"}
    with httpx.Client(base_url=sb.api_url, timeout=120, headers=headers,
                      verify=PLAIN_HTTP) as client:
        for entity, query in big_queries():
            body = {"entityType": entity, "zql": True, "word": query, "maxResults": 50}
            took = statistics.median(timed(lambda b=body: client.post(
                "/advancesearch", json=b).raise_for_status()) for _ in range(runs))
            print(f"big query {entity} ({len(query):,} chars): {took * 1e3:8.1f} ms, 200")
        alone = [timed(lambda: client.get("/user/current")) for _ in range(gets)]
        stop = threading.Event()

        def load() -> None:
            with httpx.Client(base_url=sb.api_url, timeout=120, headers=headers,
                              verify=PLAIN_HTTP) as other:
                entity, query = big_queries()[-1]
                while not stop.is_set():
                    other.post("/advancesearch", json={"entityType": entity, "zql": True,
                                                       "word": query})

        worker = threading.Thread(target=load)
        worker.start()
        try:
            busy = [timed(lambda: client.get("/user/current")) for _ in range(gets)]
        finally:
            stop.set()
            worker.join()
    ratio = statistics.median(busy) / statistics.median(alone)
    print(f"trivial GET alone {statistics.median(alone) * 1e3:.2f} ms, while 5,000-clause "
          f"queries run {statistics.median(busy) * 1e3:.2f} ms -> {ratio:.2f}x "
          "(before: held for the whole big query)")


def bench_startup(runs: int) -> None:
    times = [timed(lambda: Sandbox().start().stop()) for _ in range(runs)]
    print(f"small sandbox start+stop: median {statistics.median(times) * 1e3:.0f} ms "
          f"(target start < 2000 ms)")


def main(argv: list[str] | None = None) -> int:
    parser = data_set_parser(__doc__)
    args = parser.parse_args(argv)
    if args.quick:  # the smoke run: one sample of everything, pages as large as a full run's
        size, db, repeat, rows, page, runs = "small", None, 1, 1_500, 500, 1
    else:
        size, repeat, rows, page, runs = "large", 15, 50_000, 500, 3
        db = args.db or ROOT / "bench" / ".data" / f"sandbox-large-{args.seed}.sqlite3"
    bench_startup(1 if args.quick else 5)
    start = time.perf_counter()
    with Sandbox(size, args.seed, db=db) as sb:
        print(f"{size} data set ready in {time.perf_counter() - start:.1f} s"
              + (f" ({db})" if db else " (memory)"))
        judged = not args.quick
        bench_search(sb, repeat, judged)
        bench_export(sb, "testcase", "", rows, page, runs, judged)
        bench_export(sb, "execution", 'status != "Pass"', rows, page, runs, judged)
        bench_big_queries(sb, runs, 5 if args.quick else 30 * runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
