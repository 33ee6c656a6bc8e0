"""Issue 13, "Team query files" (lint and LSP side): ``# name: NAME`` names a query; a name
used twice in one file is ZQL312; the language server lists the names as document symbols."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lsp_client import LspClient
from zql.cli import main
from zql.config import Settings
from zql.documents import lint_text

TEAM = ('# zql: entity=execution\n'
        '# Failures of the nightly run\n'
        '# name: nightly-fails\n'
        'status = "Fail" and tag = "nightly";\n'
        '\n'
        '# name: mine\n'
        'executedBy = "jdoe";\n'
        '# name: nightly-fails\n'
        'status = "Blocked"\n')


def test_a_name_used_twice_is_an_error_at_the_later_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "team.zql"
    path.write_text(TEAM, encoding="utf-8")
    code = main(["lint", str(path), "--format", "json"])
    found = json.loads(capsys.readouterr().out)["files"][0]["diagnostics"]
    assert code == 1
    assert [(d["code"], d["severity"], d["line"], d["column"], d["message"]) for d in found] == [
        ("ZQL312", "error", 8, 9, "query name 'nightly-fails' is already used on line 4")]
    assert TEAM[found[0]["offset"]:found[0]["end_offset"]] == "nightly-fails"


def test_unique_names_and_unnamed_queries_are_clean() -> None:
    text = TEAM.replace("# name: nightly-fails\nstatus = \"Blocked\"", "# name: blocked\n"
                        'status = "Blocked"')
    assert lint_text(text) == []
    # A blank line between the comment and the query leaves it unnamed: no clash.
    assert lint_text("# name: a\nx = 1;\n# name: a\n\ny = 2", select=["ZQL312"]) == []


def test_zql312_can_be_ignored_like_any_rule(capsys: pytest.CaptureFixture[str],
                                             tmp_path: Path) -> None:
    # (Resolved settings stand for the header too, so they name the entity.)
    assert lint_text(TEAM, settings=Settings("execution", ignore=("ZQL312",))) == []
    assert [d.code for d in lint_text(TEAM, settings=Settings(select=("ZQL3",)))] == ["ZQL312"]
    path = tmp_path / "team.zql"
    path.write_text(TEAM, encoding="utf-8")
    assert main(["lint", str(path), "--ignore", "duplicate-query-name"]) == 0
    assert main(["lint", "--explain", "ZQL312"]) == 0
    assert "zql search -f FILE --name NAME" in capsys.readouterr().out


def test_the_language_server_outlines_named_queries_and_flags_a_duplicate() -> None:
    uri = "untitled:team.zql"
    with LspClient() as client:
        client.initialize()
        client.open(uri, TEAM)
        diagnostics = client.diagnostics(uri)
        assert [(d["code"], d["range"]["start"]) for d in diagnostics] == [
            ("ZQL312", {"line": 7, "character": 8})]
        symbols = client.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        assert [(s["name"], s["kind"], s["range"]["start"]["line"], s["range"]["end"]["line"],
                 s["selectionRange"]["start"], s["detail"]) for s in symbols] == [
            ("nightly-fails", 12, 2, 3, {"line": 2, "character": 8},
             'status = "Fail" and tag = "nightly"'),
            ("mine", 12, 5, 6, {"line": 5, "character": 8}, 'executedBy = "jdoe"'),
            ("nightly-fails", 12, 7, 8, {"line": 7, "character": 8}, 'status = "Blocked"'),
        ]
        assert client.shutdown() == 0
