"""Running reports and diffs against a server: the steps, and a sync and an async driver.

A report is a generator of steps (:class:`Count`, :class:`Scan`, :class:`Lookup`) that the
client's driver carries out, the same shape as the client's own sans-I/O core: the decisions
(strategy, queries, assembling counts) live once in :func:`report_steps` and
:func:`diff_steps`, and the two drivers only make the calls. Nothing here imports the client:
the client passes itself (and its ``flattener``) in.
"""

from __future__ import annotations

from collections.abc import (
    Callable,
    Generator,
    Iterable,
    Mapping,
)
from dataclasses import dataclass, field
from typing import Any, Protocol

from zql.builder import Expr, and_
from zql.builder import field as zql_field
from zql.report._count import Counter, GroupBy, build_report
from zql.report._diff import DiffBuilder
from zql.report._model import STATUS_COLUMN, Diff, Report, ReportError, StatusFacts
from zql.report._plan import STRATEGIES, CountPlan, choose
from zql.schema import Schema, Status

__all__ = ["REPORT_PAGE_SIZE", "ReportInterrupted", "diff_steps", "drive", "drive_async",
           "report_steps"]

#: Rows asked for per page by a scan: ZE's default cap (``api.records.maxallowed``).
REPORT_PAGE_SIZE = 500
#: Most values asked of a server lookup for the count strategy.
LOOKUP_MAX = 200

Flat = Callable[[Mapping[str, Any]], Mapping[str, Any]]
#: ``flattener(entity, columns, statuses=...)``: a function giving an item's flat row with
#: those columns (status ids named by the server's statuses)
Flattener = Callable[..., Flat]
#: The flat columns a diff reads.
DIFF_COLUMNS = ("id", "testcaseId", "name", STATUS_COLUMN, "executedOn", "executedBy")
Progress = Callable[[int, int | None], None]


class ReportInterrupted(KeyboardInterrupt):
    """Ctrl-C during a report or diff; ``.partial`` holds what was counted until then.

    >>> err = ReportInterrupted(Report("testcase", "q", ("priority",), 0, (), partial=True))
    >>> err.partial.partial
    True
    """

    def __init__(self, partial: Report | Diff) -> None:
        super().__init__("interrupted")
        self.partial = partial


@dataclass(frozen=True, slots=True)
class Where:
    """What to search: a query and the search options steps pass to ``client.search``."""

    query: Any
    entity: str
    release: int | str | None = None
    project: int | str | None = None

    def options(self) -> dict[str, Any]:
        """Keyword arguments for ``client.search``."""
        return {"entity": self.entity, "release": self.release, "project": self.project}


@dataclass(frozen=True, slots=True)
class Count:
    """Step: the number of hits of a search (one request, ``maxresults=1``)."""

    where: Where


@dataclass(slots=True)
class Scan:
    """Step: page through a search, handing each page's flat rows to ``sink``.

    The answer is ``(pages, interrupted)``; a Ctrl-C ends the scan and is reported, not raised.
    """

    where: Where
    sink: Callable[[Iterable[Mapping[str, Any]]], None]
    flat: Flat
    page_size: int = REPORT_PAGE_SIZE
    progress: Progress | None = None
    done: int = field(default=0)

    def page(self, items: list[Any], total: int | None) -> None:
        """Take one page."""
        self.sink(map(self.flat, items))
        self.done += len(items)
        if self.progress is not None:
            self.progress(self.done, total)


@dataclass(frozen=True, slots=True)
class Lookup:
    """Step: a value list from the server — ``schema``, ``statuses``, ``cycles`` of a release,
    or the ``values`` of a field's lookup."""

    kind: str
    field: str = ""
    entity: str = "execution"
    release: int | str | None = None


Step = Count | Scan | Lookup


def _schema(entity: str) -> Generator[Step, Any, tuple[Schema, tuple[Status, ...] | None]]:
    """The server's schema, with the server's own statuses for executions."""
    schema: Schema = yield Lookup("schema")
    if entity != "execution":
        return schema, None
    statuses: tuple[Status, ...] = tuple((yield Lookup("statuses")))
    return schema.with_statuses(statuses), statuses


def _values(by: GroupBy, where: Where, facts: StatusFacts | None
            ) -> Generator[Step, Any, list[str] | None]:
    if by.zql_field is None:
        return None
    if by.column == STATUS_COLUMN and facts is not None:
        return list(facts.order)
    if by.column == "cycle" and where.release is not None:
        cycles = yield Lookup("cycles", release=where.release)
        return [str(c["name"]) for c in cycles if isinstance(c, Mapping) and c.get("name")]
    values: list[str] = yield Lookup("values", by.zql_field, where.entity, where.release)
    return values or None


def report_steps(query: Any, *, entity: str, by: Iterable[str], strategy: str = "auto",
                 release: int | str | None = None, project: int | str | None = None,
                 page_size: int = REPORT_PAGE_SIZE, flattener: Flattener,
                 columns: list[str], progress: Progress | None = None
                 ) -> Generator[Step, Any, Report]:
    """The steps of a report; the generator's return value is the :class:`Report`."""
    if strategy not in STRATEGIES:
        raise ReportError(f"unknown strategy {strategy!r}; one of: {', '.join(STRATEGIES)}")
    entity = Schema.entity_name(entity)
    schema, statuses = yield from _schema(entity)
    fields = [GroupBy.parse(b, columns=columns, entity=entity, schema=schema) for b in by]
    if not 1 <= len(fields) <= 2:
        raise ReportError("group by one or two fields (--by FIELD or --by FIELD,FIELD)")
    base = Expr(query) if not isinstance(query, Expr) else query
    text = base.to_zql()
    where = Where(base, entity, release, project)
    facts = StatusFacts.from_schema(schema) if entity == "execution" else None
    requests = 0
    plan: CountPlan | None = None
    total = 0
    extra: list[Expr] = []
    if strategy != "scan":
        total = yield Count(where)
        requests += 1
        values = []
        for b in fields:
            values.append((yield from _values(b, where, facts)))
        missing = [b.label for b, v in zip(fields, values, strict=True) if v is None]
        if missing:
            if strategy == "count":
                raise ReportError(f"the count strategy needs a known value set; none for "
                                 f"{', '.join(missing)} (use --strategy scan)")
        else:
            plan = CountPlan.make(base, fields, [v or [] for v in values])
            if facts is not None and not _status_totals(fields):
                extra = _pass_queries(base, facts)
        if total == 0:
            return build_report(entity, text, fields, 0, [], strategy="count",
                                requests=requests, status=facts,
                                passed=0 if facts else None, executed=0 if facts else None)
    chosen = choose(strategy, total=total, page_size=page_size, count_plan=plan,
                    extra=len(extra))
    if chosen == "count":
        assert plan is not None
        answers = []
        for q in plan.queries + extra:
            answers.append((yield Count(Where(q, entity, release, project))))
        requests += len(answers)
        cells = answers[:len(plan.queries)]
        groups = plan.assemble(total, cells)
        passed = executed = None
        if facts is not None:
            passed, executed = _pass_counts(fields, plan, cells, answers[len(cells):], total,
                                            facts)
        return build_report(entity, text, fields, total, groups, strategy="count",
                            requests=requests, status=facts, passed=passed, executed=executed)
    counter = Counter(fields, status=facts)
    needed = list(dict.fromkeys([b.column for b in fields] + ([STATUS_COLUMN] if facts else [])))
    scan = Scan(where, counter.add, flattener(entity, needed, statuses=statuses), page_size,
                progress)
    pages, interrupted = yield scan
    return counter.report(entity=entity, query=text, strategy="scan", partial=interrupted,
                          requests=requests + pages)


def _pass_queries(base: Expr, facts: StatusFacts) -> list[Expr]:
    status = zql_field(STATUS_COLUMN)
    return [and_(base, status.eq(facts.passed)), and_(base, status.eq(facts.not_executed))]


def _status_totals(fields: list[GroupBy]) -> bool:
    """Whether the count plan's answers include the number of rows of each status."""
    columns = [b.column for b in fields]
    if STATUS_COLUMN not in columns:
        return False
    return len(fields) == 1 or not fields[1 - columns.index(STATUS_COLUMN)].multi


def _pass_counts(fields: list[GroupBy], plan: CountPlan, cells: list[int], extra: list[int],
                 total: int, facts: StatusFacts) -> tuple[int, int]:
    if extra:
        return extra[0], total - extra[1]
    position = [b.column for b in fields].index(STATUS_COLUMN)
    got = dict(zip(plan.keys, cells, strict=True))

    def of(name: str) -> int:
        if len(fields) == 1:
            return got.get((name,), 0)
        return got.get((None, name) if position == 1 else (name, None), 0)

    return of(facts.passed), total - of(facts.not_executed)


def diff_steps(a: Where, b: Where, *, flattener: Flattener,
               page_size: int = REPORT_PAGE_SIZE, progress: Progress | None = None
               ) -> Generator[Step, Any, Diff]:
    """The steps of a diff: one scan of each set; the return value is the :class:`Diff`."""
    schema, statuses = yield from _schema(a.entity)
    builder = DiffBuilder(a=_text(a.query), b=_text(b.query), schema=schema)
    for side, where in (("a", a), ("b", b)):
        def sink(rows: Iterable[Mapping[str, Any]], side: str = side) -> None:
            builder.add(side, rows)

        flat = flattener(where.entity, DIFF_COLUMNS, statuses=statuses)
        _, interrupted = yield Scan(where, sink, flat, page_size, progress)
        if interrupted:
            return builder.result(partial=True)
    return builder.result()


def _text(query: Any) -> str:
    return query.to_zql() if isinstance(query, Expr) else str(Expr(query))


# --------------------------------------------------------------------------- drivers


class _SyncClient(Protocol):
    def search(self, query: Any, **options: Any) -> Any: ...
    def schema(self) -> Schema: ...
    def statuses(self) -> tuple[Status, ...]: ...
    def cycles(self, release: int | str) -> list[Any]: ...
    def suggest(self, field: str, prefix: str = "", **options: Any) -> list[str]: ...


def _call(client: Any, step: Count | Lookup) -> Any:
    """The one client call a step makes (a coroutine with the async client, to await)."""
    if isinstance(step, Count):
        return client.search(step.where.query, **step.where.options()).count()
    if step.kind == "schema":
        return client.schema()
    if step.kind == "statuses":
        return client.statuses()
    if step.kind == "cycles":
        return client.cycles(step.release)
    return client.suggest(step.field, "", entity=step.entity, release=step.release,
                          limit=LOOKUP_MAX)


def _pages(client: Any, step: Scan) -> Any:
    return client.search(step.where.query, page_size=step.page_size,
                         **step.where.options()).pages()


def _scan(client: _SyncClient, step: Scan) -> tuple[int, bool]:
    pages = 0
    try:
        for page in _pages(client, step):
            pages += 1
            step.page(page.items, page.total)
    except KeyboardInterrupt:
        return pages, True
    return pages, False


async def _scan_async(client: Any, step: Scan) -> tuple[int, bool]:
    pages = 0
    try:
        async for page in _pages(client, step):
            pages += 1
            step.page(page.items, page.total)
    except KeyboardInterrupt:
        return pages, True
    return pages, False


def drive(client: Any, steps: Generator[Step, Any, Any]) -> Any:
    """Carry out ``steps`` with a :class:`~zql.client.ZephyrClient`; a partial result (Ctrl-C)
    raises :class:`ReportInterrupted`."""
    stepper, value = _Stepper(steps), None
    while (step := stepper.next(value)) is not None:
        value = _scan(client, step) if isinstance(step, Scan) else _call(client, step)
    return _finished(stepper.result)


async def drive_async(client: Any, steps: Generator[Step, Any, Any]) -> Any:
    """:func:`drive` for an :class:`~zql.client.AsyncZephyrClient`."""
    stepper, value = _Stepper(steps), None
    while (step := stepper.next(value)) is not None:
        value = await (_scan_async(client, step) if isinstance(step, Scan)
                       else _call(client, step))
    return _finished(stepper.result)


class _Stepper:
    """Feeds answers into a steps generator; keeps its return value once it is done."""

    def __init__(self, steps: Generator[Step, Any, Any]) -> None:
        self.steps = steps
        self.result: Any = None

    def next(self, answer: Any) -> Step | None:
        try:
            return self.steps.send(answer)
        except StopIteration as stop:
            self.result = stop.value
            return None


def _finished(result: Any) -> Any:
    if getattr(result, "partial", False):
        raise ReportInterrupted(result)
    return result
