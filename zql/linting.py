"""``lint()``: every check at once — syntax, schema and style — and never an exception for text.

Syntax errors become the parser's ``ZQL1xx`` diagnostics; a query that parses gets the
validator's ``ZQL2xx`` and the style and portability rules ``ZQL3xx`` below. The registry of
all codes lives in :mod:`zql.rules` (re-exported here as :func:`rules`, :func:`rule`).

The package facade binds this module's *function* to ``zql.lint``, so ``zql.lint("...")`` lints;
``zql.lint`` the module is a compatibility shim for ``from zql.lint import ...``. Whole ``.zql``
texts (several queries, file offsets, fixes applied) are :mod:`zql.documents`.

Cost: one parse per call and no second lexing pass. Keyword positions come from the tree (spans
of operators, values and ``not``) plus a scan of only the gaps between siblings, where ``and`` /
``or`` sit; ``_lexer.tokenize`` would re-run the whole LALR parser for the same answer.

>>> [(d.code, d.span.start) for d in lint('a = 1 AND')]
[('ZQL114', 6)]
>>> [d.code for d in lint('priority = "P1" AND tag in ("x") or name = "y"')]
['ZQL301', 'ZQL302', 'ZQL308', 'ZQL203']
"""

from __future__ import annotations

import os
import unicodedata
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from zql import _lexer, _tokens, _vocabulary
from zql._quote import INVISIBLE
from zql.ast import And, Boolean, Clause, Empty, Node, Not, Op, Or, Scalar, String, ValueList
from zql.errors import Diagnostic, Fix, Span, TextEdit
from zql.format import format_node, lower_negations
from zql.parser import parse_all
from zql.rules import Rule, diagnostic, rule, rules
from zql.schema import FieldSpec, Schema, load_schema
from zql.validation import check, clause_values

__all__ = ["Codes", "Rule", "lint", "rule", "rules", "selector"]

#: Codes to select or ignore: ``"ZQL3"``, ``"ZQL301,ZQL302"``, ``["ZQL2", "mixed-and-or"]``.
Codes = str | Iterable[str] | None

_SHOWN = 60  # longest clause text quoted inside a message


def lint(
    text: str,
    *,
    entity: str = "testcase",
    schema: str | os.PathLike[str] | Schema | None = "ze7",
    select: Codes = None,
    ignore: Codes = None,
) -> list[Diagnostic]:
    """All findings for one query, sorted by span then code. Never raises for any text.

    ``select`` keeps only codes starting with one of its entries (codes, prefixes such as
    ``"ZQL3"``, or rule names); ``ignore`` drops them. An entry that matches no rule, an unknown
    entity or an unknown schema is a usage error (``ValueError`` / :class:`~zql.SchemaError`).

    >>> [d.code for d in lint('not priority = "P1" and priority = "P2"')]
    ['ZQL303']
    >>> lint('not priority = "P1"')[0].fix.apply('not priority = "P1"')
    'priority != "P1"'
    >>> [d.code for d in lint('PRIORITY = "P1" AND name = "x"', select="ZQL2", ignore=["ZQL203"])]
    ['ZQL202']
    >>> lint('status = "Fail')[0].code
    'ZQL101'
    """
    keep = selector(select, ignore)
    resolved = load_schema(schema)
    canonical = Schema.entity_name(entity)
    parsed = parse_all(text)  # every syntax error, not only the first
    node = parsed.tree
    if node is None:
        found = list(parsed.diagnostics)
    else:
        found = check(node, resolved, canonical)
        found.extend(_Style(text, resolved, canonical).run(node))
    found = [d for d in found if keep(d.code)]
    # ZQL310's fix for `NULL` lowercases too, so a ZQL302 on the same word would only be noise.
    nulls = {d.span for d in found if d.code == "ZQL310"}
    found = [d for d in found if not (d.code == "ZQL302" and d.span in nulls)]
    found.sort(key=lambda d: (d.span.start, d.span.end, d.code))
    return found


def selector(select: Codes, ignore: Codes) -> Callable[[str], bool]:
    """Whether a code is kept by ``select`` / ``ignore`` (as :func:`lint` reads them).

    >>> keep = selector("ZQL3", ["ZQL302"])
    >>> keep("ZQL301"), keep("ZQL302"), keep("ZQL201")
    (True, False, False)
    """
    chosen = _prefixes(select, "select")
    dropped = _prefixes(ignore, "ignore") or ()

    def keep(code: str) -> bool:
        if chosen is not None and not code.startswith(chosen):
            return False
        return not code.startswith(dropped)

    return keep


def _prefixes(codes: Codes, what: str) -> tuple[str, ...] | None:
    if codes is None:
        return None
    items = codes.split(",") if isinstance(codes, str) else codes
    out: list[str] = []
    for item in items:
        key = str(item).strip()
        if not key:
            continue
        if any(r.code.startswith(key.upper()) for r in rules()):
            out.append(key.upper())
            continue
        try:
            out.append(rule(key).code)
        except KeyError as err:
            raise ValueError(f"{what}: {err.args[0]}") from None
    return tuple(out)


# --------------------------------------------------------------------------- style rules


@dataclass
class _Facts:
    """What the clauses of one ``and`` have said so far about one field (for ZQL306)."""

    positive: list[tuple[Clause, frozenset[object]]] = field(default_factory=list)
    allowed: set[object] | None = None  # case-folded values that `=` / `in` still allow
    excluded: dict[object, Clause] = field(default_factory=dict)  # values ruled out by `!=`
    empty: Clause | None = None
    not_empty: Clause | None = None
    reported: bool = False


class _Style:
    """One walk over the tree collecting the ZQL3xx findings and the keyword positions."""

    def __init__(self, text: str, schema: Schema, entity: str) -> None:
        self.text = text
        self.schema = schema
        self.entity = entity
        self.vocab = _vocabulary.vocabulary()
        self.out: list[Diagnostic] = []
        self.keywords: list[Span] = []

    def run(self, root: Node) -> list[Diagnostic]:
        # (node, parent, inside a prefix `not`, the connective token before it)
        stack: list[tuple[Node, Node | None, bool, _tokens.Lexeme | None]] = [
            (root, None, False, None)]
        while stack:
            node, parent, negated, joined_by = stack.pop()
            if isinstance(node, Clause):
                self._clause(node)
            elif isinstance(node, Not):
                self.keywords.append(node.keyword_span)
                # The fix of an outer prefix `not` rewrites everything inside it, so only the
                # outermost one is reported: nested fixes would overlap.
                if not node.infix and not negated:
                    self._prefix_not(node, parent, joined_by)
                stack.append((node.child, node, negated or not node.infix, None))
            else:
                joins = self._connectives(node)
                if isinstance(node, Or):
                    self._mixed(node)
                else:
                    self._contradictions(node)
                self._duplicate_children(node)
                stack.extend((c, node, negated, j)
                             for c, j in reversed(list(zip(node.children, joins, strict=True))))
        self._keyword_case()
        self._url_length(root)
        return self.out

    # ---- keywords

    def _connectives(self, node: And | Or) -> list[_tokens.Lexeme | None]:
        """The ``and`` / ``or`` before each child, scanning only the gaps between siblings."""
        joins: list[_tokens.Lexeme | None] = [None]
        for left, right in zip(node.children, node.children[1:], strict=False):
            tok = next((t for t in _lexer.scan(self.text, left.span.end, right.span.start)
                        if t.type in ("AND", "OR")), None)
            if tok is not None:
                self.keywords.append(Span(tok.start, tok.end))
            joins.append(tok)
        return joins

    def _keyword_case(self) -> None:
        for span in self.keywords:
            word = span.slice(self.text)
            if word != word.lower():
                self.out.append(diagnostic(
                    "ZQL302", f"keyword '{word}' is not lowercase", span,
                    f"write {word.lower()}", [_edit(f"write {word.lower()}", span, word.lower())]))

    # ---- clauses

    def _clause(self, clause: Clause) -> None:
        if self.text[clause.op_span.start: clause.op_span.start + 1].isalpha():
            self.keywords.extend(Span(t.start, t.end)
                                 for t in _lexer.scan(self.text, clause.op_span.start,
                                                        clause.op_span.end)
                                 if t.kind == _tokens.KEYWORD)
        spec = self.schema.field(self.entity, clause.field)
        value = clause.value
        if isinstance(value, Empty):
            self.keywords.append(value.span)
            if value.spelled == self.vocab.keywords["NULL"].upper():
                empty = self.vocab.keywords["EMPTY"]
                self.out.append(diagnostic(
                    "ZQL310", f"'{value.span.slice(self.text)}' is a synonym of {empty}",
                    value.span, f"write {empty}", [_edit(f"write {empty}", value.span, empty)]))
            return
        values = clause_values(clause)
        self.keywords.extend(v.span for v in values if isinstance(v, Boolean))
        for item in values:
            if isinstance(item, String) and not item.value:
                self._empty_string(clause, item, spec)
            elif isinstance(item, String) and any(ord(c) in INVISIBLE for c in item.value):
                self._invisible(item)
        if isinstance(value, ValueList):
            self._list(clause, value, spec)

    def _invisible(self, item: String) -> None:
        """ZQL311: raw bidi controls and zero-width characters in a value (Trojan Source)."""
        raw = item.span.slice(self.text)
        for start, end, char in _string_characters(raw):
            if end - start > 1 or ord(char) not in INVISIBLE:
                continue  # an escape (\u202e) shows what it is: only raw characters deceive
            code = f"U+{ord(char):04X} {unicodedata.name(char, 'FORMAT CHARACTER')}"
            escape = f"\\u{ord(char):04x}"
            span = Span(item.span.start + start, item.span.start + end)
            self.out.append(diagnostic(
                "ZQL311", f"a value holds {code}, which is invisible and can make the query "
                "read differently from what it is (Trojan Source)", span,
                f"remove it, or write it as {escape} so that it shows",
                [_edit(f"write it as {escape}", span, escape)]))

    def _empty_string(self, clause: Clause, item: String, spec: FieldSpec | None) -> None:
        is_op = {Op.EQ: Op.IS, Op.NE: Op.IS_NOT}.get(clause.op)
        empty = self.vocab.keywords["EMPTY"]
        fixes: list[Fix] = []
        if is_op is not None and spec is not None and spec.accepts(is_op):
            new = f"{is_op.text} {empty}"
            fixes.append(_edit(f"write {new}", Span(clause.op_span.start, item.span.end), new))
        takes_is = spec is None or spec.accepts(Op.IS)
        hint = (f"to find items with no {clause.field}, write {clause.field} {Op.IS.text} {empty}"
                if takes_is else "remove the clause or give a value")
        # `= ""` -> `is empty` is what was probably meant, but not what the text says: a guess.
        fixes = [Fix(f.title, f.edits, safe=False) for f in fixes]
        self.out.append(diagnostic("ZQL304", 'the ZE UI rejects the empty string ""', item.span,
                                   hint, fixes))

    def _list(self, clause: Clause, value: ValueList, spec: FieldSpec | None) -> None:
        seen: set[Scalar] = set()
        for before, item in zip(value.items, value.items[1:], strict=False):
            seen.add(before)
            if item in seen:
                shown = item.span.slice(self.text)
                self.out.append(diagnostic(
                    "ZQL305", f"{shown} is already in the list", item.span, "remove it",
                    [_edit(f"remove {shown}", Span(before.span.end, item.span.end), "")]))
        if len(value.items) == 1 and (spec is None or spec.accepts(Op.EQ)):
            only = value.items[0].span.slice(self.text)
            eq = Op.EQ.text
            self.out.append(diagnostic(
                "ZQL308", f"'{clause.op_span.slice(self.text)}' with a single value", value.span,
                f"write {clause.field} {eq} {only}",
                [Fix(f"write {eq} {only}", (TextEdit(clause.op_span, eq),
                                            TextEdit(value.span, only)))]))

    # ---- negation

    def _prefix_not(self, node: Not, parent: Node | None, joined_by: _tokens.Lexeme | None) -> None:
        lowered = lower_negations(node)
        new = format_node(lowered)
        grouped = self.text[node.span.start: node.span.start + 1] == "("
        if isinstance(lowered, And | Or) and (
                grouped or isinstance(parent, Not)
                or (isinstance(parent, And | Or) and type(parent) is not type(lowered))):
            new = f"({new})"
        fixes = [_edit("rewrite the negation with operators", node.span, new)]
        if joined_by is not None and joined_by.type == "AND" and not grouped:
            # `a and not b` -> `a not b`: the ZE UI's own form, same meaning.
            fixes.append(_edit(f"drop '{joined_by.text}': a {self.vocab.keywords['NOT']} b",
                               Span(joined_by.start, node.span.start), ""))
        not_kw = node.keyword_span.slice(self.text)
        self.out.append(diagnostic(
            "ZQL303", f"'{not_kw}' before a term is not portable: the ZE UI grammar only takes "
            f"{self.vocab.keywords['NOT']} between two terms", node.keyword_span,
            f"write {_short(new)}", fixes))

    # ---- and / or

    def _mixed(self, node: Or) -> None:
        bare = [c for c in node.children if isinstance(c, And) and not _grouped(c)]
        if not bare:
            return
        edits: list[TextEdit] = []
        for child in bare:
            edits.append(TextEdit(Span(child.span.start, child.span.start), "("))
            edits.append(TextEdit(Span(child.span.end, child.span.end), ")"))
        kw = self.vocab.keywords
        self.out.append(diagnostic(
            "ZQL301", f"'{kw['AND']}' and '{kw['OR']}' mixed without parentheses; how ZE "
            "groups them is undocumented", node.children[0].span.cover(node.children[-1].span),
            f"this parser reads {kw['AND']} first; parenthesise to make it explicit",
            [Fix("add the parentheses", tuple(edits))]))

    def _duplicate_children(self, node: And | Or) -> None:
        seen: set[object] = set()
        kw = self.vocab.keywords["AND" if isinstance(node, And) else "OR"]
        keys = [_key(c) for c in node.children]
        for i, child in enumerate(node.children[1:], start=1):
            seen.add(keys[i - 1])
            if keys[i] not in seen:
                continue
            before = node.children[i - 1]
            fixes: list[Fix] = []
            gap = list(_lexer.scan(self.text, before.span.end, child.span.start))
            # Children of flattened groups can have a parenthesis in the gap; never unbalance it.
            if not any(t.type == "LPAR" for t in gap):
                start = max([before.span.end] + [t.end for t in gap if t.type == "RPAR"])
                fixes.append(_edit("remove the repeat", Span(start, child.span.end), ""))
            self.out.append(diagnostic(
                "ZQL309", f"{_short(format_node(child))} appears twice in this {kw}", child.span,
                "remove the repeat, or change it to what was meant", fixes))

    def _contradictions(self, node: And) -> None:
        facts: dict[str, _Facts] = {}
        for clause in node.children:
            if not isinstance(clause, Clause):
                continue
            spec = self.schema.field(self.entity, clause.field)
            if spec is None:
                continue
            fact = facts.setdefault(spec.name, _Facts())
            if fact.reported:
                continue
            earlier = _contradicted(fact, clause, spec.multi)
            if earlier is not None:
                fact.reported = True
                both_values = clause.op in (Op.EQ, Op.IN) and earlier.op in (Op.EQ, Op.IN)
                self.out.append(diagnostic(
                    "ZQL306", f"never matches: {_short(format_node(clause))} contradicts "
                    f"{_short(format_node(earlier))}", clause.span,
                    f"join them with {self.vocab.keywords['OR']}, or list the values with "
                    f"{Op.IN.text} (…)" if both_values else "remove one of them"))

    def _url_length(self, root: Node) -> None:
        # Skip the formatting on short input: a code point percent-encodes to at most 12
        # characters (4 UTF-8 bytes; a \uXXXX escape takes 8), and the formatter adds at most
        # a space and a parenthesis (3 characters each) around a token of at least 1 character.
        limit = self.schema.values.url_limit
        if len(self.text) * 18 <= limit:
            return
        encoded = len(urllib.parse.quote(format_node(root), safe=""))
        if encoded > limit:
            self.out.append(diagnostic(
                "ZQL307", f"the query is {encoded} characters once URL-encoded; a GET search "
                f"over {limit} may be refused", root.span,
                "split it into several searches, or send it with POST /advancesearch"))




def _string_characters(raw: str) -> Iterator[tuple[int, int, str]]:
    """Each character of a string literal's source, as (start, end, character): a ``\\uXXXX``
    escape is one character spanning six; the quotes are left out.

    >>> [(s, e, hex(ord(c))) for s, e, c in _string_characters('"a' + chr(92) + 'u200bb"')]
    [(1, 2, '0x61'), (2, 8, '0x200b'), (8, 9, '0x62')]
    """
    i, end = 1, len(raw) - 1
    while i < end:
        if raw[i] == "\\" and i + 1 < end:
            if raw[i + 1] == "u" and i + 6 <= end:
                try:
                    yield i, i + 6, chr(int(raw[i + 2:i + 6], 16))
                except ValueError:
                    pass
                else:
                    i += 6
                    continue
            yield i, i + 2, raw[i + 1]
            i += 2
            continue
        yield i, i + 1, raw[i]
        i += 1


def _contradicted(fact: _Facts, clause: Clause, multi: bool) -> Clause | None:
    """Record ``clause`` in ``fact``; return an earlier clause it can never match with."""
    op = clause.op
    if op is Op.IS:
        hit = fact.not_empty or (fact.positive[0][0] if fact.positive else None)
        fact.empty = fact.empty or clause
        return hit
    if op is Op.IS_NOT:
        fact.not_empty = fact.not_empty or clause
        return fact.empty
    if op in (Op.EQ, Op.IN):
        values = clause_values(clause)
        exact = frozenset(_exact(v) for v in values)
        fact.positive.append((clause, exact))
        if fact.empty is not None:
            return fact.empty
        if multi:  # tags: `tag = "a" and tag = "b"` means both tags
            return None
        folded = {_folded(v) for v in values}
        first = fact.positive[0][0]
        fact.allowed = folded if fact.allowed is None else fact.allowed & folded
        if not fact.allowed:
            return first
        if exact <= fact.excluded.keys():
            return fact.excluded[next(iter(exact))]
        return None
    if op is Op.NE and not multi:
        assert not isinstance(clause.value, ValueList | Empty)
        fact.excluded.setdefault(_exact(clause.value), clause)
        for earlier, exact in fact.positive:
            if exact <= fact.excluded.keys():
                return earlier
    return None


def _exact(value: Scalar) -> object:
    return (type(value).__name__, value.value)


def _folded(value: Scalar) -> object:
    # Different only if different ignoring case: right whatever the server's case rules.
    if isinstance(value, String):
        return ("String", value.value.casefold())
    return _exact(value)


def _key(node: Node) -> object:
    if isinstance(node, Clause):
        return (node.field.lower(), node.op, node.value)
    return node


def _grouped(node: And | Or) -> bool:
    # The parser gives a parenthesised group the span of its parentheses; otherwise a node
    # spans exactly its first to its last child.
    return node.span != node.children[0].span.cover(node.children[-1].span)


def _edit(title: str, span: Span, new_text: str) -> Fix:
    return Fix(title, (TextEdit(span, new_text),))


def _short(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"
