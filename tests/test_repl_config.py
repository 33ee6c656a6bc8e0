"""Config, credentials, history, named queries and startup of the shell, without a terminal."""

from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path

import pytest
from zql_repl.app import SafeHistory
from zql_repl.config import (
    ConfigError,
    Profile,
    default_config_text,
    load_config,
    parse_config,
    resolve_credentials,
)
from zql_repl.main import build
from zql_repl.named import NamedQueries, NamedQueryError

from zql.cli import main as cli_main

SECRET = "tok-SHELL-Zq9x-SECRET-5521"


def test_default_config_is_fully_commented_and_parses_to_the_defaults() -> None:
    text = default_config_text()
    data = tomllib.loads(text)
    assert set(data) == {"defaults"}
    from zql_repl.config import Defaults

    assert parse_config(text).defaults == Defaults()
    # Every setting has a comment right above it.
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith(("#", "[")):
            assert lines[i - 1].startswith("#"), f"setting without a comment: {line}"


@pytest.mark.parametrize(("text", "fragment"), [
    ("[defaults]\nformat = 'xml'", "format must be one of"),
    ("[defaults]\nlimit = 'many'", "limit must be int"),
    ("[defaults]\nlimit = true", "limit must be int"),
    ("[defaults]\nlimt = 5", "unknown setting 'limt'"),
    ("[defaults]\nkey_bindings = 'nano'", "key_bindings must be one of emacs, vi"),
    ("[profiles.w]\npassword = 'x'", "a password does not belong in the config file"),
    ("[profiles.w]\nauth = 'kerberos'", "auth must be one of bearer, basic, cookie"),
    ("[colors]\nx = 1", "unknown table(s): colors"),
    ("[defaults\n", "not valid TOML"),
])
def test_config_errors_are_one_line(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, Path("c.toml"))
    message = str(caught.value)
    assert fragment in message and "\n" not in message and message.startswith("c.toml: ")


def test_first_run_writes_the_default_config(tmp_path: Path) -> None:
    target = tmp_path / "cfg" / "zql" / "config.toml"
    config = load_config(target)
    assert target.read_text() == default_config_text() and config.path == target
    target.write_text('[defaults]\nentity = "execution"\n')
    assert load_config(target).defaults.entity == "execution"  # never overwritten


ENV = {"ZEPHYR_URL": "http://env", "ZEPHYR_TOKEN": "env-token", "MY_TOKEN": SECRET,
       "ZEPHYR_USERNAME": "envuser", "ZEPHYR_PASSWORD": "env-pass", "PW": "profile-pass"}


@pytest.mark.parametrize(("profile", "options", "expected"), [
    (None, {}, ("http://env", "bearer", "env-token", None, None)),
    (Profile("w", url="http://w", token_env="MY_TOKEN"), {},
     ("http://w", "bearer", SECRET, None, None)),
    (Profile("w", url="http://w", username="ann", password_env="PW"), {},
     ("http://w", "cookie", None, "ann", "profile-pass")),
    (Profile("w", url="http://w", token_env="MY_TOKEN"), {"url": "http://cli"},
     ("http://cli", "bearer", SECRET, None, None)),
    (None, {"username": "bob"}, ("http://env", "cookie", None, "bob", "env-pass")),
    (None, {"token": "cli-token"}, ("http://env", "bearer", "cli-token", None, None)),
    (Profile("w", url="http://w", auth="basic", username="ann", password_env="PW"), {},
     ("http://w", "basic", None, "ann", "profile-pass")),
])
def test_credentials_precedence(profile: Profile | None, options: dict[str, str],
                                expected: tuple[object, ...]) -> None:
    creds = resolve_credentials(profile, environ=ENV, **options)  # type: ignore[arg-type]
    assert creds is not None
    assert (creds.url, creds.method, creds.token, creds.username, creds.password) == expected
    assert SECRET not in repr(creds) and "profile-pass" not in repr(creds)


def test_missing_secrets_are_named_not_shown() -> None:
    with pytest.raises(ConfigError, match="MISSING_VAR"):
        resolve_credentials(Profile("w", url="http://w", token_env="MISSING_VAR"), environ={})
    assert resolve_credentials(None, environ={}) is None


def test_keyring_profile_without_keyring_package_says_how_to_install() -> None:
    try:
        import keyring  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match=r"zephyr-zql\[keyring\]"):
            resolve_credentials(Profile("w", url="http://w", keyring=True), environ={})
    else:
        with pytest.raises(ConfigError, match="keyring"):
            resolve_credentials(Profile("zql-test-none", url="http://w", keyring=True),
                                environ={})


def test_history_never_stores_a_secret(tmp_path: Path) -> None:
    history = SafeHistory(str(tmp_path / "h"), secrets=(SECRET, ""))
    for line in ('name ~ "x"', f'name ~ "{SECRET}"', f"\\ns k name ~ \"{SECRET}\""):
        history.store_string(line)
    assert SECRET not in (tmp_path / "h").read_text()
    assert list(history.load_history_strings()) == ['name ~ "x"']


@pytest.mark.parametrize(("name", "ok"), [("a", True), ("fails-2.0_x", True), ("a b", False),
                                          ("", False), ("x" * 65, False)])
def test_named_query_names(tmp_path: Path, name: str, ok: bool) -> None:
    store = NamedQueries(tmp_path / "n.json")
    if ok:
        store.save(name, "a = 1", "testcase")
        assert store.get(name).query == "a = 1"
    else:
        with pytest.raises(NamedQueryError):
            store.save(name, "a = 1", "testcase")


def test_named_queries_survive_and_report_a_broken_file(tmp_path: Path) -> None:
    path = tmp_path / "n.json"
    NamedQueries(path).save("x", 'status = "Fail"', "execution")
    assert NamedQueries(path).all()[0].entity == "execution"
    path.write_text("{not json")
    with pytest.raises(NamedQueryError, match="cannot read named queries"):
        NamedQueries(path).names()


def _args(**kw: object) -> argparse.Namespace:
    base: dict[str, object] = dict(
        profile=None, token=None, entity=None, release=None, project=None, schema=None,
        config=None, vi=False, url=None, username=None, auth=None, token_env="ZEPHYR_TOKEN",
        password_env="ZEPHYR_PASSWORD", timeout=5.0, insecure=False, sandbox=False)
    base.update(kw)
    return argparse.Namespace(**base)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("ZEPHYR_URL", "ZEPHYR_TOKEN", "ZEPHYR_USERNAME", "ZEPHYR_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_build_uses_profile_then_options_and_keeps_secrets_out_of_files(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORK_TOKEN", SECRET)
    config = home / "config" / "zql" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[defaults]\nprofile = "work"\nformat = "csv"\n'
                      '[profiles.work]\nurl = "http://127.0.0.1:9"\ntoken_env = "WORK_TOKEN"\n'
                      'entity = "execution"\nrelease = "Atlas 4.0"\n')
    shell = build(_args(release="Nimbus 3.0"))
    try:
        assert (shell.state.entity, shell.state.release, shell.state.format) == (
            "execution", "Nimbus 3.0", "csv")
        assert shell.connection.server == "http://127.0.0.1:9"
        assert isinstance(shell.history, SafeHistory) and shell.history.secrets == (SECRET,)
    finally:
        shell.close()
    for path in home.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path


@pytest.mark.parametrize(("argv", "message"), [
    (["shell", "--profile", "nope"], "unknown profile 'nope'"),
    (["shell", "--entity", "bug"], "unknown entity 'bug'"),
    (["shell", "--schema", "ze9"], "unknown schema profile 'ze9'"),
    (["shell", "--url", "http://x", "--token-env", "NOT_SET_ANYWHERE"], "NOT_SET_ANYWHERE"),
])
def test_zql_shell_usage_errors_exit_2_with_one_line(
        home: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert cli_main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("zql shell: ")


def test_offline_build_needs_no_server(home: Path) -> None:
    shell = build(_args())
    try:
        assert shell.connection.opener is None
        assert (home / "config" / "zql" / "config.toml").is_file()
        assert os.path.isdir(home / "data" / "zql")
    finally:
        shell.close()
