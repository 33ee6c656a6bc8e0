"""The HTML report in a real headless Chromium (Debian's ``chromium``, installed by the test
setup when missing and running as root, like Neovim for the editor test): the page loads with
the network off, asks for nothing, and the chart is drawn (its bar colours are on the
screenshot)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.debian_support import install_debian
from tests.process_support import running
from zql.cli import main
from zql.sandbox import Sandbox

pytestmark = pytest.mark.debian("chromium")

# Chromium's own background services (updates, accounts, time): not the page's requests.
_BROWSER_HOSTS = re.compile(r"^https?://[^/]*\.(google\.com|googleapis\.com|gvt1\.com)[/:]")
_PASS_GREEN = (0x2E, 0x7D, 0x32)
_FAIL_RED = (0xC6, 0x28, 0x28)


@pytest.fixture(scope="module")
def chromium() -> str:
    found = install_debian("chromium")
    if found is None:
        pytest.fail("Chromium is needed for this test and could not be installed: run "
                    "`apt-get install chromium` (as root) and re-run")
    return found


def _dead_port() -> int:
    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _open_offline(chromium: str, page: Path, work: Path) -> tuple[Path, list[str]]:
    """Screenshot ``page`` with every network request sent to a dead proxy and no DNS;
    the URLs the browser asked for (from its net log)."""
    shot, netlog = work / "shot.png", work / "net.json"
    argv = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
            f"--user-data-dir={work / 'profile'}", f"--proxy-server=127.0.0.1:{_dead_port()}",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync",
            f"--log-net-log={netlog}", f"--screenshot={shot}", "--window-size=1000,1400",
            page.as_uri()]
    with running(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                 env={**os.environ, "HOME": str(work)}) as proc:
        _, err = proc.communicate(timeout=120)
    assert shot.exists(), f"no screenshot (exit {proc.returncode}): {err[-2000:]}"
    urls = re.findall(r'"url":"([^"]+)"', netlog.read_text(encoding="utf-8", errors="replace"))
    return shot, [u for u in urls if not u.startswith("file:") and not _BROWSER_HOSTS.match(u)]


def _pixels_near(shot: Path, colour: tuple[int, int, int], tolerance: int = 24) -> int:
    from PIL import Image

    with Image.open(shot) as image:  # Pillow comes with matplotlib (the report extra)
        data = image.convert("RGB").tobytes()
    r0, g0, b0 = colour
    return sum(1 for i in range(0, len(data), 3)
               if abs(data[i] - r0) <= tolerance and abs(data[i + 1] - g0) <= tolerance
               and abs(data[i + 2] - b0) <= tolerance)


@pytest.fixture(scope="module")
def report_page(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("html") / "report.html"
    environ = {"ZEPHYR_URL": sandbox.url, "ZEPHYR_TOKEN": sandbox.token}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in environ.items():
            mp.setenv(name, value)
        assert main(["report", 'release = "Ironclad 3.0"', "--by", "cycle,status", "-o",
                     str(page)]) == 0
    return page


def test_the_file_names_no_external_resource(report_page: Path) -> None:
    text = report_page.read_text(encoding="utf-8")
    assert not re.search(r"https?:|ftp:|//[a-z0-9.-]+\.[a-z]{2,}|@import|<script|<link|<img|"
                         r"<iframe|src=|url\((?!#)", text, re.IGNORECASE)
    assert "<svg" in text and "<style>" in text


def test_chromium_shows_the_chart_offline(chromium: str, report_page: Path,
                                          tmp_path: Path) -> None:
    shot, asked = _open_offline(chromium, report_page, tmp_path)
    assert asked == []
    shutil.copy(shot, Path(os.environ.get("ZQL_SCREENSHOT_DIR", tmp_path)) / "report-shot.png")
    # The stacked bars: Pass and Fail segments drawn in their colours (a blank or broken
    # chart has none of these pixels; the table has none either).
    assert _pixels_near(shot, _PASS_GREEN) > 5_000
    assert _pixels_near(shot, _FAIL_RED) > 500


def test_the_offline_check_would_catch_an_external_request(chromium: str,
                                                           tmp_path: Path) -> None:
    """The canary: a page that does load something external is caught by the same check."""
    page = tmp_path / "canary.html"
    page.write_text('<!DOCTYPE html><img src="http://canary.example.org/pixel.png">',
                    encoding="utf-8")
    _, asked = _open_offline(chromium, page, tmp_path)
    assert any("canary.example.org" in url for url in asked), json.dumps(asked)
