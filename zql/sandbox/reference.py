"""A plain-Python evaluator of ZQL over search documents: the semantics, stated once more.

It exists to check the SQL compiler: the differential test evaluates generated queries both
ways over the same documents and expects the same ids. It shares no code with
:mod:`zql.sandbox.sql` beyond the schema, so a mistake in one shows up as a difference.

The rules (also in ``docs/sandbox.md``): strings compare after Unicode case folding; ``=`` is
equality and ``~`` is substring; a missing value equals nothing and contains nothing; ``!=``,
``!~`` and ``not`` are exact complements (so an item without a priority matches
``priority != "High"``); a multi-valued field (``tag``) matches ``=``/``in``/``~`` when *any*
of its values does, and ``is empty`` when it has none.

>>> from zql import parse
>>> doc = {"id": 1, "f_priority": None, "f_tag": ("smoke", "ui")}
>>> matches(parse('priority != "High" and tag = "SMOKE"'), doc, "testcase")
True
>>> matches(parse('tag != "ui" or priority is not empty'), doc, "testcase")
False
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from zql.ast import And, Boolean, Clause, Empty, Node, Not, Op, Or, Scalar, String, ValueList
from zql.sandbox.model import column, sandbox_schema
from zql.schema import Schema

__all__ = ["matches", "search_ids"]


def search_ids(node: Node, documents: Iterable[Mapping[str, Any]], entity: str,
               schema: Schema | None = None) -> list[int]:
    """Ids of the documents ``node`` matches, in document order.

    >>> from zql import parse
    >>> docs = [{"id": 1, "f_automated": 1}, {"id": 2, "f_automated": 0}]
    >>> search_ids(parse("automated != true"), docs, "testcase")
    [2]
    """
    docs = list(documents)
    hits = _Search(docs, entity, schema or sandbox_schema()).matching(node)
    return [doc["id"] for i, doc in enumerate(docs) if i in hits]


def matches(node: Node, doc: Mapping[str, Any], entity: str,
            schema: Schema | None = None) -> bool:
    """Whether one document satisfies ``node`` (a validated query tree).

    >>> from zql import parse
    >>> matches(parse('name ~ "LOGIN"'), {"f_name": "verify login form"}, "testcase")
    True
    """
    return bool(_Search([doc], entity, schema or sandbox_schema()).matching(node))


class _Search:
    """One query over a list of documents, evaluated a clause at a time over all of them: a
    clause's answer is a set of positions in the list, ``not`` its complement, ``and`` the
    intersection and ``or`` the union of its children's."""

    def __init__(self, docs: list[Mapping[str, Any]], entity: str, schema: Schema) -> None:
        self.docs, self.entity, self.schema = docs, entity, schema
        self.everything = frozenset(range(len(docs)))
        #: a field's stored values, in document order, and the distinct ones (None: unhashable)
        self.columns: dict[str, tuple[list[Any], set[Any] | None]] = {}

    def matching(self, node: Node) -> set[int] | frozenset[int]:
        """The positions of the documents ``node`` matches."""
        if isinstance(node, Not):
            return self.everything - self.matching(node.child)
        if isinstance(node, And):
            return set.intersection(*(set(self.matching(c)) for c in node.children))
        if isinstance(node, Or):
            return set().union(*(self.matching(c) for c in node.children))
        return self._clause(node)

    def _column(self, key: str) -> tuple[list[Any], set[Any] | None]:
        if key not in self.columns:
            stored = [doc.get(key) for doc in self.docs]
            try:
                distinct: set[Any] | None = set(stored)
            except TypeError:  # an unhashable value (tags in a list)
                distinct = None
            self.columns[key] = stored, distinct
        return self.columns[key]

    def _clause(self, clause: Clause) -> set[int]:
        spec = self.schema.field(self.entity, clause.field)
        if spec is None:
            raise ValueError(f"unknown field {clause.field!r}: validate the query first")
        multi = spec.multi
        holds = _values_test(clause)

        def decide(stored: Any) -> bool:
            # One shape for both kinds of field: the values an item has (none, one, several).
            have: tuple[Any, ...] = tuple(stored or ()) if multi else (
                () if stored is None else (stored,))
            return holds(have)

        stored, distinct = self._column(column(spec.name))
        if distinct is None:
            return {i for i, value in enumerate(stored) if decide(value)}
        pool = _pool(clause)
        if pool is not None and not multi:
            # ``=``/``in``/``!=`` on a one-valued field: the values equal to one of the wanted
            # (a missing value, None, never is), or all the others for ``!=``
            true = distinct & pool if clause.op is not Op.NE else distinct - pool
        else:
            # Many items share a value (a status, a tag set): decide each value once. Values
            # that compare equal get the same answer, so deciding by value is exact.
            true = {value for value in distinct if decide(value)}
        return {i for i, value in enumerate(stored) if value in true}


def _values_test(clause: Clause) -> Callable[[tuple[Any, ...]], bool]:
    """Whether ``clause`` holds for an item with these values of its field (stored form)."""
    op = clause.op
    if op in (Op.IS, Op.IS_NOT):
        empty = op is Op.IS
        return lambda have: (not have) == empty
    value = clause.value
    items = value.items if isinstance(value, ValueList) else () if isinstance(value, Empty) \
        else (value,)
    wanted = tuple(_plain(v) for v in items)
    if op in (Op.CONTAINS, Op.NOT_CONTAINS):
        contains = op is Op.CONTAINS
        return lambda have: any(w in h for h in have for w in wanted) == contains
    equal = op is not Op.NE
    pool = _pool(clause)
    if pool is not None:
        return lambda have: any(h in pool for h in have) == equal
    return lambda have: any(h == w for h in have for w in wanted) == equal


def _pool(clause: Clause) -> frozenset[object] | None:
    """The wanted values of an ``=``/``in``/``!=`` clause as a set, when they are text or whole
    numbers (for which being in the set is exactly being equal to one of them): a set finds a
    value among thousands (``in (…)``) without comparing it with each."""
    if clause.op not in (Op.EQ, Op.IN, Op.NE):
        return None
    value = clause.value
    items = value.items if isinstance(value, ValueList) else (value,)
    wanted = [_plain(v) for v in items if not isinstance(v, Empty)]
    return frozenset(wanted) if all(type(w) in (str, int) for w in wanted) else None


def _plain(value: Scalar) -> object:
    if isinstance(value, String):
        return value.value.casefold()
    if isinstance(value, Boolean):
        return int(value.value)
    return value.value
