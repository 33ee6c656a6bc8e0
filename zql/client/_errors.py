"""The client's exceptions, and the one place where responses become errors.

Every failure is a :class:`ZephyrError` carrying the HTTP method and the URL (credentials and
secret-looking query parameters removed), the ``request`` and, when there was one, the
``response``. Messages never contain a secret: the client scrubs the secrets it knows from any
text a server sends back before it goes into a message.
"""

from __future__ import annotations

import builtins
import contextlib
import email.utils
import json
import math
import re
import time
from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from zql.errors import Diagnostic, ZQLError, render

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "NameResolutionError",
    "NotFoundError",
    "PermissionDeniedError",
    "QueryRejectedError",
    "RateLimitedError",
    "RequestRejectedError",
    "ServerError",
    "TimeoutError",
    "TransportError",
    "UnexpectedResponseError",
    "WrongBaseURLError",
    "ZQLValidationError",
    "ZephyrError",
    "decode_response",
    "describes_401",
    "redact_url",
    "scrub",
    "secret_forms",
    "server_text",
    "transport_error",
]

_SECRET_PARAMS = re.compile(r"(token|pass|pwd|secret|key|auth|session|cookie)", re.IGNORECASE)
_UNAUTHORIZED = re.compile(
    r"\b401\b|unauthori[sz]ed|not authenticated|authentication (?:failed|required)",
    re.IGNORECASE)
_MAX_URL = 160
#: What to do when a server's certificate is not trusted (the error says it; so does doctor).
TLS_HINT = ("if the certificate comes from your company's CA, trust that CA: --ca-cert FILE "
            "(or ca_cert in a profile), SSL_CERT_FILE=FILE, or install zephyr-zql[truststore] "
            "to use the operating system's trust store; --insecure turns verification off "
            "(not advised)")
_MAX_SERVER_TEXT = 300
_MIN_SECRET = 4


class ZephyrError(Exception):
    """Root of every error the client raises about talking to a server.

    ``method`` and ``url`` say which request failed (the URL without credentials); ``request``
    and ``response`` are the httpx objects (``response`` is None when none arrived);
    ``status_code`` the HTTP status when there was one.

    >>> import httpx
    >>> err = ZephyrError("boom", request=httpx.Request("GET", "https://h/x?token=abc"))
    >>> str(err), err.url
    ('boom (GET https://h/x?token=***)', 'https://h/x?token=***')
    """

    #: seconds the server asked us to wait (``Retry-After``), if it did
    retry_after: float | None = None

    def __init__(self, message: str, *, request: httpx.Request | None = None,
                 response: httpx.Response | None = None) -> None:
        if request is None and response is not None:
            request = response.request
        self.message = message
        self.request = request
        self.response = response
        self.method: str | None = request.method if request is not None else None
        self.url: str | None = redact_url(request.url) if request is not None else None
        self.status_code: int | None = response.status_code if response is not None else None
        super().__init__(message)

    def scrub(self, secrets: Iterable[str]) -> None:
        """Remove every given secret from the message (and the exception's ``args``)."""
        self.message = scrub(self.message, secrets)
        self.args = (self.message, *self.args[1:])

    def __str__(self) -> str:
        if self.method is None:
            return self.message
        return f"{self.message} ({self.method} {_short(self.url or '')})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ConfigurationError(ZephyrError, ValueError):
    """The client cannot be set up as asked: bad base URL, unusable credentials, missing auth.

    >>> str(ConfigurationError("no Zephyr URL given"))
    'no Zephyr URL given'
    """


class AuthenticationError(ZephyrError):
    """The server did not accept the credentials (401, or a 200 whose body describes a 401).

    >>> issubclass(PermissionDeniedError, AuthenticationError)
    True
    """


class PermissionDeniedError(AuthenticationError):
    """The credentials are valid but not allowed to do this (403)."""


class RequestRejectedError(ZephyrError):
    """The server refused the request (a 4xx without a more specific class).

    ``error_msg`` and ``error_code`` are the server's ``errorMsg`` / ``errorCode`` when given.
    """

    def __init__(self, message: str, *, request: httpx.Request | None = None,
                 response: httpx.Response | None = None, error_msg: str | None = None,
                 error_code: str | None = None) -> None:
        super().__init__(message, request=request, response=response)
        self.error_msg = error_msg
        self.error_code = error_code


class QueryRejectedError(RequestRejectedError):
    """400 Bad Request: usually the server rejected the query; see ``error_msg``.

    >>> issubclass(QueryRejectedError, RequestRejectedError)
    True
    """


class NotFoundError(RequestRejectedError):
    """404 or 410: no such item or endpoint (an old server may lack the endpoint)."""


class RateLimitedError(ZephyrError):
    """429 Too Many Requests, after the retries ran out; ``retry_after`` is the server's ask."""


class ServerError(ZephyrError):
    """A 5xx answer, after the retries ran out."""


class TransportError(ZephyrError):
    """No usable answer: connection refused or reset, DNS failure, TLS error, protocol error.

    ``request_sent`` is False when the connection was never made (safe to repeat any request).
    """

    request_sent: bool = True
    #: trying again cannot help (an untrusted certificate): never retried
    permanent: bool = False


class TimeoutError(TransportError, builtins.TimeoutError):
    """The server did not answer in time (also an instance of the built-in ``TimeoutError``).

    >>> import builtins
    >>> issubclass(TimeoutError, builtins.TimeoutError)
    True
    """


class WrongBaseURLError(ZephyrError):
    """The address answered, but not like the Zephyr REST API (an HTML page, a redirect)."""


class UnexpectedResponseError(ZephyrError):
    """The server answered 2xx with something the client cannot read (not JSON, odd shape)."""


class NameResolutionError(ZephyrError, LookupError):
    """A release or project name matched nothing or several; ``candidates`` lists them.

    >>> err = NameResolutionError("no release named 'R9'", candidates=["R1 (id 3)"])
    >>> err.candidates
    ['R1 (id 3)']
    """

    def __init__(self, message: str, *, candidates: Sequence[str] = (),
                 request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)
        self.candidates = list(candidates)


class ZQLValidationError(ZQLError, ValueError):
    """A query that parses but breaks the schema (unknown field, operator, value type).

    ``diagnostics`` holds the error-level findings; ``str(err)`` renders them with carets.

    >>> from zql.errors import Diagnostic, Severity, Span
    >>> d = Diagnostic("ZQL201", Severity.ERROR, "no field 'prority'", Span(0, 7))
    >>> print(ZQLValidationError([d], 'prority = "P1"'))
    1:1: error[ZQL201]: no field 'prority'
      prority = "P1"
      ^^^^^^^
    """

    def __init__(self, diagnostics: Sequence[Diagnostic], text: str) -> None:
        self.diagnostics = list(diagnostics)
        self.text = text
        super().__init__(self.diagnostics[0].message if self.diagnostics else "invalid query")

    def __str__(self) -> str:
        return "\n".join(render(self.text, d) for d in self.diagnostics)


def redact_url(url: httpx.URL | str) -> str:
    """The URL without user info and with secret-looking query values replaced by ``***``.

    >>> redact_url("https://u:p@h/x?word=a&api_token=s3")
    'https://h/x?word=a&api_token=***'
    """
    parsed = httpx.URL(str(url))
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    if parsed.query:
        params = [(k, "***" if _SECRET_PARAMS.search(k) else v)
                  for k, v in parsed.params.multi_items()]
        parsed = parsed.copy_with(params=params)
    return str(parsed).replace("%2A%2A%2A", "***")


def _short(text: str) -> str:
    return text if len(text) <= _MAX_URL else text[: _MAX_URL - 1] + "…"


def secret_forms(secrets: Iterable[str | None], *, username: str | None = None,
                 password: str | None = None) -> tuple[str, ...]:
    """Every form in which a secret can come back in a server's text, longest first: the raw
    value, URL-encoded (``%xx`` and ``+``), JSON-escaped, base64, and the base64 of
    ``user:password`` that a ``Basic`` header carries (with and without its padding).

    >>> forms = secret_forms(["p@ss word"], username="ann", password="p@ss word")
    >>> [f for f in ("p%40ss%20word", "p%40ss+word", "YW5uOnBAc3Mgd29yZA==") if f in forms]
    ['p%40ss%20word', 'p%40ss+word', 'YW5uOnBAc3Mgd29yZA==']
    """
    import base64
    from urllib.parse import quote, quote_plus

    forms: set[str] = set()

    def add(text: str) -> None:
        for form in (text, quote(text, safe=""), quote_plus(text), json.dumps(text)[1:-1]):
            if len(form) >= _MIN_SECRET:
                forms.add(form)

    raw = [s for s in secrets if s]
    if username and password:
        pair = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        raw += [pair, pair.rstrip("=")]
    for secret in raw:
        add(secret)
        add(base64.b64encode(secret.encode()).decode("ascii"))
    return tuple(sorted(forms, key=len, reverse=True))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every known secret in ``text`` (server messages may echo what they were sent).

    Give it :func:`secret_forms`, so encoded echoes go too. Secrets shorter than four
    characters are left alone: replacing every "t" of a message would garble it and hide
    nothing worth hiding.

    >>> scrub("bad token abc123", ["abc123", "t"])
    'bad token ***'
    """
    for secret in secrets:
        if len(secret) >= _MIN_SECRET:
            text = text.replace(secret, "***")
    return text


def describes_401(body: Any) -> bool:
    """Whether a decoded JSON body is a *string* describing a 401 (a known server quirk).

    >>> describes_401('{"errorMsg": "Unauthorized", "errorCode": 401}'), describes_401({"a": 1})
    (True, False)
    """
    return isinstance(body, str) and _UNAUTHORIZED.search(body) is not None


def is_unauthorized(response: httpx.Response) -> bool:
    """A 401, or a 200 whose (already read) JSON body is a string describing one.

    >>> is_unauthorized(httpx.Response(200, json="HTTP 401 Unauthorized"))
    True
    """
    if response.status_code == 401:
        return True
    if response.status_code != 200 or _first_byte(response.content) != b'"':
        return False
    try:
        return describes_401(response.json())
    except ValueError:
        return False


def retry_after(response: httpx.Response, *, now: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), or None.

    None too for a value that cannot be a wait — negative, NaN, infinite, a date in the past —
    so the backoff schedule applies instead of retrying at once.

    >>> retry_after(httpx.Response(429, headers={"Retry-After": "3"}))
    3.0
    >>> [retry_after(httpx.Response(429, headers={"Retry-After": v}))
    ...  for v in ("-1", "nan", "inf", "Wed, 21 Oct 2015 07:28:00 GMT")]
    [None, None, None, None]
    """
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return seconds if seconds > 0 else None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _first_byte(content: bytes) -> bytes:
    # Look at the start only: stripping a whole page would copy megabytes per request.
    return content[:256].lstrip()[:1]


def _looks_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "").lower()
    return "html" in kind or _first_byte(response.content) == b"<"


def server_text(response: httpx.Response, secrets: Iterable[str]) -> tuple[str | None, str | None]:
    """``errorMsg`` and ``errorCode`` of an error body, scrubbed and shortened.

    Also reads ``{"message": …}``, where some servers nest a JSON string with its own
    ``message`` (or ``errorMsg``) inside.

    >>> body = {"message": '{"status": 401, "message": "Invalid credentials"}'}
    >>> server_text(httpx.Response(401, json=body), ())
    ('Invalid credentials', None)
    """
    try:
        body = response.json()
    except ValueError:
        return None, None
    msg: Any = None
    code: Any = None
    for _ in range(3):  # a nested JSON string, at most a few levels deep
        if isinstance(body, dict):
            msg = body.get("errorMsg", body.get("message"))
            code = body.get("errorCode", code)
        elif isinstance(body, str):
            msg = body
        else:
            return None, None
        if not (isinstance(msg, str) and msg.lstrip()[:1] in ("{", '"')):
            break
        try:
            body = json.loads(msg)
        except ValueError:
            break
    text = scrub(str(msg), secrets)[:_MAX_SERVER_TEXT] if msg is not None else None
    return text, (scrub(str(code), secrets) if code is not None else None)


def decode_response(response: httpx.Response, *, secrets: Iterable[str] = ()) -> Any:
    """The JSON of a successful answer, or the right :class:`ZephyrError` for any other.

    The response body must have been read. An empty 2xx body decodes to None.

    >>> req = httpx.Request("GET", "https://h/flex/services/rest/latest/release")
    >>> decode_response(httpx.Response(200, json=[{"id": 1}], request=req))
    [{'id': 1}]
    >>> decode_response(httpx.Response(400, json={"errorMsg": "bad zql", "errorCode": "141z05"},
    ...                                request=req))
    Traceback (most recent call last):
      ...
    zql.client.QueryRejectedError: the server rejected the request (400): bad zql \
[141z05] (GET https://h/flex/services/rest/latest/release)
    >>> decode_response(httpx.Response(200, text="<html>…</html>", request=req))
    Traceback (most recent call last):
      ...
    zql.client.WrongBaseURLError: the server answered with an HTML page, not the Zephyr \
REST API: check the base URL (give the server address, e.g. https://zephyr.example.com) \
(GET https://h/flex/services/rest/latest/release)
    """
    secrets = tuple(secrets)
    status = response.status_code
    if 200 <= status < 300:
        return _decode_ok(response, secrets)
    msg, code = server_text(response, secrets)
    detail = f": {msg}" + (f" [{code}]" if code and code != msg else "") if msg else ""
    if 300 <= status < 400:
        target = response.headers.get("location")
        where = f" to {_short(redact_url(target))}" if target else ""
        raise WrongBaseURLError(
            f"the server redirected ({status}){where}: use the final address as the base URL, "
            "or an API token if this is a single-sign-on page", response=response)
    if status == 401:
        raise AuthenticationError(f"authentication failed (401){detail}: check the token or "
                                  "username/password", response=response)
    if status == 403:
        raise PermissionDeniedError(f"permission denied (403){detail}", response=response)
    if status in (404, 405, 410) and _looks_html(response):
        raise WrongBaseURLError(f"no Zephyr REST API at this address ({status} with an HTML "
                                "page): check the base URL", response=response)
    if status in (404, 410):
        raise NotFoundError(f"not found ({status}){detail}", response=response, error_msg=msg,
                            error_code=code)
    if status == 429:
        err: ZephyrError = RateLimitedError(f"rate limited (429){detail}", response=response)
        err.retry_after = retry_after(response)
        raise err
    if status >= 500:
        err = ServerError(f"server error ({status}){detail}", response=response)
        err.retry_after = retry_after(response)
        raise err
    kind = QueryRejectedError if status == 400 else RequestRejectedError
    raise kind(f"the server rejected the request ({status}){detail}", response=response,
               error_msg=msg, error_code=code)


def _decode_ok(response: httpx.Response, secrets: tuple[str, ...]) -> Any:
    content = response.content
    if not content or content.isspace():
        return None
    if _looks_html(response):
        raise WrongBaseURLError(
            "the server answered with an HTML page, not the Zephyr REST API: check the base URL "
            "(give the server address, e.g. https://zephyr.example.com)", response=response)
    try:
        body = json.loads(content)
    except ValueError:
        raise UnexpectedResponseError(
            f"the server answered {response.status_code} with a body that is not JSON",
            response=response) from None
    if describes_401(body):
        raise AuthenticationError(
            "authentication failed: the server answered 200 with a body describing a 401 "
            f"({scrub(str(body), secrets)[:_MAX_SERVER_TEXT]!r}): check the token or "
            "username/password", response=response)
    return body


def transport_error(exc: httpx.HTTPError | httpx.InvalidURL,
                    request: httpx.Request | None = None) -> ZephyrError:
    """The client error for an httpx exception (which never escapes the client).

    >>> req = httpx.Request("GET", "http://127.0.0.1:9/x")
    >>> err = transport_error(httpx.ConnectError("[Errno 111] Connection refused"), req)
    >>> type(err).__name__, str(err)
    ('TransportError', 'cannot connect to the server: [Errno 111] Connection refused (GET http://127.0.0.1:9/x)')
    """
    # An exception raised before a request existed has none: keep the one we were given.
    with contextlib.suppress(RuntimeError, AttributeError):
        request = exc.request  # type: ignore[union-attr]
    reason = str(exc) or type(exc).__name__
    error: TransportError
    if isinstance(exc, httpx.TimeoutException):
        phase = {httpx.ConnectTimeout: "connecting", httpx.ReadTimeout: "waiting for the answer",
                 httpx.WriteTimeout: "sending", httpx.PoolTimeout: "waiting for a connection"}
        error = TimeoutError(f"timed out {phase.get(type(exc), 'talking to the server')}",
                             request=request)
        error.request_sent = not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
        return error
    if isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in reason:
        detail = reason.split("certificate verify failed:", 1)[-1].split("(_ssl")[0].strip(" ()")
        error = TransportError(
            f"the server's TLS certificate is not trusted ({detail}): {TLS_HINT}",
            request=request)
        error.request_sent = False
        error.permanent = True
        return error
    if isinstance(exc, httpx.ConnectError):
        error = TransportError(f"cannot connect to the server: {reason}", request=request)
        error.request_sent = False
        return error
    if isinstance(exc, httpx.DecodingError):
        return UnexpectedResponseError(f"cannot decode the answer: {reason}", request=request)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ConfigurationError(f"unusable URL: {reason}", request=request)
    return TransportError(f"{type(exc).__name__}: {reason}", request=request)
