"""Names a package loads on first use (PEP 562 module ``__getattr__``), in one place.

``zql`` defers the builder and ``zql.update`` its engine this way, so that ``zql lint`` and the
argument definitions of ``zql update`` start without them (docs/design.md, "Start-up").
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(package: str, where: Mapping[str, str]
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name in ``where`` is imported from
    its module on first use and then kept in the package's namespace.

    Assign them under ``if not TYPE_CHECKING:`` beside typed imports of the same names, so that
    mypy still reports a misspelt name.

    >>> getattr_, dir_ = lazy_names("zql", {"Expr": "zql.builder"})
    >>> getattr_("Expr").__name__, "Expr" in dir_()
    ('Expr', True)
    >>> getattr_("nope")
    Traceback (most recent call last):
      ...
    AttributeError: module 'zql' has no attribute 'nope'
    """
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where))

    return __getattr__, __dir__
