"""The journal: JSON lines recording what a run did, written before and after each batch.

It is the truth about a run. Records, one per line:

- ``{"type": "start", "kind": "update"|"undo", "plan": {...}, "undoes": PATH?, "at": ...}``:
  the whole plan, before anything is sent;
- ``{"type": "batch", "n": N, "items": [{"id", "before", "after"}, ...]}``: written (and
  fsync'd) before batch N is sent;
- ``{"type": "outcome", "n": N|null, "results": [{"id", "result", "now"?, "message"?}]}``:
  after the answer (or after reading the items again when the answer was lost); ``n`` is null
  for decisions taken without sending (drift found before a batch);
- ``{"type": "end", "at": ...}`` when the run finished (not after an interruption).

Results: ``changed`` (``now`` is the state seen afterwards), ``already`` (in the target state
when checked), ``drift`` (changed by someone else since the plan: left alone), ``failed`` (the
server refused it: left unchanged, ``message`` says why) and ``not-applied`` (a server or
network failure left it unchanged; a resume sends it again). Every append is flushed; every
record is fsync'd before the next batch is sent (see :meth:`Journal.append`); a torn last line
(a crash mid-write) is ignored when reading.

>>> import tempfile, pathlib
>>> from zql.update.model import Change
>>> path = pathlib.Path(tempfile.mkdtemp()) / "j.jsonl"
>>> plan = Plan("execution", "", Change(), ()).to_json()
>>> with Journal.create(path, {"type": "start", "kind": "update", "plan": plan}) as j:
...     j.append({"type": "batch", "n": 1, "items": [{"id": 5}]})
>>> with path.open("a") as f:
...     _ = f.write('{"type": "outc')          # a crash in the middle of a line
>>> [r["type"] for r in read_journal(path).records]
['start', 'batch']
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from zql.update.model import Plan, PlanError

__all__ = [
    "TERMINAL",
    "Journal",
    "JournalView",
    "default_journal_path",
    "now_text",
    "read_journal",
]

#: Results after which an item is finished (``not-applied`` is retried by a resume).
TERMINAL = frozenset({"changed", "already", "drift", "failed"})
_MAX_JOURNAL = 2048 * 2**20  # a 50,000-item run writes about 30 MB


def now_text() -> str:
    """The current UTC time, ISO 8601 to the second.

    >>> len(now_text()), now_text().endswith("Z")
    (20, True)
    """
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/zql`` (default ``~/.local/state/zql``).

    >>> str(state_dir({"XDG_STATE_HOME": "/s"}))
    '/s/zql'
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "zql"


def default_journal_path(kind: str, entity: str,
                         environ: Mapping[str, str] | None = None) -> Path:
    """A new journal file name in the state directory: ``journal/2026-12-01T20-05-09Z-update-
    execution-<pid>.jsonl`` (made unique if needed).

    >>> p = default_journal_path("update", "execution", {"XDG_STATE_HOME": "/s"})
    >>> str(p.parent), p.suffix
    ('/s/zql/journal', '.jsonl')
    """
    stamp = now_text().replace(":", "-")
    folder = state_dir(environ) / "journal"
    path = folder / f"{stamp}-{kind}-{entity}-{os.getpid()}.jsonl"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stamp}-{kind}-{entity}-{os.getpid()}-{n}.jsonl"
    return path


class Journal:
    """An open journal: :meth:`append` writes one record durably (flush + fsync)."""

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    @classmethod
    def create(cls, path: Path, start: Mapping[str, Any]) -> Journal:
        """A new journal at ``path`` (refused if it exists) beginning with ``start``."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle = path.open("x", encoding="utf-8")
        journal = cls(path, handle)
        journal.append(start)
        return journal

    @classmethod
    def reopen(cls, path: Path) -> Journal:
        """Continue an existing journal (a resume). A torn last line is ended first, so it
        stays one unreadable line and the next record starts on its own line."""
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            torn = False
            if handle.tell() > 0:
                handle.seek(-1, os.SEEK_END)
                torn = handle.read(1) != b"\n"
        journal = cls(path, path.open("a", encoding="utf-8"))
        if torn:
            journal._handle.write("\n")
        return journal

    def append(self, record: Mapping[str, Any], *, durable: bool = True) -> None:
        """Write one record and flush it to the operating system; with ``durable`` (the
        default) also ``fsync`` it — and every record before it — to the disk.

        An outcome is appended with ``durable=False``: the next batch record (or the end
        record) is fsync'd before anything more is sent, and makes it durable too. A killed
        process loses nothing either way (the data is in the kernel's page cache); only a
        power cut between the two could lose an outcome, and then that batch reads as in
        doubt and its items are read again.
        """
        self._handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._handle.flush()
        if durable:
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        """Close the file (idempotent)."""
        self._handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@dataclass
class JournalView:
    """A journal read back: its records, the plan, and each item's latest result."""

    path: Path
    records: list[dict[str, Any]]
    plan: Plan
    kind: str
    #: id -> the latest result record of the item
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: batch number -> its items, for batches sent with no outcome recorded (in doubt)
    in_doubt: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    last_batch: int = 0
    ended: bool = False

    def changed(self) -> list[dict[str, Any]]:
        """The result records of items the journal shows as changed."""
        return [r for r in self.results.values() if r.get("result") == "changed"]

    def counts(self) -> dict[str, int]:
        """How many items ended with each result (``pending``: none yet).

        Items the plan found already in the target state count as ``already``.
        """
        out: dict[str, int] = {"already": len(self.plan.already)}
        for item in self.plan.items:
            result = self.results.get(item.id, {}).get("result", "pending")
            out[result] = out.get(result, 0) + 1
        return out


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    # The file's size is bounded before reading (_MAX_JOURNAL), so are its lines.
    with path.open("r", encoding="utf-8", errors="replace") as handle:
        yield from enumerate(handle, 1)


def read_journal(path: Path) -> JournalView:
    """Read a journal; :class:`~zql.update.model.PlanError` when it cannot be used.

    Only the last line may be torn (a crash mid-append) and it is ignored; a broken line
    anywhere else means the file is not a journal this tool wrote.
    """
    records: list[dict[str, Any]] = []
    try:
        size = path.stat().st_size
    except OSError as err:
        raise PlanError(f"cannot read {path}: {err.strerror or err}") from None
    if size > _MAX_JOURNAL:
        raise PlanError(f"{path} is larger than {_MAX_JOURNAL // 2**20} MB: not a zql journal")
    lines = list(_lines(path))
    for number, line in lines:
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
        except ValueError:
            # The last line may be torn by a crash; so may an earlier one when a resume
            # appended after it (Journal.reopen ends it with a newline). Anything else is
            # not a journal this tool wrote.
            if number == len(lines) or line.lstrip().startswith("{"):
                continue
            raise PlanError(f"{path}:{number}: not a journal line") from None
        records.append(record)
    if not records or records[0].get("type") != "start":
        raise PlanError(f"{path} is not a zql journal (it does not begin with a start record)")
    start = records[0]
    view = JournalView(path, records, Plan.from_json(start.get("plan")),
                       str(start.get("kind", "update")))
    pending: dict[int, list[dict[str, Any]]] = {}
    for record in records[1:]:
        kind = record.get("type")
        if kind == "batch":
            number = int(record["n"])
            pending[number] = list(record.get("items", []))
            view.last_batch = max(view.last_batch, number)
        elif kind == "outcome":
            if record.get("n") is not None:
                pending.pop(int(record["n"]), None)
            for result in record.get("results", []):
                view.results[int(result["id"])] = result
        elif kind == "end":
            view.ended = True
    view.in_doubt = pending
    return view
