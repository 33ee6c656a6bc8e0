"""``quote``: the one function through which a string value becomes ZQL text (a leaf module).

The formatter, the builder, the shell, hovers and messages all quote with it, so no value can
change a query's structure. It imports nothing from ``zql``; ``zql.quote``,
``zql.formatting.quote`` and ``zql.format.quote`` are this function.
"""

from __future__ import annotations

__all__ = ["INVISIBLE", "quote"]

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                  "\b": "\\b", "\f": "\\f"}


#: Invisible characters that can make text display differently from what it is (Trojan
#: Source, CVE-2021-42574): the bidi controls (U+061C, U+200E/F, U+202A-202E, U+2066-2069),
#: zero-width characters (U+200B-200D, U+2060-2064) and the byte order mark (U+FEFF).
INVISIBLE = frozenset(
    [0x061C, 0xFEFF, *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065),
     *range(0x2066, 0x206A)]
)


def _needs_escape(ch: str) -> bool:
    code = ord(ch)
    # C0 and C1 controls, DEL, lone surrogates, the Unicode line/paragraph separators, and the
    # invisible characters above: canonical text never carries them raw.
    return (code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF
            or code in (0x2028, 0x2029) or code in INVISIBLE)


def quote(value: str) -> str:
    """Quote a string value for ZQL: ``"`` and ``\\`` escaped, control characters as escapes.

    The result always parses back to exactly ``value`` as one string token (a lone surrogate,
    which is no text, is written as its escape, and the parser refuses that: ZQL127). Bidi
    controls and zero-width characters (:data:`INVISIBLE`) are escaped too, so canonical text
    shows what it means (``\\u202e``, not an invisible reversal of the rest of the line).

    >>> print(quote('say "hi" \\\\ bye'))
    "say \\"hi\\" \\\\ bye"
    >>> print(quote("tab\\there"))
    "tab\\there"
    >>> print(quote("새로운"))
    "새로운"
    >>> print(quote("abc\u202edef\u200b"))
    "abc\\u202edef\\u200b"
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
