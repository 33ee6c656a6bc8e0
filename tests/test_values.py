"""Issue 12 #1-#3 (linter side): statuses and every lookup field's values come from the schema
data (bundled defaults, or the server's own lists when connected or pulled)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

import zql
from zql.cli import main
from zql.complete import complete
from zql.errors import Severity
from zql.schema import Schema, Status, load_schema, profile_names
from zql.validation import _value_index

SERVER = [Status(1, "Pass"), Status(2, "Fail"), Status(3, "WIP"), Status(4, "Blocked"),
          Status(11, "Outscoped"), Status(12, "Deferred", active=False)]


def _every_status(profile: str) -> list[str]:
    facts = load_schema(profile).values
    return [s.name for s in facts.statuses] + [facts.not_executed.name]


@pytest.mark.parametrize(("profile", "name"),
                         [(p, n) for p in profile_names() for n in _every_status(p)])
def test_each_bundled_status_lints_clean_for_executions(profile: str, name: str) -> None:
    query = f"status = {zql.quote(name)}"
    assert zql.lint(query, entity="execution", schema=profile) == []
    assert zql.lint(f"status in ({zql.quote(name)}, {zql.quote(name + 'x')})",
                    entity="execution", schema=profile)[0].code == "ZQL206"


def test_not_executed_lints_clean_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "-q", 'status = "Not Executed"', "--entity", "execution"]) == 0
    assert capsys.readouterr().err == ""


def test_the_servers_statuses_win() -> None:
    schema = load_schema().with_statuses(SERVER)
    assert zql.lint('status = "Outscoped"', entity="execution", schema=schema) == []
    (typo,) = zql.lint('status = "outscopd"', entity="execution", schema=schema)
    assert typo.message == '"outscopd" is not a known status; did you mean "Outscoped"?'
    assert typo.fixes[0].safe is False and typo.severity is Severity.WARNING
    (inactive,) = zql.lint('status = "Deferred"', entity="execution", schema=schema)
    assert inactive.code == "ZQL206" and inactive.severity is Severity.WARNING
    assert "inactive status" in inactive.message
    assert "Deferred" not in (inactive.hint or "") and "Outscoped" in (inactive.hint or "")


def test_did_you_mean_prefers_active_statuses() -> None:
    schema = load_schema().with_statuses([Status(1, "Passed", active=False), Status(2, "Pass")])
    (diag,) = zql.lint('status = "Pas"', entity="execution", schema=schema)
    assert diag.message.endswith('did you mean "Pass"?')


def test_completion_offers_the_same_status_facts() -> None:
    schema = load_schema().with_statuses(SERVER)
    offered = [c.display for c in complete('status = "', schema=schema, entity="execution")]
    assert {"Outscoped", "Not Executed", "Pass"} <= set(offered)
    bundled = [c.display for c in complete('status = "', entity="execution")]
    assert "Not Executed" in bundled and "Outscoped" not in bundled


def _with_values(schema: Schema, entity: str, field: str, values: tuple[str, ...]) -> Schema:
    spec = schema.field(entity, field)
    assert spec is not None
    entities = {e: dict(fs) for e, fs in schema.entities.items()}
    entities[entity][spec.name] = replace(spec, values=values)
    return replace(schema, entities=entities, _lower={})


CYCLES = ("Smoke - Build 44", "Smoke - Build 45", "Regression 7.2", "Nightly")


@pytest.mark.parametrize(("field", "typed", "meant"), [
    ("cycle", "smoke build 44", "Smoke - Build 44"),
    ("cycle", "SMOKE-BUILD-45", "Smoke - Build 45"),
    ("cycle", "Regresion 7.2", "Regression 7.2"),
    ("release", "release 2.0", "Release 2.0"),
    ("tag", "flakey", "flaky"),
    ("executedBy", "jsmith", "j.smith"),
])
def test_every_lookup_field_with_values_gets_did_you_mean(field: str, typed: str,
                                                          meant: str) -> None:
    values = {"cycle": CYCLES, "release": ("Release 1.0", "Release 2.0"),
              "tag": ("flaky", "smoke"), "executedBy": ("j.smith", "a.jones")}[field]
    schema = _with_values(load_schema(), "execution", field, values)
    canonical = schema.field("execution", field).name  # type: ignore[union-attr]
    (diag,) = zql.lint(f"{canonical} = {zql.quote(typed)}", entity="execution", schema=schema)
    assert (diag.code, diag.severity) == ("ZQL206", Severity.WARNING)
    assert diag.message.endswith(f"did you mean {zql.quote(meant)}?"), diag.message
    assert zql.lint(f"{canonical} = {zql.quote(meant)}", entity="execution", schema=schema) == []


def test_a_field_without_values_is_not_checked() -> None:
    assert zql.lint('cycle = "anything at all"', entity="execution") == []


def test_a_pulled_schema_file_checks_cycles_in_ci(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    schema = _with_values(load_schema().with_statuses(SERVER), "execution", "cycle", CYCLES)
    path = tmp_path / "server.json"
    path.write_text(json.dumps(schema.to_json()), encoding="utf-8")
    code = main(["lint", "--schema", str(path), "--entity", "execution", "--format", "json",
                 "-q", 'cycle = "smoke build 44" and status = "Outscoped"'])
    found = json.loads(capsys.readouterr().out)["files"][0]["diagnostics"]
    assert code == 0 and [d["message"] for d in found] == [
        '"smoke build 44" is not a known cycle; did you mean "Smoke - Build 44"?']
    # The file stores statuses once, in its values object, not again on the status field.
    raw = json.loads(path.read_text(encoding="utf-8"))
    status = next(f for f in raw["entities"]["execution"] if f["name"] == "status")
    assert "values" not in status and {"id": 11, "name": "Outscoped", "active": True} in raw[
        "values"]["statuses"]


def test_value_sets_are_indexed_once_per_schema() -> None:
    many = tuple(f"Cycle {i:05}" for i in range(50_000))
    schema = _with_values(load_schema(), "execution", "cycle", many)
    spec = schema.field("execution", "cycle")
    assert spec is not None
    first = _value_index(spec, schema)
    for _ in range(3):
        zql.lint('cycle = "Cycle 00042" or cycle = "cycle 49999"', entity="execution",
                 schema=schema)
    assert _value_index(spec, schema) is first  # built once, reused by every lint
    (diag,) = zql.lint('cycle = "cycle 49999"', entity="execution", schema=schema)
    assert diag.message.endswith('did you mean "Cycle 49999"?')
    assert "(50000 in all)" in (diag.hint or "")  # the hint lists a few, not 50,000


def test_flattened_rows_and_the_sandbox_read_the_same_status_facts() -> None:
    from zql.client._flatten import STATUS_NAMES
    from zql.sandbox.model import NOT_EXECUTED, STATUSES

    facts = load_schema().values
    assert {str(s.id): s.name for s in facts.statuses} | {
        str(facts.not_executed.id): facts.not_executed.name} == STATUS_NAMES
    assert {s.id: s.name for s in facts.statuses} == STATUSES
    assert (facts.not_executed.id, facts.not_executed.name) == NOT_EXECUTED
