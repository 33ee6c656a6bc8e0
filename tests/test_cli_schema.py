"""`zql schema pull` against the sandbox over real HTTP, and `zql schema show`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from zql.cli import main
from zql.sandbox import Sandbox
from zql.schema import load_schema

# Distinctive credentials, so a leak into any output is easy to spot.
TOKEN = "tok-schemaPULL-secret-4411"
USER = "bea"
PASSWORD = "pw-schemaPULL-secret-9902"
SECRETS = (TOKEN, PASSWORD)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """One sandbox for this module, with the credentials above."""
    with Sandbox(size="small", seed=1, token=TOKEN, user=(USER, PASSWORD)) as running:
        yield running


def reset(sb: Sandbox) -> None:
    """No fault left queued by a test, no session left open."""
    while sb.control.take_fault() is not None:
        pass
    sb.control.expire_sessions()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    for secret in SECRETS:
        assert secret not in out + err
    return code, out, err


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("ZEPHYR_URL", "ZEPHYR_TOKEN", "ZEPHYR_USERNAME", "ZEPHYR_PASSWORD",
                 "ZEPHYR_AUTH"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("auth", ["token", "cookie"])
def test_pull_saves_the_live_schema(sandbox: Sandbox, tmp_path: Path, clean_env: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str], auth: str) -> None:
    reset(sandbox)
    if auth == "token":
        clean_env.setenv("ZEPHYR_TOKEN", TOKEN)
        flags = []
    else:
        clean_env.setenv("ZEPHYR_PASSWORD", PASSWORD)
        flags = ["--username", USER]
    target = tmp_path / "schemas" / "live.json"
    target.parent.mkdir()
    code, out, err = run(["schema", "pull", "--url", str(sandbox.url), *flags,
                          "-o", str(target)], capsys)
    assert code == 0, err
    assert out == "" and err.startswith("saved ") and "custom" in err
    schema = load_schema(target)
    assert schema.field("testcase", "customtext") is not None
    assert schema.field("testcase", "customtext").custom == "text"  # type: ignore[union-attr]
    assert schema.name == str(sandbox.url).split("//", 1)[1].split("/", 1)[0]
    assert [p.name for p in target.parent.iterdir()] == ["live.json"]  # no temp file left


def test_pulled_schema_lints_custom_fields_offline(sandbox: Sandbox, tmp_path: Path,
                                                   clean_env: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    reset(sandbox)
    clean_env.setenv("ZEPHYR_TOKEN", TOKEN)
    clean_env.setenv("ZEPHYR_URL", str(sandbox.url))
    target = tmp_path / "live.json"
    assert run(["schema", "pull", "-o", str(target), "--name", "prod"], capsys)[0] == 0
    query = 'customtext ~ "x"'
    assert run(["lint", "-q", query, "--format", "gcc", "--schema", str(target)], capsys)[:2] \
        == (0, "")
    code, out, _ = run(["lint", "-q", query, "--format", "gcc"], capsys)
    assert code == 1 and "ZQL201" in out
    # ... and through a zql.toml next to the queries, as editors and CI use it
    (tmp_path / "zql.toml").write_text('schema = "live.json"\n', encoding="utf-8")
    (tmp_path / "q.zql").write_text(query + "\n", encoding="utf-8")
    assert run(["lint", str(tmp_path / "q.zql")], capsys)[0] == 0
    assert load_schema(target).name == "prod"


def test_pull_to_stdout(sandbox: Sandbox, clean_env: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    reset(sandbox)
    clean_env.setenv("ZEPHYR_TOKEN", TOKEN)
    code, out, _ = run(["schema", "pull", "--url", str(sandbox.url), "-o", "-"], capsys)
    assert code == 0 and json.loads(out)["format"] == "zql-schema/2"


def test_no_metadata_saves_nothing(sandbox: Sandbox, tmp_path: Path,
                                   clean_env: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    reset(sandbox)
    clean_env.setenv("ZEPHYR_TOKEN", TOKEN)
    sandbox.control.fail_next(1, 404)
    target = tmp_path / "live.json"
    code, _, err = run(["schema", "pull", "--url", str(sandbox.url), "-o", str(target)], capsys)
    reset(sandbox)
    assert code == 1
    assert err.strip() == "zql schema pull: the server offers no usable ZQL metadata; nothing saved"
    assert not target.exists()


@pytest.mark.parametrize(("env", "flags", "code", "message"), [
    ({"ZEPHYR_TOKEN": "wrong-token"}, [], 1, ""),
    ({}, [], 2, "no credentials"),
    ({"ZEPHYR_TOKEN": TOKEN}, ["--url", ""], 2, "no server"),
])
def test_pull_failures_are_one_line(sandbox: Sandbox, tmp_path: Path,
                                    clean_env: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str], env: dict[str, str],
                                    flags: list[str], code: int, message: str) -> None:
    reset(sandbox)
    for name, value in env.items():
        clean_env.setenv(name, value)
    argv = ["schema", "pull", "--url", str(sandbox.url), "-o", str(tmp_path / "s.json"), *flags]
    got, _, err = run(argv, capsys)
    assert got == code
    assert err.startswith("zql schema pull: ") and err.count("\n") == 1 and message in err
    assert "Traceback" not in err and "wrong-token" not in err
    assert not (tmp_path / "s.json").exists()


def test_unwritable_output_is_a_usage_error(sandbox: Sandbox, tmp_path: Path,
                                            clean_env: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    reset(sandbox)
    clean_env.setenv("ZEPHYR_TOKEN", TOKEN)
    code, _, err = run(["schema", "pull", "--url", str(sandbox.url),
                        "-o", str(tmp_path / "missing" / "s.json")], capsys)
    assert code == 2 and err.startswith("zql schema pull: cannot write ")


@pytest.mark.parametrize(("argv", "code", "needle"), [
    (["schema", "show"], 0, "testcase     testcaseId     long     = != in"),
    (["schema", "show", "--schema", "ze6", "--entity", "execution"], 0, "api-only"),
    (["schema", "show", "--entity", "bug"], 2, "unknown entity 'bug'"),
    (["schema", "show", "--schema", "ze9"], 2, "unknown schema profile 'ze9'"),
    (["schema"], 2, "pull"),
])
def test_show(capsys: pytest.CaptureFixture[str], argv: list[str], code: int,
              needle: str) -> None:
    got, out, err = run(argv, capsys)
    assert got == code and needle in out + err


def test_show_json_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["schema", "show", "--schema", "ze6", "--format", "json",
                        "--entity", "testcase"], capsys)
    data = json.loads(out)
    assert code == 0 and list(data["entities"]) == ["testcase"]
    assert data["entities"]["testcase"] == load_schema("ze6").to_json()["entities"]["testcase"]
