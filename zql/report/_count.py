"""Counting rows by group: the scan strategy's engine, pure and streaming (O(groups) memory).

A row is a flat row (``zql.client.flatten``). A multi-valued field (``tags``, one
comma-separated string in a flat row) counts a row once per value; an empty value counts in
:data:`~zql.report.NONE`. ``executedOn:day`` and ``executedOn:week`` group by the UTC day
(``2026-03-02``) or ISO week (``2026-W10``) of the execution date.

>>> c = Counter([GroupBy.parse("tags")])
>>> c.add([{"tags": "smoke, ui"}, {"tags": "smoke"}, {"tags": None}])
>>> sorted(c.cells.items())
[(('(none)',), 1), (('smoke',), 2), (('ui',), 1)]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zql import _vocabulary
from zql.ast import Op
from zql.report._model import NONE, OTHER, STATUS_COLUMN, Group, Report, ReportError, StatusFacts
from zql.schema import Schema, load_schema

__all__ = ["BUCKETS", "Counter", "GroupBy", "StatusFacts", "count", "display_order"]

#: Date buckets ``--by executedOn:BUCKET`` accepts.
BUCKETS: tuple[str, ...] = ("day", "week")

# INFERRED: flat columns whose ZQL field has another name (the only one in every profile).
_FIELD_OF_COLUMN = {"tags": "tag"}
_DATE_COLUMNS = frozenset({"executedOn", "created", "modified"})


@dataclass(frozen=True, slots=True)
class GroupBy:
    """One ``--by`` field: a flat column, an optional date bucket, whether it is multi-valued,
    and the ZQL field the count strategy filters on (None when there is none).

    >>> GroupBy.parse("executedOn:week")
    GroupBy(column='executedOn', bucket='week', multi=False, zql_field=None, empty_query=False)
    >>> GroupBy.parse("Priority", columns=["id", "priority"]).column
    'priority'
    >>> GroupBy.parse("assignee", columns=["executedBy"]).column   # its ZE 6 name
    'executedBy'
    >>> GroupBy.parse("prio", columns=["id", "priority"])
    Traceback (most recent call last):
      ...
    zql.report.ReportError: no column 'prio' to group by; did you mean 'priority'? (columns: ...
    """

    column: str
    bucket: str | None = None
    multi: bool = False
    zql_field: str | None = None
    empty_query: bool = False  # the ZQL field allows `is empty`

    @property
    def label(self) -> str:
        """How the field is named in output: ``executedOn:week``, ``status``."""
        return f"{self.column}:{self.bucket}" if self.bucket else self.column

    @classmethod
    def parse(cls, spec: str, *, columns: Sequence[str] | None = None, entity: str = "execution",
              schema: Schema | None = None) -> GroupBy:
        """Read ``FIELD`` or ``FIELD:day|week``; check it against ``columns`` when given."""
        name, _, bucket = spec.strip().partition(":")
        name = name.strip()
        if not name:
            raise ReportError("empty field to group by")
        schema = schema or load_schema()
        entity = Schema.entity_name(entity)
        if columns is not None:
            found = next((c for c in columns if c.casefold() == name.casefold()), None)
            renamed = schema.rename_for(entity, name)  # ZE 6's `assignee` is `executedBy`
            if found is None and renamed is not None:
                found = next((c for c in columns if c.casefold() == renamed.new.casefold()),
                             None)
            if found is None:
                raise ReportError(f"no column {name!r} to group by{_did_you_mean(name, columns)}"
                                 f" (columns: {', '.join(columns)})")
            name = found
        bucket = bucket.strip().lower() or ""
        if bucket and bucket not in BUCKETS:
            raise ReportError(f"unknown date bucket {bucket!r} in {spec!r}; one of: "
                             f"{', '.join(BUCKETS)}")
        if bucket and name not in _DATE_COLUMNS:
            raise ReportError(f"{name} is not a date: only {', '.join(sorted(_DATE_COLUMNS))} "
                             "take :day or :week")
        if name in _DATE_COLUMNS and not bucket:
            raise ReportError(f"group {name} by day or week: --by {name}:day or {name}:week")
        spec_ = schema.field(entity, _FIELD_OF_COLUMN.get(name, name))
        if spec_ is None or bucket:
            return cls(name, bucket or None, name in _FIELD_OF_COLUMN)
        return cls(name, None, spec_.multi, spec_.name, Op.IS in spec_.operators)

    def keys(self, row: Mapping[str, Any]) -> list[str]:
        """The group(s) a row falls in for this field (one per value when multi-valued).

        >>> GroupBy("executedOn", "day").keys({"executedOn": "2026-03-02T10:00:00Z"})
        ['2026-03-02']
        >>> GroupBy("automated").keys({"automated": True}), GroupBy("x").keys({})
        (['true'], ['(none)'])
        """
        value = row.get(self.column)
        if value is None or value == "":
            return [NONE]
        if self.bucket is not None:
            day = str(value)[:10]
            if self.bucket == "day":
                return [day]
            try:
                year, week, _ = dt.date.fromisoformat(day).isocalendar()
            except ValueError:
                return [str(value)]
            return [f"{year}-W{week:02d}"]
        if self.multi:
            parts = [p.strip() for p in str(value).split(",")] if not isinstance(
                value, list | tuple) else [str(v) for v in value]
            unique = list(dict.fromkeys(p for p in parts if p))
            return unique or [NONE]
        if isinstance(value, bool):  # as ZQL writes it, so a group can be pasted into a query
            keywords = _vocabulary.vocabulary().keywords
            return [keywords["TRUE"] if value else keywords["FALSE"]]
        return [str(value)]


def _did_you_mean(name: str, options: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name.lower(), [o.lower() for o in options], n=1)
    if not close:
        return ""
    original = next(o for o in options if o.lower() == close[0])
    return f"; did you mean {original!r}?"


class Counter:
    """Counts rows into groups as they stream past; keeps only the counts.

    With ``status`` facts (executions) it also counts passed and executed rows for the pass
    rate. ``rows`` is how many rows were added.

    >>> c = Counter([GroupBy.parse("status")], status=StatusFacts.from_schema(load_schema()))
    >>> c.add([{"status": "Pass"}, {"status": "Fail"}, {"status": "Not Executed"}])
    >>> c.rows, c.passed, c.executed, c.cells[("Pass",)]
    (3, 1, 2, 1)
    """

    def __init__(self, by: Sequence[GroupBy], *, status: StatusFacts | None = None) -> None:
        if not 1 <= len(by) <= 2:
            raise ReportError("group by one or two fields")
        self.by = tuple(by)
        self.status = status
        self.cells: dict[tuple[str, ...], int] = {}
        self.rows = 0
        self.passed = 0
        self.executed = 0

    def add(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Count some rows (a page)."""
        cells = self.cells
        single = self.by[0] if len(self.by) == 1 and not self.by[0].multi \
            and self.by[0].bucket is None else None
        status = self.status
        for row in rows:
            self.rows += 1
            if status is not None:
                value = row.get(STATUS_COLUMN)
                if value == status.passed:
                    self.passed += 1
                if value is not None and value != status.not_executed:
                    self.executed += 1
            if single is not None:  # the common case, without building lists
                value = row.get(single.column)
                key = (NONE if value is None or value == "" else
                       single.keys(row)[0] if isinstance(value, bool) else str(value),)
                cells[key] = cells.get(key, 0) + 1
                continue
            first = self.by[0].keys(row)
            second = self.by[1].keys(row) if len(self.by) == 2 else None
            for a in first:
                if second is None:
                    cells[(a,)] = cells.get((a,), 0) + 1
                else:
                    for b in second:
                        cells[(a, b)] = cells.get((a, b), 0) + 1

    def report(self, *, entity: str, query: str, strategy: str = "scan", partial: bool = False,
               requests: int = 0) -> Report:
        """The counts as a :class:`Report` (groups in display order)."""
        groups = [Group(k, n) for k, n in self.cells.items()]
        return build_report(entity, query, self.by, self.rows, groups, strategy=strategy,
                            partial=partial, requests=requests, status=self.status,
                            passed=self.passed if self.status else None,
                            executed=self.executed if self.status else None)


def display_order(by: GroupBy, totals: Mapping[str, int],
                  status: StatusFacts | None = None) -> tuple[str, ...]:
    """Values of one field in display order: the status order for ``status``, dates in time
    order, otherwise by count (most first); ``(other)`` and ``(none)`` last.

    >>> display_order(GroupBy("priority"), {"Low": 1, "High": 5, "(none)": 9})
    ('High', 'Low', '(none)')
    """
    special = [v for v in (OTHER, NONE) if v in totals]
    plain = [v for v in totals if v not in (OTHER, NONE)]
    if by.column == STATUS_COLUMN and status is not None:
        rank = {name.casefold(): i for i, name in enumerate(status.order)}
        plain.sort(key=lambda v: (rank.get(v.casefold(), len(rank)), -totals[v], v))
    elif by.bucket is not None:
        plain.sort()
    else:
        plain.sort(key=lambda v: (-totals[v], v))
    return tuple(plain + special)


def build_report(entity: str, query: str, by: Sequence[GroupBy], total: int,
                 groups: Iterable[Group], *, strategy: str, partial: bool = False,
                 requests: int = 0, status: StatusFacts | None = None,
                 passed: int | None = None, executed: int | None = None) -> Report:
    """A :class:`Report` with its groups sorted for display (shared by both strategies)."""
    groups = [g for g in groups if g.count > 0]
    order = []
    for i, field in enumerate(by):
        totals: dict[str, int] = {}
        for g in groups:
            totals[g.values[i]] = totals.get(g.values[i], 0) + g.count
        order.append(display_order(field, totals, status))
    rank = [{v: j for j, v in enumerate(values)} for values in order]
    groups.sort(key=lambda g: tuple(rank[i][v] for i, v in enumerate(g.values)))
    return Report(entity, query, tuple(f.label for f in by), total, tuple(groups), strategy,
                  partial, requests, passed, executed, tuple(order), status)


def count(rows: Iterable[Mapping[str, Any]], by: Sequence[str | GroupBy], *,
          entity: str = "execution", query: str = "", schema: Schema | None = None) -> Report:
    """Count flat rows by one or two fields: the pure engine behind ``zql report``.

    >>> rows = [{"status": "Pass", "cycle": "C1"}, {"status": "Fail", "cycle": "C1"},
    ...         {"status": "Pass", "cycle": "C2"}]
    >>> r = count(rows, by=["status"])
    >>> [(g.values[0], g.count) for g in r.groups], r.total, r.pass_rate
    ([('Pass', 2), ('Fail', 1)], 3, 0.6666666666666666)
    >>> count(rows, by=["cycle", "status"]).count_of("C1", "Fail")
    1
    """
    schema = schema or load_schema()
    entity = Schema.entity_name(entity)
    fields = [b if isinstance(b, GroupBy) else GroupBy.parse(b, entity=entity, schema=schema)
              for b in by]
    status = StatusFacts.from_schema(schema) if entity == "execution" else None
    counter = Counter(fields, status=status)
    counter.add(rows)
    return counter.report(entity=entity, query=query)
