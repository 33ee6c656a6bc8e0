"""Helpers shared by the report tests."""

from __future__ import annotations

import os

import pytest

from zql.sandbox import Sandbox


def point_cli_at(sb: Sandbox, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Set ``ZEPHYR_URL``/``ZEPHYR_TOKEN`` for ``sb`` (and drop other credentials) for
    in-process runs; the same variables for a child process, returned."""
    for name in ("ZEPHYR_USERNAME", "ZEPHYR_PASSWORD", "ZEPHYR_AUTH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ZEPHYR_URL", sb.url)
    monkeypatch.setenv("ZEPHYR_TOKEN", sb.token)
    return {**os.environ}
