"""``zql search`` through ``zql.cli.main`` and once through the real console script (Ctrl-C)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.client_support import (  # noqa: F401
    PASSWORD,
    TOKEN,
    USER,
    interrupting,
    sandbox_fixture,
    sb_fixture,
    searches,
)
from tests.process_support import PATIENCE, close_child, running
from zql.cli import main
from zql.client import flat_columns
from zql.sandbox import Sandbox

FAILS = 'status = "Fail"'


@pytest.fixture
def env(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    for name in ("ZEPHYR_USERNAME", "ZEPHYR_PASSWORD", "ZEPHYR_AUTH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZEPHYR_URL", sb.url or "")
    monkeypatch.setenv("ZEPHYR_TOKEN", TOKEN)
    return sb


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["search", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_table(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, FAILS, "--entity", "execution", "--limit", "7")
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert lines[0].split() == ["id", "testcaseId", "name", "status", "priority", "executedBy",
                                "cycle", "release"]
    assert len(lines) == 2 + 7 and all(" Fail " in line for line in lines[2:])


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_machine_formats(env: Sandbox, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, err = run(capsys, FAILS, "--entity", "execution", "--limit", "150",
                         "--page-size", "40", "--format", fmt)
    assert code == 0 and err == ""
    if fmt == "json":
        items = json.loads(out)
    elif fmt == "jsonl":
        items = [json.loads(line) for line in out.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(out)))
        assert list(rows[0]) == flat_columns("execution")
        assert {row["status"] for row in rows} == {"Fail"}
        items = rows
    assert len(items) == 150 and len({str(i["id"]) for i in items}) == 150


@pytest.mark.parametrize(("fmt", "expected"), [
    ("json", "[]\n"), ("jsonl", ""), ("csv", ",".join(flat_columns("testcase")) + "\n"),
    ("table", "id  name  priority  tags  release  project\n"
              "--  ----  --------  ----  -------  -------\n"),
])
def test_no_results_is_success(env: Sandbox, capsys: pytest.CaptureFixture[str], fmt: str,
                               expected: str) -> None:
    code, out, err = run(capsys, 'name ~ "zz-none"', "--format", fmt)
    assert (code, out) == (0, expected)
    assert err.splitlines()[0] == "zql search: 0 test cases"  # never a silent empty result
    assert err.splitlines()[1].startswith("zql search: hint: no item matches every condition")


def test_output_file_and_summary(env: Sandbox, capsys: pytest.CaptureFixture[str],
                                 tmp_path: Path) -> None:
    target = tmp_path / "fails.csv"
    code, out, err = run(capsys, FAILS, "--entity", "execution", "--format", "csv",
                         "-o", str(target), "--no-progress")
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert code == 0 and out == ""
    assert re.fullmatch(rf"zql search: {len(rows)} of {len(rows)} rows written to "
                        rf"{re.escape(str(target))} in \d+ ms\n|.* s\n", err)


def test_progress_lines_without_a_terminal(env: Sandbox, capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    target = tmp_path / "all.jsonl"
    code, _, err = run(capsys, 'notes !~ "zz"', "--entity", "execution", "--format", "jsonl",
                       "-o", str(target), "--progress", "--page-size", "500")
    assert code == 0
    assert err.splitlines()[0] == "zql search: 500 / 1,500 rows"
    assert "zql search: 1,500 / 1,500 rows" in err.splitlines()


def test_names_order_and_quick(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    since = len(env.control.requests)
    code, out, _ = run(capsys, 'priority = "High"', "--release", "Atlas 4.0", "--project",
                       "Atlas Mobile", "--order", "name", "--desc", "--format", "jsonl")
    names = [json.loads(line)["testcase"]["name"] for line in out.splitlines()]
    assert code == 0 and names == sorted(names, key=str.casefold, reverse=True)
    sent = searches(env, since)[0]
    assert (sent["releaseid"], sent["projectid"], sent["isascorder"]) == ("3", "2", "false")
    code, out, _ = run(capsys, "banner", "--quick", "--format", "jsonl", "--limit", "3")
    assert code == 0 and len(out.splitlines()) == 3


def test_query_from_stdin(env: Sandbox, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('status = "Fail"\n  and priority = "Low"\n'))
    code, out, _ = run(capsys, "-", "--entity", "execution", "--format", "jsonl")
    assert code == 0 and out


@pytest.mark.parametrize(("argv", "fragment"), [
    (["status = Fail", "--entity", "execution"], "error[ZQL107]: bare word 'Fail'"),
    (['prority = "High"'], "error[ZQL201]: no field 'prority'"),
    (["status = Fail", "--no-validate"], "zql search: the server rejected the request (400)"),
    (['status = "Fail"', "--entity", "testcase"], "error[ZQL201]: no field 'status'"),
    (['name ~ "x"', "--release", "Atlas 9"], "zql search: no release named 'Atlas 9'"),
])
def test_query_errors_exit_1(env: Sandbox, capsys: pytest.CaptureFixture[str],
                             argv: list[str], fragment: str) -> None:
    since = len(env.control.requests)
    code, out, err = run(capsys, *argv)
    assert (code, out) == (1, "") and fragment in err
    if "ZQL1" in fragment:
        assert len(env.control.requests) == since  # rejected before sending anything


def test_server_errors_exit_1_and_say_what_was_kept(env: Sandbox,
                                                    capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    env.control.page_cap = 100
    target = tmp_path / "part.jsonl"

    code = main(["search", FAILS, "--entity", "execution", "--format", "jsonl", "-o",
                 str(target), "--no-progress", "--token-env", "NO_SUCH_TOKEN_VAR",
                 "--username", "someone-else"])
    assert code == 2  # no password anywhere: a usage error, nothing sent
    capsys.readouterr()
    env.control.fail_next(1, status=401)
    code, _, err = run(capsys, FAILS, "--entity", "execution")
    assert code == 1 and "authentication failed (401)" in err and TOKEN not in err


@pytest.mark.parametrize(("argv", "env_vars", "fragment"), [
    ([FAILS], {"ZEPHYR_URL": None}, "no server: pass --url or set ZEPHYR_URL"),
    ([FAILS], {"ZEPHYR_TOKEN": None}, "no credentials: set ZEPHYR_TOKEN"),
    ([FAILS, "--username", USER], {"ZEPHYR_TOKEN": None}, f"no password for {USER}"),
    ([FAILS, "--entity", "bugs"], {}, "unknown entity 'bugs'"),
    ([], {}, "no query: give QUERY (- reads stdin), -f FILE --name NAME, or --all"),
    (["  "], {}, "empty query: give one, or --all to list everything"),
    ([FAILS, "--all"], {}, "--all lists everything: give no QUERY"),
    ([FAILS, "--name", "x"], {}, "--name picks a query of a file: give -f FILE"),
    (["--list"], {}, "--list lists the named queries of a file: give -f FILE"),
    ([FAILS, "--format", "xlsx"], {}, "xlsx is a workbook file: give -o FILE.xlsx"),
    ([FAILS, "--format", "json", "--excel"], {}, "--excel makes CSV for spreadsheets"),
    ([FAILS, "--flat"], {}, "--flat applies to json and jsonl, not table"),
    ([FAILS, "--entity", "execution", "--columns", "id,prority"], {},
     "unknown column 'prority'; did you mean 'priority'?"),
    ([FAILS, "--entity", "execution", "--order", "prority"], {},
     "cannot sort executions by 'prority'; did you mean 'priority'?"),
    ([FAILS, "--entity", "execution", "--order", "executedOn"], {},
     "the server cannot sort executions by executedOn; it can sort by id, testcaseId,"),
    ([FAILS, "--profile", "nope", "--config", "/nonexistent/zql/config.toml"], {},
     "no config file: unknown profile 'nope'"),
    (['name ~ "x"', "-o", "/no/such/dir/out.csv"], {}, "cannot write /no/such/dir/out.csv"),
    ([FAILS, "--url", "ftp://x"], {}, "must start with http:// or https://"),
    ([FAILS, "--username", "zoë"], {"ZEPHYR_PASSWORD": "pw", "ZEPHYR_TOKEN": None},
     "use an API token"),
])
def test_usage_errors_exit_2(env: Sandbox, capsys: pytest.CaptureFixture[str],
                             monkeypatch: pytest.MonkeyPatch, argv: list[str],
                             env_vars: dict[str, str | None], fragment: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    for name, value in env_vars.items():
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "") and fragment in err


@pytest.mark.parametrize("argv", [["--format", "xml"], ["--limit", "-1"], ["--page-size", "0"],
                                  ["--limit", "many"], ["--color", "sometimes"]])
def test_argument_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["search", *argv, *([FAILS] if argv else [])])
    assert info.value.code == 2


def test_cookie_auth_from_the_environment(env: Sandbox, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZEPHYR_TOKEN")
    monkeypatch.setenv("ZEPHYR_USERNAME", USER)
    monkeypatch.setenv("ZQL_TEST_PW", PASSWORD)
    before = env.control.logins
    code, out, _ = run(capsys, FAILS, "--entity", "execution", "--limit", "3", "--format",
                       "jsonl", "--password-env", "ZQL_TEST_PW")
    assert code == 0 and len(out.splitlines()) == 3
    assert env.control.logins - before == 1
    assert env.control.requests[-1][:2] == ("DELETE", "/flex/services/rest/latest/user/logout")


def test_the_bundled_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--sandbox", FAILS, "--entity", "execution", "--limit", "2",
                       "--format", "jsonl")
    assert code == 0 and [json.loads(line)["status"] for line in out.splitlines()] == [
        "Fail", "Fail"]


#: The export the Ctrl-C tests interrupt: 50-row pages; the 4th page request is held by a gate.
PAGE, PAGES_BEFORE_CTRL_C = 50, 3


def _check_kept(target: Path, fmt: str, err: str) -> None:
    text = target.read_text(encoding="utf-8")
    items = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
    assert len(items) == PAGE * PAGES_BEFORE_CTRL_C
    assert len({i["id"] for i in items}) == len(items)
    assert err.strip().splitlines()[-1] == (
        f"zql search: interrupted; {len(items)} rows written to {target}")
    assert _parts(target) == []  # renamed: no temporary file left behind


def test_ctrl_c_keeps_the_rows_written(sb: Sandbox, tmp_path: Path) -> None:
    """The real console script, interrupted with SIGINT while the sandbox holds page 4."""
    sb.control.page_cap = PAGE
    target = tmp_path / "export.jsonl"
    script = Path(sys.executable).with_name("zql")
    environ = {**os.environ, "ZEPHYR_URL": sb.url or "", "ZEPHYR_TOKEN": TOKEN}
    environ.pop("ZEPHYR_USERNAME", None)
    with sb.control.gate("/advancesearch", after=PAGES_BEFORE_CTRL_C) as gate, running(
            [str(script), "search", 'notes !~ "zz"', "--entity", "execution", "--format",
             "jsonl", "-o", str(target), "--no-progress"],
            env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        gate.wait_held(timeout=PATIENCE)
        assert not target.exists() and len(_parts(target)) == 1  # a temporary name until the end
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 130, err
    _check_kept(target, "jsonl", err)
    assert out == ""


def test_ctrl_c_keeps_a_json_export_valid(env: Sandbox, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The same interruption in-process (the real SIGINT: the test above): the JSON array
    written so far is closed, so the file stays valid JSON."""
    env.control.page_cap = PAGE
    target = tmp_path / "export.json"
    with env.control.gate("/advancesearch", after=PAGES_BEFORE_CTRL_C) as gate:
        thread = interrupting(gate)
        try:
            code, out, err = run(capsys, 'notes !~ "zz"', "--entity", "execution", "--format",
                                 "json", "-o", str(target), "--no-progress")
        finally:
            thread.join(timeout=PATIENCE)
    assert (code, out) == (130, "")
    _check_kept(target, "json", err)


def _parts(target: Path) -> list[Path]:
    return sorted(target.parent.glob(f".{target.name}.*.part"))


@pytest.mark.terminal
def test_progress_bar_in_a_terminal_and_ctrl_c(sb: Sandbox, tmp_path: Path) -> None:
    """In a real terminal the bar shows on stderr; Ctrl-C typed into it stops the
    export cleanly with the rows kept."""
    import pexpect

    sb.control.page_cap = PAGE
    target = tmp_path / "export.jsonl"
    environ = {**os.environ, "ZEPHYR_URL": sb.url or "", "ZEPHYR_TOKEN": TOKEN,
               "TERM": "xterm"}
    with sb.control.gate("/advancesearch", after=PAGES_BEFORE_CTRL_C) as gate:
        child = pexpect.spawn(str(Path(sys.executable).with_name("zql")),
                              ["search", 'notes !~ "zz"', "--entity", "execution", "--format",
                               "jsonl", "-o", str(target)],
                              env=environ, encoding="utf-8", dimensions=(24, 100), timeout=PATIENCE)
        try:
            child.expect(r"zql search \(execution\)")  # the bar's title, then its counter
            child.expect(r"rows .*%")
            deadline = time.monotonic() + PATIENCE
            while gate.held == 0:  # the 4th page is asked for, and held
                assert time.monotonic() < deadline, "the export never asked for page 4"
                # Keep reading, as a terminal does: a full pty would stall the bar's thread.
                child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=0.05)
            child.send("\x03")
            child.expect(r"interrupted; (\d+) rows written")
            kept = int(child.match.group(1))
            child.expect(pexpect.EOF)
            child.close()
        finally:
            close_child(child)
    assert child.exitstatus == 130
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == kept == PAGE * PAGES_BEFORE_CTRL_C
    assert len({json.loads(line)["id"] for line in lines}) == kept
