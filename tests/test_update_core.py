"""The pure core of zql.update: changes, plans, endpoint choice, batch splitting, journal
reading (torn lines), resume and undo planning. No server: the batch operation is a generator,
driven here with the answers a server would give."""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from zql.client import PermissionDeniedError, QueryRejectedError, TransportError
from zql.schema import Status
from zql.update import Change, Item, Plan, PlanError, StatusRef, UserRef, read_journal
from zql.update.endpoints import Request, requests_for
from zql.update.engine import Result, Stop, check, resume_items, send_batch, undo_plan
from zql.update.journal import Journal
from zql.update.resolve import UpdateError, change_op

BLOCKED = Change(status=StatusRef(4, "Blocked"))


def _items(n: int, after: dict[str, Any] | None = None) -> list[Item]:
    return [Item(i, {"testcaseId": 1000 + i}, {"status": "2", "testerId": 1, "notes": None,
                                              "executedOn": 5}, after or {"status": "4"})
            for i in range(1, n + 1)]


def _drive(op: Generator[Request, Any, list[Result]],
           answer: Callable[[Request], Any]) -> tuple[list[Result], list[Request]]:
    """Run a batch operation: ``answer`` returns a body or raises the client's error."""
    sent: list[Request] = []
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            request = op.throw(error) if error is not None else op.send(value)
        except StopIteration as stop:
            return stop.value, sent
        sent.append(request)
        try:
            value, error = answer(request), None
        except Exception as exc:
            value, error = None, exc


def _schedules(request: Request, status: str = "4") -> list[dict[str, Any]]:
    return [{"id": i, "lastTestResult": {"executionStatus": status}} for i in request.ids]


def test_bulk_status_when_only_the_status_changes_else_bulk_execute() -> None:
    assert [r.path for r in requests_for("execution", _items(3), status=4, me=1)] == \
        ["execution/bulk"]
    with_notes = _items(2, {"status": "4", "notes": "x"})
    request = requests_for("execution", with_notes, status=4, me=1)[0]
    assert request.path == "execution/bulk/execute"
    assert request.json == [{"rtsId": 1, "status": "4", "notes": "x"},
                            {"rtsId": 2, "status": "4", "notes": "x"}]
    undo = requests_for("execution", _items(1, {"status": "-1", "executedOn": None}),
                        status=None, me=None, restore=True)[0]
    assert undo.json == [{"rtsId": 1, "status": "-1", "executedOn": None}]
    tc = Item(3, {"testcaseId": 1003, "versionId": 9, "releaseId": 2}, {},
              {"tags": ["a"], "priority": "Low"})
    assert [r.json for r in requests_for("testcase", [tc], status=None, me=None)] == [
        {"testcase": {"id": 9, "testcaseId": 1003, "tag": "a", "priority": "Low"},
         "releaseId": 2}]


def test_a_rejected_batch_is_halved_until_the_bad_items_are_alone() -> None:
    bad = {6, 13}

    def answer(request: Request) -> Any:
        if bad & set(request.ids):
            raise QueryRejectedError(f"no execution with id {min(bad & set(request.ids))}")
        return _schedules(request)

    results, sent = _drive(send_batch("execution", _items(16), status=4, me=1, restore=False),
                           answer)
    assert {r.id for r in results if r.result == "failed"} == bad
    assert all(r.result == "changed" for r in results if r.id not in bad)
    assert "no execution with id 6" in next(r.message for r in results if r.id == 6)
    assert len(sent) == 15  # 1 + two halves per level down to the pairs of each bad item
    assert sorted(i for r in sent if len(r.ids) == 1 for i in r.ids) == [5, 6, 13, 14]


def test_forbidden_stops_and_lost_answers_are_unknown() -> None:
    def forbidden(request: Request) -> Any:
        raise PermissionDeniedError("forbidden (403): read-only")

    with pytest.raises(Stop, match="read-only"):
        _drive(send_batch("execution", _items(3), status=4, me=1, restore=False), forbidden)

    def lost(request: Request) -> Any:
        raise TransportError("peer closed the connection")

    results, _ = _drive(send_batch("execution", _items(3), status=4, me=1, restore=False), lost)
    assert {r.result for r in results} == {"unknown"}

    results, _ = _drive(send_batch("execution", _items(2), status=4, me=1, restore=False),
                        lambda r: _schedules(r, status="2"))  # answered, but not changed
    assert {r.result for r in results} == {"unknown"}


def test_check_decides_pending_already_drift_and_gone() -> None:
    a, b, c, d = _items(4)
    state = dict(a.before)
    pending, decided = check([a, b, c, d], {
        1: state, 2: {**state, "status": "4"}, 3: {**state, "notes": "someone"}})
    assert pending == [a]
    assert [(r.id, r.result) for r in decided] == [(2, "already"), (3, "drift"), (4, "failed")]
    assert "notes" in decided[1].message
    _, doubt = check([b], {2: {**state, "status": "4"}}, in_doubt=True)
    assert doubt[0].result == "changed"


def test_change_targets_and_descriptions() -> None:
    tags = Change(add_tags=("flaky", "a"), remove_tags=("old",))
    assert tags.target({"tags": ["old", "a", "x"]}) == {"tags": ["a", "x", "flaky"]}
    assert Change(assign=UserRef(3, "kenji")).target({}) == {"testerId": 3}
    assert Change.from_json(tags.to_json()) == tags


def _run(op: Generator[Request, Any, Any], answers: dict[str, Any]) -> Any:
    value: Any = None
    while True:
        try:
            request = op.send(value)
        except StopIteration as stop:
            return stop.value
        value = answers[request.path]


def test_change_op_resolves_names_and_refuses_mistakes() -> None:
    statuses = [Status(1, "Pass"), Status(12, "Deferred"), Status(11, "Outscoped", False)]
    change, names = _run(change_op("execution", status="deferred", statuses=statuses), {})
    assert change.status == StatusRef(12, "Deferred") and names["statuses"]["12"] == "Deferred"
    with pytest.raises(UpdateError, match="not active"):
        _run(change_op("execution", status="Outscoped", statuses=statuses), {})
    for kwargs, message in [({"add_tags": ["two words"]}, "bad tag"),
                            ({"add_tags": ["a"], "remove_tags": ["a"]}, "both added"),
                            ({}, "nothing to change")]:
        with pytest.raises(UpdateError, match=message):
            _run(change_op("testcase", **kwargs), {})
    with pytest.raises(UpdateError, match="did you mean: High"):
        _run(change_op("testcase", priority="hihg", priorities=["High", "Low"]), {})


def _journal(tmp_path: Path, items: list[Item]) -> Path:
    path = tmp_path / "j.jsonl"
    plan = Plan("execution", "q", BLOCKED, tuple(items))
    with Journal.create(path, {"type": "start", "kind": "update",
                               "plan": plan.to_json()}) as journal:
        journal.append({"type": "batch", "n": 1, "items": [{"id": 1}, {"id": 2}]})
        journal.append({"type": "outcome", "n": 1, "results": [
            {"id": 1, "result": "changed", "now": {"status": "4", "executedOn": 9}},
            {"id": 2, "result": "failed", "message": "no"}]})
        journal.append({"type": "batch", "n": 2, "items": [{"id": 3}, {"id": 4}]})
    return path


def test_resume_knows_done_in_doubt_and_unsent(tmp_path: Path) -> None:
    items = _items(6)
    path = _journal(tmp_path, items)
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"type": "outcome", "n": 2, "resu')  # torn by a crash
    view = read_journal(path)
    assert list(view.in_doubt) == [2] and view.last_batch == 2
    doubt, rest = resume_items(view)
    assert [i.id for i in doubt] == [3, 4] and [i.id for i in rest] == [5, 6]
    with Journal.reopen(path) as journal:  # a resume appends after the torn line
        journal.append({"type": "outcome", "n": 2, "results": [
            {"id": 3, "result": "changed"}, {"id": 4, "result": "not-applied"}]})
    view = read_journal(path)
    assert view.in_doubt == {} and view.counts() == {"already": 0, "changed": 2, "failed": 1,
                                                     "not-applied": 1, "pending": 2}


def test_undo_plan_restores_before_and_expects_what_was_seen_after(tmp_path: Path) -> None:
    undo = undo_plan(read_journal(_journal(tmp_path, _items(4))))
    assert undo.change.restore and [i.id for i in undo.items] == [1]
    assert undo.items[0].before == {"status": "4", "executedOn": 9}
    assert undo.items[0].after == _items(1)[0].before


def test_unusable_journals_and_plans(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"type": "batch"}\n')
    with pytest.raises(PlanError, match="does not begin with a start record"):
        read_journal(path)
    path.write_text('{"type": "start", "plan": {"format": "zql-update-plan/1", '
                    '"entity": "execution"}}\nnot json at all\n{"type": "end"}\n')
    with pytest.raises(PlanError, match="not a journal line"):
        read_journal(path)
    with pytest.raises(PlanError, match="entity 'requirement'"):
        Plan.from_json({"format": "zql-update-plan/1", "entity": "requirement"})
    with pytest.raises(PlanError, match="incomplete or malformed"):
        Plan.from_json({"format": "zql-update-plan/1", "entity": "execution"})
    with pytest.raises(FileExistsError):
        Journal.create(_journal(tmp_path, []), {"type": "start"})
