"""Bulk-update throughput: a status update of 50,000 executions of the large sandbox through the
bulk endpoint, by ``zql.update.apply`` (journal with an fsync per batch, answers decoded and
checked) against a bare httpx loop sending the same batches, in the same run.

Run: ``python bench/bench_update.py`` (builds ``bench/.data/sandbox-large-<seed>.sqlite3`` once;
the first write copies it into memory, done before timing). ``--quick`` uses the small data set
for a smoke run. Both sides send 500 ids a request, one request at a time; each run sets a new
status so every row really changes. Target (issue 15): zql >= 0.8x the bare loop's throughput.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import PLAIN_HTTP, data_set_parser  # noqa: E402  (bench/timing.py, beside)

from zql.client import ZephyrClient  # noqa: E402
from zql.sandbox import Sandbox  # noqa: E402
from zql.update import Change, StatusRef, apply, compute_plan  # noqa: E402


def bare(sb: Sandbox, ids: list[int], status: int, batch: int, *, decode: bool = False) -> float:
    """Seconds for a plain httpx loop to send every batch (answers read; with ``decode``
    also parsed as JSON, as anything that checks the outcome must)."""
    headers = {"Authorization": f"Bearer {sb.token}", "Accept": "application/json"}
    with httpx.Client(base_url=sb.api_url, headers=headers, timeout=120,
                      verify=PLAIN_HTTP) as http:
        start = time.perf_counter()
        for i in range(0, len(ids), batch):
            r = http.put("/execution/bulk", params={"status": status, "testerid": 1,
                                                    "allExecutions": "false"},
                         json={"ids": ids[i:i + batch]})
            r.raise_for_status()
            _ = r.json() if decode else r.content
        return time.perf_counter() - start


def ours(client: ZephyrClient, hits: list[dict[str, object]], status: int, name: str,
         batch: int, folder: Path) -> float:
    """Seconds for ``zql.update.apply`` to apply the same change (plan made beforehand)."""
    plan = compute_plan("execution", "bench", Change(status=StatusRef(status, name)), hits)
    assert len(plan.items) == len(hits), "every item must really change"
    journal = folder / f"bench-{status}.jsonl"
    start = time.perf_counter()
    report = apply(client, plan, journal=journal, fresh=True, batch_size=batch)
    elapsed = time.perf_counter() - start
    assert report.count("changed") == len(hits), report.summary()
    return elapsed


def main() -> None:
    parser = data_set_parser(__doc__)
    args = parser.parse_args()
    if args.quick:  # the smoke run: two requests a pass, one round of the three sides
        size, db, count, batch, rounds = "small", None, 200, 100, 1
    else:
        size, count, batch, rounds = "large", 50_000, 500, 2
        db = args.db or ROOT / "bench" / ".data" / f"sandbox-large-{args.seed}.sqlite3"
    with Sandbox(size, args.seed, db=db) as sb, \
            ZephyrClient(sb.url, token=sb.token, timeout=120, verify=PLAIN_HTTP) as client, \
            tempfile.TemporaryDirectory() as tmp:
        hits = list(client.search('status in ("Pass", "Fail", "WIP", "Blocked")',
                                  entity="execution", page_size=500, limit=count))
        ids = [int(h["id"]) for h in hits]
        print(f"status update of {len(ids):,} executions in batches of {batch} "
              f"({size} data set)")
        bare(sb, ids[:batch], 4, batch)  # warm-up: the first write copies the store to memory
        # Alternate (the machine is shared: load comes and goes), each run really changing
        # every row: bytes -> WIP, decoded -> Fail, ours Fail -> Blocked; then -> Pass,
        # -> WIP, ours WIP -> Fail.
        times: dict[str, list[float]] = {"bytes": [], "decoded": [], "ours": []}
        for first, second, (before, after, name) in ((3, 2, (2, 4, "Blocked")),
                                                     (1, 3, (3, 2, "Fail")))[:rounds]:
            times["bytes"].append(bare(sb, ids, first, batch))
            times["decoded"].append(bare(sb, ids, second, batch, decode=True))
            now = [{**h, "lastTestResult": {"executionStatus": str(before)}} for h in hits]
            times["ours"].append(ours(client, now, after, name, batch, Path(tmp)))
        best = {k: min(v) for k, v in times.items()}
        for key, label in (("bytes", "bare httpx loop, answers read"),
                           ("decoded", "bare httpx loop, answers decoded"),
                           ("ours", "zql apply (journal, fsync each batch)")):
            runs = ", ".join(f"{t:.2f}" for t in times[key])
            print(f"{label}: {len(ids) / best[key]:,.0f} items/s (best {best[key]:.2f} s; "
                  f"runs {runs})")
        judged = "not judged on the quick data set" if args.quick else None
        for key in ("decoded", "bytes"):
            ratio = best[key] / best["ours"]
            verdict = judged or ("ok" if ratio >= 0.8 else "MISSED")
            print(f"ratio zql/bare throughput ({key}): {ratio:.2f} (best against best; "
                  f"target >= 0.8: {verdict})")


if __name__ == "__main__":
    main()
