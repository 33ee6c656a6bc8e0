"""``quote``: the one function through which a string value becomes ZQL text (a leaf module).

The formatter, the builder, the shell, hovers and messages all quote with it, so no value can
change a query's structure. It imports nothing from ``zql``; ``zql.quote``,
``zql.formatting.quote`` and ``zql.format.quote`` are this function.
"""

from __future__ import annotations

__all__ = ["quote"]

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                  "\b": "\\b", "\f": "\\f"}


def _needs_escape(ch: str) -> bool:
    code = ord(ch)
    # C0 and C1 controls, DEL, lone surrogates and the Unicode line/paragraph separators.
    return (code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF
            or code in (0x2028, 0x2029))


def quote(value: str) -> str:
    """Quote a string value for ZQL: ``"`` and ``\\`` escaped, control characters as escapes.

    The result always parses back to exactly ``value`` as one string token.

    >>> print(quote('say "hi" \\\\ bye'))
    "say \\"hi\\" \\\\ bye"
    >>> print(quote("tab\\there"))
    "tab\\there"
    >>> print(quote("새로운"))
    "새로운"
    """
    if not isinstance(value, str):
        raise TypeError(f"quote() takes a str, not {type(value).__name__}")
    out = ['"']
    for ch in value:
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif _needs_escape(ch):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
