"""Name the test that leaked a socket, not only the one that met it.

An unclosed socket is reported (a ``ResourceWarning``, an error under ``filterwarnings = error``)
in whichever later test the garbage collector happens to run in. With this plugin every socket
remembers the test and the stack that created it, and when one is finalized unclosed, its creator
is appended to ``$ZQL_LEAK_LOG`` (default ``/tmp/zql-leaks.log``)::

    python -m pytest -p tests.leak_check -n 2
    python bench/stress_suite.py --runs 5 --leak-check

It costs a short stack capture per socket, so it is opt-in.
"""

from __future__ import annotations

import os
import socket
import sys
import traceback
from collections.abc import Callable
from typing import Any

import pytest

#: id(socket) -> (test id, creating stack); an id is reused only after its socket is gone
_creators: dict[int, tuple[str, str]] = {}
_current = ["(no test)"]
_LOG = os.environ.get("ZQL_LEAK_LOG", "/tmp/zql-leaks.log")


def _remembering(init: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: socket.socket, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        stack = "".join(traceback.format_stack(limit=25)[:-1])
        _creators[id(self)] = (_current[0], stack)
    return __init__


def _reporting(hook: Callable[[Any], object]) -> Callable[[Any], object]:
    def unraisable(args: Any) -> object:
        creator = _creators.get(id(args.object)) if isinstance(args.object, socket.socket) \
            else None
        if creator is not None:
            with open(_LOG, "a", encoding="utf-8") as log:
                log.write(f"=== {args.object!r}\n  met in {_current[0]}\n"
                          f"  created in {creator[0]} at:\n{creator[1]}\n")
        return hook(args)
    return unraisable


_ORIGINAL_INIT = socket.socket.__init__


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Wrap socket creation and the unraisable hook pytest installed."""
    socket.socket.__init__ = _remembering(_ORIGINAL_INIT)  # type: ignore[method-assign]
    sys.unraisablehook = _reporting(sys.unraisablehook)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Sockets are plain sockets again (pytest restores its own unraisable hook)."""
    socket.socket.__init__ = _ORIGINAL_INIT  # type: ignore[method-assign]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Remember which test is running."""
    _current[0] = item.nodeid
