"""``zql apply``: apply a saved update plan, or resume an interrupted run (see zql.cli.update)."""

from __future__ import annotations

from zql.cli.update import register_apply as register

__all__ = ["register"]
