"""``zql doctor`` (issue 12 #5) through the real CLI entry point, against the sandbox's server
profiles over real HTTP, a server capping pages at 7 rows, wrong credentials,
an HTML page, and a sweep proving no secret (nor any part of one) reaches its output."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from tests.hostile_servers import Hostile
from zql.cli import main
from zql.sandbox import PROFILES, Sandbox

TOKEN = "tok-DOCTORsecret-8311"
USER, PASSWORD = "doc", "pw-DOCTORpass-2207"
CHECKS = ["base URL", "TLS", "authentication", "user", "search endpoints", "page cap",
          "ZQL metadata", "ZQL values", "statuses", "custom fields", "clock skew", "latency"]


def doctor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["doctor", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ZEPHYR_URL", "ZEPHYR_TOKEN", "ZEPHYR_USERNAME", "ZEPHYR_PASSWORD",
                 "ZEPHYR_AUTH"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("server", list(PROFILES))
def test_passes_on_every_sandbox_profile(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = doctor(capsys, "--sandbox", "--sandbox-server", server, "--format", "json")
    report = json.loads(out)
    assert code == 0, report["checks"]
    assert set(report) == {"server", "auth", "user", "page_cap", "statuses", "endpoints",
                           "checks"}
    assert [c["name"] for c in report["checks"]] == CHECKS
    assert all(c["ok"] and set(c) == {"name", "ok", "detail"} for c in report["checks"])
    profile = PROFILES[server]
    assert report["statuses"] == [{"id": s.id, "name": s.name, "active": s.active}
                                  for s in profile.statuses()]
    assert report["page_cap"] == profile.page_cap
    for variant in ("GET /advancesearch", "POST /advancesearch/zql"):
        assert report["endpoints"][variant] is profile.serves(variant)
    assert report["endpoints"]["GET /testcase?zqlquery="] is profile.serves(
        "GET /testcase?zqlquery")


def test_text_output_one_line_per_check(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = doctor(capsys, "--sandbox")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("zql doctor: http://127.0.0.1:")
    assert [line.split("  ")[0][2:] for line in lines[1:-1]] == CHECKS
    assert all(line.startswith("✓ ") for line in lines[1:-1])
    assert lines[-1] == f"all {len(CHECKS)} checks passed"


@pytest.fixture(scope="module")
def sandbox() -> Any:
    with Sandbox(seed=1, token=TOKEN, user=(USER, PASSWORD), server="cloud") as sb:
        yield sb


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_wrong_credentials_fail_the_auth_check(sandbox: Sandbox, fmt: str,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", "tok-WRONGtoken-0000")
    code, out, _ = doctor(capsys, "--url", sandbox.url or "", "--format", fmt)
    assert code == 1
    if fmt == "json":
        checks = {c["name"]: c for c in json.loads(out)["checks"]}
        auth = checks["authentication"]
        assert not auth["ok"] and "refused the bearer credentials" in auth["detail"]
        assert "hint: check the API token" in auth["detail"]
        assert checks["base URL"]["ok"]
        assert checks["statuses"]["detail"] == "not checked: authentication failed"
    else:
        line = next(x for x in out.splitlines() if x.startswith("✗ authentication"))
        assert "hint: check the API token" in line
    assert "WRONG" not in out


def _html(handler: http.server.BaseHTTPRequestHandler) -> None:
    body = b"<html><body>Zephyr login</body></html>"
    handler.send_response(200)
    handler.send_header("Content-Type", "text/html")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_a_web_page_fails_the_base_url_check(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", TOKEN)
    with Hostile(_html) as server:
        code, out, _ = doctor(capsys, "--url", server.url + "/flex/html5/#/login")
    assert code == 1
    first = out.splitlines()[1]
    assert first.startswith("✗ base URL") and "HTML page" in first and "hint:" in first


def _forms(secret: str) -> list[str]:
    import base64
    from urllib.parse import quote

    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    out = [secret, quote(secret, safe=""), pair, pair[:8]]
    # no prefix either: any 8 characters of the secret, from its start
    out += [secret[:n] for n in range(8, len(secret))]
    return out


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("creds", ["token", "wrong-token", "basic", "cookie", "wrong-password"])
def test_no_secret_in_doctor_output(sandbox: Sandbox, fmt: str, creds: str,
                                    monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    secret = {"token": TOKEN, "wrong-token": "tok-WRONGsecret-9999",
              "wrong-password": "pw-WRONGpass-1111"}.get(creds, PASSWORD)
    argv = ["--url", sandbox.url or "", "--format", fmt, "-v"]
    if "token" in creds:
        monkeypatch.setenv("ZEPHYR_TOKEN", secret)
    else:
        monkeypatch.setenv("ZEPHYR_PASSWORD", secret)
        argv += ["--username", USER, "--auth", "basic" if creds == "basic" else "cookie"]
    code, out, err = doctor(capsys, *argv)
    assert code == (1 if creds.startswith("wrong") else 0)
    for form in _forms(secret):
        assert form not in out and form not in err, form
    assert sandbox.token not in out  # not even the server's own


def test_doctor_without_a_server_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = doctor(capsys)
    assert code == 2 and "no server" in err


def test_doctor_console_script_json_is_valid_and_measures_the_page_cap(sandbox: Sandbox) -> None:
    """The real entry point against a server capping pages at 7 rows: valid JSON, exit 0, and
    the cap measured (``zql sandbox --page-cap`` itself: tests/test_sandbox_cli.py)."""
    env = {**os.environ, "ZEPHYR_TOKEN": TOKEN}
    cap_before, sandbox.control.page_cap = sandbox.control.page_cap, 7
    try:
        done = subprocess.run([sys.executable, "-m", "zql.cli", "doctor", "--url",
                               sandbox.url or "", "--format", "json"], capture_output=True,
                              text=True, env=env, timeout=120, check=False)
    finally:
        sandbox.control.page_cap = cap_before
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["user"] == USER and report["page_cap"] == 7
    cap = next(c for c in report["checks"] if c["name"] == "page cap")
    assert cap["ok"] and cap["detail"].startswith("7 rows a request")
