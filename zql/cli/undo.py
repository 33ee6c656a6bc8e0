"""``zql undo``: write back the values a journaled update changed (see zql.cli.update)."""

from __future__ import annotations

from zql.cli.update import register_undo as register

__all__ = ["register"]
