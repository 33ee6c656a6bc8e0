"""Bulk updates under faults: throttling, lost answers, a client killed mid-run and resumed,
and a property: apply then undo returns the store to where it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.update_support import (
    EXEC_MODIFIED,
    RC18,
    TC_MODIFIED,
    client_for,
    execution_rows,
    journal_records,
    own_sandbox,
    tc_rows,
    without_modified,
)
from zql.sandbox import Sandbox
from zql.update import apply, plan_update, read_journal, undo
from zql.update.flow import undo_notes


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with own_sandbox(seed=1) as sandbox:
        yield sandbox


def _outcomes(path: Path) -> Counter[int]:
    """How many times the journal gives each item an outcome."""
    return Counter(r["id"] for rec in journal_records(path) if rec["type"] == "outcome"
                   for r in rec["results"])


def _statuses(sb: Sandbox, ids: set[int]) -> set[int]:
    return {r[1] for r in sb.store.rows("SELECT id, status_id FROM executions") if r[0] in ids}


def test_throttling_and_lost_answers(sb: Sandbox, tmp_path: Path) -> None:
    rows = execution_rows(sb)
    with client_for(sb, retries=12) as client:
        plan = plan_update(client, RC18, entity="execution", status="Blocked")
        sb.control.fail_rate = 0.3
        sb.control.writes.lose_rate = 0.3
        report = apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True, batch_size=5)
        sb.control.fail_rate = 0.0
    lost = sb.control.writes.applied - len(range(0, len(plan.items), 5))
    assert lost > 0  # some answers were lost, and the batches sent again
    assert [m for m, p, _ in sb.control.requests if m == "PUT"]
    selected = {i.id for i in plan.items}
    assert report.count("changed") == len(selected) and report.exit_code == 0
    assert _statuses(sb, selected) == {4}
    after = execution_rows(sb)
    assert all(after[k] == v for k, v in rows.items() if k not in selected)
    assert set(_outcomes(tmp_path / "j.jsonl").values()) == {1}
    assert set(_outcomes(tmp_path / "j.jsonl")) == selected


def test_lost_answers_are_decided_from_the_items(sb: Sandbox, tmp_path: Path) -> None:
    with client_for(sb, retries=0) as client:
        plan = plan_update(client, RC18, entity="execution", status="Blocked")
        sb.control.writes.lose_rate = 1.0  # every write is applied, every answer lost
        report = apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True, batch_size=10)
    assert report.count("changed") == len(plan.items) and report.exit_code == 0
    assert sb.control.writes.applied == len(range(0, len(plan.items), 10))  # never resent
    assert _statuses(sb, {i.id for i in plan.items}) == {4}


def test_failed_batches_are_not_applied_and_resume_sends_them(sb: Sandbox,
                                                              tmp_path: Path) -> None:
    from zql.update import resume

    with client_for(sb, retries=0) as client:
        plan = plan_update(client, RC18, entity="execution", status="Blocked", notes="n")
        sb.control.fail_next(1, status=503)  # the first batch meets a gateway fault
        report = apply(client, plan, journal=tmp_path / "j.jsonl", fresh=True, batch_size=10)
        assert report.count("not-applied") == 10 and report.exit_code == 1
        again = resume(client, tmp_path / "j.jsonl")
    assert again.count("changed") == len(plan.items) and again.exit_code == 0
    assert read_journal(tmp_path / "j.jsonl").counts().get("changed") == len(plan.items)


def test_killed_mid_run_then_resumed(sb: Sandbox, tmp_path: Path) -> None:
    journal = tmp_path / "run.jsonl"
    rows = execution_rows(sb)
    env = {**os.environ, "ZEPHYR_URL": sb.url, "ZEPHYR_TOKEN": sb.token,
           "XDG_STATE_HOME": str(tmp_path)}
    command = [sys.executable, "-m", "zql.cli", "update", "--entity", "execution", RC18,
               "--status", "Blocked", "--yes", "--batch-size", "10", "--journal", str(journal)]
    # batch 4 is applied but its answer lost; the client's retry of it is held: kill then
    sb.control.writes.lose_next(1, after=3)
    with sb.control.gate("/execution/bulk", method="PUT", after=4) as gate:
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            gate.wait_held(1, timeout=120)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        view = read_journal(journal)
        assert view.last_batch == 4 and list(view.in_doubt) == [4]
        assert not view.ended and len(view.results) == 30
    planned = {i.id for i in view.plan.items}
    assert len(planned) > 50
    assert "did not finish" in undo_notes(journal)[0]
    mark = len(sb.control.requests)
    resumed = subprocess.run([sys.executable, "-m", "zql.cli", "apply", "--resume",
                              str(journal), "--yes", "--batch-size", "10"], env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(planned)} changed" in resumed.stdout
    # batches 1-3 are not sent again, batch 4 is decided from the items: only the rest is sent
    puts = [p for m, p, _ in sb.control.requests[mark:] if m == "PUT"]
    assert len(puts) == len(range(40, len(planned), 10))
    assert _statuses(sb, planned) == {4}
    after = execution_rows(sb)
    assert all(after[k] == v for k, v in rows.items() if k not in planned)
    counts = _outcomes(journal)
    assert set(counts) == planned and set(counts.values()) == {1}
    final = read_journal(journal)
    assert undo_notes(journal) == []
    assert final.ended and final.counts() == {"already": len(view.plan.already),
                                              "changed": len(planned)}


#: Selections of up to about 70 items (most under 50): a dozen batches or more at batch size
#: 3, several at 17, one at 500; the time of an example goes with the number of requests.
QUERIES = [RC18, f'status = "Fail" and {RC18}', 'priority = "Critical" and status != "Pass"',
           'status in ("WIP", "Blocked") and priority = "High"', 'cycle = "Sprint 14 Regression"']
#: The test cases' query for the queries about executions' status or cycle (7 to 9 of them).
TC_QUERY = 'priority = "Critical" and automated = true'
#: The data sets the property runs on; each is served by one sandbox shared by the examples
#: (see ``pool``): a sandbox of a new seed costs a data build and a shutdown, most of an
#: example's time, while the selections still vary with the query, entity and target. Seed 1
#: has Release Candidate 18 and no Sprint 14 Regression, seed 2 the other way round.
SEEDS = (1, 2)


@pytest.fixture(scope="module")
def pool() -> Iterator[dict[int, Sandbox]]:
    """Running sandboxes by seed, for the property's examples. An example leaves the store as
    it found it (that is the property it checks) and its faults switched off; one that fails
    drops its sandbox, so the next example (Hypothesis shrinking) starts from fresh data."""
    running: dict[int, Sandbox] = {}
    try:
        yield running
    finally:
        for sb in running.values():
            sb.stop()


@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entity=st.sampled_from(["execution", "testcase"]), query=st.sampled_from(QUERIES),
       target=st.sampled_from(["Pass", "Blocked", "WIP"]),
       fail_rate=st.sampled_from([0.0, 0.2, 0.4]), lose_rate=st.sampled_from([0.0, 0.3]),
       seed=st.sampled_from(SEEDS), batch=st.sampled_from([3, 17, 500]))
def test_apply_then_undo_restores_the_store(tmp_path_factory: pytest.TempPathFactory,
                                            pool: dict[int, Sandbox], entity: str, query: str,
                                            target: str, fail_rate: float, lose_rate: float,
                                            seed: int, batch: int) -> None:
    folder = tmp_path_factory.mktemp("prop")
    if entity == "testcase":
        query = query.replace(f" and {RC18}", "").replace(RC18, 'name ~ "cart"')
        query = TC_QUERY if "status" in query or "cycle" in query else query
    if seed not in pool:
        pool[seed] = Sandbox(seed=seed, fail_rate=0.0).start()
    sb = pool[seed]
    try:
        with client_for(sb, retries=12) as client:
            start = (without_modified(execution_rows(sb), EXEC_MODIFIED),
                     without_modified(tc_rows(sb), TC_MODIFIED))
            options = {"status": target} if entity == "execution" else \
                {"add_tags": ["zqlprop"], "remove_tags": ["regression"]}
            plan = plan_update(client, query, entity=entity, **options)
            sb.control.fail_rate = fail_rate
            sb.control.writes.lose_rate = lose_rate
            done = apply(client, plan, journal=folder / "u.jsonl", fresh=True, batch_size=batch)
            back = apply(client, undo(folder / "u.jsonl"), journal=folder / "undo.jsonl",
                         batch_size=batch)
            sb.control.fail_rate = 0.0
            sb.control.writes.lose_rate = 0.0
            assert done.count("changed") + done.count("already") == plan.total
            assert back.count("changed") == done.count("changed")
            end = (without_modified(execution_rows(sb), EXEC_MODIFIED),
                   without_modified(tc_rows(sb), TC_MODIFIED))
        for before, after in zip(start, end, strict=True):
            assert before.keys() == after.keys()
            for key in before:  # field by field
                assert after[key] == before[key], key
    except BaseException:
        pool.pop(seed).stop()
        raise
