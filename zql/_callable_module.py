"""Facade names that are both a function and a module (``zql.format``), without shadowing.

``zql.format(...)`` is a function of the facade, and ``from zql.format import quote`` is an
import path people use. A plain module ``zql/format.py`` beside a function ``zql.format``
cannot work: importing the submodule rebinds the package attribute to the module, and
``import zql.format as f`` binds whichever object won. Instead the implementation lives in a
module with another name (:mod:`zql.formatting`), and ``zql/format.py`` is a thin module made
callable by :func:`make_callable`: ``zql.format`` is then one object however it is reached —
the module, with the same attributes as before, that calls the function.

This is a leaf module (nothing from ``zql``); ``zql/lint.py`` and ``zql/validate.py`` can
follow the same pattern.

>>> import zql, zql.format as f
>>> f is zql.format, f('a="x"'), f.quote("y")
(True, 'a = "x"', '"y"')
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["CallableModule", "make_callable"]


class CallableModule(types.ModuleType):
    """A module that calls its ``__wrapped__`` function (``inspect.signature`` follows it).

    >>> import inspect, zql, zql.formatting
    >>> inspect.signature(zql.format) == inspect.signature(zql.formatting.format)
    True
    """

    __wrapped__: Callable[..., Any]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.__wrapped__(*args, **kwargs)


def make_callable(module_name: str, function: Callable[..., Any]) -> None:
    """Make the (already imported) module ``module_name`` callable as ``function``.

    >>> import zql.format
    >>> type(zql.format).__name__
    'CallableModule'
    """
    module = sys.modules[module_name]
    module.__class__ = CallableModule
    module.__wrapped__ = function  # type: ignore[attr-defined]
