"""`zql lint` and `zql fmt` through their real entry point, `zql.cli.main(argv)`."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from zql.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- lint


def test_lint_clean_query_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", "-q", 'status = "Fail"', "--entity", "execution"], capsys)
    assert (code, out) == (0, "")


def test_lint_error_exits_1_with_caret(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", "-q", "status = Fail", "--entity", "execution"], capsys)
    assert code == 1
    assert "error[ZQL107]" in out and "^^^^" in out and 'hint: values are quoted' in out


def test_lint_warning_only_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", "-q", 'ALTID is empty'], capsys)
    assert code == 0
    assert "ZQL202" in out


def test_lint_gcc_format_has_file_positions(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "q.zql", '# saved queries\nnotes ~ "x";\n\n  status = Fail\n')
    code, out, _ = run(["lint", str(path), "--format", "gcc", "--entity", "execution"], capsys)
    assert code == 1
    assert out.strip() == f"{path}:4:12: error: ZQL107 bare word 'Fail' is not a value"


def test_lint_json_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "q.zql", 'notes ~ "새로운";\nstatus = Fail')
    code, out, _ = run(["lint", str(path), "--format", "json", "--entity", "execution"], capsys)
    data = json.loads(out)
    assert code == 1
    assert data["version"] == 1
    diag = data["files"][0]["diagnostics"][0]
    assert (diag["code"], diag["line"], diag["column"], diag["offset"]) == ("ZQL107", 2, 10, 24)
    assert diag["fixes"][0]["edits"][0] == {"offset": 24, "end_offset": 28,
                                            "new_text": '"Fail"'}
    assert data["summary"] == {"files": 1, "errors": 1, "warnings": 0, "infos": 0}


def test_lint_header_sets_entity_and_schema(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    ok = write(tmp_path, "ok.zql", '# zql: entity=execution schema=ze6\ncyclephase = "S1"\n')
    code, out, _ = run(["lint", str(ok)], capsys)
    assert (code, out) == (0, "")
    bad = write(tmp_path, "bad.zql", 'cyclephase = "S1"\n')  # ze7 testcase has no cyclephase
    code, out, _ = run(["lint", str(bad), "--format", "gcc"], capsys)
    assert code == 1 and "ZQL201" in out


def test_lint_directory_and_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "a/one.zql", "name ~ 1")
    write(tmp_path, "a/b/two.zql", 'name ~ "ok"')
    write(tmp_path, "a/ignored.txt", "junk")
    code, out, _ = run(["lint", str(tmp_path / "a"), "--format", "gcc"], capsys)
    assert code == 1
    assert out.count("ZQL124") == 1 and "one.zql" in out
    code, out, _ = run(["lint", "-", "--format", "gcc"], capsys, 'name ~ "ok"\n', monkeypatch)
    assert (code, out) == (0, "")


def test_lint_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["lint", str(tmp_path / "nope.zql")], capsys)
    assert code == 2
    assert "nope.zql: no such file or directory" in err


def test_lint_bad_schema_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["lint", "-q", "a = 1", "--schema", "ze9"], capsys)
    assert code == 2 and "unknown schema profile 'ze9'" in err
    assert "Traceback" not in err


def test_lint_fix_rewrites_file_atomically(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "q.zql", '# keep me\nstatus = Fail and priority in ("P1", "P1");\n')
    code, _, err = run(["lint", str(path), "--fix", "--entity", "execution"], capsys)
    # Fixes chain: the duplicate goes, then the one-item list becomes `=`.
    assert path.read_text() == '# keep me\nstatus = "Fail" and priority = "P1";\n'
    assert "fixed" in err
    assert code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["q.zql"]  # no temporary file left


def test_lint_fix_stdin_prints(capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(["lint", "--fix", "--entity", "execution"], capsys, "status = Fail",
                       monkeypatch)
    assert out == 'status = "Fail"\n'
    assert code == 0


# ---------------------------------------------------------------------------- fmt


def test_fmt_query_prints_canonical(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["fmt", "-q", 'a=1 OR b=2 AND NOT c~"x"'], capsys)
    assert (code, out) == (0, 'a = 1 or (b = 2 not c ~ "x")\n')


def test_fmt_portable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["fmt", "--portable", "-q", 'not (a = 1 or b in (2, 3))'], capsys)
    assert (code, out) == (0, "a != 1 and b != 2 and b != 3\n")


def test_fmt_file_keeps_comments_between_queries(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    text = '# zql: entity=execution\nstatus="Fail"  ;\n\n# second\nname~"x" # inside\n  and a=1\n'
    path = write(tmp_path, "q.zql", text)
    code, _, err = run(["fmt", str(path)], capsys)
    assert code == 0
    assert path.read_text() == (
        '# zql: entity=execution\nstatus = "Fail"  ;\n\n# second\nname~"x" # inside\n  and a=1\n')
    assert "query 2 kept as it is" in err


def test_fmt_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messy = write(tmp_path, "messy.zql", "a=1\n")
    clean = write(tmp_path, "clean.zql", "a = 1\n")
    code, _, err = run(["fmt", "--check", str(clean)], capsys)
    assert code == 0 and err == ""
    code, _, err = run(["fmt", "--check", str(messy)], capsys)
    assert code == 1 and f"would reformat {messy}" in err
    assert messy.read_text() == "a=1\n"


def test_fmt_syntax_error_leaves_file_untouched(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "q.zql", 'a = 1;\nb = "oops\n')
    code, _, err = run(["fmt", str(path)], capsys)
    assert code == 1
    assert f"{path}:2:5: error[ZQL101]" in err
    assert path.read_text() == 'a = 1;\nb = "oops\n'


def test_no_subcommand_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([], capsys)
    assert code == 2 and "usage: zql" in err


def test_lint_query_in_gcc_format_is_named_query(capsys: pytest.CaptureFixture[str]) -> None:
    # The console script itself: test_diff_shows_the_fixes_without_writing.
    code, out, _ = run(["lint", "-q", "status = Fail", "--format", "gcc"], capsys)
    assert code == 1
    assert out.startswith("<query>:1:10: error: ZQL107")


@pytest.mark.parametrize(
    ("query", "code", "safe"),
    [
        ("status = Fail", "ZQL107", True),          # quoting a bare word: its only reading
        ("ALTID is empty", "ZQL202", True),          # canonical field case
        ('a = 1 AND b = 2', "ZQL302", True),         # keyword case
        ('prority = "P1"', "ZQL201", False),         # did-you-mean: a guess
        ('priority = ""', "ZQL304", False),          # `is empty` is a guess at the intent
        ('status = "Fail', "ZQL101", False),         # where the string ends is a guess
        ("(a = 1", "ZQL116", False),
        ("a = 1 b = 2", "ZQL121", False),            # and? or?
        ('a = "1" order by name', "ZQL113", False),  # drops the sorting the user wanted
    ],
)
def test_fix_safety(query: str, code: str, safe: bool) -> None:
    import zql

    diag = next(d for d in zql.lint(query) if d.code == code)
    assert diag.fixes and diag.fixes[0].safe is safe


def test_fix_applies_unsafe_fixes_only_when_asked(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = run(["lint", "--fix"], capsys, 'prority = Fail', monkeypatch)
    assert out == 'prority = "Fail"\n' and code == 1
    code, out, _ = run(["lint", "--fix", "--unsafe-fixes"], capsys, 'prority = Fail',
                       monkeypatch)
    assert out == 'priority = "Fail"\n' and code == 0


def test_fix_prints_each_fix_with_its_place_code_and_change(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "q.zql", '# zql: entity=execution\nstatus = Fail;\nx = 1 AND\n'
                 'priority in ("P1", "P1") AND tag = "a"\n')
    code, out, err = run(["lint", str(path), "--fix", "--select", "ZQL1,ZQL3"], capsys)
    assert code == 0 and out == ""
    # ZQL305 then ZQL308 (a second round): positions still refer to the file as given.
    assert err.splitlines()[:5] == [
        f'{path}:2:10: ZQL107 Fail → "Fail"',
        f"{path}:3:7: ZQL302 AND → and",
        f"{path}:4:18: ZQL305 , \"P1\" → ''",
        f"{path}:4:26: ZQL302 AND → and",
        f'{path}:4:10: ZQL308 in ("P1") → = "P1"',
    ]
    assert f"fixed {path} (" in err
    assert path.read_text(encoding="utf-8") == (
        '# zql: entity=execution\nstatus = "Fail";\nx = 1 and\npriority = "P1" and tag = "a"\n')


def test_fix_positions_of_a_later_round_refer_to_the_file_as_given() -> None:
    from zql.documents import apply_fixes

    text = 'tag in ("a", "a") AND\nname ~ "x" AND tag = Fail'
    result = apply_fixes(text)
    assert result.text == 'tag = "a" and\nname ~ "x" and tag = "Fail"'
    places = {(f.code, f.line, f.column) for f in result.applied}
    assert ("ZQL107", 2, 22) in places and ("ZQL302", 2, 12) in places
    assert ("ZQL305", 1, 12) in places and ("ZQL308", 1, 5) in places


def test_diff_shows_the_fixes_without_writing(tmp_path: Path) -> None:
    """The real console script (``zql``, as installed): the diff on stdout, exit 1, the file
    untouched."""
    path = write(tmp_path, "q.zql", 'status = Fail AND name ~ "x"\n')
    zql = Path(sys.executable).with_name("zql")
    done = subprocess.run([str(zql), "lint", "--diff", "--entity", "execution", str(path)],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 1  # something would change
    assert done.stdout.splitlines() == [
        f"--- a/{path}", f"+++ b/{path}", "@@ -1 +1 @@",
        '-status = Fail AND name ~ "x"', '+status = "Fail" and name ~ "x"']
    assert path.read_text(encoding="utf-8") == 'status = Fail AND name ~ "x"\n'


def test_diff_of_a_clean_query_is_empty_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["lint", "--diff", "-q", 'name ~ "x"'], capsys)
    assert (code, out) == (0, "")


def test_diff_of_stdin_and_with_unsafe_fixes(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(["lint", "--diff", "--unsafe-fixes", "-"], capsys, 'prority = "P1"',
                         monkeypatch)
    assert code == 1 and out.splitlines()[2:] == [
        "@@ -1 +1 @@", '-prority = "P1"', "\\ No newline at end of file",
        '+priority = "P1"', "\\ No newline at end of file"]
    assert "ZQL201" in err  # the report of what is there (nothing was written) goes to stderr


def test_diff_keeps_stdout_for_the_diff_whatever_the_format(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run(["lint", "--diff", "--format", "json", "-"], capsys,
                         "status = Fail\n", monkeypatch)
    assert code == 1 and out.startswith("--- -\n+++ -\n")
    assert json.loads(err)["summary"]["errors"] == 1
