"""``zql.format``: canonical text of a query — the facade function, callable as this module.

``zql.format(query, *, portable=False)`` is :func:`zql.formatting.format`, and this module
re-exports :mod:`zql.formatting` (``from zql.format import quote`` keeps working). See
:mod:`zql._callable_module` for why one object is both (docs/design.md, "Names").

>>> import zql.format
>>> zql.format('status="Fail"  AND priority IN ("P1","P2")')
'status = "Fail" and priority in ("P1", "P2")'
>>> zql.format.quote('say "hi"')
'"say \\\\"hi\\\\""'
"""

from __future__ import annotations

from zql._callable_module import make_callable
from zql.formatting import format, format_node, format_value, lower_negations, quote

__all__ = ["format", "format_node", "format_value", "lower_negations", "quote"]

make_callable(__name__, format)
