"""What changed between two sets of executions (two cycles, two releases), by test case.

A test case's status in a set is that of its most recently executed execution there (latest
``executedOn``; the higher execution id breaks a tie); a test case with no executed execution in
the set is Not Executed. Categories, checked in this order:

- **only in A** / **only in B**: the test case is scheduled in one set only;
- **newly run**: Not Executed in A, executed (any status) in B;
- **not run in B**: executed in A, Not Executed in B;
- **regressed**: Pass in A, any other executed status in B;
- **fixed**: executed but not Pass in A, Pass in B;
- **still failing**: Fail or Blocked in both;
- **unchanged**: everything else (the same status in both, or a move between statuses that are
  neither Pass nor both failing, such as Fail → WIP).

One pass over each set; memory is one small record per test case.

>>> a = [{"testcaseId": 1, "name": "Login", "status": "Pass", "executedOn": "2026-01-01T00:00:00Z"}]
>>> b = [{"testcaseId": 1, "name": "Login", "status": "Fail", "executedOn": "2026-02-01T00:00:00Z",
...       "executedBy": "ann"}]
>>> d = diff(a, b)
>>> d.items[0].category, d.items[0].b_executed_by
('regressed', 'ann')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from zql.report._model import CATEGORIES, Diff, DiffItem, StatusFacts
from zql.schema import Schema, load_schema

__all__ = ["DiffBuilder", "classify", "diff"]


@dataclass(slots=True)
class _Latest:
    name: str
    status: str | None = None  # None: no executed execution
    when: str = ""
    exec_id: int = -1
    by: str | None = None


def classify(a: str | None, b: str | None, facts: StatusFacts, *, in_a: bool = True,
             in_b: bool = True) -> str:
    """The category of one test case from its status in A and B (None: Not Executed there).

    >>> facts = StatusFacts.from_schema(load_schema())
    >>> classify("Pass", "WIP", facts), classify("Blocked", "Fail", facts), classify(
    ...     None, "Fail", facts), classify("Fail", None, facts), classify("Fail", "WIP", facts)
    ('regressed', 'still failing', 'newly run', 'not run in B', 'unchanged')
    """
    if not in_b:
        return "only in A"
    if not in_a:
        return "only in B"
    if a is None:
        return "newly run" if b is not None else "unchanged"
    if b is None:
        return "not run in B"
    if a == facts.passed:
        return "unchanged" if b == facts.passed else "regressed"
    if b == facts.passed:
        return "fixed"
    if a in facts.failing and b in facts.failing:
        return "still failing"
    return "unchanged"


class DiffBuilder:
    """Feeds two sets of flat execution rows into a :class:`Diff`, one page at a time.

    >>> d = DiffBuilder(); d.add("a", [{"testcaseId": 7, "status": "Fail"}]); d.result().items
    (DiffItem(testcase_id=7, name='', a_status='Fail', b_status=None, category='only in A',\
 b_executed_by=None),)
    """

    def __init__(self, *, a: str = "A", b: str = "B", schema: Schema | None = None) -> None:
        self.facts = StatusFacts.from_schema(schema or load_schema())
        self.a, self.b = a, b
        self.sets: dict[str, dict[Any, _Latest]] = {"a": {}, "b": {}}

    def add(self, side: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Take some rows of set ``side`` (``"a"`` or ``"b"``)."""
        seen = self.sets[side]
        ne = self.facts.not_executed
        for row in rows:
            key = row.get("testcaseId")
            if key is None:
                continue
            latest = seen.get(key)
            if latest is None:
                latest = seen[key] = _Latest(str(row.get("name") or ""))
            status = row.get("status")
            if status is None or status == ne:
                continue
            when = str(row.get("executedOn") or "")
            exec_id = row.get("id")
            rank = exec_id if isinstance(exec_id, int) else -1
            if latest.status is None or (when, rank) > (latest.when, latest.exec_id):
                latest.status, latest.when, latest.exec_id = str(status), when, rank
                latest.by = row.get("executedBy")

    def result(self, *, partial: bool = False) -> Diff:
        """The diff of everything added so far (items by category, then test case id)."""
        sa, sb = self.sets["a"], self.sets["b"]
        ne = self.facts.not_executed
        items = []
        for key in sa.keys() | sb.keys():
            la, lb = sa.get(key), sb.get(key)
            category = classify(la.status if la else None, lb.status if lb else None,
                                self.facts, in_a=la is not None, in_b=lb is not None)
            either = lb if lb is not None else la
            name = either.name if either is not None else ""
            items.append(DiffItem(
                key, name, (la.status or ne) if la else None, (lb.status or ne) if lb else None,
                category, lb.by if lb else None))
        rank = {c: i for i, c in enumerate(CATEGORIES)}
        items.sort(key=lambda i: (rank[i.category], _sortable(i.testcase_id)))
        return Diff(self.a, self.b, tuple(items), partial)


def _sortable(key: Any) -> tuple[int, Any]:
    return (0, key) if isinstance(key, int) else (1, str(key))


def diff(rows_a: Iterable[Mapping[str, Any]], rows_b: Iterable[Mapping[str, Any]], *,
         a: str = "A", b: str = "B", schema: Schema | None = None) -> Diff:
    """Compare two sets of flat execution rows by test case (see the module docstring).

    >>> d = diff([{"testcaseId": 1, "status": "Fail"}], [{"testcaseId": 1, "status": "Pass"}])
    >>> d.summary["fixed"], d.items[0].a_status, d.items[0].b_status
    (1, 'Fail', 'Pass')
    """
    builder = DiffBuilder(a=a, b=b, schema=schema)
    builder.add("a", rows_a)
    builder.add("b", rows_b)
    return builder.result()
