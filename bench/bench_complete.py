"""Completion and highlighting latency per keystroke, against parsing the same text.

Run: ``python bench/bench_complete.py`` (``--quick`` for a smoke run). For queries of about 50
to 2,000 characters it times :func:`zql.complete.complete` at many cursor positions (inside
fields, operators, values, strings, lists and at the end; a value source with 500 names per
lookup field, as a shell cache would hold), and prints p50/p99 in milliseconds, the p50 of
:func:`zql.highlight.token_kinds` over the whole text, and the median of ``zql.parse`` of the
same text as the baseline, with ratios. Target (issue 6): completion p99 <= 10 ms at 2,000.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
from collections.abc import Callable, Sequence

from timing import p50_p99, samples  # bench/timing.py, beside this script

# Clauses cycling through every position kind: lookup values, lists, contains, is, booleans.
_CLAUSES = [
    'project = "Project Ironclad"',
    'priority in ("P1", "P2", "P3")',
    'name ~ "login page"',
    "automated = true",
    'tag is not empty',
    'release != "Release 2.0"',
    "testcaseId in (389722, 389721)",
    'creator = "alice"',
]


def query(size: int) -> str:
    """A valid query of at most ``size`` characters: groups of three clauses joined by ``or``
    (clauses joined by ``and`` when even one group is longer than ``size``)."""
    clauses = itertools.cycle(_CLAUSES)
    groups: list[str] = []
    text = ""
    while True:
        group = "(" + " and ".join(next(clauses) for _ in range(3)) + ")"
        candidate = " or ".join([*groups, group])
        if len(candidate) > size:
            break
        groups.append(group)
        text = candidate
    if not groups:
        parts: list[str] = []
        for clause in _CLAUSES:  # greedily, every clause that still fits
            candidate = " and ".join([*parts, clause])
            if not parts or len(candidate) <= size:
                parts.append(clause)
                text = candidate
    return text


def _values(entity: str, spec: object, prefix: str) -> Sequence[str]:
    name = getattr(spec, "name", "")
    if name in ("project", "release", "creator", "priority", "tag"):
        return _NAMES
    return ()


_NAMES = [f"{word} {n}" for n in range(100) for word in ("Alpha", "Beta", "Gamma", "Delta", "Eps")]


def percentiles(fn: Callable[[int], object], cursors: list[int],
                repeat: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds of ``fn(cursor)`` over every cursor, ``repeat`` times each."""
    for cursor in cursors[:5]:
        fn(cursor)
    times: list[float] = []
    for _ in range(repeat):
        for cursor in cursors:
            times += samples(lambda cursor=cursor: fn(cursor), 1, warmup=0)
    return p50_p99(times)


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn()`` in milliseconds."""
    return statistics.median(samples(fn, repeat, warmup=1)) * 1e3


def main(argv: list[str] | None = None) -> int:
    from zql import parse
    from zql.complete import complete
    from zql.highlight import token_kinds

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny run for smoke tests")
    args = parser.parse_args(argv)
    sizes = [50, 2000] if args.quick else [50, 200, 500, 1000, 2000]
    positions = 10 if args.quick else 60
    repeat = 2 if args.quick else 10
    print(f"{'chars':>6} {'cursors':>8} {'complete p50':>13} {'p99':>7} {'highlight p50':>14} "
          f"{'parse':>7} {'complete/parse':>15} {'highlight/parse':>16}   (ms)")
    for size in sizes:
        text = query(size)
        step = max(1, len(text) // positions)
        cursors = sorted({*range(0, len(text) + 1, step), len(text)})

        def one(cursor: int, text: str = text) -> object:
            return complete(text, cursor, entity="testcase", values=_values)

        p50, p99 = percentiles(one, cursors, repeat)
        hl = median_ms(lambda text=text: token_kinds(text), repeat * 10)
        base = median_ms(lambda text=text: parse(text), repeat * 10)
        print(f"{len(text):>6} {len(cursors):>8} {p50:>13.3f} {p99:>7.3f} {hl:>14.3f} "
              f"{base:>7.3f} {p50 / base:>15.2f} {hl / base:>16.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
