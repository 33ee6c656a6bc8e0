"""``zql.validate``: schema checks of one query — the facade function, callable as this module.

``zql.validate(query, ...)`` is :func:`zql.validation.validate`, and this module re-exports
:mod:`zql.validation` (``from zql.validate import validate, check, clause_values`` keeps
working). See :mod:`zql._callable_module` (docs/design.md, "Names").

>>> import zql.validate
>>> [d.code for d in zql.validate("id = 5")]
['ZQL201']
>>> [v.value for v in zql.validate.clause_values(zql.parse('a in ("x", "y")'))]
['x', 'y']
"""

from __future__ import annotations

from zql._callable_module import make_callable
from zql.validation import check, clause_values, validate

__all__ = ["check", "clause_values", "validate"]

make_callable(__name__, validate)
