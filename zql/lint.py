"""Compatibility path: the linter lives in :mod:`zql.linting`.

``from zql.lint import lint, rules, rule, Rule`` keeps working. The package binds the
*function* to the attribute ``zql.lint`` (this module is imported first by ``zql/__init__.py``,
so loading it later can never shadow the function); use ``import zql.linting`` for the module.

>>> from zql.lint import lint
>>> import zql, zql.linting
>>> lint is zql.lint is zql.linting.lint
True
"""

from zql.linting import Codes, Rule, lint, rule, rules

__all__ = ["Codes", "Rule", "lint", "rule", "rules"]
