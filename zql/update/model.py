"""What a bulk update is: the change asked for, each item's state before and after, the plan.

Pure data, no I/O. An item's *state* is the handful of values an update may touch, read from a
search hit (:func:`state_of`): for an execution its status id, assignee, notes and execution
date; for a test case its tags and priority. A :class:`Plan` lists every selected item that will
change (``before`` is its whole state, ``after`` the values to set) and the ids already in the
target state; it round-trips through JSON (``--plan-out`` / ``zql apply FILE``).

>>> change = Change(status=StatusRef(4, "Blocked"))
>>> item = Item(7, {"testcaseId": 1007}, {"status": "2", "testerId": 3, "notes": None,
...             "executedOn": 1700000000000}, {"status": "4"}, "Login works")
>>> plan = Plan("execution", 'status = "Fail"', change, (item,), already=(8,))
>>> Plan.from_json(plan.to_json()) == plan
True
>>> in_target(item.before, item.after), item.fields
(False, ('status',))
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ENTITIES",
    "FORMAT",
    "Change",
    "Item",
    "Plan",
    "PlanError",
    "StatusRef",
    "UserRef",
    "in_target",
    "locator",
    "same_state",
    "state_of",
]

#: The plan file's format tag.
FORMAT = "zql-update-plan/1"
#: Entities an update can act on, and the state fields each tracks.
ENTITIES: dict[str, tuple[str, ...]] = {
    "execution": ("status", "testerId", "notes", "executedOn"),
    "testcase": ("tags", "priority"),
}
State = dict[str, Any]


class PlanError(ValueError):
    """A plan or journal that cannot be used (bad JSON, wrong format, missing fields).

    >>> Plan.from_json({"format": "x"})
    Traceback (most recent call last):
      ...
    zql.update.model.PlanError: not an update plan (format 'x', expected zql-update-plan/1)
    """


@dataclass(frozen=True, slots=True)
class _Ref:
    """Something the server names by id: the id and its name."""

    id: int
    name: str

    def to_json(self) -> dict[str, Any]:
        """``{"id", "name"}``."""
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True, slots=True)
class StatusRef(_Ref):
    """A status as the server configures it: id and name.

    >>> StatusRef(4, "Blocked").to_json()
    {'id': 4, 'name': 'Blocked'}
    """


@dataclass(frozen=True, slots=True)
class UserRef(_Ref):
    """A user to assign to: id and user name.

    >>> UserRef(3, "kenji").name
    'kenji'
    """


@dataclass(frozen=True, slots=True)
class Change:
    """The change asked for. ``restore`` marks an undo (each item's ``after`` is its old state).

    >>> Change(add_tags=("flaky",)).describe()
    'add tag flaky'
    >>> Change(status=StatusRef(3, "WIP"), notes="retest").describe()
    'status → WIP, notes → "retest"'
    """

    status: StatusRef | None = None
    notes: str | None = None
    assign: UserRef | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    priority: str | None = None
    restore: bool = False

    def describe(self) -> str:
        """One line for summaries and prompts."""
        if self.restore:
            return "restore the values from before"
        parts = []
        if self.status is not None:
            parts.append(f"status → {self.status.name}")
        if self.notes is not None:
            parts.append(f"notes → {json.dumps(self.notes)}")
        if self.assign is not None:
            parts.append(f"assign → {self.assign.name}")
        parts += [f"add tag {t}" for t in self.add_tags]
        parts += [f"remove tag {t}" for t in self.remove_tags]
        if self.priority is not None:
            parts.append(f"priority → {self.priority}")
        return ", ".join(parts) or "nothing"

    def target(self, before: Mapping[str, Any]) -> State:
        """The values to set on an item whose state is ``before`` (only the changed fields).

        >>> Change(add_tags=("b",), remove_tags=("a",)).target({"tags": ["a", "c"]})
        {'tags': ['c', 'b']}
        """
        out: State = {}
        if self.status is not None:
            out["status"] = str(self.status.id)
        if self.notes is not None:
            out["notes"] = self.notes
        if self.assign is not None:
            out["testerId"] = self.assign.id
        if self.add_tags or self.remove_tags:
            tags = [t for t in before.get("tags", []) if t not in self.remove_tags]
            out["tags"] = tags + [t for t in self.add_tags if t not in tags]
        if self.priority is not None:
            out["priority"] = self.priority
        return out

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``None`` and empty values left out)."""
        out: dict[str, Any] = {}
        for name in ("status", "assign"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.to_json()
        for name in ("notes", "priority"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        for name in ("add_tags", "remove_tags"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        if self.restore:
            out["restore"] = True
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        """The inverse of :meth:`to_json`."""
        status = data.get("status")
        assign = data.get("assign")
        return cls(status=StatusRef(int(status["id"]), str(status["name"])) if status else None,
                   notes=data.get("notes"),
                   assign=UserRef(int(assign["id"]), str(assign["name"])) if assign else None,
                   add_tags=tuple(data.get("add_tags", ())),
                   remove_tags=tuple(data.get("remove_tags", ())),
                   priority=data.get("priority"), restore=bool(data.get("restore", False)))


@dataclass(frozen=True, slots=True)
class Item:
    """One item to change: its id, how to find it again (``ref``), its state now, the values
    to set, and a label for tables (the test case name)."""

    id: int
    ref: Mapping[str, Any]
    before: Mapping[str, Any]
    after: Mapping[str, Any]
    label: str = ""

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the update sets."""
        return tuple(self.after)

    def to_json(self) -> dict[str, Any]:
        """``{"id", "ref", "before", "after", "label"}``."""
        return {"id": self.id, "ref": dict(self.ref), "before": dict(self.before),
                "after": dict(self.after), "label": self.label}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Item:
        """The inverse of :meth:`to_json`."""
        return cls(int(data["id"]), dict(data.get("ref") or {}), dict(data["before"]),
                   dict(data["after"]), str(data.get("label", "")))


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything an apply needs: what was selected, how, and what changes on each item.

    ``items`` change; ``already`` are ids of selected items in the target state (skipped).
    ``server`` is the API root the plan was made against (never credentials).
    """

    entity: str
    query: str
    change: Change
    items: tuple[Item, ...]
    already: tuple[int, ...] = ()
    server: str = ""
    created: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many items the selection held."""
        return len(self.items) + len(self.already)

    def noun(self, count: int | None = None) -> str:
        """``"executions"`` / ``"test case"``... for ``count`` items (default: the changes).

        >>> Plan("testcase", "", Change(), ()).noun(1)
        'test case'
        """
        count = len(self.items) if count is None else count
        word = {"execution": "execution", "testcase": "test case"}[self.entity]
        return word if count == 1 else word + "s"

    def to_json(self) -> dict[str, Any]:
        """The plan file's content."""
        return {"format": FORMAT, "server": self.server, "entity": self.entity,
                "query": self.query, "created": self.created, "change": self.change.to_json(),
                "items": [item.to_json() for item in self.items],
                "already": list(self.already), **({"extra": dict(self.extra)}
                                                  if self.extra else {})}

    @classmethod
    def from_json(cls, data: Any) -> Plan:
        """A plan from its JSON form; :class:`PlanError` says what is wrong."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, dict) else type(data).__name__
            raise PlanError(f"not an update plan (format {got!r}, expected {FORMAT})")
        entity = data.get("entity")
        if entity not in ENTITIES:
            raise PlanError(f"the plan's entity {entity!r} is not one of {', '.join(ENTITIES)}")
        try:
            return cls(entity, str(data.get("query", "")), Change.from_json(data["change"]),
                       tuple(Item.from_json(i) for i in data["items"]),
                       tuple(int(i) for i in data.get("already", ())),
                       str(data.get("server", "")), str(data.get("created", "")),
                       dict(data.get("extra") or {}))
        except (KeyError, TypeError, ValueError) as err:
            raise PlanError(f"the plan is incomplete or malformed ({type(err).__name__}: "
                            f"{err})") from None


def _tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(t) for t in value]
    return str(value or "").split()


def state_of(entity: str, hit: Mapping[str, Any], *, never_run: str = "-1") -> State:
    """The state of a search hit (an execution schedule or a test case tree node).

    A never-run execution (no ``lastTestResult``) has status ``never_run``.

    >>> state_of("execution", {"id": 1, "testerId": 2, "notes": None,
    ...     "lastTestResult": {"executionStatus": "3", "executionDate": 5}})
    {'status': '3', 'testerId': 2, 'notes': None, 'executedOn': 5}
    >>> state_of("testcase", {"id": 9, "testcase": {"tag": "a b", "priority": "High"}})
    {'tags': ['a', 'b'], 'priority': 'High'}
    """
    if entity == "execution":
        result = hit.get("lastTestResult") or {}
        status = result.get("executionStatus") if result else None
        notes = hit["notes"] if "notes" in hit else result.get("comment")
        return {"status": str(status) if status not in (None, "") else never_run,
                "testerId": hit.get("testerId"), "notes": notes or None,
                "executedOn": result.get("executionDate") if result else None}
    tc = hit.get("testcase") or {}
    tags = tc["tags"] if isinstance(tc.get("tags"), list) else tc.get("tag")
    return {"tags": _tags(tags), "priority": tc.get("priority") or None}


def locator(entity: str, hit: Mapping[str, Any]) -> dict[str, Any]:
    """How to read the item again and address it in a write: test case ids, release.

    >>> locator("execution", {"tcrTreeTestcase": {"testcase": {"testcaseId": 1001}}})
    {'testcaseId': 1001}
    """
    if entity == "execution":
        tc = (hit.get("tcrTreeTestcase") or {}).get("testcase") or {}
        return {"testcaseId": tc.get("testcaseId")}
    tc = hit.get("testcase") or {}
    return {"testcaseId": tc.get("testcaseId"), "versionId": tc.get("id"),
            "releaseId": hit.get("releaseId", tc.get("releaseId"))}


def label_of(entity: str, hit: Mapping[str, Any]) -> str:
    """The name shown for an item in tables.

    >>> label_of("testcase", {"testcase": {"name": "Login"}})
    'Login'
    """
    tc = hit.get("testcase") if entity == "testcase" else \
        (hit.get("tcrTreeTestcase") or {}).get("testcase")
    return str((tc or {}).get("name") or "")


def in_target(state: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether ``state`` already holds every value of ``after``.

    >>> in_target({"status": "4", "notes": "x"}, {"status": "4"})
    True
    """
    return all(_same(state.get(k), v) for k, v in after.items())


def same_state(a: Mapping[str, Any], b: Mapping[str, Any],
               fields: Sequence[str] | None = None) -> bool:
    """Whether two states agree on ``fields`` (default: every field of ``b``).

    >>> same_state({"status": "4", "testerId": 2}, {"status": "4", "testerId": 3}, ["status"])
    True
    """
    return all(_same(a.get(k), b.get(k)) for k in (fields if fields is not None else b))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | str) and isinstance(b, int | str) and not isinstance(a, bool):
        return str(a) == str(b)
    return bool(a == b)
