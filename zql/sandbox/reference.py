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

from collections.abc import Iterable, Mapping
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
    return [doc["id"] for doc in documents if matches(node, doc, entity, schema)]


def matches(node: Node, doc: Mapping[str, Any], entity: str,
            schema: Schema | None = None) -> bool:
    """Whether one document satisfies ``node`` (a validated query tree).

    >>> from zql import parse
    >>> matches(parse('name ~ "LOGIN"'), {"f_name": "verify login form"}, "testcase")
    True
    """
    schema = schema or sandbox_schema()
    if isinstance(node, Not):
        return not matches(node.child, doc, entity, schema)
    if isinstance(node, And):
        return all(matches(c, doc, entity, schema) for c in node.children)
    if isinstance(node, Or):
        return any(matches(c, doc, entity, schema) for c in node.children)
    return _clause(node, doc, entity, schema)


def _clause(clause: Clause, doc: Mapping[str, Any], entity: str, schema: Schema) -> bool:
    spec = schema.field(entity, clause.field)
    if spec is None:
        raise ValueError(f"unknown field {clause.field!r}: validate the query first")
    stored = doc.get(column(spec.name))
    # One shape for both kinds of field: the values an item has (none, one, or several).
    have: tuple[Any, ...] = tuple(stored or ()) if spec.multi else (
        () if stored is None else (stored,))
    op = clause.op
    if op in (Op.IS, Op.IS_NOT):
        return (not have) == (op is Op.IS)
    value = clause.value
    items = value.items if isinstance(value, ValueList) else () if isinstance(value, Empty) \
        else (value,)
    wanted = [_plain(v) for v in items]
    if op in (Op.CONTAINS, Op.NOT_CONTAINS):
        hit = any(w in h for h in have for w in wanted)
        return hit if op is Op.CONTAINS else not hit
    hit = any(h == w for h in have for w in wanted)
    return not hit if op is Op.NE else hit


def _plain(value: Scalar) -> object:
    if isinstance(value, String):
        return value.value.casefold()
    if isinstance(value, Boolean):
        return int(value.value)
    return value.value
