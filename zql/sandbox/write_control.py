"""Runtime knobs of the sandbox's write endpoints (:mod:`zql.sandbox.writes`), for tests.

Kept apart from :class:`~zql.sandbox.control.Control` (which holds one of these as
``control.writes``) so the write faults live beside the code that uses them:

- ``lose_next(n, after=k)`` / ``lose_rate``: the server applies the write, then drops the connection
  before the answer is complete — the client never learns the outcome;
- ``applied``: write requests applied so far.

To hold a write before it is applied (and kill a client at a known point, never after a sleep),
use a gate of the control: ``control.gate("/execution/bulk", method="PUT", after=3)``.

>>> w = WriteControl(seed=1)
>>> w.lose_next(1); w.count_applied(); w.take_loss(), w.take_loss()
(True, False)
"""

from __future__ import annotations

import random
import threading

__all__ = ["WriteControl"]


class WriteControl:
    """Thread-safe write-fault settings of one sandbox.

    >>> WriteControl()
    <WriteControl applied=0 lose_rate=0.0>
    """

    def __init__(self, *, seed: int = 1, lose_rate: float = 0.0) -> None:
        self.lose_rate = lose_rate
        self.applied = 0
        self._lose = 0
        self._lose_from = 0
        self._lock = threading.Lock()
        self._rng = random.Random(f"zql-sandbox-writes:{seed}")

    def __repr__(self) -> str:
        return f"<WriteControl applied={self.applied} lose_rate={self.lose_rate}>"

    def lose_next(self, count: int, *, after: int = 0) -> None:
        """Apply the next ``count`` writes (after ``after`` more answered ones) but lose
        their answers.

        >>> w = WriteControl(); w.lose_next(1, after=1)
        >>> w.count_applied(); w.take_loss(), (w.count_applied(), w.take_loss())[1]
        (False, True)
        """
        with self._lock:
            self._lose += count
            self._lose_from = self.applied + after

    def take_loss(self) -> bool:
        """Whether the answer of the write just applied is lost (a seeded draw at
        ``lose_rate`` once the explicit losses are used up).

        >>> WriteControl(lose_rate=1.0).take_loss()
        True
        """
        with self._lock:
            if self._lose > 0 and self.applied > self._lose_from:
                self._lose -= 1
                return True
            return self.lose_rate > 0 and self._rng.random() < self.lose_rate

    def count_applied(self) -> None:
        """Count one applied write request."""
        with self._lock:
            self.applied += 1
