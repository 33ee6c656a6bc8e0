"""Named queries (``\\ns``, ``\\n``, ``\\nl``, ``\\nd``), kept in a small JSON file.

Each entry remembers the entity, release and project it was saved with, so ``\\n NAME`` runs it
against them whatever the shell is set to (and sets the shell to them). Writes are atomic: a
crash never leaves half a file.

>>> import tempfile, pathlib
>>> store = NamedQueries(pathlib.Path(tempfile.mkdtemp()) / "named.json")
>>> store.save("fails", 'status = "Fail"', "execution")
>>> NamedQueries(store.path).get("fails")
NamedQuery(name='fails', query='status = "Fail"', entity='execution', release=None, project=None)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from zql._fs import write_atomically

__all__ = ["NamedQueries", "NamedQuery", "NamedQueryError"]

_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,64}\Z")
_FORMAT = "zql-named-queries/1"


class NamedQueryError(ValueError):
    """A bad name, an unknown name or an unreadable file (one-line message).

    >>> str(NamedQueryError("x"))
    'x'
    """


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A saved query and the entity it searches.

    >>> NamedQuery("a", "x = 1", "testcase").entity
    'testcase'
    """

    name: str
    query: str
    entity: str
    release: str | None = None
    project: str | None = None


class NamedQueries:
    """The named-query file: read on each call so two shells see each other's changes.

    >>> import tempfile, pathlib
    >>> NamedQueries(pathlib.Path(tempfile.mkdtemp()) / "n.json").names()
    []
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, NamedQuery]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise NamedQueryError(f"{self.path}: cannot read named queries: {err}") from None
        entries = data.get("queries") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            raise NamedQueryError(f"{self.path}: not a named-query file")
        out: dict[str, NamedQuery] = {}
        for name, entry in entries.items():
            if isinstance(entry, dict) and isinstance(entry.get("query"), str):
                out[name] = NamedQuery(name, entry["query"], str(entry.get("entity", "testcase")),
                                       _text_or_none(entry.get("release")),
                                       _text_or_none(entry.get("project")))
        return out

    def _write(self, entries: dict[str, NamedQuery]) -> None:
        data = {"format": _FORMAT, "queries": {
            n: {"query": q.query, "entity": q.entity,
                **{k: v for k, v in (("release", q.release), ("project", q.project)) if v}}
            for n, q in sorted(entries.items())}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

    def names(self) -> list[str]:
        """Saved names, sorted.

        >>> import tempfile, pathlib
        >>> s = NamedQueries(pathlib.Path(tempfile.mkdtemp()) / "n.json")
        >>> s.save("b", "x = 1", "testcase"); s.save("a", "y = 2", "testcase"); s.names()
        ['a', 'b']
        """
        return sorted(self._read())

    def all(self) -> list[NamedQuery]:
        """Every saved query, sorted by name.

        >>> import tempfile, pathlib
        >>> NamedQueries(pathlib.Path(tempfile.mkdtemp()) / "n.json").all()
        []
        """
        return [q for _, q in sorted(self._read().items())]

    def get(self, name: str) -> NamedQuery:
        """The query saved as ``name``; an unknown name is a :class:`NamedQueryError`.

        >>> import tempfile, pathlib
        >>> NamedQueries(pathlib.Path(tempfile.mkdtemp()) / "n.json").get("nope")
        Traceback (most recent call last):
          ...
        zql_repl.named.NamedQueryError: no named query 'nope' (\\nl lists them)
        """
        found = self._read().get(name)
        if found is None:
            raise NamedQueryError(f"no named query {name!r} (\\nl lists them)")
        return found

    def save(self, name: str, query: str, entity: str, release: str | None = None,
             project: str | None = None) -> None:
        """Save (or replace) ``name``.

        >>> import tempfile, pathlib
        >>> NamedQueries(pathlib.Path(tempfile.mkdtemp()) / "n.json").save("a b", "x", "t")
        Traceback (most recent call last):
          ...
        zql_repl.named.NamedQueryError: a name is 1-64 letters, digits, '_', '-' or '.': 'a b'
        """
        if not _NAME.match(name):
            raise NamedQueryError(f"a name is 1-64 letters, digits, '_', '-' or '.': {name!r}")
        entries = self._read()
        entries[name] = NamedQuery(name, query, entity, release or None, project or None)
        self._write(entries)

    def delete(self, name: str) -> None:
        """Forget ``name``; an unknown name is a :class:`NamedQueryError`.

        >>> import tempfile, pathlib
        >>> s = NamedQueries(pathlib.Path(tempfile.mkdtemp()) / "n.json")
        >>> s.save("a", "x = 1", "testcase"); s.delete("a"); s.names()
        []
        """
        entries = self._read()
        if name not in entries:
            raise NamedQueryError(f"no named query {name!r} (\\nl lists them)")
        del entries[name]
        self._write(entries)


def _text_or_none(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) and \
        str(value) else None
