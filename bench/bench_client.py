"""Client streaming: rows/s and memory of ``ZephyrClient.search`` against a bare httpx loop over
the same pages, in the same run, from a sandbox server running in its own process.

Run: ``python bench/bench_client.py`` (50,000 test cases of the large data set, built once into
``bench/.data/sandbox-large-<seed>.sqlite3`` as bench_sandbox.py does); ``--quick`` streams the
small data set for a smoke run.

Throughput: both sides request the same pages (``maxresults`` = page size, ``firstresult``
advancing by the rows received), decode the JSON and touch every item; runs alternate and the
medians are compared. Target (issue 5): the client reaches >= 0.8x the bare loop's rows/s.

Memory: one more client pass under ``tracemalloc`` records the traced memory after every page
and the peak. Flat means the memory after the last page exceeds that after the first one by
less than one decoded page (also measured), and the peak stays within four of them.
"""

from __future__ import annotations

import gc
import os
import select
import socket
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import PLAIN_HTTP, data_set_parser  # noqa: E402  (bench/timing.py, beside)

from zql.client import ZephyrClient  # noqa: E402

TOKEN = "bench-client-token"
QUERY = 'name !~ "zz-no-such-name"'  # every test case
ENTITY = "testcase"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def sandbox_process(size: str, seed: int, db: Path | None, page: int) -> Iterator[str]:
    """``zql sandbox`` in a child process (its CPU and memory stay out of the measurements)."""
    port = free_port()
    argv = [sys.executable, "-m", "zql.cli", "sandbox", "--size", size, "--seed", str(seed),
            "--port", str(port), "--token", TOKEN, "--page-cap", str(max(page, 500))]
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--db", str(db)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    url = f"http://127.0.0.1:{port}"
    try:
        # It serves once it prints where (its first line on stdout, flushed), or never: it
        # exits (end of file), or the deadline passes.
        ready, _, _ = select.select([proc.stdout], [], [], 600)
        announced = proc.stdout.readline().decode() if ready else ""
        if f" at {url}," not in announced:
            proc.kill()
            proc.wait(timeout=30)
            raise SystemExit(f"the sandbox did not start: {proc.stderr.read().decode()}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


def bare_loop(url: str, rows: int, page: int, verify: bool = True) -> int:
    """The baseline: the same requests with httpx, no client on top."""
    seen = 0
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}",
                               "Accept": "application/json"}, timeout=120,
                      verify=verify) as http:
        while seen < rows:
            body = http.get(f"{url}/flex/services/rest/latest/advancesearch", params={
                "word": QUERY, "entitytype": ENTITY, "zql": "true", "firstresult": seen,
                "maxresults": min(page, rows - seen), "isascorder": "true"}).json()
            results = body[0]["results"] if isinstance(body, list) else body["results"]
            if not results:
                break
            for _item in results:
                seen += 1
    return seen


def client_stream(url: str, rows: int, page: int, verify: bool = True) -> int:
    seen = 0
    with ZephyrClient(url, token=TOKEN, verify=verify) as client:
        for _item in client.search(QUERY, entity=ENTITY, page_size=page, limit=rows):
            seen += 1
    return seen


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    start = time.perf_counter()
    count = fn()
    return time.perf_counter() - start, count


def throughput(url: str, rows: int, page: int, runs: int, verify: bool = True) -> float:
    """Rows/s of both sides, each timed with the making of its client (with ``verify=True``,
    as a user's, which loads the CA bundle; the smoke run skips that)."""
    bare_loop(url, min(rows, page * 2), page, PLAIN_HTTP)  # warm the server's caches
    bare: list[float] = []
    mine: list[float] = []
    for _ in range(runs):  # alternate, so drift hits both sides alike
        for times, fn in ((bare, bare_loop), (mine, client_stream)):
            seconds, count = timed(lambda f=fn: f(url, rows, page, verify))  # type: ignore[misc]
            if count != rows:
                raise SystemExit(f"{fn.__name__} streamed {count} rows, expected {rows}")
            times.append(seconds)
    b, m = statistics.median(bare), statistics.median(mine)
    ratio = (rows / m) / (rows / b)
    print(f"throughput, {rows:,} rows in pages of {page} ({runs} runs each, medians):")
    print(f"  bare httpx loop   {b:7.3f} s  {rows / b:10,.0f} rows/s")
    print(f"  ZephyrClient      {m:7.3f} s  {rows / m:10,.0f} rows/s")
    verdict = "met" if ratio >= 0.8 else "MISSED"
    print(f"  ratio client/bare {ratio:.2f}x (target >= 0.8x: {verdict})")
    return ratio


def page_size_in_memory(url: str, page: int) -> int:
    """Traced bytes of one decoded page, the unit memory growth is judged in."""
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120,
                      verify=PLAIN_HTTP) as http:
        response = http.get(f"{url}/flex/services/rest/latest/advancesearch", params={
            "word": QUERY, "entitytype": ENTITY, "zql": "true", "firstresult": 0,
            "maxresults": page})
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        body: Any = response.json()
        size = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        del body
    return size


def memory(url: str, rows: int, page: int) -> None:
    one_page = page_size_in_memory(url, page)
    after_page: list[int] = []
    seen = 0
    with ZephyrClient(url, token=TOKEN, verify=PLAIN_HTTP) as client:
        results = client.search(QUERY, entity=ENTITY, page_size=page, limit=rows)
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        for got in results.pages():
            seen += len(got.items)
            del got
            after_page.append(tracemalloc.get_traced_memory()[0] - base)
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
    first, last = after_page[0], after_page[-1]
    print(f"memory while streaming {seen:,} rows ({len(after_page)} pages), tracemalloc:")
    print(f"  one decoded page        {one_page / 1e6:8.2f} MB")
    print(f"  after the first page    {first / 1e6:8.2f} MB")
    growth = (last - first) / 1e6
    print(f"  after the last page     {last / 1e6:8.2f} MB  (growth {growth:+.2f} MB)")
    print(f"  peak over the baseline  {peak / 1e6:8.2f} MB  = {peak / one_page:.1f} decoded pages")
    flat = last - first < one_page and peak <= one_page * 4
    print(f"  flat (growth under one page, peak within 4 pages): {'yes' if flat else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    parser = data_set_parser(__doc__)
    parser.add_argument("--page", type=int, default=500, help="page size (default 500)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (default 5)")
    args = parser.parse_args(argv)
    if args.quick:
        size, db, rows, runs, page = "small", None, 400, 1, 100
    else:
        size, rows, runs, page = "large", 50_000, args.runs, args.page
        db = args.db or ROOT / "bench" / ".data" / f"sandbox-large-{args.seed}.sqlite3"
    start = time.perf_counter()
    with sandbox_process(size, args.seed, db, page) as url:
        print(f"{size} sandbox ready in {time.perf_counter() - start:.1f} s"
              + (f" ({db})" if db else " (memory)"))
        throughput(url, rows, page, runs, verify=not args.quick)
        memory(url, rows, page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
