"""Helpers for the bulk-update tests: own sandboxes (they change), snapshots of the rows."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from zql.client import Retry, ZephyrClient
from zql.sandbox import Sandbox

RC18 = 'cycle = "Release Candidate 18"'


@contextlib.contextmanager
def own_sandbox(*, while_building: Callable[[pytest.MonkeyPatch], None] | None = None,
                **options: Any) -> Iterator[Sandbox]:
    """A started ``Sandbox(**options)`` for one test (or module), stopped when the block
    ends. ``while_building(monkeypatch)`` patches what the store's build reads
    (a size, the generator) only while this sandbox builds; give it a ``db`` file of its own,
    so the build runs (an in-memory store may be a copy of the one the process built first)."""
    sb = Sandbox(**options)
    with pytest.MonkeyPatch.context() as patch:
        if while_building is not None:
            while_building(patch)
        sb.start()
    try:
        yield sb
    finally:
        sb.stop()


def client_for(sb: Sandbox, *, retries: int = 8) -> ZephyrClient:
    """A client of ``sb`` whose retries do not sleep (the waits are recorded, not slept)."""
    client = ZephyrClient(sb.url, token=sb.token, retries=Retry(total=retries, max_time=1e9))
    client._driver.sleep = lambda _seconds: None
    return client


def execution_rows(sb: Sandbox) -> dict[int, tuple[Any, ...]]:
    """Every execution row, by id, all columns."""
    return {r[0]: r for r in sb.store.rows("SELECT * FROM executions ORDER BY id")}


def tc_rows(sb: Sandbox) -> dict[int, tuple[Any, ...]]:
    """Every test case row, by id, with its tag rows."""
    tags: dict[int, list[str]] = {}
    for tc, tag in sb.store.rows("SELECT tc_id, tag FROM testcase_tags ORDER BY rowid"):
        tags.setdefault(tc, []).append(tag)
    return {r[0]: (*r, tuple(tags.get(r[0], ()))) for r in
            sb.store.rows("SELECT * FROM testcases ORDER BY id")}


def items(sb: Sandbox, entity: str) -> dict[int, bytes]:
    """Every search item of ``entity`` as the server serves it (bytes)."""
    table = {"execution": "executions", "testcase": "testcases"}[entity]
    ids = [r[0] for r in sb.store.rows(f"SELECT id FROM {table} ORDER BY id")]
    return dict(zip(ids, sb.store.items(entity, ids), strict=True))


def without_modified(rows: dict[int, tuple[Any, ...]], column: int) -> dict[int, tuple[Any, ...]]:
    """Rows with the server-maintained modification time blanked (no client can set it)."""
    return {k: (*v[:column], None, *v[column + 1:]) for k, v in rows.items()}


EXEC_MODIFIED = 13  # executions.modified_on
TC_MODIFIED = 16  # testcases.modified_on


def journal_records(path: Any) -> list[dict[str, Any]]:
    """The complete records of a journal file."""
    out = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
    return out
