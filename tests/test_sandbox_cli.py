"""``zql sandbox`` as a real process: prints where and how to connect, serves, and stops
cleanly on SIGTERM and Ctrl-C (SIGINT); bad options are one-line errors with exit 2."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
import pytest

_ZQL = [sys.executable, "-c", "import sys; from zql.cli import main; sys.exit(main())"]


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen([*_ZQL, "sandbox", "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    shown: dict[str, str] = {}
    for line in proc.stdout:
        match = re.match(r"\s*(API base|token|user|password):\s+(\S+)", line)
        if match:
            shown[match.group(1)] = match.group(2)
        if line.startswith("Press Ctrl-C"):
            break
    return proc, shown


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serves_then_stops_cleanly(stop: signal.Signals) -> None:
    proc, shown = _start("--token", "cli-token", "--user", "ann:pw1", "--page-cap", "9")
    try:
        assert shown["token"] == "cli-token" and shown["user"] == "ann"
        assert shown["password"] == "pw1"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/flex/services/rest/latest",
                            shown["API base"])
        response = httpx.get(shown["API base"] + "/advancesearch",
                             params={"entitytype": "testcase", "maxresults": 50},
                             headers={"Authorization": "Bearer cli-token"})
        assert len(response.json()[0]["results"]) == 9
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert err.strip().endswith("zql sandbox: stopped")
    assert "Traceback" not in err


def test_credentials_are_not_logged_to_stderr() -> None:
    proc, shown = _start()
    try:
        httpx.get(shown["API base"] + "/user", auth=("admin", "wrong"))
        httpx.get(shown["API base"] + "/user", auth=("admin", shown["password"]))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert shown["password"] not in err and shown["token"] not in err


@pytest.mark.parametrize(("args", "message"), [
    (["--fail-rate", "2"], "fail_rate must be between 0 and 1"),
    (["--user", "nocolon"], "user must be NAME:PASSWORD"),
    (["--page-cap", "0"], "page_cap must be >= 1"),
    (["--host", "256.1.1.1"], "cannot listen on 256.1.1.1"),
])
def test_bad_options_exit_2_with_one_line(args: list[str], message: str) -> None:
    done = subprocess.run([*_ZQL, "sandbox", "--port", "0", *args], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zql sandbox: ") and message in lines[0]
    assert not done.stdout


def test_help_lists_every_option() -> None:
    done = subprocess.run([*_ZQL, "sandbox", "--help"], capture_output=True, text=True,
                          timeout=30)
    for option in ("--host", "--port", "--size", "--seed", "--db", "--token", "--user",
                   "--page-cap", "--cookie-ttl", "--latency-ms", "--fail-rate", "--quirks"):
        assert option in done.stdout
