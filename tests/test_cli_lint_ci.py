"""`zql lint` for CI: --format github, --select/--ignore, --list-rules, --explain, config files."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from zql.cli import main
from zql.rules import rules


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def codes(gcc: str) -> list[str]:
    return [line.split(": ", 2)[2].split()[0] for line in gcc.splitlines()]


QUERY = 'priority in ("P1") AND prority = "x"'


@pytest.mark.parametrize(("flags", "expected"), [
    ([], ["ZQL308", "ZQL302", "ZQL201"]),
    (["--select", "ZQL3"], ["ZQL308", "ZQL302"]),
    (["--select", "ZQL2,keyword-case"], ["ZQL302", "ZQL201"]),
    (["--ignore", "ZQL30"], ["ZQL201"]),
    (["--ignore", "ZQL308", "--ignore", "zql302"], ["ZQL201"]),
    (["--select", "ZQL3", "--ignore", "single-item-list"], ["ZQL302"]),
])
def test_select_and_ignore(capsys: pytest.CaptureFixture[str], flags: list[str],
                           expected: list[str]) -> None:
    code, out, _ = run(["lint", "-q", QUERY, "--format", "gcc", *flags], capsys)
    assert codes(out) == expected
    assert code == (1 if "ZQL201" in expected else 0)


def test_unknown_rule_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["lint", "-q", QUERY, "--ignore", "ZQL3O1"], capsys)
    assert code == 2
    assert err.strip() == ("zql lint: command line: ignore: unknown rule 'ZQL3O1'; "
                           "did you mean ZQL301?")


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", "--list-rules"], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["CODE", "NAME", "SEVERITY", "FIX", "SUMMARY"]
    assert [line.split()[0] for line in lines[1:]] == [r.code for r in rules()]
    code, out, _ = run(["lint", "--list-rules", "--format", "json"], capsys)
    listed = json.loads(out)
    assert [(r["code"], r["severity"]) for r in listed] == [
        (r.code, str(r.severity)) for r in rules()]


@pytest.mark.parametrize("spelling", ["ZQL301", "zql301", "301", "mixed-and-or"])
def test_explain(capsys: pytest.CaptureFixture[str], spelling: str) -> None:
    code, out, _ = run(["lint", "--explain", spelling], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("ZQL301 mixed-and-or (warning, style, fix: safe): ")
    assert '  priority = "P1" and automated = true or tag = "smoke"' in lines
    assert '  (priority = "P1" and automated = true) or tag = "smoke"' in lines


def test_explain_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["lint", "--explain", "ZQL999"], capsys)
    assert code == 2 and err.startswith("zql lint: unknown rule 'ZQL999'")


def test_every_rule_example_explains(capsys: pytest.CaptureFixture[str]) -> None:
    # main's own path: test_explain; here the ``zql lint`` parser main builds, built once.
    from zql.cli import build_parser

    parser = build_parser()
    for r in rules():
        args = parser.parse_args(["lint", "--explain", r.code])
        assert args.run(args) == 0, r.code
        assert capsys.readouterr().out.startswith(f"{r.code} {r.name} ")


def test_github_format(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "a.zql").write_text('name ~ "😀" and status = Fail\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["lint", "q", "--format", "github"], capsys)
    assert code == 1
    assert out.strip() == ("::error file=q/a.zql,line=1,col=26,endLine=1,endColumn=30,"
                           "title=ZQL107::bare word 'Fail' is not a value "
                           "(hint: values are quoted in ZE: \"Fail\")")


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "queries").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        '[tool.zql]\nentity = "execution"\nignore = ["ZQL302"]\n', encoding="utf-8")
    (root / "queries" / "a.zql").write_text('status = "Fail" AND notes ~ "x"\n',
                                            encoding="utf-8")
    (root / "queries" / "b.zql").write_text('# zql: entity=testcase\nstatus = "Fail"\n',
                                            encoding="utf-8")
    return root


def test_config_discovery_and_precedence(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path)
    code, out, _ = run(["lint", str(root / "queries"), "--format", "gcc"], capsys)
    # a.zql: execution (config), ZQL302 ignored; b.zql: its header says testcase
    assert code == 1 and codes(out) == ["ZQL201"] and "b.zql:2:1" in out
    # flags beat the config file (but not the header)
    code, out, _ = run(["lint", str(root / "queries"), "--format", "gcc", "--ignore", "ZQL1"],
                       capsys)
    assert codes(out) == ["ZQL302", "ZQL201"]
    code, out, _ = run(["lint", str(root / "queries"), "--format", "gcc", "--no-config"],
                       capsys)
    assert codes(out) == ["ZQL201", "ZQL302", "ZQL201", "ZQL201"]


def test_explicit_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path)
    other = tmp_path / "other.toml"
    other.write_text('entity = "execution"\nselect = ["ZQL302"]\n', encoding="utf-8")
    code, out, _ = run(["lint", str(root / "queries" / "a.zql"), "--format", "gcc",
                        "--config", str(other)], capsys)
    assert code == 0 and codes(out) == ["ZQL302"]
    code, _, err = run(["lint", "-q", "x = 1", "--config", str(tmp_path / "nope.toml")], capsys)
    assert code == 2 and "nope.toml" in err and "Traceback" not in err


def test_broken_config_is_a_one_line_usage_error(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "zql.toml").write_text("entity = 'bug'\n", encoding="utf-8")
    (tmp_path / "a.zql").write_text("x = 1\n", encoding="utf-8")
    code, _, err = run(["lint", str(tmp_path / "a.zql")], capsys)
    assert code == 2
    assert err.count("\n") == 1 and "zql.toml: unknown entity 'bug'" in err


def test_stdin_uses_the_config_of_the_working_directory(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root / "queries")
    monkeypatch.setattr(sys, "stdin", io.StringIO('status = "Fail" AND notes ~ "x"'))
    # The config there says execution and ignores ZQL302; without it this is an error.
    assert run(["lint", "-", "--format", "gcc"], capsys)[:2] == (0, "")
