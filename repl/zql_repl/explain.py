r"""What ``\explain`` and ``\schema`` print: parse trees, resolved fields, field tables.

Pure text builders over the engines (parser, linter, schema), tested without a terminal.

>>> from zql.schema import load_schema
>>> print("\n".join(explain_lines('status = "Fail" and not priority = "P1"', load_schema(),
...                               "execution")))  # doctest: +ELLIPSIS
parse tree:
  and  [0:39]
    status = "Fail"  [0:15]
    not  [20:39]
      priority = "P1"  [24:39]
fields (execution):
  status    string  = != in            values from server
  priority  string  = != in is is not  values from server
diagnostics:
  1:21: warning[ZQL303]: ...
...
canonical: status = "Fail" not priority = "P1"
portable:  status = "Fail" and priority != "P1"
"""

from __future__ import annotations

from collections.abc import Sequence

from zql import _vocabulary
from zql.ast import And, Clause, Node, Not, Or, walk
from zql.errors import ZQLSyntaxError, render
from zql.format import format, format_node
from zql.lint import lint
from zql.parser import parse
from zql.schema import FieldSpec, Schema

__all__ = ["explain_lines", "field_lines", "schema_lines", "tree_lines"]


def tree_lines(node: Node, depth: int = 1) -> list[str]:
    """The tree, one node per line, indented, with each node's span.

    >>> tree_lines(parse('a = 1 or b = 2'))
    ['  or  [0:14]', '    a = 1  [0:5]', '    b = 2  [9:14]']
    """
    pad = "  " * depth
    span = getattr(node, "span", None)
    where = f"  [{span.start}:{span.end}]" if span is not None else ""
    vocab = _vocabulary.vocabulary()
    if isinstance(node, Clause):
        return [f"{pad}{format_node(node)}{where}"]
    if isinstance(node, Not):
        return [f"{pad}{vocab.keywords['NOT']}{where}", *tree_lines(node.child, depth + 1)]
    word = vocab.keywords["AND"] if isinstance(node, And) else vocab.keywords["OR"]
    assert isinstance(node, And | Or)
    out = [f"{pad}{word}{where}"]
    for child in node.children:
        out.extend(tree_lines(child, depth + 1))
    return out


def _spec_row(spec: FieldSpec) -> tuple[str, str, str, str]:
    notes = []
    if spec.custom:
        notes.append(f"custom {spec.custom}")
    if spec.format:
        notes.append(spec.format)
    if spec.api_only:
        notes.append("api only")
    if spec.lookup:
        notes.append("values from server")
    return spec.name, spec.type, " ".join(spec.operator_texts), ", ".join(notes)


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
            for r in rows]


def explain_lines(text: str, schema: Schema, entity: str) -> list[str]:
    """The ``\\explain`` report: tree, resolved fields, every diagnostic, canonical text.

    >>> from zql.schema import load_schema
    >>> explain_lines('status = Fail', load_schema(), "testcase")[0]
    'syntax error:'
    """
    try:
        node = parse(text)
    except ZQLSyntaxError as err:
        return ["syntax error:", *(render(text, d) for d in err.diagnostics)]
    out = ["parse tree:", *tree_lines(node), f"fields ({entity}):"]
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for current in walk(node):
        if not isinstance(current, Clause) or current.field.lower() in seen:
            continue
        seen.add(current.field.lower())
        spec = schema.field(entity, current.field)
        if spec is None:
            close = schema.suggest(entity, current.field)
            rows.append((current.field, "unknown",
                         f"did you mean {', '.join(close)}?" if close else "", ""))
        else:
            rows.append(_spec_row(spec))
    out.extend(_table(rows))
    found = lint(text, entity=entity, schema=schema)
    out.append("diagnostics:")
    if not found:
        out.append("  none")
    for diag in found:
        out.extend("  " + line for line in render(text, diag).splitlines())
    out.append(f"canonical: {format(node)}")
    out.append(f"portable:  {format(node, portable=True)}")
    return out


def schema_lines(schema: Schema, entity: str) -> list[str]:
    """The ``\\schema`` table: every field of ``entity`` with type, operators and notes.

    >>> from zql.schema import load_schema
    >>> schema_lines(load_schema(), "testcase")[1].split()[:2]
    ['testcaseId', 'long']
    """
    rows: list[tuple[str, ...]] = [("field", "type", "operators", "notes")]
    rows.extend(_spec_row(spec) for spec in schema.fields(entity))
    return _table(rows)


def field_lines(spec: FieldSpec, values: Sequence[str] | None) -> list[str]:
    """The ``\\schema FIELD`` description, with known values (None: still loading).

    >>> from zql.schema import load_schema
    >>> field_lines(load_schema().field("execution", "status"), ["Blocked", "N/A"])[-1]
    'values: Pass, Fail, WIP, Blocked, Not Executed, N/A'
    """
    name, ftype, ops, notes = _spec_row(spec)
    out = [f"{name} ({spec.entity})", f"type: {ftype}", f"operators: {ops}"]
    if notes:
        out.append(f"notes: {notes}")
    if spec.description and spec.description != spec.name:
        out.append(f"about: {spec.description}")
    known = list(dict.fromkeys([*spec.values, *(values or ())]))
    if known:
        shown = known[:40]
        more = f", … ({len(known) - 40} more)" if len(known) > 40 else ""
        out.append("values: " + ", ".join(shown) + more)
    elif values is None:
        out.append("values: still loading (try again in a moment)")
    return out
