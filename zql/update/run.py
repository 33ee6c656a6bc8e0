"""Driving updates with a client: plan, apply (journal, batches, concurrency), resume, undo.

The decisions are in :mod:`zql.update.engine`; this module reads the selection, sends the
batches through the client (its retry policy handles 429/503), reads items again when an
answer was lost, and writes the journal. :func:`apply` / :func:`plan_update` use a
:class:`~zql.client.ZephyrClient`; the ``a``-prefixed twins an
:class:`~zql.client.AsyncZephyrClient`.

>>> from zql.client import ZephyrClient
>>> from zql.sandbox import Sandbox
>>> import tempfile, pathlib
>>> journal = pathlib.Path(tempfile.mkdtemp()) / "run.jsonl"
>>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
...     plan = plan_update(client, 'status = "Blocked" and cycle = "Release Candidate 18"',
...                        entity="execution", status="WIP")
...     report = apply(client, plan, journal=journal)
...     len(plan.items) == report.count("changed") > 0, report.exit_code
(True, 0)
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import zql
from zql.update.endpoints import MAX_BATCH, Request
from zql.update.engine import (
    Report,
    Result,
    Stop,
    batches,
    check,
    compute_plan,
    resume_items,
    send_batch,
    undo_plan,
)
from zql.update.journal import Journal, default_journal_path, now_text, read_journal
from zql.update.model import Item, Plan, state_of
from zql.update.resolve import UpdateError, change_op

if TYPE_CHECKING:
    from zql.client import AsyncZephyrClient, ZephyrClient
    from zql.client._core import ClientCore

__all__ = ["aapply", "aplan_update", "apply", "check_now", "plan_update", "resume", "undo"]

#: Most batches in flight at once.
MAX_CONCURRENCY = 4
_REREAD_CHUNK = 200
Progress = Callable[[int, int], None]


def _send(client: ZephyrClient, op: Generator[Any, Any, Any]) -> Any:
    """Perform ``op`` through the client's driver (its auth, retries and limits)."""
    return client.driver.run(_bridge(client.driver.core, op))


async def _asend(client: AsyncZephyrClient, op: Generator[Any, Any, Any]) -> Any:
    """:func:`_send` for an async client."""
    return await client.driver.run(_bridge(client.driver.core, op))


def _bridge(core: ClientCore, op: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
    """Adapt an operation yielding :class:`Request` objects to the client's drivers (which run
    generators yielding its own calls); the client's own calls pass through."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = op.throw(error) if error is not None else op.send(value)
        except StopIteration as stop:
            return stop.value
        if isinstance(step, Request):
            step = core.call(step.method, step.path, params=step.params, json=step.json)
        try:
            value, error = (yield step), None
        except Exception as exc:  # the client's errors, thrown back into the operation
            value, error = None, exc


def _never_run(client: ZephyrClient | AsyncZephyrClient) -> str:
    schema = client.driver.core.known_schema or zql.load_schema()
    return str(schema.values.not_executed.id)


def _with_names(plan: Plan, names: dict[str, dict[str, str]], **where: Any) -> Plan:
    """Keep the names tables show (statuses; only the users the plan mentions) and the
    release/project the search was narrowed to."""
    extra: dict[str, Any] = {k: v for k, v in where.items() if v is not None}
    if "statuses" in names:
        extra["statuses"] = names["statuses"]
    if "users" in names:
        seen = {str(i.before.get("testerId")) for i in plan.items} | \
            {str(i.after.get("testerId")) for i in plan.items}
        extra["users"] = {k: v for k, v in names["users"].items() if k in seen}
    return replace(plan, extra=extra)


def _change_op(core: ClientCore, entity: str,
               options: dict[str, Any]) -> Generator[Any, Any, Any]:
    statuses = (yield from core.statuses_plan()) if entity == "execution" else ()
    priorities = None
    if options.get("priority") is not None:
        priorities = yield from core.suggest_plan("priority", "", entity="testcase",
                                                  release=None, limit=100)
    return (yield from change_op(entity, statuses=statuses, priorities=priorities, **options))


def _me_op(core: ClientCore) -> Generator[Any, Any, int | None]:
    user = yield core.call("GET", "user/current")
    return int(user["id"]) if isinstance(user, dict) and "id" in user else None


def _reread_query(items: Sequence[Item]) -> Iterator[tuple[Any, set[int]]]:
    """Searches finding ``items`` again (``testcaseId in (...)``, since ZQL has no item id)."""
    for start in range(0, len(items), _REREAD_CHUNK):
        chunk = items[start:start + _REREAD_CHUNK]
        ids = sorted({int(i.ref["testcaseId"]) for i in chunk if i.ref.get("testcaseId")})
        if ids:
            yield zql.field("testcaseId").in_(ids), {i.id for i in chunk}


class _Run:
    """The state of one apply: journal, report, numbering (shared by both drivers)."""

    def __init__(self, plan: Plan, journal: Journal, report: Report, *, batch_size: int,
                 first_batch: int, never_run: str) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise UpdateError(f"the batch size must be between 1 and {MAX_BATCH}")
        self.plan = plan
        self.journal = journal
        self.report = report
        self.batch_size = batch_size
        self.next_batch = first_batch
        self.never_run = never_run
        self.lock = threading.Lock()
        self.status = plan.change.status.id if plan.change.status else None
        self.done = 0

    def needs_me(self, items: Sequence[Item]) -> bool:
        """Whether the bulk status endpoint is used (it names the current user)."""
        return self.status is not None and not self.plan.change.restore and \
            any(tuple(i.after) == ("status",) for i in items)

    def record(self, number: int | None, results: Iterable[Result]) -> None:
        results = list(results)
        if not results and number is None:
            return
        with self.lock:
            self.journal.append({"type": "outcome", "n": number, "at": now_text(),
                                 "results": [r.to_json() for r in results]}, durable=False)
            for result in results:
                self.report.results[result.id] = result

    def begin(self, items: Sequence[Item]) -> int:
        with self.lock:
            number = self.next_batch
            self.next_batch += 1
            self.journal.append({"type": "batch", "n": number, "at": now_text(),
                                 "items": [{"id": i.id, "before": dict(i.before),
                                            "after": dict(i.after)} for i in items]})
            return number

    def op(self, items: Sequence[Item], me: int | None) -> Generator[Any, Any, list[Result]]:
        return send_batch(self.plan.entity, items, status=self.status, me=me,
                          restore=self.plan.change.restore, never_run=self.never_run)

    def settle(self, items: Sequence[Item], results: list[Result],
               current: dict[int, Any]) -> list[Result]:
        """Decide the items whose answer was lost from their ``current`` state."""
        unknown = {r.id: r for r in results if r.result == "unknown"}
        doubt = [i for i in items if i.id in unknown]
        pending, decided = check(doubt, current, in_doubt=True)
        decided += [Result(i.id, "not-applied", message=unknown[i.id].message) for i in pending]
        by_id = {r.id: r for r in decided}
        return [by_id.get(r.id, r) for r in results]

    def end(self) -> None:
        self.journal.append({"type": "end", "at": now_text(), "summary": self.report.summary()})


def _start_record(plan: Plan, kind: str) -> dict[str, Any]:
    return {"type": "start", "kind": kind, "version": 1, "at": now_text(),
            "plan": plan.to_json(), **({"undoes": plan.extra["undoes"]}
                                       if "undoes" in plan.extra else {})}


def _open(plan: Plan, journal: str | os.PathLike[str] | None, kind: str) -> Journal:
    path = Path(journal) if journal is not None else default_journal_path(kind, plan.entity)
    return Journal.create(path, _start_record(plan, kind))


def _report(plan: Plan, journal: Journal) -> Report:
    report = Report(str(journal.path), plan.noun(2))
    for item_id in plan.already:
        report.results[item_id] = Result(item_id, "already")
    return report


# --------------------------------------------------------------------------- sync


def plan_update(client: ZephyrClient, query: Any, *, entity: str = "execution",
                status: str | None = None, notes: str | None = None, assign: str | None = None,
                add_tags: Sequence[str] = (), remove_tags: Sequence[str] = (),
                priority: str | None = None, release: int | str | None = None,
                project: int | str | None = None) -> Plan:
    """Resolve the names (before anything is sent), run the search and compute the plan."""
    options = {"status": status, "notes": notes, "assign": assign, "add_tags": add_tags,
               "remove_tags": remove_tags, "priority": priority}
    change, names = _send(client, _change_op(client.driver.core, entity, options))
    hits = client.search(query, entity=entity, release=release, project=project, page_size=500)
    plan = compute_plan(entity, hits.query, change, hits, never_run=_never_run(client),
                        server=client.base_url)
    return _with_names(plan, names, release=release, project=project)


def _current(client: ZephyrClient, entity: str, items: Sequence[Item]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    never_run = _never_run(client)
    for query, wanted in _reread_query(items):
        for hit in client.search(query, entity=entity, page_size=500):
            if int(hit["id"]) in wanted:
                out[int(hit["id"])] = state_of(entity, hit, never_run=never_run)
    return out


def check_now(client: ZephyrClient, plan: Plan) -> list[Result]:
    """Read the plan's items again: the ones already done, drifted or gone (the rest would be
    sent). Nothing is written; :func:`apply` checks again before it writes."""
    _, decided = check(plan.items, _current(client, plan.entity, plan.items))
    return decided


def _drive(client: ZephyrClient, run: _Run, doubt: Sequence[Item], pending: Sequence[Item], *,
           fresh: bool, concurrency: int, progress: Progress | None) -> Report:
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UpdateError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    todo = list(pending)
    if not fresh or doubt:
        current = _current(client, run.plan.entity, [*doubt, *todo])
        todo_doubt, decided = check(doubt, current, in_doubt=True)
        todo_rest, decided_rest = check(todo, current)
        run.record(None, decided + decided_rest)
        todo = todo_doubt + todo_rest
    me = _send(client, _me_op(client.driver.core)) if run.needs_me(todo) else None
    queue = batches(todo, run.batch_size)
    total = len(todo)
    stop = threading.Event()

    def one(items: list[Item]) -> None:
        number = run.begin(items)
        try:
            results = _send(client, run.op(items, me))
        except Stop as err:
            run.report.stopped = str(err)
            stop.set()
            results = [Result(i.id, "not-applied", message=str(err)) for i in items]
        if any(r.result == "unknown" for r in results):
            results = run.settle(items, results, _current(client, run.plan.entity, items))
        run.record(number, results)
        with run.lock:
            run.done += len(items)
        if progress is not None:
            progress(run.done, total)

    def worker() -> None:
        while not stop.is_set():
            with run.lock:
                if not queue:
                    return
                items = queue.pop(0)
            one(items)

    try:
        if concurrency == 1:
            worker()
        else:
            with ThreadPoolExecutor(concurrency, thread_name_prefix="zql-update") as pool:
                for future in [pool.submit(worker) for _ in range(concurrency)]:
                    future.result()
    except BaseException:
        stop.set()
        raise
    run.end()
    return run.report


def apply(client: ZephyrClient, plan: Plan, *, journal: str | os.PathLike[str] | None = None,
          batch_size: int = MAX_BATCH, concurrency: int = 1, fresh: bool = False,
          progress: Progress | None = None) -> Report:
    """Apply ``plan``, journaling each batch to ``journal`` (default: a new file in the state
    directory). Items are read again first and drifted ones skipped, unless ``fresh`` (the plan
    was made just now)."""
    kind = "undo" if plan.change.restore else "update"
    with _open(plan, journal, kind) as handle:
        run = _Run(plan, handle, _report(plan, handle), batch_size=batch_size, first_batch=1,
                   never_run=_never_run(client))
        return _drive(client, run, [], plan.items, fresh=fresh, concurrency=concurrency,
                      progress=progress)


def resume(client: ZephyrClient, journal: str | os.PathLike[str], *, batch_size: int = MAX_BATCH,
           concurrency: int = 1, progress: Progress | None = None) -> Report:
    """Continue the run of ``journal``: batches with an outcome are not sent again; those sent
    without one are read again and decided item by item."""
    view = read_journal(Path(journal))
    doubt, rest = resume_items(view)
    with Journal.reopen(Path(journal)) as handle:
        report = _report(view.plan, handle)
        for result in view.results.values():
            report.results[int(result["id"])] = Result(
                int(result["id"]), str(result["result"]), result.get("now"),
                result.get("message"))
        run = _Run(view.plan, handle, report, batch_size=batch_size,
                   first_batch=view.last_batch + 1, never_run=_never_run(client))
        return _drive(client, run, doubt, rest, fresh=False, concurrency=concurrency,
                      progress=progress)


def undo(journal: str | os.PathLike[str]) -> Plan:
    """The undo plan of ``journal``: apply it with :func:`apply` (it writes its own journal)."""
    return undo_plan(read_journal(Path(journal)))


# --------------------------------------------------------------------------- async


async def aplan_update(client: AsyncZephyrClient, query: Any, *, entity: str = "execution",
                       status: str | None = None, notes: str | None = None,
                       assign: str | None = None, add_tags: Sequence[str] = (),
                       remove_tags: Sequence[str] = (), priority: str | None = None,
                       release: int | str | None = None,
                       project: int | str | None = None) -> Plan:
    """The async twin of :func:`plan_update`."""
    options = {"status": status, "notes": notes, "assign": assign, "add_tags": add_tags,
               "remove_tags": remove_tags, "priority": priority}
    change, names = await _asend(client, _change_op(client.driver.core, entity, options))
    hits = client.search(query, entity=entity, release=release, project=project, page_size=500)
    plan = compute_plan(entity, hits.query, change, [h async for h in _aiter(hits)],
                        never_run=_never_run(client), server=client.base_url)
    return _with_names(plan, names, release=release, project=project)


async def _aiter(results: Any) -> AsyncIterator[Any]:
    async for hit in results:
        yield hit


async def _acurrent(client: AsyncZephyrClient, entity: str,
                    items: Sequence[Item]) -> dict[int, Any]:
    out: dict[int, Any] = {}
    never_run = _never_run(client)
    for query, wanted in _reread_query(items):
        async for hit in client.search(query, entity=entity, page_size=500):
            if int(hit["id"]) in wanted:
                out[int(hit["id"])] = state_of(entity, hit, never_run=never_run)
    return out


async def aapply(client: AsyncZephyrClient, plan: Plan, *,
                 journal: str | os.PathLike[str] | None = None,
                 batch_size: int = MAX_BATCH, concurrency: int = 1, fresh: bool = False,
                 progress: Progress | None = None) -> Report:
    """The async twin of :func:`apply` (concurrent batches are tasks, not threads)."""
    import anyio

    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise UpdateError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    kind = "undo" if plan.change.restore else "update"
    with _open(plan, journal, kind) as handle:
        run = _Run(plan, handle, _report(plan, handle), batch_size=batch_size, first_batch=1,
                   never_run=_never_run(client))
        todo = list(plan.items)
        if not fresh:
            todo, decided = check(todo, await _acurrent(client, plan.entity, todo))
            run.record(None, decided)
        me = await _asend(client, _me_op(client.driver.core)) if run.needs_me(todo) else None
        queue = batches(todo, batch_size)

        async def worker() -> None:
            while queue and run.report.stopped is None:
                items = queue.pop(0)
                number = run.begin(items)
                try:
                    results = await _asend(client, run.op(items, me))
                except Stop as err:
                    run.report.stopped = str(err)
                    results = [Result(i.id, "not-applied", message=str(err)) for i in items]
                if any(r.result == "unknown" for r in results):
                    current = await _acurrent(client, plan.entity, items)
                    results = run.settle(items, results, current)
                run.record(number, results)
                run.done += len(items)
                if progress is not None:
                    progress(run.done, len(todo))

        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(worker)
        run.end()
        return run.report
