"""Keep secrets out of the logs of the HTTP stack the client runs on.

httpcore's DEBUG trace prints response headers, ``Set-Cookie: token=<session>`` included, and
would print credentials of any request header it ever showed. A filter on its loggers masks the
values of credential-bearing headers in every record they emit. The client's own log lines
carry only redacted URLs and never a header.
"""

from __future__ import annotations

import logging
import re

__all__ = ["SecretHeaderFilter", "install", "register"]

_HEADER = re.compile(
    r"""(\(b?['"](?:set-cookie|cookie|authorization|proxy-authorization)['"],\s*b?)(['"])"""
    r"""(?:(?!\2).)*\2""", re.IGNORECASE)
#: httpcore's trace loggers (HTTP/1.1 and HTTP/2 connections, proxies), httpx's and ours.
LOGGERS = ("httpcore.http11", "httpcore.http2", "httpcore.proxy", "httpcore.connection",
           "httpx", "zql.client")
_KNOWN: dict[str, None] = {}  # every form of every secret of the clients made so far
_MAX_KNOWN = 4096
_ORDERED: tuple[str, ...] = ()


def register(forms: tuple[str, ...]) -> None:
    """Mask these secret forms too, in any header a server sends back (``Location`` …).

    >>> register(("s3cr3t-form",))
    >>> record = logging.LogRecord("httpcore.http11", logging.DEBUG, __file__, 1,
    ...     "headers=%s", ([(b"Location", b"https://h/s3cr3t-form")],), None)
    >>> _ = SecretHeaderFilter().filter(record); record.getMessage()
    "headers=[(b'Location', b'https://h/***')]"
    """
    global _ORDERED
    if all(form in _KNOWN for form in forms):
        return
    for form in forms:
        _KNOWN[form] = None
    while len(_KNOWN) > _MAX_KNOWN:
        del _KNOWN[next(iter(_KNOWN))]
    _ORDERED = tuple(sorted(_KNOWN, key=len, reverse=True))


class SecretHeaderFilter(logging.Filter):
    """Masks credential header values in a record's message; never drops a record.

    >>> record = logging.LogRecord("httpcore.http11", logging.DEBUG, __file__, 1,
    ...     "headers=%s", ([(b"Set-Cookie", b"token=abc; Path=/flex"), (b"X", b"1")],), None)
    >>> SecretHeaderFilter().filter(record), record.getMessage()
    (True, "headers=[(b'Set-Cookie', b'***'), (b'X', b'1')]")
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message if it shows a secret header."""
        message = record.getMessage()
        masked = _HEADER.sub(r"\1\2***\2", message)
        for form in _ORDERED:
            if form in masked:
                masked = masked.replace(form, "***")
        if masked != message:
            record.msg, record.args = masked, None
        return True


_FILTER = SecretHeaderFilter()


def install() -> None:
    """Attach the filter to httpcore's loggers (idempotent).

    >>> install(); install()
    >>> sum(isinstance(f, SecretHeaderFilter) for f in logging.getLogger(LOGGERS[0]).filters)
    1
    """
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
