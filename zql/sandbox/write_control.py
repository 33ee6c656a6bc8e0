"""Runtime knobs of the sandbox's write endpoints (:mod:`zql.sandbox.writes`), for tests.

Kept apart from :class:`~zql.sandbox.control.Control` (which holds one of these as
``control.writes``) so the write faults live beside the code that uses them:

- ``read_only_users``: user names whose writes answer 403 (nothing is applied);
- ``lose_next(n)`` / ``lose_rate``: the server applies the write, then drops the connection
  before the answer is complete — the client never learns the outcome;
- ``hold_after(n)``: after ``n`` more write requests, the next one waits (before it is applied)
  until :meth:`release`; ``held`` is set while it waits. Tests use it to kill a client at a known
  point, never after a sleep;
- ``applied``: write requests applied so far.

>>> w = WriteControl(seed=1)
>>> w.lose_next(1); w.take_loss(), w.take_loss()
(True, False)
"""

from __future__ import annotations

import random
import threading

__all__ = ["WriteControl"]


class WriteControl:
    """Thread-safe write-fault settings of one sandbox.

    >>> w = WriteControl(); w.hold_after(0); w.should_hold()
    True
    >>> w.release(); w.should_hold()
    False
    """

    def __init__(self, *, seed: int = 1, lose_rate: float = 0.0) -> None:
        self.read_only_users: set[str] = set()
        self.lose_rate = lose_rate
        self.applied = 0
        self.held = threading.Event()
        self._gate = threading.Event()
        self._gate.set()
        self._hold_at: int | None = None
        self._lose = 0
        self._lock = threading.Lock()
        self._rng = random.Random(f"zql-sandbox-writes:{seed}")

    def __repr__(self) -> str:
        return (f"<WriteControl applied={self.applied} lose_rate={self.lose_rate} "
                f"read_only={sorted(self.read_only_users)}>")

    def lose_next(self, count: int) -> None:
        """Apply the next ``count`` writes but lose their answers."""
        with self._lock:
            self._lose += count

    def take_loss(self) -> bool:
        """Whether the answer of the write just applied is lost (a seeded draw at
        ``lose_rate`` once the explicit losses are used up).

        >>> WriteControl(lose_rate=1.0).take_loss()
        True
        """
        with self._lock:
            if self._lose > 0:
                self._lose -= 1
                return True
            return self.lose_rate > 0 and self._rng.random() < self.lose_rate

    def hold_after(self, count: int) -> None:
        """Let ``count`` more writes through, then hold the next one until :meth:`release`."""
        with self._lock:
            self._hold_at = self.applied + count
            self._gate.clear()
            self.held.clear()

    def should_hold(self) -> bool:
        """Whether the write arriving now must wait at the gate."""
        with self._lock:
            return self._hold_at is not None and self.applied >= self._hold_at

    def wait_at_gate(self) -> None:
        """Block (in a worker thread) until :meth:`release`; sets ``held`` meanwhile."""
        self.held.set()
        self._gate.wait()

    def release(self) -> None:
        """Open the gate: held and later writes go through."""
        with self._lock:
            self._hold_at = None
        self._gate.set()

    def count_applied(self) -> None:
        """Count one applied write request."""
        with self._lock:
            self.applied += 1
