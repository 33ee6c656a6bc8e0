"""Hover texts: what a field is (from the schema) and what a keyword or operator means in ZE.

Explanations are keyed by the grammar's terminal names and spelled through
:func:`zql._vocabulary.vocabulary`, so a renamed keyword changes here without an edit. Field facts
(entity, type, operators, API-only, custom kind, known values, renames between profiles) come
only from the :class:`~zql.schema.Schema`.

>>> from zql.schema import load_schema
>>> tok = _tokens.Lexeme("FIELD", "field", "altid", 0, 5)
>>> print(describe(tok, load_schema("ze7"), "testcase", None))
**altId** — field of *testcase* (schema ze7)
<BLANKLINE>
string · operators: `~` `!~` `is` `is not`
<BLANKLINE>
Spelled `altid` here; the canonical spelling is `altId`.
<BLANKLINE>
alternate id
"""

from __future__ import annotations

from zql import _tokens, _vocabulary
from zql.ast import Op
from zql.format import quote
from zql.schema import FieldSpec, Schema

__all__ = ["EXPLANATIONS", "describe"]

# What each terminal means in a ZE query. ``{NAME}`` is replaced by that terminal's spelling.
EXPLANATIONS: dict[str, str] = {
    "AND": "**{AND}** — both sides must match. Binds tighter than `{OR}`; mixing the two "
           "without parentheses is flagged (ZQL301) because the server's grouping is "
           "undocumented.",
    "OR": "**{OR}** — either side may match. Binds looser than `{AND}`.",
    "NOT": "**{NOT}** — the next term must not match. ZE's own grammar writes it between two "
           "terms (`a {NOT} b` = `a {AND} {NOT} b`); a leading `{NOT}` is flagged (ZQL303) "
           "and can be rewritten into `!=` / `!~`.",
    "IN": "**{IN}** — the field equals one of the listed values: "
          "`field {IN} (\"a\", \"b\")`. ZE has no `{NOT} {IN}`: use `!=` clauses.",
    "IS": "**{IS}** — `{IS} {EMPTY}` matches items where the field has no value, "
          "`{IS} {NOT} {EMPTY}` items where it has one (ZE 7 and later).",
    "EMPTY": "**{EMPTY}** — no value; only after `{IS}` or `{IS} {NOT}`.",
    "NULL": "**{NULL}** — this project's synonym for `{EMPTY}`; the formatter writes "
            "`{EMPTY}` (ZQL310).",
    "TRUE": "**{TRUE}** — boolean value, for boolean and checkbox fields (not quoted).",
    "FALSE": "**{FALSE}** — boolean value, for boolean and checkbox fields (not quoted).",
    "EQ": "**{EQ}** — equals: the field has exactly this value (for a multi-valued field: "
          "has this value among others).",
    "NE": "**{NE}** — does not equal.",
    "CONTAINS": "**{CONTAINS}** — contains: text search in the field's value; always a quoted "
                "string. Whether ZE matches substrings or words, and with which case rules, "
                "is undocumented (ZE 7.19+ searches through Elasticsearch).",
    "NOT_CONTAINS": "**{NOT_CONTAINS}** — does not contain (see `{CONTAINS}`).",
    "LPAR": "**{LPAR}** — groups terms, or opens the value list of `{IN}`.",
    "RPAR": "**{RPAR}** — closes a group or a value list.",
    "COMMA": "**{COMMA}** — separates the values of an `{IN}` list.",
}
_OP_TERMINALS = {"EQ": Op.EQ, "NE": Op.NE, "CONTAINS": Op.CONTAINS,
                 "NOT_CONTAINS": Op.NOT_CONTAINS, "IN": Op.IN, "IS": Op.IS}


def _spell(template: str) -> str:
    vocab = _vocabulary.vocabulary()
    spellings = {**vocab.symbols, **vocab.keywords}
    return template.format(**spellings)


def describe(token: _tokens.Lexeme, schema: Schema, entity: str, field: str | None) -> str | None:
    """Markdown for a token, or None for values, comments and whitespace.

    ``field`` is the field of the clause the token belongs to, if any: an operator says
    whether that field allows it.

    >>> from zql.schema import load_schema
    >>> print(describe(_tokens.Lexeme("EQ", "operator", "=", 5, 6), load_schema(), "testcase",
    ...                "name").splitlines()[-1])
    `name` does not allow `=`; it allows `~` `!~`.
    """
    if token.type == "FIELD":
        return _field(token.text, schema, entity)
    template = EXPLANATIONS.get(token.type)
    if template is None:
        return None
    text = _spell(template)
    op = _OP_TERMINALS.get(token.type)
    if op is not None and field is not None:
        spec = schema.field(entity, field)
        if spec is not None:
            ops = _ops(spec)
            if spec.accepts(op) or (op is Op.IS and spec.accepts(Op.IS_NOT)):
                text += f"\n\n`{spec.name}` allows {ops}."
            else:
                text += f"\n\n`{spec.name}` does not allow `{op.text}`; it allows {ops}."
    return text


def _ops(spec: FieldSpec) -> str:
    return " ".join(f"`{o}`" for o in spec.operator_texts)


def _field(name: str, schema: Schema, entity: str) -> str:
    spec = schema.field(entity, name)
    if spec is None:
        return _unknown(name, schema, entity)
    lines = [f"**{spec.name}** — field of *{spec.entity}* (schema {schema.name})", "",
             f"{spec.type}{f' ({spec.format})' if spec.format else ''} · operators: "
             f"{_ops(spec)}"]
    notes: list[str] = []
    if spec.name != name:
        notes.append(f"Spelled `{name}` here; the canonical spelling is `{spec.name}`.")
    if spec.api_only:
        notes.append("API-only: the search API accepts it, the ZE web UI does not offer it.")
    if spec.custom:
        notes.append(f"Custom field ({spec.custom}).")
    if spec.multi:
        notes.append("Holds several values: `=` means \"has this value\".")
    if spec.inferred:
        notes.append("Operators completed by analogy (the documentation was cut off).")
    old = [r for r in schema.renames
           if r.new.lower() == spec.name.lower() and spec.entity in r.entities]
    for rename in old:
        notes.append(f"Called `{rename.old}` in {rename.profile}.")
    if spec.values:
        shown = ", ".join(quote(v) for v in spec.values[:12])
        more = f" and {len(spec.values) - 12} more" if len(spec.values) > 12 else ""
        notes.append(f"Known values: {shown}{more}.")
    if notes:
        lines += ["", *notes]
    if spec.description and spec.description != spec.name:
        lines += ["", spec.description]
    return "\n".join(lines)


def _unknown(name: str, schema: Schema, entity: str) -> str:
    canonical = schema.entity_name(entity)
    lines = [f"**{name}** — not a field of *{canonical}* (schema {schema.name})"]
    rename = schema.rename_for(canonical, name)
    if rename is not None:
        lines += ["", f"`{rename.old}` is the {rename.profile} name; this schema calls it "
                      f"`{rename.new}`."]
    others = [e for e in schema.entities_with(name) if e != canonical]
    if others:
        lines += ["", f"A field of {', '.join(others)}."]
    close = schema.suggest(canonical, name)
    if close and rename is None:
        lines += ["", "Did you mean " + ", ".join(f"`{c}`" for c in close) + "?"]
    return "\n".join(lines)
