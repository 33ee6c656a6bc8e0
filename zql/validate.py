"""Compatibility path: the validator lives in :mod:`zql.validation`.

``from zql.validate import validate, check, clause_values`` keeps working; the attribute
``zql.validate`` is the *function* (see :mod:`zql.lint` for why that holds).

>>> from zql.validate import validate
>>> import zql, zql.validation
>>> validate is zql.validate is zql.validation.validate
True
"""

from zql.validation import check, clause_values, validate

__all__ = ["check", "clause_values", "validate"]
