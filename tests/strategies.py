"""Hypothesis strategies for ZQL trees, shared by the property tests."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import strategies as st

from zql._vocabulary import vocabulary
from zql.ast import And, Boolean, Clause, Empty, Node, Not, Number, Op, Or, String, ValueList

_KEYWORDS = set(vocabulary().keyword_by_text)

field_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_\-]{0,12}", fullmatch=True).filter(
    lambda name: name.lower() not in _KEYWORDS
)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
strings = texts.map(String)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(Number),
    st.decimals(allow_nan=False, allow_infinity=False, places=3,
                min_value=Decimal("-1e9"), max_value=Decimal("1e9")).map(Number),
)
booleans = st.booleans().map(Boolean)
scalars = st.one_of(strings, numbers, booleans)


@st.composite
def clauses(draw: st.DrawFn) -> Clause:
    name = draw(field_names)
    op = draw(st.sampled_from(list(Op)))
    if op in (Op.IS, Op.IS_NOT):
        return Clause(name, op, Empty())
    if op is Op.IN:
        return Clause(name, op, ValueList(tuple(draw(st.lists(scalars, min_size=1, max_size=4)))))
    if op in (Op.CONTAINS, Op.NOT_CONTAINS):
        return Clause(name, op, draw(strings))
    return Clause(name, op, draw(scalars))


def _flat(kind: type[And] | type[Or], children: list[Node]) -> Node:
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat))


trees: st.SearchStrategy[Node] = st.recursive(
    clauses(),
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=4).map(lambda xs: _flat(And, xs)),
        st.lists(inner, min_size=2, max_size=4).map(lambda xs: _flat(Or, xs)),
    ),
    max_leaves=12,
)
