"""Tools some tests need from Debian's packages (Chromium, Neovim, tmux), installed on first use.

A test module says what it needs with ``pytestmark = pytest.mark.debian("tmux")`` (binary names
from :data:`PACKAGES`). When the selected tests need a tool that is missing and the run is root,
``tests/conftest.py`` starts one ``apt-get install`` of all of them in the background as soon as
collection ends, so the download overlaps the rest of the suite; the fixture that needs a tool
calls :func:`install_debian`, which waits for that install. One lock file serialises apt-get
across the xdist workers (two apt-gets at once fail on dpkg's own lock).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

__all__ = ["PACKAGES", "install_debian", "prefetch"]

#: binary → the Debian package that provides it
PACKAGES = {"chromium": "chromium", "nvim": "neovim", "tmux": "tmux"}

_LOCK = Path(tempfile.gettempdir()) / "zql-tests-apt.lock"
_prefetching: threading.Thread | None = None


def _can_install() -> bool:
    return (hasattr(os, "geteuid") and os.geteuid() == 0
            and shutil.which("apt-get") is not None)


def _install(binaries: Iterable[str], timeout: float) -> None:
    """apt-get the packages of the ``binaries`` still missing, under the shared lock."""
    with open(_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker's install finishes first
        missing = sorted({PACKAGES[b] for b in binaries if shutil.which(b) is None})
        if not missing:
            return
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", *missing]):
            try:
                subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                               timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                return


def prefetch(binaries: Iterable[str], timeout: float = 600) -> None:
    """Start installing the missing ``binaries`` in a background thread (root only)."""
    global _prefetching
    wanted = [b for b in binaries if shutil.which(b) is None]
    if wanted and _prefetching is None and _can_install():
        _prefetching = threading.Thread(target=_install, args=(wanted, timeout),
                                        name="apt-get prefetch", daemon=True)
        _prefetching.start()


def wait_for_prefetch() -> None:
    """Block until a background install started by :func:`prefetch` has finished."""
    if _prefetching is not None:
        _prefetching.join()


def install_debian(binary: str, timeout: float = 600) -> str | None:
    """The path of ``binary``, installing its Debian package first when it is missing and
    this runs as root; None when it cannot be had."""
    wait_for_prefetch()
    if shutil.which(binary) is None and _can_install():
        _install([binary], timeout)
    return shutil.which(binary)
