"""Completion: what may come at the cursor, asked of the grammar, filled in from the schema.

:func:`complete` reads the text before the cursor as the parser does and takes the set of
terminals the parse tables accept where the word under the cursor starts
(:func:`expected_at`). Each terminal becomes candidates: ``FIELD`` the fields of the entity,
operator terminals the operators the field just typed allows, value terminals the values of
that field (booleans, the schema's known values, and a :data:`ValueSource` such as the shell's
server lookups, quoted with :func:`zql.format.quote`), and keywords and punctuation where they
fit. Candidates are ranked by :func:`zql._complete_rank.match` and :class:`UsageCounts`.

Pure and synchronous: no terminal, no network (the value source is the caller's), so the shell,
the language server and tests share it. See ``docs/engines.md`` for adapters.

>>> [c.text for c in complete('priority = "P1" and id')]
['testcaseId', 'altId', 'versionId', 'estimatedTime']
>>> [c.text for c in complete("status ", entity="execution")]
['=', '!=', 'in']
>>> [(c.text, c.start, c.end) for c in complete('status = "Fa', entity="execution")]
[('"Fail"', 9, 12)]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from zql import _lexer, _vocabulary
from zql._complete_context import VALUE_TERMINALS, Context, context_at
from zql._complete_rank import MATCHES, UsageCounts, match
from zql.ast import Op
from zql.format import quote
from zql.schema import FieldSpec, Schema, load_schema

__all__ = ["KINDS", "Completion", "UsageCounts", "ValueSource", "complete", "expected_at"]

#: The kinds of completion, for menus and LSP item kinds.
KINDS = ("field", "operator", "keyword", "value", "punctuation")

#: ``values(entity, field_spec, prefix)``: values to offer for a field, or None while they are
#: still loading (the result then ends with one ``pending`` item). It should answer from a
#: cache at once; ``prefix`` lets it narrow a server lookup. Values are plain (unquoted) text.
ValueSource = Callable[[str, FieldSpec, str], Sequence[str] | None]

_NUMERIC = frozenset({"long", "int", "decimal"})
_CONNECTIVES = ("AND", "OR", "NOT")
_OP_META = {Op.EQ: "equals", Op.NE: "does not equal", Op.CONTAINS: "contains",
            Op.NOT_CONTAINS: "does not contain", Op.IN: "one of a list",
            Op.IS: "has no value", Op.IS_NOT: "has a value"}
_KEYWORD_META = {"AND": "both sides match", "OR": "either side matches",
                 "NOT": "the next term does not match", "EMPTY": "no value"}
_PUNCT_META = {"LPAR": "group", "RPAR": "close the group", "COMMA": "another value"}
_MATCH_ORDER = {how: i for i, how in enumerate(MATCHES)}
# Which candidates fit how the word under the cursor is being typed.
_KINDS_FOR_PARTIAL = {"": frozenset(KINDS), "word": frozenset(KINDS),
                      "number": frozenset({"value"}), "string": frozenset({"value"}),
                      "symbol": frozenset({"operator", "punctuation"})}


@dataclass(frozen=True, slots=True)
class Completion:
    """One suggestion: replace ``text[start:end]`` of the input with :attr:`text`.

    ``[start, end)`` is the whole word, number, string or operator under the cursor (it may
    reach past the cursor), or the empty range at the cursor. ``display`` is what a menu shows,
    ``meta`` a short description, ``kind`` one of :data:`KINDS`. ``rank`` is the position in
    the ranked list (0 = best) and ``match`` how it matched the typed prefix (``prefix``,
    ``word`` or ``fuzzy``). A ``pending`` item inserts nothing: it says values are loading.

    >>> c = complete("prio")[0]
    >>> c.text, c.start, c.end, c.kind, c.meta
    ('priority', 0, 4, 'field', 'string · = != in is is not')
    """

    text: str
    start: int
    end: int
    display: str
    meta: str = ""
    kind: str = "keyword"
    rank: int = 0
    match: str = "prefix"
    pending: bool = False

    def apply(self, text: str) -> tuple[str, int]:
        """The text with this completion applied, and the cursor after the inserted text.

        >>> complete("prio")[0].apply("prio")
        ('priority', 8)
        """
        return text[: self.start] + self.text + text[self.end :], self.start + len(self.text)


@dataclass(frozen=True, slots=True)
class _Candidate:
    text: str
    display: str
    meta: str
    kind: str
    how: str
    uses: int


class _Collector:
    """Gathers the candidates that match the typed prefix, in schema order."""

    def __init__(self, ctx: Context, field_key: str,
                 history: UsageCounts | Mapping[str, int] | None) -> None:
        self.prefix, self.field_key, self.history = ctx.prefix, field_key, history
        self.allowed = _KINDS_FOR_PARTIAL[ctx.partial]
        self.items: list[_Candidate] = []

    def add(self, display: str, meta: str, kind: str, *, quoted: bool = False) -> None:
        """Keep ``display`` if it matches; its inserted text is quoted only then (values)."""
        if kind not in self.allowed:
            return
        how = match(self.prefix, display)
        if how is None:
            return
        text = quote(display) if quoted else display
        self.items.append(_Candidate(text, display, meta, kind, how, self._uses(kind, display)))

    def _uses(self, kind: str, text: str) -> int:
        if self.history is None:
            return 0
        if isinstance(self.history, UsageCounts):
            return self.history.uses(kind, text, field=self.field_key)
        return int(self.history.get(text, 0))

    def ranked(self) -> list[_Candidate]:
        """Best match first, then most used, then schema order (the sort is stable)."""
        return sorted(self.items, key=lambda c: (_MATCH_ORDER[c.how], -c.uses))


def expected_at(text: str, cursor: int | None = None) -> set[str]:
    """Terminal names that may start where the word under the cursor starts.

    The word being typed (``sta`` in ``a = 1 and sta``) is not part of the context: what is
    returned is what may stand in its place. ``$END`` means the query may end there. Empty
    inside a comment or when the text before the cursor cannot be read.

    >>> sorted(expected_at("status "))
    ['CONTAINS', 'EQ', 'IN', 'IS', 'NE', 'NOT_CONTAINS']
    >>> sorted(expected_at('a = 1 and st'))
    ['FIELD', 'LPAR', 'NOT']
    """
    ctx = context_at(text, _cursor(text, cursor))
    return set(ctx.accepts) if ctx is not None else set()


def complete(
    text: str,
    cursor: int | None = None,
    *,
    schema: str | Schema = "ze7",
    entity: str = "testcase",
    values: ValueSource | None = None,
    history: UsageCounts | Mapping[str, int] | None = None,
) -> list[Completion]:
    """Ranked completions at ``cursor`` (default: the end of ``text``); never raises on text.

    ``schema`` is a bundled profile name or a :class:`~zql.schema.Schema` (custom fields
    included); ``history`` a :class:`UsageCounts` or a mapping of candidate text to uses.
    Unknown entities and schema names raise :class:`~zql.schema.SchemaError`, a cursor outside
    the text ``ValueError``.

    >>> [c.text for c in complete("automated = ")]
    ['true', 'false']
    >>> [c.text for c in complete("altId is ")]
    ['not', 'empty']
    >>> src = lambda entity, spec, prefix: ["Ironclad", "Atlas"] if spec.name == "project" else []
    >>> [c.text for c in complete('project in ("Atlas", ', values=src)]
    ['"Ironclad"']
    """
    cursor = _cursor(text, cursor)
    resolved = load_schema(schema)
    entity = Schema.entity_name(entity)
    ctx = context_at(text, cursor)
    if ctx is None or not ctx.accepts:
        return []
    collected, pending = _candidates(ctx, resolved, entity, values, history)
    gap = " " if _needs_space(text, ctx.start) else ""
    out = [
        Completion(text=(gap + c.text if c.text[:1].isalpha() else c.text), start=ctx.start,
                   end=ctx.end, display=c.display, meta=c.meta, kind=c.kind, rank=rank,
                   match=c.how)
        for rank, c in enumerate(collected.ranked())
    ]
    if pending:
        out.append(Completion(text="", start=cursor, end=cursor, display="…", meta="loading…",
                              kind="value", rank=len(out), pending=True))
    return out


def _cursor(text: str, cursor: int | None) -> int:
    if not isinstance(text, str):
        raise TypeError(f"completion needs query text (str), not {type(text).__name__}")
    if cursor is None:
        return len(text)
    if not 0 <= cursor <= len(text):
        raise ValueError(f"cursor {cursor} is outside the text (0..{len(text)})")
    return cursor


def _needs_space(text: str, start: int) -> bool:
    # A word inserted right after a word, number, string or ")" would glue onto it
    # (`"Fail"and`): valid ZQL, but not what anyone types.
    return start > 0 and (text[start - 1].isalnum() or text[start - 1] in '"_)')


def _candidates(ctx: Context, schema: Schema, entity: str, values: ValueSource | None,
                history: UsageCounts | Mapping[str, int] | None) -> tuple[_Collector, bool]:
    """Candidates for the accepted terminals; and whether the value source is still loading."""
    vocab = _vocabulary.vocabulary()
    accepts = ctx.accepts
    spec = schema.field(entity, ctx.field) if ctx.field else None
    out = _Collector(ctx, spec.name if spec else (ctx.field or ""), history)
    if "FIELD" in accepts:
        for f in schema.fields(entity):
            out.add(f.name, _field_meta(f), "field")
    for op in Op:
        terminal = Op.IS.value if op is Op.IS_NOT else op.value
        if terminal in accepts and (spec is None or spec.accepts(op)):
            out.add(op.text, _OP_META[op], "operator")
    # NULL, a synonym of EMPTY, is accepted but never offered: the formatter writes EMPTY.
    if ctx.last == "IS":
        if "NOT" in accepts and (spec is None or spec.accepts(Op.IS_NOT)):
            out.add(vocab.keywords["NOT"], _OP_META[Op.IS_NOT], "operator")
        if "EMPTY" in accepts and (spec is None or spec.accepts(Op.IS)):
            out.add(vocab.keywords["EMPTY"], _KEYWORD_META["EMPTY"], "keyword")
    elif "EMPTY" in accepts:
        out.add(vocab.keywords["EMPTY"], _KEYWORD_META["EMPTY"], "keyword")
    pending = False
    if accepts & VALUE_TERMINALS and spec is not None:
        pending = _values(ctx, spec, entity, values, out)
    for name in _CONNECTIVES:
        if name in accepts and ctx.last != "IS":
            out.add(vocab.keywords[name], _KEYWORD_META[name], "keyword")
    for name, meta in _PUNCT_META.items():
        if name in accepts:
            out.add(vocab.symbols[name], "list of values" if ctx.last == "IN" else meta,
                    "punctuation")
    return out, pending


def _values(ctx: Context, spec: FieldSpec, entity: str, values: ValueSource | None,
            out: _Collector) -> bool:
    """Add the value candidates of ``spec``; True if the value source is still loading."""
    vocab = _vocabulary.vocabulary()
    accepts = ctx.accepts
    if spec.type == "boolean" and ctx.partial != "string":
        listed = {item.lower() for item in ctx.listed}
        for name in ("TRUE", "FALSE"):
            if name in accepts and vocab.keywords[name] not in listed:
                out.add(vocab.keywords[name], spec.name, "value")
        return False
    as_string = "STRING" in accepts and spec.type == "string"
    as_number = "NUMBER" in accepts and spec.type in _NUMERIC and ctx.partial != "string"
    if not (as_string or as_number):
        return False
    found = values(entity, spec, ctx.prefix) if values is not None else ()
    seen = set(ctx.listed)
    for value in (*spec.values, *(found or ())):
        if value in seen or not isinstance(value, str):
            continue
        seen.add(value)
        if as_string:
            out.add(value, spec.name, "value", quoted=True)
        elif _is_number(value):
            out.add(value, spec.name, "value")
    return found is None


def _is_number(text: str) -> bool:
    toks = list(_lexer.scan(text))
    return len(toks) == 1 and toks[0].type == "NUMBER"


def _field_meta(spec: FieldSpec) -> str:
    kind = spec.type + (f" {spec.format}" if spec.format else "")
    parts = [kind, " ".join(spec.operator_texts)]
    if spec.custom:
        parts.append(f"custom {spec.custom}")
    if spec.api_only:
        parts.append("api only")
    return " · ".join(parts)
