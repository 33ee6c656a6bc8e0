"""Colour on the command line, by the usual conventions: ``--color auto|always|never``.

``auto`` (the default) colours only a terminal, and not when ``NO_COLOR`` is set to anything
non-empty (https://no-color.org) or ``TERM=dumb``; ``always`` and ``never`` are explicit and win
over ``NO_COLOR``. Colour is added to finished text, so the uncoloured text is the same bytes.

>>> paint_diagnostics("1:1: error[ZQL201]: no field\\n  x = 1\\n  ^", True)
'1:1: \\x1b[1;31merror\\x1b[0m[ZQL201]: no field\\n  x = 1\\n  \\x1b[1;31m^\\x1b[0m'
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from typing import IO

__all__ = ["add_color_argument", "bold", "paint_diagnostics", "use_color"]

_RESET = "\x1b[0m"
_SEVERITY = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "info": "\x1b[1;36m",
             "note": "\x1b[1;36m"}
_DIAGNOSTIC = re.compile(r"\b(error|warning|info|note)(?=\[ZQL\d+\])")
_CARETS = re.compile(r"^(\s*)(\^+)", re.MULTILINE)


def add_color_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--color auto|always|never`` (default auto).

    >>> p = argparse.ArgumentParser(); add_color_argument(p); p.parse_args([]).color
    'auto'
    """
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the output: auto (default: only on a terminal, and not "
                        "when NO_COLOR is set), always, never")


def use_color(mode: str, stream: IO[str], environ: Mapping[str, str] | None = None) -> bool:
    """Whether to colour what goes to ``stream``.

    >>> import io
    >>> use_color("always", io.StringIO()), use_color("auto", io.StringIO())
    (True, False)
    """
    if mode != "auto":
        return mode == "always"
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def paint_diagnostics(text: str, enabled: bool) -> str:
    """Rendered diagnostics with their severity word and carets coloured.

    >>> paint_diagnostics("1:1: warning[ZQL301]: x", False)
    '1:1: warning[ZQL301]: x'
    """
    if not enabled:
        return text
    colours: list[str] = []

    def word(match: re.Match[str]) -> str:
        colours.append(_SEVERITY[match.group(1)])
        return f"{colours[-1]}{match.group(1)}{_RESET}"

    out: list[str] = []
    for block in re.split(r"(?=^\S.*\b(?:error|warning|info|note)\[ZQL)", text, flags=re.M):
        colours.clear()
        block = _DIAGNOSTIC.sub(word, block, count=1)
        colour = colours[0] if colours else _SEVERITY["error"]

        def carets(match: re.Match[str], colour: str = colour) -> str:
            return f"{match.group(1)}{colour}{match.group(2)}{_RESET}"

        out.append(_CARETS.sub(carets, block))
    return "".join(out)


def bold(text: str, enabled: bool) -> str:
    """``text`` in bold (a table's header line).

    >>> bold("id  name", True), bold("id", False)
    ('\\x1b[1mid  name\\x1b[0m', 'id')
    """
    return f"\x1b[1m{text}{_RESET}" if enabled and text else text
