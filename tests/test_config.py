"""Config discovery and settings resolution shared by `zql lint` and `zql lsp`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from zql.config import (
    ConfigCache,
    ConfigError,
    Settings,
    find_config,
    header_settings,
    load_config,
    resolve,
    settings_from,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("files", "start", "expected"), [
    ({"zql.toml": ""}, "a.zql", "zql.toml"),
    ({"pyproject.toml": "[tool.zql]\n"}, "a.zql", "pyproject.toml"),
    ({"pyproject.toml": "[project]\nname='x'\n"}, "a.zql", None),
    ({"pyproject.toml": "[tool.zql]\n", "zql.toml": ""}, "a.zql", "zql.toml"),
    # the nearest wins, even a pyproject over a zql.toml further up
    ({"zql.toml": "", "sub/pyproject.toml": "[tool.zql]\n"}, "sub/a.zql", "sub/pyproject.toml"),
    # a pyproject without [tool.zql] is passed over on the way up
    ({"zql.toml": "", "sub/pyproject.toml": "[tool.ruff]\n"}, "sub/deeper/a.zql", "zql.toml"),
    # a pyproject another tool broke is not ours to complain about
    ({"zql.toml": "", "sub/pyproject.toml": "[tool.zql\n"}, "sub/a.zql", "zql.toml"),
    ({"zql.toml": ""}, ".", "zql.toml"),
])
def test_find_config(tmp_path: Path, files: dict[str, str], start: str,
                     expected: str | None) -> None:
    root = tmp_path / "repo"
    for name, text in files.items():
        write(root / name, text)
    found = find_config(root / start)
    assert (found.relative_to(root).as_posix() if found else None) == expected


@pytest.mark.parametrize(("data", "expected"), [
    ({}, Settings()),
    ({"entity": "testSchedule"}, Settings(entity="execution")),
    ({"entity": ""}, Settings()),
    ({"schema": "ZE6"}, Settings(schema="ze6")),
    ({"select": ["ZQL2", "mixed-and-or"]}, Settings(select=("ZQL2", "ZQL301"))),
    ({"ignore": "zql301, ZQL302"}, Settings(ignore=("ZQL301", "ZQL302"))),
    ({"select": []}, Settings(select=())),
])
def test_settings_from(data: dict[str, object], expected: Settings) -> None:
    assert settings_from(data) == expected


@pytest.mark.parametrize(("data", "message"), [
    ({"entitty": "x"}, "unknown setting 'entitty' (did you mean 'entity'?)"),
    ({"colour": "x"}, "unknown setting 'colour'; settings are entity, schema, select, ignore"),
    ({"entity": "bug"}, "unknown entity 'bug'"),
    ({"entity": 3}, "entity must be a string"),
    ({"schema": 3}, "schema must be a profile name or a file path"),
    ({"select": 3}, "select must be a list of rule codes"),
    ({"ignore": ["ZQL3O1"]}, "ignore: unknown rule 'ZQL3O1'; did you mean ZQL301?"),
    ({"ignore": [301]}, "ignore must be a list of rule codes"),
])
def test_bad_settings_say_where_and_why(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        settings_from(data, origin="zql.toml")
    assert str(err.value).startswith("zql.toml: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_schema_paths_are_relative_to_the_file_that_names_them(tmp_path: Path) -> None:
    config = write(tmp_path / "repo" / "zql.toml", 'schema = "schemas/live.json"\n')
    assert load_config(config).schema == str(tmp_path / "repo" / "schemas" / "live.json")
    header = header_settings("# zql: schema=../s.json\nx = 1", tmp_path / "repo" / "q" / "a.zql")
    assert header.schema == str(tmp_path / "repo" / "q" / ".." / "s.json")
    # a mistyped profile name stays a name, so the error says "unknown schema profile"
    assert settings_from({"schema": "ze9"}, base_dir=tmp_path).schema == "ze9"


def test_pyproject_table(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml",
                 '[project]\nname = "x"\n[tool.zql]\nentity = "requirement"\nselect = ["ZQL2"]\n')
    assert load_config(path) == Settings(entity="requirement", select=("ZQL2",))


@pytest.mark.parametrize(("name", "text", "message"), [
    ("zql.toml", "entity = [\n", "not valid TOML"),
    ("zql.toml", "entity = 'x'\n", "unknown entity 'x'"),
    ("pyproject.toml", "[tool]\nzql = 3\n", "expected a table of settings"),
])
def test_broken_config_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = write(tmp_path / name, text)
    with pytest.raises(ConfigError, match=message) as err:
        load_config(path)
    assert str(path) in str(err.value)


def test_precedence_header_explicit_config_fallback(tmp_path: Path) -> None:
    write(tmp_path / "zql.toml", 'entity = "execution"\nschema = "ze6"\nignore = ["ZQL3"]\n')
    path = tmp_path / "a.zql"
    fallback = Settings(entity="requirement", schema="ze7", select=("ZQL2",))
    # config over fallback, key by key
    assert resolve("x = 1", path, fallback=fallback) == Settings(
        entity="execution", schema="ze6", select=("ZQL2",), ignore=("ZQL3",))
    # explicit (command line) over config
    assert resolve("x = 1", path, explicit=Settings(schema="ze7"),
                   fallback=fallback).schema == "ze7"
    # header over everything
    header = "# zql: entity=testcase ignore=ZQL301\nx = 1"
    got = resolve(header, path, explicit=Settings(entity="requirement"), fallback=fallback)
    assert (got.entity, got.ignore) == ("testcase", ("ZQL301",))
    # without a path there is no config search
    assert resolve("x = 1", None, fallback=fallback) == fallback


def test_header_keeps_unknown_keys_out(tmp_path: Path) -> None:
    assert header_settings("# zql: author=me entity=execution\nx") == Settings(
        entity="execution")
    with pytest.raises(ConfigError, match=r"a\.zql: header: unknown entity 'nope'"):
        header_settings("# zql: entity=nope\nx", tmp_path / "a.zql")


def test_cache_rereads_only_changed_files(tmp_path: Path) -> None:
    config = write(tmp_path / "zql.toml", 'entity = "execution"\n')
    cache = ConfigCache()
    assert cache.settings(tmp_path / "a.zql").entity == "execution"
    assert cache.settings(tmp_path / "b.zql") is cache.settings(tmp_path / "a.zql")
    config.write_text('entity = "requirement"\n', encoding="utf-8")
    os.utime(config, ns=(1, 1))
    assert cache.settings(tmp_path / "a.zql").entity == "requirement"
    config.write_text("entity = [\n", encoding="utf-8")
    os.utime(config, ns=(2, 2))
    with pytest.raises(ConfigError, match="not valid TOML"):
        cache.settings(tmp_path / "a.zql")
    config.unlink()
    assert cache.settings(tmp_path / "a.zql") == Settings()
