"""ZQL to SQL: a checked query becomes a ``WHERE`` clause over the search documents.

Values are always bound parameters; identifiers come only from the schema (see
:func:`~zql.sandbox.model.column`). Every compiled predicate is 0 or 1, never ``NULL``, so
``not``, ``and`` and ``or`` are plain two-valued logic — the rule the reference evaluator in
:mod:`zql.sandbox.reference` states in Python (see ``docs/sandbox.md`` for the semantics).

>>> w = compile_query('priority in ("High", "critical") and not tag = "Smoke"', "testcase")
>>> w.sql
'(d.f_priority IS NOT NULL AND d.f_priority IN (?, ?)) AND NOT (d.id IN \
(SELECT doc_id FROM doc_testcase_f_tag WHERE value = ?))'
>>> w.params
('high', 'critical', 'smoke')
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

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
from zql.errors import Diagnostic, Severity, Span, ZQLSyntaxError, line_col
from zql.parser import parse
from zql.sandbox.model import column, fold, multi_table, sandbox_schema
from zql.schema import FieldSpec, Schema
from zql.validate import check

__all__ = [
    "LONG_LIST",
    "MATCH_ALL",
    "MAX_NESTING",
    "MAX_QUERY_CHARS",
    "RUN",
    "Order",
    "QueryError",
    "Subquery",
    "Where",
    "bind",
    "compile_node",
    "compile_query",
    "order_by",
    "quick_search",
]


class QueryError(ValueError):
    """A query or parameter the server answers with 400; ``str()`` is the ``errorMsg``.

    >>> str(QueryError("bad", code="ZQL201", span=Span(0, 3), text="abc = 1"))
    '1:1: bad'
    """

    def __init__(self, message: str, *, code: str | None = None, span: Span | None = None,
                 text: str = "", hint: str | None = None) -> None:
        self.message = message
        self.code = code
        self.span = span
        self.text = text
        self.hint = hint
        where = "{}:{}: ".format(*line_col(text, span.start)) if span is not None else ""
        super().__init__(where + message)

    @classmethod
    def from_diagnostic(cls, diagnostic: Diagnostic, text: str) -> QueryError:
        """Wrap a parser or validator finding, keeping its code, span and hint.

        >>> QueryError.from_diagnostic(Diagnostic("ZQL1", Severity.ERROR, "m", Span(2, 3)),
        ...                            "a\\nbc").args[0]
        '2:1: m'
        """
        return cls(diagnostic.message, code=diagnostic.code, span=diagnostic.span, text=text,
                   hint=diagnostic.hint)

    def details(self) -> dict[str, object]:
        """Extra JSON keys for the error body: the diagnostic code, position and hint.

        >>> QueryError("m", code="ZQL107", span=Span(9, 13), text="status = Fail").details()
        {'code': 'ZQL107', 'position': {'start': 9, 'end': 13, 'line': 1, 'column': 10}}
        """
        out: dict[str, object] = {}
        if self.code:
            out["code"] = self.code
        if self.span is not None:
            line, col = line_col(self.text, self.span.start)
            out["position"] = {"start": self.span.start, "end": self.span.end, "line": line,
                               "column": col}
        if self.hint:
            out["hint"] = self.hint
        return out


@dataclass(frozen=True, slots=True)
class Where:
    """An SQL condition over the document alias ``d`` with its bound parameters.

    >>> (Where("a = ?", (1,)) & Where("b = ?", (2,))).sql
    '(a = ?) AND (b = ?)'
    """

    sql: str
    params: tuple[object, ...] = ()

    def __and__(self, other: Where) -> Where:
        if self is MATCH_ALL:
            return other
        if other is MATCH_ALL:
            return self
        return Where(f"({self.sql}) AND ({other.sql})", self.params + other.params)


#: The condition of an empty query: every item.
MATCH_ALL = Where("1")


@dataclass(frozen=True, slots=True)
class Subquery:
    """A bound parameter standing for the ids a nested condition selects.

    SQLite's parser overflows on about 40 nested parentheses, so a subtree nested deeper than
    :data:`MAX_NESTING` is compiled on its own; the store runs it first and binds its ids
    (as JSON) where the outer query reads ``json_each(?)``.

    >>> Subquery(Where("d.id = ?", (3,))).where.params
    (3,)
    """

    where: Where


#: the longest ZQL text the sandbox parses (a 5,000-clause query is about 85,000); longer
#: ones are a 400, so one request cannot keep a worker thread busy for long
MAX_QUERY_CHARS = 200_000
#: parentheses one query may open before a subtree is run as a :class:`Subquery`
MAX_NESTING = 12
#: ``in`` lists longer than this are bound as one JSON array (``json_each``), so a list of
#: any length stays within SQLite's bound-variable limit (999 on older builds)
LONG_LIST = 256
#: ``and``/``or`` operands joined flat; longer runs are grouped into a balanced tree so the
#: SQLite expression tree stays far below its depth limit of 1,000
RUN = 64


@dataclass(frozen=True, slots=True)
class Order:
    """``ORDER BY`` for a page: a document column and a direction; ties break on the id.

    >>> Order("d.f_name", ascending=False).sql
    'd.f_name DESC, d.id DESC'
    """

    column: str = "d.id"
    ascending: bool = True

    @property
    def sql(self) -> str:
        """The ``ORDER BY`` list (same direction throughout, so one index serves it)."""
        way = "ASC" if self.ascending else "DESC"
        return f"{self.column} {way}" if self.column == "d.id" else \
            f"{self.column} {way}, d.id {way}"


def compile_query(text: str, entity: str, schema: Schema | None = None) -> Where:
    """Parse, validate and compile ZQL text for ``entity``; raise :class:`QueryError`.

    An empty (blank) query matches everything.

    >>> compile_query("status = Fail", "execution")
    Traceback (most recent call last):
      ...
    zql.sandbox.sql.QueryError: 1:10: bare word 'Fail' is not a value
    >>> compile_query('  ', "requirement") is MATCH_ALL
    True
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text):,} characters long; the sandbox runs "
                         f"queries of at most {MAX_QUERY_CHARS:,}: split it into smaller ones")
    if not text.strip():
        return MATCH_ALL
    schema = schema or sandbox_schema()
    try:
        node = parse(text)
    except ZQLSyntaxError as err:
        raise QueryError.from_diagnostic(err.diagnostic, text) from None
    errors = [d for d in check(node, schema, entity) if d.severity is Severity.ERROR]
    if errors:
        raise QueryError.from_diagnostic(errors[0], text)
    return compile_node(node, entity, schema, text=text)


def compile_node(node: Node, entity: str, schema: Schema | None = None, *,
                 text: str = "") -> Where:
    """Compile a validated tree. Anything the validator let through but SQL cannot express
    still becomes a :class:`QueryError`, never an exception from SQLite.

    >>> compile_node(parse("automated = true"), "testcase")
    Where(sql='d.f_automated IS ?', params=(1,))
    """
    schema = schema or sandbox_schema()
    params: list[object] = []
    sql = _Compiler(schema, entity, params, text).node(node)
    return Where(sql, tuple(params))


def bind(spec: FieldSpec, value: Scalar, text: str = "") -> object:
    """The value a document column is compared with: folded text, an int, 1/0 for booleans.

    >>> spec = sandbox_schema().field("testcase", "priority")
    >>> bind(spec, String("HIGH"))
    'high'
    """
    if isinstance(value, String) and spec.type == "string":
        return _folded_text(value.value, value.span, text)
    if isinstance(value, Boolean) and spec.type == "boolean":
        return int(value.value)
    if isinstance(value, Number) and spec.type in ("long", "int") and \
            isinstance(value.value, int):
        return value.value
    if isinstance(value, Number) and spec.type == "decimal":
        return float(value.value)
    raise QueryError(f"{spec.name} cannot be compared with this value", code="ZQL204",
                     span=value.span, text=text)


def _folded_text(value: str, span: Span | None = None, text: str = "") -> str:
    # `\ud800` is a valid ZQL escape but no valid text: SQLite could not even bind it.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError("the text contains an unpaired surrogate escape (\\uD800-\\uDFFF)",
                         code="ZQL204", span=span, text=text) from None
    return fold(value)


class _Compiler:
    def __init__(self, schema: Schema, entity: str, params: list[object], text: str) -> None:
        self.schema = schema
        self.entity = entity
        self.params = params
        self.text = text
        self.depth = 0  # parentheses open around the node being compiled

    def node(self, node: Node) -> str:
        if isinstance(node, Clause):
            return self.clause(node)
        if self.depth >= MAX_NESTING:
            return self.subquery(node)
        if isinstance(node, Not):
            return f"NOT ({self.nested(node.child)})"
        assert isinstance(node, And | Or)
        parts = [self.group(child) for child in _merged(node, self.takes_in)]
        return _balanced(parts, " AND " if isinstance(node, And) else " OR ")

    def takes_in(self, name: str) -> bool:
        spec = self.schema.field(self.entity, name)
        return spec is not None and spec.accepts(Op.IN)

    def nested(self, node: Node) -> str:
        self.depth += 1
        try:
            return self.node(node)
        finally:
            self.depth -= 1

    def group(self, child: Node) -> str:
        if isinstance(child, And | Or):
            return f"({self.nested(child)})"
        return self.node(child)

    def subquery(self, node: Node) -> str:
        # Compiled on its own (fresh nesting, own parameters), run first by the store.
        inner = compile_node(node, self.entity, self.schema, text=self.text)
        self.params.append(Subquery(inner))
        return "d.id IN (SELECT value FROM json_each(?))"

    def values(self, spec: FieldSpec, clause: Clause) -> str:
        value = clause.value
        items: tuple[Scalar, ...] = value.items if isinstance(value, ValueList) else \
            () if isinstance(value, Empty) else (value,)
        bound = [bind(spec, item, self.text) for item in items]
        if len(bound) > LONG_LIST:  # one JSON parameter, whatever SQLite's variable limit
            self.params.append(json.dumps(bound))
            return "SELECT value FROM json_each(?)"
        self.params.extend(bound)
        return ", ".join(["?"] * len(bound))

    def clause(self, clause: Clause) -> str:
        spec = self.schema.field(self.entity, clause.field)
        if spec is None or not spec.accepts(clause.op):
            raise QueryError(f"cannot search {clause.field} with {clause.op.text}",
                             code="ZQL201" if spec is None else "ZQL203",
                             span=clause.span, text=self.text)
        if spec.multi:
            return self.multi(spec, clause)
        col = f"d.{column(spec.name)}"
        op = clause.op
        if op is Op.IS:
            return f"{col} IS NULL"
        if op is Op.IS_NOT:
            return f"{col} IS NOT NULL"
        marks = self.values(spec, clause)
        if op is Op.EQ:
            return f"{col} IS {marks}"
        if op is Op.NE:
            return f"{col} IS NOT {marks}"
        if op is Op.IN:
            return f"({col} IS NOT NULL AND {col} IN ({marks}))"
        # instr() on NULL is NULL: coalesce keeps the predicate two-valued.
        test = "> 0" if op is Op.CONTAINS else "= 0"
        return f"coalesce(instr({col}, {marks}), 0) {test}"

    def multi(self, spec: FieldSpec, clause: Clause) -> str:
        table = multi_table(self.entity, spec)
        op = clause.op
        if op in (Op.IS, Op.IS_NOT):
            # "tag is empty": the item has no tag at all.
            return f"d.id {'NOT ' if op is Op.IS else ''}IN (SELECT doc_id FROM {table})"
        marks = self.values(spec, clause)
        test = {Op.EQ: f"value = {marks}", Op.NE: f"value = {marks}",
                Op.IN: f"value IN ({marks})", Op.CONTAINS: f"instr(value, {marks}) > 0",
                Op.NOT_CONTAINS: f"instr(value, {marks}) > 0"}[op]
        negated = op in (Op.NE, Op.NOT_CONTAINS)
        sub = f"d.id IN (SELECT doc_id FROM {table} WHERE {test})"
        return f"NOT ({sub})" if negated else sub


def _balanced(parts: list[str], joiner: str) -> str:
    """Join ``parts``: flat up to :data:`RUN` of them, else as a tree of groups of RUN.

    >>> _balanced(["a", "b"], " OR ")
    'a OR b'
    >>> _balanced([str(i) for i in range(RUN + 1)], " AND ").count("(")
    2
    """
    while len(parts) > RUN:
        parts = ["(" + joiner.join(parts[i:i + RUN]) + ")" for i in range(0, len(parts), RUN)]
    return joiner.join(parts)


def _merged(node: And | Or, takes_in: Callable[[str], bool]) -> list[Node]:
    """The operands of ``node`` with runs on one field (that takes ``in``) merged into one
    list clause:
    ``f = a or f = b or f in (c)`` is ``f in (a, b, c)``, and ``f != a and f != b`` is
    ``not f in (a, b)`` (the same items, with missing values and multi-valued fields alike).
    A 1,000-id ``or`` chain becomes one ``IN`` list.

    >>> from zql.parser import parse
    >>> from zql.format import format_node
    >>> tree = parse('a = 1 or b = 2 or a in (3, 4)')
    >>> format_node(Or(tuple(_merged(tree, lambda name: True))))
    'a in (1, 3, 4) or b = 2'
    """
    want = (Op.EQ, Op.IN) if isinstance(node, Or) else (Op.NE,)
    groups: dict[str, list[Clause]] = {}
    out: list[Node | str] = []
    for child in node.children:
        if isinstance(child, Clause) and child.op in want and \
                isinstance(child.value, ValueList | String | Number | Boolean) and \
                takes_in(child.field):
            key = child.field.lower()
            if key not in groups:
                groups[key] = []
                out.append(key)
            groups[key].append(child)
        else:
            out.append(child)
    merged: list[Node] = []
    for item in out:
        if not isinstance(item, str):
            merged.append(item)
            continue
        clauses = groups[item]
        if len(clauses) == 1:
            merged.append(clauses[0])
            continue
        values: list[Scalar] = []
        for c in clauses:
            values.extend(c.value.items if isinstance(c.value, ValueList) else (c.value,))  # type: ignore[arg-type]
        first = clauses[0]
        union = Clause(first.field, Op.IN, ValueList(tuple(values)), span=first.span)
        merged.append(union if isinstance(node, Or) else Not(union, span=first.span))
    return merged


def quick_search(word: str) -> Where:
    """Quick search (``zql=false``): every whitespace-separated term must occur,
    case-insensitively, in the item's text (name, ids, steps, notes... see the views).
    A term that is only ``*`` matches everything (a migration tool's default word; INFERRED).

    >>> quick_search("Login  FORM")
    Where(sql='instr(d.quick, ?) > 0 AND instr(d.quick, ?) > 0', params=('login', 'form'))
    >>> quick_search("   ") is MATCH_ALL, quick_search("*") is MATCH_ALL
    (True, True)
    """
    terms = [_folded_text(t) for t in word.split() if t.strip("*")]
    if not terms:
        return MATCH_ALL
    return Where(" AND ".join(["instr(d.quick, ?) > 0"] * len(terms)), tuple(terms))


#: Sort keys every entity has besides its fields: ZE's default ``orderId`` and a few aliases.
_SYSTEM_ORDER = {"orderid": "d.id", "id": "d.id", "lastmodifiedon": "d.modified",
                 "releaseid": "d.release_id", "projectid": "d.project_id"}


def order_by(entity: str, name: str | None, *, ascending: bool = True, is_cfield: bool = False,
             schema: Schema | None = None) -> Order:
    """The sort for ``order`` / ``isascorder`` / ``is_cfield``; unknown names are a 400.

    ``is_cfield=true`` means ``order`` names a custom field (and only then may it).

    >>> order_by("testcase", "PRIORITY", ascending=False).sql
    'd.f_priority DESC, d.id DESC'
    >>> order_by("testcase", "customnumber")
    Traceback (most recent call last):
      ...
    zql.sandbox.sql.QueryError: customnumber is a custom field: sort by it with is_cfield=true
    """
    schema = schema or sandbox_schema()
    key = (name or "orderId").strip()
    spec = schema.field(entity, key)
    if spec is not None and spec.custom is None and key.lower() in _SYSTEM_ORDER:
        spec = None  # requirement's own `id` field is the same column as the item id
    if is_cfield:
        if spec is None or spec.custom is None:
            customs = [f.name for f in schema.fields(entity) if f.custom]
            raise QueryError(f"{key!r} is not a custom field of {entity}; custom fields: "
                             f"{', '.join(customs) or 'none'}")
    elif spec is not None and spec.custom is not None:
        raise QueryError(f"{spec.name} is a custom field: sort by it with is_cfield=true")
    if spec is None:
        if key.lower() in _SYSTEM_ORDER:
            return Order(_SYSTEM_ORDER[key.lower()], ascending)
        raise QueryError(f"cannot sort {entity} by {key!r}; sort by orderId, lastModifiedOn "
                         "or a field: " + ", ".join(f.name for f in schema.fields(entity)
                                                    if not f.multi and not f.custom))
    if spec.multi:
        raise QueryError(f"cannot sort by {spec.name}: an item can have several")
    return Order(f"d.{column(spec.name)}", ascending)
