"""Planned, journaled, undoable bulk changes from a ZQL query (``zql update``, ``zql undo``).

Nothing changes that was not planned first: :func:`plan_update` resolves the names, runs the
search and computes each item's state before and after (items already in the target state are
counted and skipped). :func:`apply` sends the plan in batches, writing a journal before and after
each batch (the truth about what happened); :func:`resume` continues an interrupted run from its
journal; :func:`undo` plans writing back the "before" values of every changed item. Applying a
saved plan, a resume and an undo first read the items again and leave alone any item someone else
changed since (drift). See docs/update.md.

>>> from zql.client import ZephyrClient
>>> from zql.sandbox import Sandbox
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
...     plan = client.plan_update('status = "Fail" and cycle = "Release Candidate 18"',
...                               entity="execution", status="Blocked")
...     done = client.apply(plan, journal=folder / "update.jsonl")
...     back = client.apply(undo(folder / "update.jsonl"), journal=folder / "undo.jsonl")
...     print(len(plan.items), done.summary(), "/", back.summary())
9 9 changed, 0 already in the target state / 9 changed, 0 already in the target state
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zql._lazy import lazy_names

if TYPE_CHECKING:
    from zql.update.endpoints import MAX_BATCH, Request
    from zql.update.engine import Report, Result, compute_plan
    from zql.update.journal import Journal, JournalView, default_journal_path, read_journal
    from zql.update.model import Change, Item, Plan, PlanError, StatusRef, UserRef
    from zql.update.resolve import UpdateError
    from zql.update.run import (
        MAX_CONCURRENCY,
        aapply,
        aplan_update,
        apply,
        plan_update,
        resume,
        undo,
    )

# Each name is imported on first use: the argument definitions of ``zql update``
# (zql.update.options) load without the engine, the client and httpx (docs/design.md).
_LAZY = {
    **dict.fromkeys(("MAX_BATCH", "Request"), "zql.update.endpoints"),
    **dict.fromkeys(("Report", "Result", "compute_plan"), "zql.update.engine"),
    **dict.fromkeys(("Journal", "JournalView", "default_journal_path", "read_journal"),
                    "zql.update.journal"),
    **dict.fromkeys(("Change", "Item", "Plan", "PlanError", "StatusRef", "UserRef"),
                    "zql.update.model"),
    "UpdateError": "zql.update.resolve",
    **dict.fromkeys(("MAX_CONCURRENCY", "aapply", "aplan_update", "apply", "plan_update",
                     "resume", "undo"), "zql.update.run"),
}

if not TYPE_CHECKING:  # mypy reads the imports above: a misspelt name stays an error
    __getattr__, __dir__ = lazy_names(__name__, _LAZY)

__all__ = [
    "MAX_BATCH",
    "MAX_CONCURRENCY",
    "Change",
    "Item",
    "Journal",
    "JournalView",
    "Plan",
    "PlanError",
    "Report",
    "Request",
    "Result",
    "StatusRef",
    "UpdateError",
    "UserRef",
    "aapply",
    "aplan_update",
    "apply",
    "compute_plan",
    "default_journal_path",
    "plan_update",
    "read_journal",
    "resume",
    "undo",
]
