"""Ranking for completion: how a candidate matches what was typed, and learned preference.

A candidate matches the typed prefix in one of three ways, best first: its text starts with the
prefix (ignoring case); a word part of it does (``id`` in ``testcaseId``, ``iron`` in
``Project Ironclad``); or the prefix is a subsequence of it (``tcid`` in ``testcaseId``). Ties
go to the candidate used most often (:class:`UsageCounts`), then to schema order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from zql.ast import Boolean, Clause, Number, String, ValueList, walk
from zql.errors import ZQLError
from zql.formatting import format_value
from zql.parser import parse

__all__ = ["MATCHES", "UsageCounts", "match", "word_starts"]

#: How a candidate matches the typed prefix, best first.
MATCHES = ("prefix", "word", "fuzzy")
_HISTORY_FORMAT = "zql-history/1"


def word_starts(text: str) -> list[int]:
    """Where the word parts of ``text`` start, after the first: after a non-alphanumeric
    character, at a lower-to-upper change (camelCase) and where letters and digits meet.

    >>> word_starts("testcaseId"), word_starts("Project Ironclad"), word_starts("a_b-c2")
    ([8], [8], [2, 4, 5])
    """
    starts = []
    for i in range(1, len(text)):
        before, ch = text[i - 1], text[i]
        if ch.isalnum() and (not before.isalnum() or (before.islower() and ch.isupper())
                             or before.isdigit() != ch.isdigit()):
            starts.append(i)
    return starts


def match(prefix: str, candidate: str) -> str | None:
    """How ``candidate`` matches ``prefix`` (one of :data:`MATCHES`), or None.

    >>> [match(p, "testcaseId") for p in ("TEST", "id", "tcid", "x")]
    ['prefix', 'word', 'fuzzy', None]
    """
    if not prefix:
        return MATCHES[0]
    p, c = prefix.casefold(), candidate.casefold()
    if c.startswith(p):
        return MATCHES[0]
    rest = iter(c)
    if not all(ch in rest for ch in p):  # not even a subsequence: the common, cheap case
        return None
    if any(candidate[i:].casefold().startswith(p) for i in word_starts(candidate)):
        return MATCHES[1]
    return MATCHES[2]


class UsageCounts:
    """Learned preference: how often each field, operator and value was used in run queries.

    Keys are ``(kind, field, text)`` with ``kind`` one of ``field``, ``operator``, ``value``
    and ``field`` the lowercased field name (empty for fields themselves). :meth:`to_json` and
    :meth:`from_json` let a shell keep it between sessions; the least used entries are dropped
    beyond ``limit``.

    >>> h = UsageCounts()
    >>> h.record('status = "Fail" and priority in ("P1", "P2")')
    True
    >>> h.uses("field", "STATUS"), h.uses("value", "P2", field="priority")
    (1, 1)
    >>> UsageCounts.from_json(h.to_json()).uses("value", "Fail", field="status")
    1
    """

    def __init__(self, counts: Mapping[tuple[str, str, str], int] | None = None, *,
                 limit: int = 5000) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter(counts or {})
        self.limit = limit

    def __len__(self) -> int:
        return len(self.counts)

    def __repr__(self) -> str:
        return f"UsageCounts({len(self.counts)} entries)"

    def record(self, query: str) -> bool:
        """Count the fields, operators and values of a query; False (nothing counted) if invalid.

        >>> UsageCounts().record("status = ")
        False
        """
        try:
            tree = parse(query)
        except ZQLError:
            return False
        for node in walk(tree):
            if not isinstance(node, Clause):
                continue
            name = node.field.lower()
            self.counts["field", "", name] += 1
            self.counts["operator", name, node.op.text] += 1
            items = node.value.items if isinstance(node.value, ValueList) else (node.value,)
            for item in items:
                if isinstance(item, String):
                    self.counts["value", name, item.value] += 1
                elif isinstance(item, Number | Boolean):
                    self.counts["value", name, format_value(item)] += 1
        if len(self.counts) > self.limit:
            self.counts = Counter(dict(self.counts.most_common(self.limit)))
        return True

    def uses(self, kind: str, text: str, *, field: str | None = None) -> int:
        """How often ``text`` was used as a ``kind`` (of ``field``, for operators and values).

        >>> UsageCounts({("field", "", "name"): 3}).uses("field", "Name")
        3
        """
        if kind == "field":
            return self.counts.get(("field", "", text.lower()), 0)
        return self.counts.get((kind, (field or "").lower(), text), 0)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (``{"format": "zql-history/1", "entries": [[kind, field, text, n]]}``).

        >>> UsageCounts({("field", "", "name"): 2}).to_json()["entries"]
        [['field', '', 'name', 2]]
        """
        return {"format": _HISTORY_FORMAT,
                "entries": [[k, f, t, n] for (k, f, t), n in self.counts.most_common()]}

    @classmethod
    def from_json(cls, data: Any, *, limit: int = 5000) -> UsageCounts:
        """Read what :meth:`to_json` wrote; raises ``ValueError`` with one line for anything else.

        >>> UsageCounts.from_json({"format": "zql-history/1", "entries": [["x"]]})
        Traceback (most recent call last):
          ...
        ValueError: not a zql history: entry 0 is not [kind, field, text, count]
        """
        if not isinstance(data, Mapping) or data.get("format") != _HISTORY_FORMAT:
            raise ValueError(f"not a zql history: expected an object with format "
                             f"{_HISTORY_FORMAT!r}")
        entries = data.get("entries", [])
        if not isinstance(entries, Iterable):
            raise ValueError("not a zql history: 'entries' is not a list")
        counts: Counter[tuple[str, str, str]] = Counter()
        for i, entry in enumerate(entries):
            if not (isinstance(entry, list | tuple) and len(entry) == 4
                    and all(isinstance(x, str) for x in entry[:3])
                    and isinstance(entry[3], int) and not isinstance(entry[3], bool)):
                raise ValueError(f"not a zql history: entry {i} is not [kind, field, text, count]")
            counts[entry[0], entry[1], entry[2]] += entry[3]
        return cls(counts, limit=limit)
