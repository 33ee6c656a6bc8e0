"""The decisions of a bulk update, without I/O: plan, check, batch, send (as a generator), undo.

The drivers in :mod:`zql.update.run` feed these with search hits and server answers.

- :func:`compute_plan`: hits → a :class:`~zql.update.model.Plan` (items in the target state are
  counted, not planned);
- :func:`check`: items against their current state → still pending, already done, drifted
  (changed by someone else: never overwritten) or gone;
- :func:`send_batch`: yields the requests of one batch and reads the answers; a 4xx is split in
  halves until the bad items are isolated; a lost answer leaves the items *in doubt* (the driver
  reads them again and decides with :func:`check`);
- :func:`undo_plan` / :func:`resume_items`: a plan from a journal.

>>> from zql.update.model import Change, StatusRef
>>> hits = [{"id": 1, "testerId": 2, "lastTestResult": {"executionStatus": "2"}},
...         {"id": 2, "testerId": 2, "lastTestResult": {"executionStatus": "4"}}]
>>> plan = compute_plan("execution", "q", Change(status=StatusRef(4, "Blocked")), hits)
>>> [i.id for i in plan.items], plan.already
([1], (2,))
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zql.client._errors import (
    AuthenticationError,
    RateLimitedError,
    RequestRejectedError,
    ZephyrError,
)
from zql.update.endpoints import Request, requests_for, updated_hits
from zql.update.journal import TERMINAL, JournalView, now_text
from zql.update.model import (
    Change,
    Item,
    Plan,
    PlanError,
    in_target,
    label_of,
    locator,
    same_state,
    state_of,
)

__all__ = [
    "Report",
    "Result",
    "Stop",
    "batches",
    "check",
    "compute_plan",
    "resume_items",
    "send_batch",
    "undo_plan",
]


@dataclass(frozen=True, slots=True)
class Result:
    """What happened to one item: ``changed``, ``already``, ``drift``, ``failed``,
    ``not-applied`` or (inside a batch only) ``unknown``.

    >>> Result(3, "failed", message="no such status").to_json()
    {'id': 3, 'result': 'failed', 'message': 'no such status'}
    """

    id: int
    result: str
    now: Mapping[str, Any] | None = None
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The journal's form."""
        out: dict[str, Any] = {"id": self.id, "result": self.result}
        if self.now is not None:
            out["now"] = dict(self.now)
        if self.message:
            out["message"] = self.message
        return out


class Stop(Exception):
    """The server refused the account (403) or the credentials (401): stop sending."""


@dataclass
class Report:
    """The result of an apply: counts, the items that did not change and why, the journal."""

    journal: str
    noun: str = "items"
    results: dict[int, Result] = field(default_factory=dict)
    stopped: str | None = None
    interrupted: bool = False

    def count(self, result: str) -> int:
        """How many items ended with ``result``."""
        return sum(1 for r in self.results.values() if r.result == result)

    @property
    def problems(self) -> list[Result]:
        """Items that were meant to change and did not (failed, drift, not applied)."""
        return [r for r in self.results.values() if r.result not in ("changed", "already")]

    @property
    def exit_code(self) -> int:
        """0 all done, 1 some items did not change, 130 interrupted.

        >>> Report("j").exit_code, Report("j", results={1: Result(1, "drift")}).exit_code
        (0, 1)
        """
        if self.interrupted:
            return 130
        return 1 if self.problems or self.stopped else 0

    def summary(self) -> str:
        """One line: ``42 changed, 3 already in the target state, 1 drifted, 0 failed``."""
        parts = [f"{self.count('changed')} changed",
                 f"{self.count('already')} already in the target state"]
        for name, word in (("drift", "drifted (changed by someone else; left alone)"),
                           ("failed", "failed"), ("not-applied", "not applied")):
            if self.count(name):
                parts.append(f"{self.count(name)} {word}")
        return ", ".join(parts)


def compute_plan(entity: str, query: str, change: Change, hits: Iterable[Mapping[str, Any]], *,
                 never_run: str = "-1", server: str = "",
                 extra: Mapping[str, Any] | None = None) -> Plan:
    """The plan for ``change`` over the selected ``hits`` (duplicates count once)."""
    items: list[Item] = []
    already: list[int] = []
    seen: set[int] = set()
    for hit in hits:
        item_id = int(hit["id"])
        if item_id in seen:
            continue
        seen.add(item_id)
        before = state_of(entity, hit, never_run=never_run)
        after = change.target(before)
        if in_target(before, after):
            already.append(item_id)
        else:
            items.append(Item(item_id, locator(entity, hit), before, after,
                              label_of(entity, hit)))
    return Plan(entity, query, change, tuple(items), tuple(already), server, now_text(),
                dict(extra or {}))


def check(items: Sequence[Item], current: Mapping[int, Mapping[str, Any]], *,
          in_doubt: bool = False) -> tuple[list[Item], list[Result]]:
    """Compare ``items`` with their ``current`` state: ``(still pending, decided)``.

    An item already in the target state is ``already`` — or ``changed`` when it is ``in_doubt``
    (we sent it and the answer was lost). One whose state differs from ``before`` drifted.

    >>> item = Item(1, {}, {"status": "2", "notes": None}, {"status": "4"})
    >>> check([item], {1: {"status": "2", "notes": None}})[0] == [item]
    True
    >>> [r.result for r in check([item], {1: {"status": "3", "notes": None}})[1]]
    ['drift']
    """
    pending: list[Item] = []
    decided: list[Result] = []
    for item in items:
        now = current.get(item.id)
        if now is None:
            decided.append(Result(item.id, "failed", message="not found on the server any more"))
        elif in_target(now, item.after):
            decided.append(Result(item.id, "changed" if in_doubt else "already", now=now))
        elif same_state(now, item.before):
            pending.append(item)
        else:
            fields = [k for k in item.before if not same_state(now, item.before, [k])]
            decided.append(Result(item.id, "drift", now=now,
                                  message=f"changed since the plan: {', '.join(fields)}"))
    return pending, decided


def batches(items: Sequence[Item], size: int) -> list[list[Item]]:
    """``items`` in batches of at most ``size``.

    >>> [len(b) for b in batches([Item(i, {}, {}, {}) for i in range(5)], 2)]
    [2, 2, 1]
    """
    if size < 1:
        raise ValueError(f"the batch size must be >= 1, not {size}")
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def _message(error: ZephyrError) -> str:
    text = getattr(error, "error_msg", None) or str(error)
    code = error.status_code
    return f"{text} ({code})" if code and str(code) not in text else text


def send_batch(entity: str, items: Sequence[Item], *, status: int | None, me: int | None,
               restore: bool, never_run: str = "-1") -> Generator[Request, Any, list[Result]]:
    """Send one batch: yields :class:`~zql.update.endpoints.Request` objects and receives each
    answer's JSON (or has the client's error thrown in). Returns a result per item; items whose
    answer was lost or unreadable are ``unknown`` (read them again).

    A 4xx answer is split in halves until the items the server refuses are alone; they are
    ``failed`` with its message. A 403 or 401 raises :class:`Stop` after marking the batch
    ``not-applied``; so does nothing else.
    """
    results: dict[int, Result] = {}
    work = [list(items)]
    by_id = {i.id: i for i in items}
    while work:
        group = work.pop(0)
        for request in requests_for(entity, group, status=status, me=me, restore=restore):
            try:
                body = yield request
            except AuthenticationError as err:  # 401 and 403 (PermissionDeniedError)
                for item_id in by_id:
                    results.setdefault(item_id, Result(item_id, "not-applied",
                                                       message=_message(err)))
                raise Stop(_message(err)) from err
            except RateLimitedError as err:  # throttled past the retries: nothing applied
                for item_id in request.ids:
                    results[item_id] = Result(item_id, "not-applied", message=_message(err))
            except RequestRejectedError as err:
                if len(request.ids) == 1:
                    results[request.ids[0]] = Result(request.ids[0], "failed",
                                                     message=_message(err))
                else:
                    half = len(request.ids) // 2
                    work[:0] = [[by_id[i] for i in request.ids[:half]],
                                [by_id[i] for i in request.ids[half:]]]
            except ZephyrError as err:  # lost answer, 5xx, unreadable: we do not know
                for item_id in request.ids:
                    results[item_id] = Result(item_id, "unknown", message=_message(err))
            else:
                seen = {int(h["id"]): state_of(entity, h, never_run=never_run)
                        for h in updated_hits(entity, body)}
                for item_id in request.ids:
                    now = seen.get(item_id)
                    if now is not None and in_target(now, by_id[item_id].after):
                        results[item_id] = Result(item_id, "changed", now=now)
                    else:
                        results[item_id] = Result(item_id, "unknown",
                                                  message="the answer does not show the change")
    return [results[i.id] for i in items]


def resume_items(view: JournalView) -> tuple[list[Item], list[Item]]:
    """From a journal: ``(items in doubt, items never finished)``. In-doubt items were sent
    with no outcome recorded; unfinished ones were never sent or not applied."""
    doubt_ids = {int(e["id"]) for batch in view.in_doubt.values() for e in batch}
    doubt: list[Item] = []
    rest: list[Item] = []
    for item in view.plan.items:
        result = view.results.get(item.id, {}).get("result")
        if result in TERMINAL:
            continue
        (doubt if item.id in doubt_ids and result is None else rest).append(item)
    return doubt, rest


def undo_plan(view: JournalView) -> Plan:
    """The plan writing back the "before" values of every item the journal shows as changed.

    Each undo item's ``before`` is the state seen right after the change (so anything changed
    since is drift) and its ``after`` is the state before it.
    """
    if view.kind not in ("update", "undo"):
        raise PlanError(f"{view.path}: unknown journal kind {view.kind!r}")
    planned = {i.id: i for i in view.plan.items}
    items = []
    for record in view.changed():
        original = planned.get(int(record["id"]))
        if original is None:
            continue
        now = record.get("now") or {**original.before, **original.after}
        items.append(Item(original.id, original.ref, dict(now), dict(original.before),
                          original.label))
    plan = view.plan
    return Plan(plan.entity, plan.query, Change(restore=True), tuple(items), (), plan.server,
                now_text(), {**plan.extra, "undoes": str(view.path)})
