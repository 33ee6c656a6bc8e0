"""Fixtures shared across the test suite."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from zql.sandbox import Sandbox


def pytest_configure(config: pytest.Config) -> None:
    """Give the processes the tests start the usual Ctrl-C: a shell starts a background job
    (``cmd &`` without job control) with SIGINT ignored, which its children inherit across
    exec, and the tests that interrupt ``zql search`` or ``zql sandbox`` would then hang."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox server (size small, seed 1) shared by the whole session.

    Treat it as read-only: a test that changes ``sandbox.control`` (faults, quirks, page cap,
    expired sessions) must put it back, or start its own ``Sandbox``.
    """
    from zql.sandbox import Sandbox

    with Sandbox(size="small", seed=1) as sb:
        yield sb


#: Names in a test module's globals that mean its tests start processes (``make check`` skips
#: them: it is the edit loop's fast subset).
_PROCESS_NAMES = ("subprocess", "pexpect", "LspClient", "running")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests of modules that start processes ``subprocess`` and hypothesis tests
    ``property`` (``make fuzz`` runs those)."""
    for item in items:
        module = getattr(item, "module", None)
        if module is not None and any(name in vars(module) for name in _PROCESS_NAMES):
            item.add_marker(pytest.mark.subprocess)
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.property)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start installing the Debian tools the selected tests need (``@pytest.mark.debian``)
    in the background, so apt-get's download overlaps the tests that need none."""
    from tests.debian_support import prefetch

    prefetch({name for item in session.items
              for mark in item.iter_markers("debian") for name in mark.args})


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Never leave apt-get running (and dpkg half done) after the tests."""
    from tests.debian_support import wait_for_prefetch

    wait_for_prefetch()
