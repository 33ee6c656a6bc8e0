"""Issue 11 #22: every numeric flag of the connecting commands is validated (exit 2, one
message), through the real CLI entry point ``zql.cli.main``."""

from __future__ import annotations

import pytest

from zql.cli import main

COMMANDS = [["search", "x = 1"], ["schema", "pull", "-o", "-"], ["shell"], ["doctor"]]
BAD = [("--timeout", "-1"), ("--timeout", "nan"), ("--timeout", "inf"), ("--timeout", "0"),
       ("--timeout", "soon"), ("--retries", "-1"), ("--retries", "2.5")]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(("flag", "value"), BAD)
def test_zql_search_timeout_minus_one_nan_inf_zero(command: list[str], flag: str, value: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([*command, flag, value])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {flag}" in err and value in err and "Traceback" not in err


@pytest.mark.parametrize(("flag", "value"), [("--page-size", "0"), ("--page-size", "x"),
                                             ("--limit", "-3"), ("--limit", "1e3")])
def test_search_page_size_and_limit(flag: str, value: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["search", "x = 1", flag, value])
    assert done.value.code == 2
    assert f"argument {flag}" in capsys.readouterr().err
