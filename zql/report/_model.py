"""The results of a report and of a diff: frozen dataclasses with ``.to_json()``.

>>> r = Report("execution", 'cycle = "Sprint 1"', ("status",), 3,
...            (Group(("Pass",), 2), Group(("Fail",), 1)), passed=2, executed=3)
>>> r.to_json()["groups"][0], r.pass_rate
({'status': 'Pass', 'count': 2}, 0.6666666666666666)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zql.schema import Schema

__all__ = [
    "CATEGORIES",
    "FAILING_IDS",
    "NONE",
    "OTHER",
    "PASS_ID",
    "STATUS_COLUMN",
    "Diff",
    "DiffItem",
    "Group",
    "Report",
    "ReportError",
    "StatusFacts",
]

#: The group of rows that have no value in the grouped field.
NONE = "(none)"
#: The count strategy's group of rows whose value is outside the known value set.
OTHER = "(other)"

#: Diff categories, in the order summaries and lists show them (regressions first).
CATEGORIES: tuple[str, ...] = ("regressed", "still failing", "not run in B", "fixed",
                               "newly run", "only in A", "only in B", "unchanged")


class ReportError(ValueError):
    """A report that cannot be made as asked: an unknown column, a bad bucket, a strategy
    that cannot answer (the CLI's exit code 2).

    >>> str(ReportError("no column 'prio'"))
    "no column 'prio'"
    """


#: The flat column holding an execution's status (the pass rate and status order read it).
STATUS_COLUMN = "status"
#: ZE's id of the Pass status, and of the failing statuses (Fail, Blocked) — INFERRED.
PASS_ID = 1
FAILING_IDS = (2, 4)


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """The execution statuses in the server's order, which one is a pass, and how a never-run
    execution reads.

    >>> from zql.schema import load_schema
    >>> StatusFacts.from_schema(load_schema()).order
    ('Pass', 'Fail', 'WIP', 'Blocked', 'Not Executed')
    """

    order: tuple[str, ...]
    passed: str
    not_executed: str
    failing: tuple[str, ...] = ()

    @classmethod
    def from_schema(cls, schema: Schema) -> StatusFacts:
        """Statuses from the schema's value facts (a server's own list when it sent one).

        INFERRED: ZE ships Pass as id 1 and Fail and Blocked, the failing statuses, as 2 and 4
        (:data:`PASS_ID`, :data:`FAILING_IDS`); a server that renames them keeps the ids.
        """
        facts = schema.values
        # Active statuses first, then inactive ones (old executions may still have them).
        names = tuple(s.name for s in sorted(facts.statuses, key=lambda s: not s.active))
        by_id = {s.id: s.name for s in facts.statuses}
        failing = tuple(by_id[i] for i in FAILING_IDS if i in by_id)
        return cls((*names, facts.not_executed.name), by_id.get(PASS_ID, ""),
                   facts.not_executed.name, failing)


@dataclass(frozen=True, slots=True)
class Group:
    """One cell of a report: a value for each grouped field and how many rows have them.

    >>> Group(("Pass", "Sprint 1"), 12).values
    ('Pass', 'Sprint 1')
    """

    values: tuple[str, ...]
    count: int


@dataclass(frozen=True, slots=True)
class Report:
    """Counts of the rows of one search grouped by one or two fields.

    ``total`` is the number of rows (a multi-valued field such as ``tags`` counts a row once
    per value, so its groups may add up to more). ``passed``/``executed`` are set for
    executions: the pass rate is Pass / executed, where executed means any status other than
    Not Executed. ``partial`` marks counts cut short by an interruption. ``requests`` is the
    number of search requests the report made (lookups of value lists not included).

    >>> Report("testcase", "x", ("priority",), 0, ()).pass_rate is None
    True
    """

    entity: str
    query: str
    by: tuple[str, ...]
    total: int
    groups: tuple[Group, ...]
    strategy: str = "scan"
    partial: bool = False
    requests: int = 0
    passed: int | None = None
    executed: int | None = None
    #: the order of each field's values for display (known status order, by count otherwise)
    order: tuple[tuple[str, ...], ...] = field(default=())
    #: the server's statuses (executions), for pass rates and colours
    status: StatusFacts | None = None

    @property
    def pass_rate(self) -> float | None:
        """Pass / executed, or None when not an execution report or nothing was executed."""
        if self.passed is None or not self.executed:
            return None
        return self.passed / self.executed

    def count_of(self, *values: str) -> int:
        """The count of one group (0 when absent).

        >>> Report("t", "q", ("a",), 1, (Group(("x",), 1),)).count_of("x")
        1
        """
        return sum(g.count for g in self.groups if g.values == values)

    def values(self, index: int = 0) -> tuple[str, ...]:
        """The values of the ``index``-th grouped field in display order.

        >>> Report("t", "q", ("a",), 3, (Group(("y",), 1), Group(("x",), 2))).values()
        ('x', 'y')
        """
        if index < len(self.order):
            return self.order[index]
        totals: dict[str, int] = {}
        for g in self.groups:
            totals[g.values[index]] = totals.get(g.values[index], 0) + g.count
        return tuple(sorted(totals, key=lambda v: (-totals[v], v)))

    def to_json(self) -> dict[str, Any]:
        """``{"entity", "query", "by", "total", "groups": [{FIELD: VALUE, ..., "count"}]}``
        (plus ``"partial": true`` for interrupted counts).

        >>> Report("testcase", "q", ("priority",), 1, (Group(("High",), 1),), partial=True
        ...        ).to_json()["partial"]
        True
        """
        out: dict[str, Any] = {
            "entity": self.entity, "query": self.query, "by": list(self.by), "total": self.total,
            "groups": [{**dict(zip(self.by, g.values, strict=True)), "count": g.count}
                       for g in self.groups]}
        if self.partial:
            out["partial"] = True
        return out


@dataclass(frozen=True, slots=True)
class DiffItem:
    """One test case of a diff: its status in A and in B, who ran it in B, its category.

    >>> DiffItem(1001, "Login", "Pass", "Fail", "regressed", "ann").to_json()["b_status"]
    'Fail'
    """

    testcase_id: int | str
    name: str
    a_status: str | None
    b_status: str | None
    category: str
    b_executed_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"testcaseId", "name", "a_status", "b_status", "category"}``."""
        return {"testcaseId": self.testcase_id, "name": self.name, "a_status": self.a_status,
                "b_status": self.b_status, "category": self.category}


@dataclass(frozen=True, slots=True)
class Diff:
    """What changed between two sets of executions, one item per test case.

    >>> d = Diff("a", "b", (DiffItem(1, "x", "Pass", "Fail", "regressed"),))
    >>> d.summary["regressed"], d.summary["fixed"], d.to_json()["items"][0]["category"]
    (1, 0, 'regressed')
    """

    a: str
    b: str
    items: tuple[DiffItem, ...]
    partial: bool = False

    @property
    def summary(self) -> dict[str, int]:
        """Test cases per category, every category present (0 when empty)."""
        out = dict.fromkeys(CATEGORIES, 0)
        for item in self.items:
            out[item.category] += 1
        return out

    def in_category(self, *categories: str) -> list[DiffItem]:
        """The items of the given categories.

        >>> Diff("a", "b", (DiffItem(1, "x", "Pass", "Pass", "unchanged"),)).in_category("fixed")
        []
        """
        return [i for i in self.items if i.category in categories]

    def to_json(self) -> dict[str, Any]:
        """``{"a", "b", "summary": {CATEGORY: N}, "items": [...]}`` (every item, in list order)."""
        out: dict[str, Any] = {"a": self.a, "b": self.b, "summary": self.summary,
                               "items": [i.to_json() for i in self.items]}
        if self.partial:
            out["partial"] = True
        return out
