"""Bulk updates over real HTTP against own sandboxes: plan, apply, skip, drift, undo, 403, 4xx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.update_support import (
    EXEC_MODIFIED,
    RC18,
    TC_MODIFIED,
    client_for,
    execution_rows,
    items,
    journal_records,
    own_sandbox,
    tc_rows,
    without_modified,
)
from zql.client import AsyncZephyrClient, Retry, ZephyrClient
from zql.sandbox import Sandbox
from zql.update import Item, Plan, UpdateError, apply, plan_update, read_journal, resume, undo

BLOCKED_RC18 = f'status = "Blocked" and {RC18}'


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with own_sandbox(seed=1) as sandbox:
        yield sandbox


def test_plan_reads_and_changes_nothing(sandbox: Sandbox) -> None:
    """On the session's sandbox (the same data as ``sb``): a plan sends no write."""
    sb, since = sandbox, len(sandbox.control.requests)
    before = items(sb, "execution")
    with client_for(sb) as client:
        plan = plan_update(client, BLOCKED_RC18, entity="execution", status="WIP")
    assert items(sb, "execution") == before
    assert plan.items and all(i.before["status"] == "4" and i.after == {"status": "3"}
                              for i in plan.items)
    assert not [m for m, _, _ in sb.control.requests[since:] if m == "PUT"]
    assert Plan.from_json(json.loads(json.dumps(plan.to_json()))) == plan


def test_apply_changes_exactly_the_selection(sb: Sandbox, tmp_path: Path) -> None:
    rows, served = execution_rows(sb), items(sb, "execution")
    with client_for(sb) as client:
        plan = plan_update(client, BLOCKED_RC18, entity="execution", status="WIP")
        report = apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True)
        assert report.exit_code == 0 and report.count("changed") == len(plan.items)
        again = client.search(f'status = "WIP" and {RC18}', entity="execution")
        assert {i.id for i in plan.items} <= {int(h["id"]) for h in again}
    selected = {i.id for i in plan.items}
    after_rows, after_served = execution_rows(sb), items(sb, "execution")
    for eid in rows:
        if eid in selected:
            assert after_rows[eid][8] == 3  # status_id; only status, dates changed
            changed = [i for i, (a, b) in enumerate(zip(rows[eid], after_rows[eid],
                                                        strict=True)) if a != b]
            assert set(changed) <= {8, 9, EXEC_MODIFIED}
        else:
            assert after_rows[eid] == rows[eid]
            assert after_served[eid] == served[eid]  # byte-identical item


def test_items_already_in_target_are_skipped_and_counted(sb: Sandbox, tmp_path: Path) -> None:
    with client_for(sb) as client:
        plan = plan_update(client, RC18, entity="execution", status="Blocked")
        blocked = {int(h["id"]) for h in client.search(BLOCKED_RC18, entity="execution")}
        assert set(plan.already) == blocked and blocked
        assert not blocked & {i.id for i in plan.items}
        report = apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True)
    assert report.count("already") == len(blocked)
    assert report.count("changed") == len(plan.items)
    sent = [i["id"] for r in journal_records(tmp_path / "j.jsonl") if r["type"] == "batch"
            for i in r["items"]]
    assert not blocked & set(sent)


def test_saved_plan_skips_drifted_items(sb: Sandbox, tmp_path: Path) -> None:
    with client_for(sb) as client:
        plan = plan_update(client, BLOCKED_RC18, entity="execution", status="WIP",
                           notes="retest")
        saved = Plan.from_json(json.loads(json.dumps(plan.to_json())))
        victim = saved.items[0]
        # someone else changes one item after the plan was made
        client._driver.run(client._core.fetch(client._core.call("PUT", "execution/bulk/execute",
                                          json=[{"rtsId": victim.id, "notes": "theirs"}])))
        report = apply(client, saved, journal=tmp_path / "j.jsonl")
    assert report.results[victim.id].result == "drift"
    assert "notes" in (report.results[victim.id].message or "")
    assert sb.store.rows("SELECT notes, status_id FROM executions WHERE id = ?",
                         (victim.id,)) == [("theirs", 4)]
    assert report.count("changed") == len(saved.items) - 1 and report.exit_code == 1


def test_undo_restores_every_value(sb: Sandbox, tmp_path: Path) -> None:
    start = without_modified(execution_rows(sb), EXEC_MODIFIED)
    with client_for(sb) as client:
        plan = plan_update(client, f'status = "Not Executed" and {RC18}', entity="execution",
                           status="Pass", notes="bulk")
        assert plan.items
        apply(client, plan, journal=tmp_path / "u.jsonl", fresh=True)
        assert without_modified(execution_rows(sb), EXEC_MODIFIED) != start
        back = apply(client, undo(tmp_path / "u.jsonl"), journal=tmp_path / "undo.jsonl")
    assert back.count("changed") == len(plan.items) and back.exit_code == 0
    assert without_modified(execution_rows(sb), EXEC_MODIFIED) == start
    assert read_journal(tmp_path / "undo.jsonl").kind == "undo"


def test_undo_skips_items_changed_since(sb: Sandbox, tmp_path: Path) -> None:
    with client_for(sb) as client:
        plan = plan_update(client, BLOCKED_RC18, entity="execution", status="Fail")
        apply(client, plan, journal=tmp_path / "u.jsonl", fresh=True)
        victim = plan.items[0].id
        client._driver.run(client._core.fetch(client._core.call("PUT", "execution/bulk/execute",
                                          json=[{"rtsId": victim, "status": "1"}])))
        back = apply(client, undo(tmp_path / "u.jsonl"), journal=tmp_path / "undo.jsonl")
    assert back.results[victim].result == "drift"
    assert sb.store.rows("SELECT status_id FROM executions WHERE id = ?", (victim,)) == [(1,)]
    others = [i.id for i in plan.items[1:]]
    assert {r[0] for r in sb.store.rows(
        "SELECT status_id FROM executions WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(others),))} == {4}


def test_testcase_tags_and_priority_and_undo(sb: Sandbox, tmp_path: Path) -> None:
    start = without_modified(tc_rows(sb), TC_MODIFIED)
    with client_for(sb) as client:
        plan = plan_update(client, 'name ~ "login"', entity="testcase", add_tags=["zqlbulk"],
                           remove_tags=["smoke"], priority="low")
        report = apply(client, plan, journal=tmp_path / "t.jsonl", fresh=True)
        assert report.exit_code == 0
        tagged = {int(h["id"]) for h in client.search('tag = "zqlbulk"')}
        assert tagged == {int(h["id"]) for h in client.search('name ~ "login"')}
        assert not {int(h["id"]) for h in client.search('tag = "smoke" and name ~ "login"')}
        runs = client.search('tag = "zqlbulk"', entity="execution")
        assert runs.count() > 0  # executions see their test case's new tag
        apply(client, undo(tmp_path / "t.jsonl"), journal=tmp_path / "undo.jsonl")
    assert without_modified(tc_rows(sb), TC_MODIFIED) == start


def test_read_only_user_gets_403_and_nothing_changes(sb: Sandbox, tmp_path: Path) -> None:
    rows = execution_rows(sb)
    with ZephyrClient(sb.url, token=sb.readonly_token) as client:  # the viewer account
        plan = plan_update(client, BLOCKED_RC18, entity="execution", status="WIP")
        report = apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True, batch_size=2)
    assert report.stopped and "read-only" in report.stopped
    assert report.exit_code == 1 and report.count("changed") == 0
    assert execution_rows(sb) == rows
    puts = [p for m, p, _ in sb.control.requests if m == "PUT"]
    assert len(puts) == 1  # stopped at the first refusal


def test_a_bad_item_is_isolated_by_halving(sb: Sandbox, tmp_path: Path) -> None:
    with client_for(sb) as client:
        plan = plan_update(client, BLOCKED_RC18, entity="execution", status="WIP")
        ghost = Item(999_999, {"testcaseId": 1}, {"status": "4"}, {"status": "3"}, "ghost")
        bad = replace(plan, items=(*plan.items[:3], ghost, *plan.items[3:]))
        report = apply(client, bad, journal=tmp_path / "j.jsonl", fresh=True)
    assert report.results[999_999].result == "failed"
    assert "no execution with id 999999" in (report.results[999_999].message or "")
    assert report.count("changed") == len(plan.items) and report.exit_code == 1
    puts = [m for m, _, _ in sb.control.requests if m == "PUT"]
    assert 1 < len(puts) <= 2 * 4  # halving: about log2(n) rounds, not one request per item


def test_unknown_status_is_refused_before_anything_is_sent(sandbox: Sandbox) -> None:
    """On the session's sandbox: neither a write nor a search is sent."""
    since = len(sandbox.control.requests)
    with client_for(sandbox) as client, pytest.raises(UpdateError, match="did you mean: Blocked"):
        plan_update(client, BLOCKED_RC18, entity="execution", status="Blokced")
    sent = sandbox.control.requests[since:]
    assert not [m for m, _, _ in sent if m == "PUT"]
    assert not [p for _, p, _ in sent if p.endswith("/advancesearch")]


def test_assign_reassigns_through_bulk_execute(sb: Sandbox, tmp_path: Path) -> None:
    user = sb.store.users()[5]
    with client_for(sb) as client:
        plan = plan_update(client, BLOCKED_RC18, entity="execution", assign=user["username"])
        report = apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True)
    assert report.exit_code == 0
    assert {r[0] for r in sb.store.rows(
        "SELECT tester_id FROM executions WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps([i.id for i in plan.items]),))} == {user["id"]}
    assert next(p for m, p, _ in sb.control.requests if m == "PUT").endswith("bulk/execute")


def test_resume_of_a_finished_journal_sends_nothing(sb: Sandbox, tmp_path: Path) -> None:
    with client_for(sb) as client:
        plan = plan_update(client, BLOCKED_RC18, entity="execution", status="WIP")
        apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True)
        puts = len([m for m, _, _ in sb.control.requests if m == "PUT"])
        report = resume(client, tmp_path / "j.jsonl")
    assert report.count("changed") == len(plan.items)
    assert len([m for m, _, _ in sb.control.requests if m == "PUT"]) == puts


def test_async_twins(sb: Sandbox, tmp_path: Path) -> None:
    async def main() -> tuple[Plan, int]:
        async with AsyncZephyrClient(sb.url, token=sb.token, retries=Retry(total=4)) as client:
            plan = await client.plan_update(BLOCKED_RC18, status="WIP")
            report = await client.apply(plan, journal=tmp_path / "a.jsonl", concurrency=2,
                                        batch_size=2)
            return plan, report.count("changed")

    plan, changed = asyncio.run(main())
    assert changed == len(plan.items) > 0
    assert {r[0] for r in sb.store.rows(
        "SELECT status_id FROM executions WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps([i.id for i in plan.items]),))} == {3}


def test_concurrent_batches_journal_every_item_once(sb: Sandbox, tmp_path: Path) -> None:
    with client_for(sb) as client:
        plan = plan_update(client, RC18, entity="execution", status="Blocked")
        report = apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True, batch_size=7,
                       concurrency=4)
    assert report.count("changed") == len(plan.items)
    seen = [r["id"] for rec in journal_records(tmp_path / "j.jsonl")
            if rec["type"] == "outcome" for r in rec["results"]]
    assert sorted(seen) == sorted(i.id for i in plan.items)


def test_an_expired_session_cookie_during_writes_costs_one_login(sb: Sandbox,
                                                                  tmp_path: Path) -> None:
    with ZephyrClient(sb.url, username=sb.username, password=sb.password) as client:
        plan = plan_update(client, BLOCKED_RC18, entity="execution", status="WIP")
        logins = sb.control.logins
        sb.control.expire_sessions()  # the cookie dies between the plan and the writes
        report = apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True, batch_size=3)
    assert report.count("changed") == len(plan.items) and report.exit_code == 0
    assert sb.control.logins == logins + 1
