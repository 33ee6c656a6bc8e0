"""``zql`` starts light: a command imports its own module and what it runs, nothing else.

``zql --version``, ``zql lint``, ``zql fmt`` and ``zql lint --explain`` are offline: they must
not load the HTTP client (httpx), the update and report engines, the sandbox, the shell or the
language server. The subprocess test runs the real console script and reads ``sys.modules``
once the command is done; the others check that the shortcuts
taken for that (stand-in subcommands, light copies of a few names) say the same as the modules
they stand in for. docs/design.md, "Start-up".
"""

from __future__ import annotations

import argparse
import os
import pkgutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import zql.cli
from zql.cli import SUBCOMMANDS, SUMMARIES, _command_in, build_parser

ZQL = str(Path(sys.executable).with_name("zql"))

#: Packages no offline command needs (each is a module name or a package prefix).
HEAVY = ("httpx", "zql.client", "zql.update", "zql.report", "zql.sandbox", "zql.lsp",
         "zql_repl", "prompt_toolkit", "pygls", "lsprotocol", "starlette", "anyio", "rich")


def _imported_by(argv: list[str], cwd: Path,
                 **extra_env: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Run the real ``zql`` console script with ``argv``: its result and every module loaded.

    The script runs as Python runs it (``runpy``, as ``__main__``); at exit, after the command
    has run, the names of the modules in ``sys.modules`` are written to a file (a None entry,
    an import blocked on purpose, is no module).
    """
    log = cwd / "modules.txt"
    probe = ("import atexit, runpy, sys\n"
             "def dump():\n"
             f"    with open({str(log)!r}, 'w', encoding='utf-8') as out:\n"
             "        out.write('\\n'.join(sorted(k for k, v in sys.modules.items() if v)))\n"
             "atexit.register(dump)\n"
             f"sys.argv = [{ZQL!r}, *{argv!r}]\n"
             f"runpy.run_path({ZQL!r}, run_name='__main__')\n")
    env = {**{k: v for k, v in os.environ.items() if k != "_ARGCOMPLETE"}, **extra_env}
    done = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    return done, set(log.read_text(encoding="utf-8").split())


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("argv", [
    ["--version"],
    ["lint", "q.zql"],
    ["fmt", "--check", "q.zql"],
    ["lint", "--explain", "ZQL107"],
], ids=["version", "lint", "fmt", "explain"])
def test_offline_commands_load_no_client_engine_server_or_ui_library(
        tmp_path: Path, argv: list[str]) -> None:
    (tmp_path / "q.zql").write_text('priority = "High";\nname ~ "login"\n', encoding="utf-8")
    done, modules = _imported_by(argv, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "zql.cli" in modules, "the import log is empty: the check would prove nothing"
    assert _heavy(modules) == []
    # Only the module of the command that runs is imported, not the other subcommands'.
    commands = {m for m in modules if m.startswith("zql.cli.") and not m[8:].startswith("_")}
    assert commands == ({f"zql.cli.{argv[0]}"} if argv[0] in SUMMARIES else set())


def test_a_server_command_loads_httpx_but_not_its_command_line(tmp_path: Path) -> None:
    """httpx imports click, rich and pygments for its own CLI when they are installed (as
    here, for the dev tools); ``zql`` blocks that import (docs/design.md, "Start-up")."""
    with socket.socket() as closed:  # bound, not listening: a connection is refused at once
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        done, modules = _imported_by(["doctor", "--url", url, "--retries", "0"], tmp_path,
                                     ZEPHYR_TOKEN="t")
    assert done.returncode == 1 and "not reachable" in done.stdout, done.stdout + done.stderr
    assert {"httpx", "zql.client", "zql.cli.doctor"} <= modules
    assert sorted(m for m in modules if m.split(".")[0] in ("click", "rich", "pygments")) == []
    assert _heavy(modules - {m for m in modules if m.split(".")[0] in ("httpx", "anyio")}
                  - {m for m in modules if m.startswith("zql.client")}) == []


def test_every_command_module_is_listed_with_the_help_it_registers() -> None:
    modules = {m.name for m in pkgutil.iter_modules(zql.cli.__path__)
               if not m.name.startswith("_")}
    assert set(SUBCOMMANDS) == modules
    for name in SUBCOMMANDS:
        commands = argparse.ArgumentParser(prog="zql").add_subparsers(metavar="COMMAND")
        __import__(f"zql.cli.{name}", fromlist=["register"]).register(commands)
        # What `zql --help` shows for the command when its module is imported.
        listed = {a.dest: a.help for a in commands._get_subactions()}
        assert listed.get(name) == SUMMARIES[name], name


def test_stand_ins_list_the_commands_as_the_full_parser_does() -> None:
    assert build_parser("").format_help() == build_parser().format_help()
    assert build_parser("lint").format_usage() == build_parser().format_usage()


def _parsed(parser: argparse.ArgumentParser, argv: list[str]) -> dict[str, Any]:
    values = vars(parser.parse_args(argv))
    run = values.pop("run")
    return {**values, "run": (run.__module__, run.__qualname__)}


@pytest.mark.parametrize("argv", [
    ["lint", "--format", "json", "-q", "a = 1"],
    ["fmt", "--check", "x.zql"],
    ["search", "q", "--entity", "execution", "--format", "csv", "--limit", "3"],
    ["report", "q", "--by", "status"],
    ["diff", "a", "b", "--fail-on", "regressed"],
    ["shell", "--sandbox"],
    ["sandbox", "--port", "0", "--server", "ze6"],
    ["schema", "show", "--schema", "ze6"],
    ["doctor", "--url", "https://z"],
    ["update", "q", "--status", "WIP", "--dry-run"],
    ["apply", "--resume", "j.jsonl", "--yes"],
    ["undo", "j.jsonl", "--max", "5"],
    ["lsp"],
    ["completion", "zsh"],
], ids=lambda argv: argv[0])
def test_the_command_that_runs_is_parsed_as_by_the_full_parser(argv: list[str]) -> None:
    assert set(SUBCOMMANDS) >= {argv[0]}
    assert _command_in(argv) == argv[0]
    assert _parsed(build_parser(argv[0]), argv) == _parsed(build_parser(), argv)


def test_the_command_is_the_first_word_that_is_no_option() -> None:
    assert _command_in([]) == ""
    assert _command_in(["--version"]) == _command_in(["-h"]) == ""
    assert _command_in(["--", "fmt", "x"]) == "fmt"
    assert _command_in(["--"]) == ""
    # No known command (a typo, "-" or a word argparse would reject): every parser, in full,
    # so the error says what it always said.
    assert _command_in(["lnt"]) is None
    assert _command_in(["-", "lint"]) is None


def test_light_copies_match_the_engines_they_stand_for() -> None:
    from zql.cli import diff, search
    from zql.report import CATEGORIES
    from zql.rows import FORMATS

    assert search.FORMATS == FORMATS
    assert diff.CATEGORIES == CATEGORIES


def test_the_update_package_resolves_every_name_it_exports_on_first_use() -> None:
    import importlib

    import zql.update

    assert set(zql.update._LAZY) == set(zql.update.__all__)
    for name, module in zql.update._LAZY.items():
        assert getattr(zql.update, name) is getattr(importlib.import_module(module), name)
    assert set(zql.update.__all__) <= set(dir(zql.update))
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        assert zql.update.nothing is None


def test_the_cli_modules_still_export_the_engines_of_old_import_paths() -> None:
    from zql import documents
    from zql.cli import fmt, lint

    assert lint.lint_text is documents.lint_text and lint.fix_text is documents.fix_text
    assert fmt.format_file is documents.format_file
    with pytest.raises(AttributeError):
        assert lint.nothing is None
