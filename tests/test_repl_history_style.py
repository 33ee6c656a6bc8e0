"""Issue 11 #21 and #23 through the real shell (``zql_repl.main.build``, prompt_toolkit pipe
input): a history file that cannot be used gives one warning and an in-memory history; a
style that does not exist is a config mistake like any other."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from zql_repl.main import ShellError, build

from tests.repl_support import CTRL_C, CTRL_D, Driver
from zql.cli import build_parser


def _args(config: Path) -> object:
    return build_parser().parse_args(["shell", "--config", str(config)])


@pytest.mark.parametrize("kind", ["directory", "under a file"])
def test_an_unusable_history_file_warns_once_and_the_shell_works(tmp_path: Path,
                                                                 kind: str) -> None:
    if kind == "directory":
        history = tmp_path / "hist"
        history.mkdir()
    else:
        (tmp_path / "plain").write_text("x")
        history = tmp_path / "plain" / "history"  # its folder is a regular file
    config = tmp_path / "config.toml"
    config.write_text(f'[defaults]\nhistory_file = "{history}"\n')
    out = io.StringIO()
    with create_pipe_input() as pipe:
        shell = build(_args(config), input=pipe, output=DummyOutput(), out=out, environ={},
                      data=tmp_path)
        errors: list[BaseException] = []

        def main() -> None:
            try:
                shell.run()
            except BaseException as err:
                errors.append(err)

        thread = threading.Thread(target=main, daemon=True)
        thread.start()
        driver = Driver(shell, pipe.send_text, out)
        try:
            driver.wait_for(r"\\\? for help")
            driver.run("\\entity execution", "entity: execution")
            driver.run('status = "Fail"', "not connected to a server")
            driver.run("\\entity", "entity: execution")
        finally:
            pipe.send_text(CTRL_C + CTRL_D)
            thread.join(15)
            shell.close()
    assert not thread.is_alive() and not errors
    printed = out.getvalue()
    assert printed.count("cannot use the history file") == 1
    assert "history is kept in memory this session" in printed
    assert "Unhandled exception" not in printed and "Traceback" not in printed
    assert list(shell.history.get_strings())[-2:] == ['status = "Fail"', "\\entity"]


def test_an_unknown_style_is_reported_like_other_config_mistakes(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[defaults]\nstyle = "nonexistent-style"\n')
    with pytest.raises(ShellError, match=r"config\.toml: \[defaults\]: style "
                                         r"'nonexistent-style' is not a pygments style"):
        build(_args(config), environ={}, data=tmp_path)
    config.write_text('[defaults]\nstyle = "monokia"\n')
    with pytest.raises(ShellError, match=r"did you mean 'monokai'\?"):
        build(_args(config), environ={}, data=tmp_path)
    config.write_text('[defaults]\nstyle = "monokai"\n')
    build(_args(config), environ={}, data=tmp_path).close()
