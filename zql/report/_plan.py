"""The count strategy: one tiny search per known value instead of paging through every row.

For a field with a known, small value set (statuses from the server's list, a release's
cycles, values from the server's lookups), the count of each group is the ``resultSize`` of
``(QUERY) and FIELD = "VALUE"`` asked with ``maxresults=1``; rows without a value are counted
with ``FIELD is empty`` where ZQL allows it; the rest is ``(other)`` = total − the sum. Queries
are composed with the builder (the original query parenthesised as needed), never by gluing
text. :func:`choose` picks the strategy that needs fewer requests.

>>> import zql
>>> from zql.report._count import GroupBy
>>> plan = CountPlan.make(zql.Expr('cycle = "C1" or cycle = "C2"'),
...                       [GroupBy("status", zql_field="status")], [["Pass", "Fail"]])
>>> [str(q) for q in plan.queries]
['(cycle = "C1" or cycle = "C2") and status = "Pass"', '(cycle = "C1" or cycle = "C2") and \
status = "Fail"']
>>> plan.assemble(10, [6, 3])
[Group(values=('Pass',), count=6), Group(values=('Fail',), count=3), \
Group(values=('(other)',), count=1)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from zql.builder import Expr, and_
from zql.builder import field as zql_field
from zql.report._count import GroupBy
from zql.report._model import NONE, OTHER, Group

__all__ = ["STRATEGIES", "CountPlan", "choose", "scan_requests"]

#: ``--strategy`` choices.
STRATEGIES: tuple[str, ...] = ("auto", "scan", "count")

Key = tuple[str, ...]


def _clause(by: GroupBy, value: str) -> Expr:
    assert by.zql_field is not None
    handle = zql_field(by.zql_field)
    return handle.is_empty() if value == NONE else handle.eq(value)


@dataclass(slots=True)
class CountPlan:
    """The count queries of one report and how their answers become groups.

    ``queries[i]`` answers ``keys[i]``: a full key (one value per field) is a cell; a key with
    ``None`` in a position is a total over that field (needed to work out ``(other)``).
    """

    by: tuple[GroupBy, ...]
    keys: list[tuple[str | None, ...]] = field(default_factory=list)
    queries: list[Expr] = field(default_factory=list)
    values: list[list[str]] = field(default_factory=list)

    @classmethod
    def make(cls, base: Expr | None, by: Sequence[GroupBy],
             values: Sequence[Sequence[str]]) -> CountPlan:
        """Plan the queries for ``by`` given each field's known ``values``."""
        plan = cls(tuple(by))
        dims: list[list[str]] = []
        for b, vals in zip(by, values, strict=True):
            dim = list(dict.fromkeys(vals))
            if b.empty_query:
                dim.append(NONE)
            dims.append(dim)
        plan.values = dims

        def add(key: tuple[str | None, ...]) -> None:
            parts = [_clause(b, v) for b, v in zip(by, key, strict=True) if v is not None]
            plan.keys.append(key)
            plan.queries.append(and_(base, *parts) if base is not None else and_(*parts))

        if len(by) == 1:
            for v in dims[0]:
                add((v,))
            return plan
        for v1 in dims[0]:
            for v2 in dims[1]:
                add((v1, v2))
        if not by[0].multi:  # column totals give the (other) row
            for v2 in dims[1]:
                add((None, v2))
        if not by[1].multi:
            for v1 in dims[0]:
                add((v1, None))
        return plan

    def assemble(self, total: int, answers: Sequence[int]) -> list[Group]:
        """Groups from the total and the answer to each query (``(other)`` worked out)."""
        got = dict(zip(self.keys, answers, strict=True))
        if len(self.by) == 1:
            groups = [Group((k[0],), n) for k, n in got.items() if k[0] is not None]
            if not self.by[0].multi:
                groups.append(Group((OTHER,), total - sum(g.count for g in groups)))
            return groups
        first, second = self.values
        cells: dict[Key, int] = {(str(k[0]), str(k[1])): n for k, n in got.items()
                                 if None not in k}
        groups = [Group(k, n) for k, n in cells.items()]
        if not self.by[1].multi:
            for a in first:
                row = got[(a, None)] - sum(cells[(a, b)] for b in second)
                groups.append(Group((a, OTHER), row))
        if not self.by[0].multi:
            for b in second:
                col = got[(None, b)] - sum(cells[(a, b)] for a in first)
                groups.append(Group((OTHER, b), col))
        if not self.by[0].multi and not self.by[1].multi:
            rest = total - sum(got[(a, None)] for a in first) - sum(
                g.count for g in groups if g.values[0] == OTHER)
            groups.append(Group((OTHER, OTHER), rest))
        return groups


def scan_requests(total: int, page_size: int) -> int:
    """Requests a scan needs: one per page (servers cap pages at ``page_size`` or less).

    >>> scan_requests(120_000, 500), scan_requests(0, 500)
    (240, 1)
    """
    return max(1, math.ceil(total / page_size))


def choose(strategy: str, *, total: int, page_size: int, count_plan: CountPlan | None,
           extra: int = 0) -> str:
    """``scan`` or ``count``: the asked one, or for ``auto`` the one that needs fewer requests
    (``extra`` count requests the count strategy needs besides its plan, e.g. for the pass rate).

    >>> choose("auto", total=120_000, page_size=500, count_plan=None)
    'scan'
    """
    if strategy != "auto":
        return strategy
    if count_plan is None:
        return "scan"
    return "count" if len(count_plan.queries) + extra <= scan_requests(total, page_size) \
        else "scan"
