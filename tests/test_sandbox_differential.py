"""Differential test: generated queries give the same ids through the SQL compiler and through
the plain-Python reference evaluator, over the same search documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property_budget import examples
from zql.ast import (
    And,
    Boolean,
    Clause,
    Empty,
    Node,
    Not,
    Number,
    Op,
    Or,
    Scalar,
    String,
    ValueList,
)
from zql.format import format_node
from zql.sandbox.model import column, sandbox_schema
from zql.sandbox.reference import search_ids
from zql.sandbox.sql import compile_node, compile_query
from zql.sandbox.store import Store
from zql.schema import ENTITIES, FieldSpec

_SCHEMA = sandbox_schema()


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    with Store.open("small", seed=2) as opened:
        yield opened


@pytest.fixture(scope="module")
def documents(store: Store) -> dict[str, list[dict[str, Any]]]:
    return {entity: store.documents(entity) for entity in ENTITIES}


class _Values:
    """The values each field really has in the data (so generated clauses often match);
    a short repr keeps hypothesis from printing the whole data set."""

    def __init__(self, entity: str, docs: list[dict[str, Any]]) -> None:
        self.by_field: dict[str, list[Any]] = {}
        for spec in _SCHEMA.fields(entity):
            seen: set[Any] = set()
            for doc in docs:
                value = doc[column(spec.name)]
                seen.update(value if spec.multi else () if value is None else (value,))
            self.by_field[spec.name] = sorted(seen, key=repr)

    def __repr__(self) -> str:
        return "<observed values>"

    def pick(self, spec: FieldSpec) -> st.SearchStrategy[Any]:
        values = self.by_field[spec.name]
        return st.integers(0, len(values) - 1).map(values.__getitem__)


def _scalars(spec: FieldSpec, values: _Values) -> st.SearchStrategy[Scalar]:
    observed = values.by_field[spec.name]
    if spec.type == "boolean":
        return st.booleans().map(Boolean)
    if spec.type in ("long", "int"):
        ints = st.integers(min_value=-3, max_value=20)
        pool = st.one_of(values.pick(spec), ints) if observed else ints
        return pool.map(Number)
    texts: st.SearchStrategy[str] = st.text(alphabet="abcdeilnorstuAEIOÜß -", max_size=6)
    if observed:
        cased = st.tuples(values.pick(spec),
                          st.sampled_from([str, str.upper, str.title, str.swapcase]))
        texts = st.one_of(cased.map(lambda vc: vc[1](vc[0])), texts)
    return texts.map(String)


class _FieldStrategies:
    """The strategies drawn for one field's clauses, built once per field (not per draw: a
    new strategy object costs hypothesis a validation each time it is first drawn from)."""

    def __init__(self, spec: FieldSpec, values: _Values) -> None:
        self.spec = spec
        self.ops = st.sampled_from(sorted(spec.operators, key=lambda o: o.name))
        self.names = st.sampled_from([spec.name, spec.name.upper(), spec.name.lower()])
        self.scalars = _scalars(spec, values)
        self.lists = st.lists(self.scalars, min_size=1, max_size=3)
        self.substrings = (st.tuples(values.pick(spec), st.integers(0, 8), st.integers(1, 12))
                           if values.by_field[spec.name] else None)

    def __repr__(self) -> str:
        return f"<strategies for {self.spec.name}>"


@st.composite
def _clause(draw: st.DrawFn, fields: st.SearchStrategy[_FieldStrategies]) -> Clause:
    field = draw(fields)
    op = draw(field.ops)
    name = draw(field.names)
    if op in (Op.IS, Op.IS_NOT):
        return Clause(name, op, Empty())
    if op in (Op.CONTAINS, Op.NOT_CONTAINS):
        if field.substrings is not None:
            text, start, stop = draw(field.substrings)
            return Clause(name, op, String(str(text)[start:start + stop].upper()))
        return Clause(name, op, draw(field.scalars))
    if op is Op.IN:
        return Clause(name, op, ValueList(tuple(draw(field.lists))))
    return Clause(name, op, draw(field.scalars))


def _trees(entity: str, values: _Values) -> st.SearchStrategy[Node]:
    def flat(kind: type[And] | type[Or], children: list[Node]) -> Node:
        out: list[Node] = []
        for child in children:
            out.extend(child.children if isinstance(child, kind) else (child,))
        return kind(tuple(out))

    fields = st.sampled_from([_FieldStrategies(spec, values) for spec in _SCHEMA.fields(entity)])
    return st.recursive(
        _clause(fields),
        lambda inner: st.one_of(
            inner.map(Not),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: flat(And, xs)),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: flat(Or, xs)),
        ),
        max_leaves=6,
    )


@pytest.mark.parametrize("entity", ENTITIES)
def test_sql_and_reference_agree(store: Store, documents: dict[str, list[dict[str, Any]]],
                                 entity: str) -> None:
    docs = documents[entity]

    @settings(max_examples=examples(150), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_trees(entity, _Values(entity, docs)))
    def check(tree: Node) -> None:
        where = compile_node(tree, entity)
        by_sql = [r[0] for r in store.rows(
            f"SELECT d.id FROM doc_{entity} d WHERE {where.sql} ORDER BY d.id", where.params)]
        assert by_sql == search_ids(tree, docs, entity), format_node(tree)

    check()


@pytest.mark.parametrize(("entity", "query"), [
    ("testcase", 'tag != "smoke" and not (priority = "High" or priority is empty)'),
    ("testcase", 'not (altId ~ "irn" or comment !~ "sprint") and customcheckbox != true'),
    ("execution", 'status in ("Fail", "blocked") not executedBy is empty'),
    ("execution", 'not tag in ("ui", "api") or notes ~ ""'),
    ("requirement", 'not (url is empty) and id != 3 and custompicklist != "Data"'),
])
def test_known_tricky_queries_agree(store: Store, documents: dict[str, list[dict[str, Any]]],
                                    entity: str, query: str) -> None:
    from zql import parse

    where = compile_query(query, entity)
    by_sql = [r[0] for r in store.rows(
        f"SELECT d.id FROM doc_{entity} d WHERE {where.sql} ORDER BY d.id", where.params)]
    assert by_sql == search_ids(parse(query), documents[entity], entity)
    assert 0 < len(by_sql) < len(documents[entity])
