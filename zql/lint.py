"""``zql.lint``: every finding for one query — the facade function, callable as this module.

``zql.lint(query, ...)`` is :func:`zql.linting.lint`, and this module re-exports
:mod:`zql.linting` (``from zql.lint import lint, rules, rule, Rule`` keeps working). See
:mod:`zql._callable_module` for why one object is both (docs/design.md, "Names").

>>> import zql.lint
>>> [d.code for d in zql.lint('a = 1 AND b = 2', select="ZQL302")]
['ZQL302']
>>> zql.lint.rule("ZQL302").name
'keyword-case'
"""

from __future__ import annotations

from zql._callable_module import make_callable
from zql.linting import Codes, Rule, lint, rule, rules

__all__ = ["Codes", "Rule", "lint", "rule", "rules"]

make_callable(__name__, lint)
