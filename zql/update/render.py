"""Text for people: the plan summary, a sample of before → after, the requests, the report.

Shared by ``zql update`` / ``apply`` / ``undo`` and the shell's ``\\update`` / ``\\undo``.

>>> from zql.update.model import Change, Item, Plan, StatusRef
>>> plan = Plan("execution", 'status = "Fail"', Change(status=StatusRef(4, "Blocked")),
...     (Item(7, {}, {"status": "2"}, {"status": "4"}, "Login works"),), already=(8,),
...     extra={"statuses": {"2": "Fail", "4": "Blocked"}})
>>> print(summary(plan))
selection: 2 executions (status = "Fail")
change:    status → Blocked
to change: 1 execution; already in the target state: 1 (skipped)
>>> print(sample(plan))
     id  name         status
      7  Login works  Fail → Blocked
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from zql.update.endpoints import Request, requests_for
from zql.update.engine import Report, batches
from zql.update.model import Plan, same_state

__all__ = ["confirm_prompt", "problems", "requests_text", "sample", "summary"]

_SAMPLE = 10
_NAME = 40
_PROBLEMS = 50


def summary(plan: Plan) -> str:
    """What was selected, the change, how many items change and how many are skipped."""
    lines = [f"selection: {plan.total} {plan.noun(plan.total)} ({plan.query or 'all'})",
             f"change:    {plan.change.describe()}",
             f"to change: {len(plan.items)} {plan.noun()}; already in the target state: "
             f"{len(plan.already)} (skipped)"]
    if "undoes" in plan.extra:
        lines.insert(0, f"undo of:   {plan.extra['undoes']}")
    return "\n".join(lines)


def _show(field: str, value: Any, names: Mapping[str, Mapping[str, str]]) -> str:
    if value is None or value == []:
        return "(none)"
    if field == "tags":
        return " ".join(value)
    if field == "status":
        return names.get("statuses", {}).get(str(value), str(value))
    if field == "testerId":
        return names.get("users", {}).get(str(value), str(value))
    if field == "executedOn" and isinstance(value, int):
        import datetime as dt

        return dt.datetime.fromtimestamp(value / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M")
    if field == "notes":
        text = str(value).replace("\n", " ")
        return text if len(text) <= 30 else text[:29] + "…"
    return str(value)


def sample(plan: Plan, count: int = _SAMPLE) -> str:
    """A table of the first ``count`` items: id, name and each changed field before → after."""
    if not plan.items:
        return "(nothing to change)"
    fields: list[str] = []
    for item in plan.items[:count]:  # only the fields that change somewhere in the sample
        fields += [f for f in item.after if f not in fields
                   and not same_state(item.before, item.after, [f])]
    names = plan.extra
    rows = [["id", "name", *fields]]
    for item in plan.items[:count]:
        label = item.label if len(item.label) <= _NAME else item.label[:_NAME - 1] + "…"
        cells = [str(item.id), label]
        for field in fields:
            if field in item.after and same_state(item.before, item.after, [field]):
                cells.append(_show(field, item.after[field], names))
            elif field in item.after:
                cells.append(f"{_show(field, item.before.get(field), names)} → "
                             f"{_show(field, item.after[field], names)}")
            else:
                cells.append("")
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join([r[0].rjust(max(widths[0], 5))]
                       + [c.ljust(w) for c, w in zip(r[1:], widths[1:], strict=True)]).rstrip()
             for r in rows]
    if len(plan.items) > count:
        lines.append(f"  … and {len(plan.items) - count} more")
    return "\n".join(lines)


def requests_text(plan: Plan, *, api: str = "", batch_size: int = 500, me: int | None = None,
                  show: int = 3) -> str:
    """The requests an apply would send (the first ``show`` of them, then a count). Nothing
    secret is shown: credentials travel in headers.

    >>> from zql.update.model import Change, Item, StatusRef
    >>> plan = Plan("execution", "", Change(status=StatusRef(4, "Blocked")),
    ...             tuple(Item(i, {}, {}, {"status": "4"}) for i in range(3)))
    >>> print(requests_text(plan, me=1))
    PUT execution/bulk?status=4&testerid=1&allExecutions=false {"ids": [0, 1, 2]}
    """
    status = plan.change.status.id if plan.change.status else None
    out: list[str] = []
    total = 0
    for batch in batches(list(plan.items), batch_size):
        for request in requests_for(plan.entity, batch, status=status, me=me,
                                    restore=plan.change.restore):
            total += 1
            if len(out) < show:
                out.append(_prefixed(request, api))
    if total > show:
        out.append(f"… and {total - show} more request{'s' if total - show > 1 else ''} "
                   f"({total} in all)")
    return "\n".join(out) or "(no requests)"


def _prefixed(request: Request, api: str) -> str:
    # The API root's path, not its origin: the server is known, the line stays short.
    from urllib.parse import urlsplit

    text = request.show()
    method, rest = text.split(" ", 1)
    return f"{method} {urlsplit(api).path.rstrip('/')}/{rest}" if api else text


def confirm_prompt(plan: Plan, verb: str = "Update", count: int | None = None) -> str:
    """``Update 42 executions? [y/N] `` (``count``: how many will be sent, default all).

    >>> from zql.update.model import Change
    >>> confirm_prompt(Plan("testcase", "", Change(), ()), "Undo")
    'Undo 0 test cases? [y/N] '
    """
    count = len(plan.items) if count is None else count
    return f"{verb} {count:,} {plan.noun(count)}? [y/N] "


def problems(report: Report, limit: int = _PROBLEMS) -> str:
    """The items that did not change, one a line with the reason (at most ``limit``)."""
    rows: Sequence[Any] = report.problems
    lines = [f"  {r.id}: {r.result}" + (f" — {r.message}" if r.message else "")
             for r in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"  … and {len(rows) - limit} more (see the journal)")
    return "\n".join(lines)
