"""Files are never lost or damaged by ``zql fmt`` / ``zql lint --fix`` (issue 11, #7-#11, #13).

One regression test per defect, on real files in a temporary directory, through the real entry
point (``zql.cli.main``; a subprocess where another user or a real pipe is needed).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from zql import _fs
from zql.cli import main

UGLY, PRETTY = 'priority="High"', 'priority = "High"'
ZQL = [sys.executable, "-m", "zql.cli"]


def zql(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def stdin_bytes(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Standard input as the process gets it: bytes under a text layer."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


# ---- #7 symlinks and files that are not regular


def test_7_a_symlink_is_written_through_to_its_target(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "real.zql"
    target.write_text(UGLY + "\n")
    link = tmp_path / "link.zql"
    link.symlink_to(target)
    code, _, err = zql(capsys, "fmt", str(link))
    assert code == 0 and err == f"reformatted {link}\n"
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == PRETTY + "\n"


def test_7_what_is_not_a_regular_file_is_never_replaced(tmp_path: Path) -> None:
    """``zql fmt /dev/stdin`` (as root too): a pipe behind a symlink stays a pipe; exit 2."""
    done = subprocess.run([*ZQL, "fmt", "/dev/stdin"], input=UGLY + "\n", capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr == "zql fmt: /dev/stdin: not a regular file; not replaced\n"
    assert Path("/dev/stdin").is_symlink()
    fifo = tmp_path / "fifo.zql"
    os.mkfifo(fifo)
    with pytest.raises(_fs.FileRefused, match="not a regular file"):
        _fs.write_atomically(fifo, PRETTY)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# ---- #8 read-only directories and files, mode and owner


def _in_child(argv: list[str], *, user: int | None) -> tuple[int, str]:
    """``zql.cli.main(argv)`` in a forked child (as ``user`` if given): exit code, stderr.

    A fork, not an exec: the interpreter may sit under root's home, which nobody cannot enter.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 70
        try:
            os.close(read_end)
            if user is not None:
                os.setgroups([])
                os.setgid(user)
                os.setuid(user)
            sys.stdout = sys.stderr = open(write_end, "w", encoding="utf-8")  # noqa: SIM115
            code = main(argv)
            sys.stderr.flush()
        finally:
            os._exit(code)
    os.close(write_end)
    with open(read_end, encoding="utf-8") as reader:
        err = reader.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), err


def test_8_a_file_in_a_read_only_directory_is_one_line_and_exit_2() -> None:
    """Root may write anywhere, so as root the command runs as ``nobody`` (a real refusal)."""
    base = Path(tempfile.mkdtemp(prefix="zql-ro-"))  # not under pytest's 0700 base: nobody
    ro_dir = base / "ro"                              # must reach it
    query = ro_dir / "q.zql"
    try:
        base.chmod(0o755)
        ro_dir.mkdir()
        query.write_text(UGLY + "\n")
        query.chmod(0o666)  # the file itself may be written; its directory may not
        ro_dir.chmod(0o555)
        code, err = _in_child(["fmt", str(query)], user=65534 if os.geteuid() == 0 else None)
        assert code == 2, err
        assert err == (f"zql fmt: {query}: cannot write beside it in {ro_dir} "
                       "(Permission denied)\n")
        assert query.read_text() == UGLY + "\n"
    finally:
        ro_dir.chmod(0o755)
        shutil.rmtree(base)


def test_8_a_read_only_file_is_refused_unless_forced(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "q.zql"
    query.write_text(UGLY + "\n")
    query.chmod(0o444)
    code, _, err = zql(capsys, "fmt", str(query))
    assert code == 2 and err == (f"zql fmt: {query}: read-only file (mode 0444); not rewritten "
                                 "(--force rewrites it)\n")
    assert query.read_text() == UGLY + "\n"
    fixable = tmp_path / "fix.zql"
    fixable.write_text("# zql: entity=execution\nstatus = Fail\n")
    fixable.chmod(0o444)
    code, _, err = zql(capsys, "lint", "--fix", str(fixable))
    assert code == 2 and err == (f"zql lint: {fixable}: read-only file (mode 0444); not "
                                 "rewritten (--force rewrites it)\n")
    assert zql(capsys, "lint", "--fix", "--force", str(fixable))[0] == 0
    assert fixable.read_text() == '# zql: entity=execution\nstatus = "Fail"\n'
    assert zql(capsys, "fmt", "--force", str(query))[0] == 0
    assert query.read_text() == PRETTY + "\n"
    assert stat.S_IMODE(query.stat().st_mode) == 0o444


def test_8_a_rewrite_keeps_the_mode_and_owner(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "q.zql"
    query.write_text(UGLY + "\n")
    query.chmod(0o640)
    owner = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
    os.chown(query, *owner)
    assert zql(capsys, "fmt", str(query))[0] == 0
    info = query.stat()
    assert query.read_text() == PRETTY + "\n"
    assert stat.S_IMODE(info.st_mode) == 0o640 and (info.st_uid, info.st_gid) == owner


# ---- #9 a change made while zql fmt runs


def test_9_an_append_made_while_fmt_runs_is_not_lost(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The seam between read and write appends, as an editor saving the file would."""
    query = tmp_path / "q.zql"
    query.write_text(UGLY + ";\n")

    def append(path: Path) -> None:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write('name ~ "added meanwhile"\n')

    monkeypatch.setattr(_fs, "after_read", append)
    code, _, err = zql(capsys, "fmt", str(query))
    assert code == 2
    assert err == f"zql fmt: {query}: changed since it was read; not rewritten (run again)\n"
    assert query.read_text() == UGLY + ';\nname ~ "added meanwhile"\n'
    assert [p.name for p in tmp_path.iterdir()] == ["q.zql"]  # no temporary file left behind


def test_9_a_same_size_rewrite_in_the_same_tick_is_caught_by_the_hash(tmp_path: Path) -> None:
    query = tmp_path / "q.zql"
    query.write_text(UGLY)
    read = _fs.read_text(query)
    before = query.stat()
    query.write_text(UGLY.replace("High", "Hugh"))
    os.utime(query, ns=(before.st_atime_ns, before.st_mtime_ns))  # size and mtime as read
    with pytest.raises(_fs.FileRefused, match="changed since it was read"):
        _fs.rewrite(read, PRETTY)


# ---- #10 CRLF


def test_10_crlf_files_keep_crlf_and_offsets_refer_to_the_file_as_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = b'# zql: entity=execution\r\nstatus = "Fail";\r\nstatus = Fail\r\n'
    query = tmp_path / "q.zql"
    query.write_bytes(raw)
    _, out, _ = zql(capsys, "lint", "--format", "json", str(query))
    [diag] = json.loads(out)["files"][0]["diagnostics"]
    assert raw[diag["offset"]:diag["end_offset"]] == b"Fail" and diag["line"] == 3
    [edit] = diag["fixes"][0]["edits"]
    applied = (raw[:edit["offset"]] + edit["new_text"].encode() + raw[edit["end_offset"]:])
    assert zql(capsys, "lint", "--fix", str(query))[0] == 0
    assert query.read_bytes() == applied
    assert applied.count(b"\r\n") == 3 and b"\n" not in applied.replace(b"\r\n", b"")
    query.write_bytes(b'priority="High"\r\n  and name~"x"\r\n')
    assert zql(capsys, "fmt", str(query))[0] == 0
    assert query.read_bytes() == b'priority = "High" and name ~ "x"\r\n'


# ---- #11 BOM and invalid UTF-8


def test_11_a_bom_is_accepted_kept_and_does_not_hide_the_header(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "q.zql"
    query.write_bytes(b'\xef\xbb\xbf# zql: entity=execution\nstatus="Fail"\n')
    code, out, err = zql(capsys, "lint", str(query))
    assert (code, out, err) == (0, "", "")  # status is a field of executions: header read
    assert zql(capsys, "fmt", str(query))[0] == 0
    assert query.read_bytes() == b'\xef\xbb\xbf# zql: entity=execution\nstatus = "Fail"\n'


def test_11_invalid_utf8_on_stdin_is_refused_like_in_a_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    bad = b'name = "\xff"\n'
    query = tmp_path / "q.zql"
    query.write_bytes(bad)
    code, out, err = zql(capsys, "fmt", str(query))
    assert code == 2 and err == f"zql fmt: {query}: not UTF-8 text (invalid byte 0xff at byte 8)\n"
    for command in ("fmt", "lint"):
        stdin_bytes(monkeypatch, bad)
        code, out, err = zql(capsys, command, "-")
        assert (code, out) == (2, "")
        assert err == f"zql {command}: <stdin>: not UTF-8 text (invalid byte 0xff at byte 8)\n"
    stdin_bytes(monkeypatch, b'\xef\xbb\xbfname="\xc3\xa9"\n')  # a BOM on stdin is fine too
    assert zql(capsys, "fmt", "-")[:2] == (0, 'name = "é"\n')


# ---- #13 size cap


def test_13_lint_dev_zero_stops_at_the_size_cap(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = zql(capsys, "lint", "/dev/zero")
    assert (code, out) == (2, "")
    assert err == "zql lint: /dev/zero: larger than the 16 MiB input limit; not read\n"


def test_13_huge_stdin_stops_at_the_size_cap(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fs, "MAX_INPUT_BYTES", 1000)
    stdin_bytes(monkeypatch, b"a = 1 or " * 200)
    code, _, err = zql(capsys, "fmt", "-")
    assert code == 2
    assert err == "zql fmt: <stdin>: larger than the 1,000 bytes input limit; not read\n"
