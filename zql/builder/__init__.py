"""Build ZQL from Python: field handles, immutable expressions, ``&`` ``|`` ``~``.

ZQL has no bind parameters, so values are the security boundary: every string value becomes an
AST :class:`~zql.ast.String` and is written by :func:`zql.format.quote`, never glued into text.
Expressions wrap AST nodes and render through the same formatter the parser round-trips through,
so ``zql.parse(str(expr))`` gives back the tree that was built (after portable lowering).
See ``docs/builder.md``.

>>> import zql
>>> status, name = zql.field("status"), zql.field("name")
>>> q = status.in_("Fail", "Blocked") & ~name.contains('say "hi"')
>>> print(q)
status in ("Fail", "Blocked") and name !~ "say \\"hi\\""
>>> print(q.to_zql(portable=False))
status in ("Fail", "Blocked") not name ~ "say \\"hi\\""
>>> zql.parse(q.to_zql(portable=False)) == q.node
True
"""

from zql.builder._values import Value
from zql.builder.expr import Expr, ExprLike, all_of, and_, any_of, not_, or_
from zql.builder.handles import (
    Field,
    Fields,
    OperatorNotAllowedError,
    UnknownFieldError,
    field,
    fields,
)

__all__ = [
    "Expr",
    "ExprLike",
    "Field",
    "Fields",
    "OperatorNotAllowedError",
    "UnknownFieldError",
    "Value",
    "all_of",
    "and_",
    "any_of",
    "field",
    "fields",
    "not_",
    "or_",
]
