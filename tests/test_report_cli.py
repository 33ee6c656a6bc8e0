"""``zql report`` through ``zql.cli.main`` and the real console script (Ctrl-C with a gate)."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.process_support import running
from tests.report_support import point_cli_at
from zql.cli import main
from zql.client import ZephyrClient
from zql.sandbox import Sandbox

QUERY = 'priority in ("Critical", "High") or status = "Blocked"'


@pytest.fixture(scope="module")
def own(sandbox: Sandbox) -> Sandbox:
    """The session's sandbox: read only; the Ctrl-C tests hold its responses with gates, which
    their ``with`` releases (and detaches) on the way out."""
    return sandbox


@pytest.fixture
def env(own: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    point_cli_at(own, monkeypatch)
    monkeypatch.setenv("COLUMNS", "90")
    return own


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["report", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def rows(own: Sandbox) -> list[dict[str, Any]]:
    """The flat rows of QUERY, read once (the sandbox is not changed): the oracle's input."""
    from zql.client import flatten

    with ZephyrClient(own.url, token=own.token) as client:
        return [dict(flatten(item, "execution"))
                for item in client.search(QUERY, entity="execution", page_size=500)]


def expected_counts(rows: list[dict[str, Any]], column: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        value = row[column] or "(none)"
        counts[value] = counts.get(value, 0) + 1
    return counts


@pytest.mark.parametrize("strategy", ["scan", "count"])
def test_table_one_field(env: Sandbox, rows: list[dict[str, Any]],
                         capsys: pytest.CaptureFixture[str], strategy: str) -> None:
    code, out, err = run(capsys, QUERY, "--by", "status", "--strategy", strategy)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["status", "count", "percent"]
    parsed = [re.match(r"(\S.*?)\s{2,}([\d,]+)\s+([\d.]+)%\s+(█*)", line)
              for line in lines[2:-2]]
    body = {m.group(1): int(m.group(2).replace(",", "")) for m in parsed if m}
    assert len(body) == len(lines) - 4 and all(m and m.group(4) for m in parsed)
    assert body == expected_counts(rows, "status")
    assert list(body) == ["Pass", "Fail", "WIP", "Blocked", "Not Executed"]  # server's order
    total = sum(body.values())
    assert lines[-1].split()[:3] == ["total", f"{total:,}", "100.0%"]
    assert f"pass rate {100 * body['Pass'] / (total - body['Not Executed']):.1f}%" in lines[-1]


def test_pivot_has_totals_both_ways(env: Sandbox, rows: list[dict[str, Any]],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, QUERY, "--by", "priority,status")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["priority", "\\", "status"]
    table = [line.split() for line in lines[2:-2]]
    for row in table:  # each row: name, five statuses, total, pass rate
        cells = [int(c.replace(",", "")) for c in row[-7:-2]]
        assert sum(cells) == int(row[-2].replace(",", "")) and row[-1].endswith("%")
    totals = lines[-1].split()
    assert totals[0] == "total"
    assert int(totals[-2].replace(",", "")) == sum(expected_counts(rows, "priority").values())


def test_json_csv_markdown(env: Sandbox, rows: list[dict[str, Any]],
                           capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, QUERY, "--by", "tags", "--format", "json")
    doc = json.loads(out)
    assert set(doc) == {"entity", "query", "by", "total", "groups"}
    assert doc["by"] == ["tags"] and doc["query"] == QUERY and doc["entity"] == "execution"
    assert all(set(g) == {"tags", "count"} for g in doc["groups"])
    assert sum(g["count"] for g in doc["groups"]) > doc["total"]  # once per tag
    _, out, _ = run(capsys, QUERY, "--by", "priority", "--format", "csv")
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["priority", "count", "percent"]
    assert {r[0]: int(r[1]) for r in table[1:]} == expected_counts(rows, "priority")
    _, out, _ = run(capsys, QUERY, "--by", "priority", "--format", "markdown")
    assert out.splitlines()[2] == "| priority | count | percent |"


def test_output_file_format_from_extension_and_chart_files(
        env: Sandbox, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # One field: five bars are enough to prove each format (the two-field chart, stacked bars
    # and a legend, is drawn by test_report_html's page and checked in a browser there).
    page, svg, png = tmp_path / "r.html", tmp_path / "c.svg", tmp_path / "c.png"
    code, out, err = run(capsys, QUERY, "--by", "status", "-o", str(page), "--chart", str(svg))
    assert code == 0 and out == "" and err == ""
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg") and len(list(root.iter())) > 50
    assert run(capsys, QUERY, "--by", "status", "--chart", str(png))[0] == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["--by", "prio"], 2, "no column 'prio' to group by; did you mean 'priority'?"),
    (["--by", "a,b,c"], 2, "--by takes one or two fields, not 3"),
    (["--by", "phase", "--strategy", "count"], 2, "count strategy needs a known value set"),
    (["--by", "executedOn"], 2, "group executedOn by day or week"),
    (["--by", "status", "--chart", "c.gif"], 2, "must end in .svg or .png"),
    (["--by", "status", "-o", "/nonexistent/dir/r.html"], 2, "no directory"),
    (["--by", "status", "--entity", "bug"], 2, "unknown entity"),
])
def test_usage_errors(env: Sandbox, capsys: pytest.CaptureFixture[str], argv: list[str],
                      code: int, message: str) -> None:
    got, out, err = run(capsys, QUERY, *argv)
    assert got == code and message in err and out == "" and "Traceback" not in err


def test_query_errors_exit_1_and_write_no_file(env: Sandbox, capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    code, _, err = run(capsys, 'status = Fail', "--by", "status", "-o", str(target))
    assert code == 1 and "ZQL107" in err and not target.exists()
    code, _, err = run(capsys, 'prority = "High"', "--by", "status", "-o", str(target))
    assert code == 1 and "prority" in err and not target.exists()


def test_ctrl_c_prints_partial_counts(own: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real console script, interrupted while the sandbox holds its third page."""
    environ = point_cli_at(own, monkeypatch)
    script = Path(sys.executable).with_name("zql")
    with own.control.gate("/advancesearch", after=2) as gate, running(
            [str(script), "report", QUERY, "--by", "status", "--strategy", "scan",
             "--page-size", "50", "--format", "json", "--no-progress"],
            env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        gate.wait_held()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    doc = json.loads(out)
    assert doc["partial"] is True and doc["total"] == 100
    assert sum(g["count"] for g in doc["groups"]) == 100
    assert err.strip().splitlines()[-1] == "zql report: interrupted; partial counts of 100 rows"


@pytest.mark.terminal
def test_progress_bar_in_a_terminal_and_ctrl_c(own: Sandbox,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """In a real terminal a long scan shows prompt_toolkit's bar on stderr; Ctrl-C typed into
    it (while the sandbox holds the fourth page) prints the partial counts."""
    import pexpect

    environ = {**point_cli_at(own, monkeypatch), "TERM": "xterm"}
    with own.control.gate("/advancesearch", after=3) as gate:
        child = pexpect.spawn(str(Path(sys.executable).with_name("zql")),
                              ["report", QUERY, "--by", "status", "--strategy", "scan",
                               "--page-size", "50"],
                              env=environ, encoding="utf-8", dimensions=(24, 100), timeout=30)
        try:
            child.expect(r"zql report")  # the bar's title, once the first page is in
            gate.wait_held()
            child.send("\x03")
            child.expect(r"PARTIAL: interrupted before the end")
            child.expect(r"total\s+150\s")
            child.expect(r"interrupted; partial counts of 150 rows")
            child.expect(pexpect.EOF)
        finally:
            child.close()
    assert child.exitstatus == 130
