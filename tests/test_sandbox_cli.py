"""``zql sandbox`` as a real process: prints where and how to connect, serves, and stops
cleanly on SIGTERM and Ctrl-C (SIGINT); bad options are one-line errors with exit 2."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest

from tests.process_support import PATIENCE, running
from zql.cli import main
from zql.sandbox.control import RemoteGate

_ZQL = [sys.executable, "-c", "import sys; from zql.cli import main; sys.exit(main())"]


@contextmanager
def _serving(*args: str) -> Iterator[tuple[subprocess.Popen[str], dict[str, str]]]:
    """``zql sandbox`` running until the block ends (then killed and reaped, pipes closed);
    what it printed about where and how to connect (``lines``: every line, as printed)."""
    with running([*_ZQL, "sandbox", "--port", "0", *args], stdout=subprocess.PIPE,
                 stderr=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        shown: dict[str, str] = {}
        lines: list[str] = []
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            match = re.match(r"\s*(API base|token|user|password):\s+(\S+)", line)
            if match:
                shown[match.group(1)] = match.group(2)
            if line.startswith("Press Ctrl-C"):
                break
        shown["lines"] = "\n".join(lines)
        yield proc, shown


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serves_then_stops_cleanly(stop: signal.Signals) -> None:
    with _serving("--token", "cli-token", "--user", "ann:pw1", "--page-cap", "9") as (proc,
                                                                                     shown):
        assert shown["token"] == "cli-token" and shown["user"] == "ann"
        assert shown["password"] == "pw1"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/flex/services/rest/latest",
                            shown["API base"])
        response = httpx.get(shown["API base"] + "/advancesearch",
                             params={"entitytype": "testcase", "maxresults": 50},
                             headers={"Authorization": "Bearer cli-token"})
        assert len(response.json()[0]["results"]) == 9
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 0
    assert err.strip().endswith("zql sandbox: stopped")
    assert "Traceback" not in err


def test_credentials_are_not_logged_to_stderr() -> None:
    """Printed where asked for (stdout, and a paste line kept out of shell history), never
    logged to stderr."""
    with _serving() as (proc, shown):
        lines = shown["lines"].splitlines()
        paste = lines[-2]
        assert re.fullmatch(r" export ZEPHYR_URL=http://127\.0\.0\.1:\d+ ZEPHYR_TOKEN=\S+",
                            paste)
        assert "history" in lines[-3]
        assert paste.endswith("ZEPHYR_TOKEN=" + shown["token"])
        httpx.get(shown["API base"] + "/user", auth=("admin", "wrong"))
        httpx.get(shown["API base"] + "/user", auth=("admin", shown["password"]))
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=PATIENCE)
    assert shown["password"] not in err and shown["token"] not in err


def test_a_gate_holds_a_response_of_a_sandbox_process_until_released() -> None:
    """The control endpoint: a test holds the 2nd search of a sandbox run as a process."""
    with _serving("--token", "gate-token") as (proc, shown):
        api, auth = shown["API base"], {"Authorization": "Bearer gate-token"}
        search = {"entitytype": "testcase", "maxresults": 1}
        with RemoteGate(api, "gate-token", "/advancesearch", after=1) as gate, \
                httpx.Client(headers=auth, timeout=30) as http, \
                ThreadPoolExecutor(1) as pool:
            assert http.get(api + "/advancesearch", params=search).status_code == 200
            held = pool.submit(http.get, api + "/advancesearch", params=search)
            gate.wait_held(timeout=PATIENCE)
            assert not held.done()  # held by the gate, not answered
            gate.release()
            assert held.result(timeout=30).status_code == 200
        with httpx.Client(headers=auth, timeout=30) as http:
            assert http.get(api + "/_sandbox/gates/99").status_code == 404
            assert http.post(api + "/_sandbox/gates", json={"after": 1}).status_code == 400
            assert httpx.post(api + "/_sandbox/gates", json={"path": "/x"}).status_code == 401
        with pytest.raises(AssertionError, match="0 of 1 held"), \
                RemoteGate(api, "gate-token", "/user") as idle:
            idle.wait_held(timeout=0)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 0


_BAD_OPTIONS = [
    (["--fail-rate", "2"], "fail_rate must be between 0 and 1"),
    (["--user", "nocolon"], "user must be NAME:PASSWORD"),
    (["--page-cap", "0"], "page_cap must be >= 1"),
    (["--host", "256.1.1.1"], "cannot listen on 256.1.1.1"),
]


@pytest.mark.parametrize(("args", "message"), _BAD_OPTIONS)
def test_bad_options_exit_2_with_one_line(args: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    # zql.cli.main in-process (the command's own code); the real process once, below
    assert main(["sandbox", "--port", "0", *args]) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zql sandbox: ") and message in lines[0]
    assert not out


def test_a_bad_option_exits_2_with_one_line_from_the_real_command() -> None:
    # every interface without --public (issue 11 #16; each spelling is checked in-process in
    # test_sandbox_limits.py): refused before anything is printed on stdout, credentials least
    done = subprocess.run([*_ZQL, "sandbox", "--port", "0", "--host", "0.0.0.0"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zql sandbox: ")
    assert "not a loopback address" in lines[0] and "--public" in lines[0]
    assert not done.stdout


def test_help_lists_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["sandbox", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--size", "--seed", "--db", "--token", "--user",
                   "--page-cap", "--cookie-ttl", "--latency-ms", "--fail-rate", "--quirks"):
        assert option in out
