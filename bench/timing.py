"""Timing helpers shared by the benchmark scripts (importable: scripts run from bench/)."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path


def samples(fn: Callable[[], object], repeat: int, *, warmup: int = 3) -> list[float]:
    """Wall times of ``repeat`` calls of ``fn`` in seconds, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def median_us(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` in microseconds (warm-up: a tenth of ``repeat``, at least 3)."""
    return statistics.median(samples(fn, repeat, warmup=max(3, repeat // 10))) * 1e6


def p50_p99(times: list[float]) -> tuple[float, float]:
    """Median and 99th percentile of ``times`` (seconds), in milliseconds."""
    ordered = sorted(times)
    return (statistics.median(ordered) * 1e3,
            ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3)


#: ``verify=`` for the HTTP clients a benchmark sets up, outside what it times, to talk to a
#: sandbox over plain HTTP on 127.0.0.1: httpx loads the CA bundle for every client it makes
#: (~90 ms each, even for an ``http://`` URL), and there is no certificate to check.
PLAIN_HTTP = False


def data_set_parser(doc: str | None) -> argparse.ArgumentParser:
    """The arguments of every benchmark over sandbox data: ``--quick`` (the small set, a smoke
    run), ``--seed`` and ``--db`` (the large set's file); scripts add their own after these."""
    parser = argparse.ArgumentParser(description=doc,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small data set, smoke run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", type=Path, help="large data set file (default under bench/.data)")
    return parser

