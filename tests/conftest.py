"""Fixtures shared across the test suite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from zql.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """A running sandbox server (size small, seed 1) shared by the whole session.

    Treat it as read-only: a test that changes ``sandbox.control`` (faults, quirks, page cap,
    expired sessions) must put it back, or start its own ``Sandbox``.
    """
    from zql.sandbox import Sandbox

    with Sandbox(size="small", seed=1) as sb:
        yield sb
