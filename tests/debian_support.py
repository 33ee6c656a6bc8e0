"""Tools some tests need from Debian's packages (Neovim, Chromium), installed on first use."""

from __future__ import annotations

import os
import shutil
import subprocess

__all__ = ["install_debian"]


def install_debian(binary: str, package: str, timeout: float = 600) -> str | None:
    """The path of ``binary``, installing Debian's ``package`` first when it is missing and
    this runs as root (the way the editor test gets Neovim); None when it cannot be had."""
    if shutil.which(binary) is None and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", package]):
            try:
                subprocess.run(command, env=env, check=False, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                break
    return shutil.which(binary)
