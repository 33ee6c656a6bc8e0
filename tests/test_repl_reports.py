"""``\\report``, ``\\count`` and ``\\diff`` in the real shell (pipe input), against the sandbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.repl_support import running_shell
from zql.client import ZephyrClient
from zql.sandbox import Sandbox

QUERY = 'priority = "Critical"'


def _total(sb: Sandbox, query: str, entity: str = "execution") -> int:
    with ZephyrClient(sb.url, token=sb.token) as client:
        return client.search(query, entity=entity).count()


def test_report_and_count_on_the_last_query(sandbox: Sandbox, tmp_path: Path) -> None:
    with running_shell(sandbox, tmp_path, entity="execution", limit=3) as shell:
        shell.run(QUERY, r"executions shown")
        out = shell.run("\\report status", r"total .*pass rate")
        assert re.search(r"^Pass\s+\d+\s+[\d.]+%\s+█", out, re.M)
        shell.run("\\count", rf"(?m)^{_total(sandbox, QUERY):,} executions$")
        out = shell.run("\\report priority,status release = \"Atlas 4.0\"", r"(?m)^total\s")
        assert out.splitlines()[0].split()[:3] == ["priority", "\\", "status"]
        shell.run("\\format json", "format: json")
        out = shell.run("\\report tags", r'"groups"')
        doc = json.loads(out[out.index("{"):out.rindex("}") + 1])
        assert doc["by"] == ["tags"] and doc["query"] == QUERY
        assert doc["total"] == _total(sandbox, QUERY)
        shell.run("\\report prio", r"no column 'prio' to group by; did you mean 'priority'\?")
        shell.run("\\report", r"usage: \\report FIELD")


def test_diff_of_two_named_queries(sandbox: Sandbox, tmp_path: Path) -> None:
    with running_shell(sandbox, tmp_path, entity="execution") as shell:
        shell.run('\\ns hotfix cycle = "Hotfix 55"', "saved hotfix")
        shell.run('\\ns rc cycle = "Release Candidate 18"', "saved rc")
        out = shell.run("\\diff hotfix rc", r"regressed \(\d+\)")
        assert out.index("category") < out.index("regressed (")
        shell.run("\\diff hotfix", r"usage: \\diff NAME_A NAME_B")
        shell.run("\\diff hotfix nope", r"no named query 'nope'")
        shell.run("\\entity testcase", "entity: testcase")
        shell.run('\\ns tc priority = "High"', r"saved tc \(testcase\)")
        shell.run("\\diff hotfix tc", r"compares executions; tc searches another entity")


def test_offline_shell_says_so(tmp_path: Path) -> None:
    with running_shell(None, tmp_path) as shell:
        shell.run('\\count priority = "High"', r"not connected")
