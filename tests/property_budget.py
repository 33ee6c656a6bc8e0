"""How many examples each property test draws: its own budget times ``ZQL_FUZZ_SCALE``.

``make test`` runs every property at a quarter of its budget (scale 0.25, hypothesis' usual
hundred-ish examples for most of them), so the whole suite stays fast; ``make fuzz`` runs only
the property tests at 4x their budget (16x what ``make test`` draws), for a deeper search
before a release or after touching the grammar. A budget of 20 or fewer (properties whose
every example starts a server or replays a fault run) is never scaled down.
"""

from __future__ import annotations

import os

#: the multiplier ``make test`` uses when ``ZQL_FUZZ_SCALE`` is not set
DEFAULT_SCALE = 0.25
#: budgets at or under this are kept whole: each example is already expensive
FLOOR = 20


def examples(budget: int, scale: float | None = None) -> int:
    """``max_examples`` for a property whose full budget is ``budget``, at ``scale`` (by
    default ``ZQL_FUZZ_SCALE``, else :data:`DEFAULT_SCALE`).

    >>> examples(400, scale=0.25), examples(400, scale=4)
    (100, 1600)
    >>> examples(60, scale=0.25), examples(12, scale=0.25)  # never under the floor
    (20, 12)
    """
    if scale is None:
        scale = float(os.environ.get("ZQL_FUZZ_SCALE", DEFAULT_SCALE))
    return max(min(budget, FLOOR), round(budget * scale))
