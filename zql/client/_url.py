"""Base-URL normalisation: whatever a person pastes becomes the REST API root.

Accepted: a server origin (``https://zephyr.example.com``), a URL ending in
``/flex/services/rest/latest`` or ``/v3``, an endpoint URL below those, and a pasted web-UI
address (``…/flex/html5/…``), which is reduced to its origin with a note saying so. A path that
does not contain ``/flex`` is kept as the server's context path (a reverse proxy's prefix).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from zql.client._errors import ConfigurationError

__all__ = ["API_VERSIONS", "BaseURL", "normalize_base_url"]

#: The REST API versions a base URL may name; ``latest`` is used when none is named.
API_VERSIONS: tuple[str, ...] = ("latest", "v3")
_REST = ("flex", "services", "rest")


@dataclass(frozen=True, slots=True)
class BaseURL:
    """Where the REST API lives: ``{origin}{prefix}/flex/services/rest/{version}``.

    ``note`` says what normalisation changed, for the user to see (None when nothing did).

    >>> b = normalize_base_url("https://zephyr.example.com/flex/services/rest/v3/")
    >>> b.api, b.note is None
    ('https://zephyr.example.com/flex/services/rest/v3', True)
    """

    origin: str
    prefix: str = ""
    version: str = "latest"
    note: str | None = None

    @property
    def rest(self) -> str:
        """The root shared by all API versions (``/flex/services/rest``).

        >>> BaseURL("http://h:8080").rest
        'http://h:8080/flex/services/rest'
        """
        return f"{self.origin}{self.prefix}/{'/'.join(_REST)}"

    @property
    def api(self) -> str:
        """The API root requests are made against.

        >>> BaseURL("http://h", "/ze", "v3").api
        'http://h/ze/flex/services/rest/v3'
        """
        return f"{self.rest}/{self.version}"

    def url(self, path: str) -> str:
        """Absolute URL of an API path; ``v3/...`` paths hang off the shared REST root.

        >>> b = BaseURL("http://h")
        >>> b.url("advancesearch"), b.url("v3/zql/metadata")
        ('http://h/flex/services/rest/latest/advancesearch', 'http://h/flex/services/rest/v3/zql/metadata')
        """
        path = path.lstrip("/")
        first = path.split("/", 1)[0]
        versioned = first in API_VERSIONS or (first[:1] == "v" and first[1:].isdigit())
        root = self.rest if versioned else self.api
        return f"{root}/{path}"


def normalize_base_url(url: str) -> BaseURL:
    """Reduce any Zephyr address a person might paste to the REST API root.

    Raises :class:`~zql.client.ConfigurationError` for something that is not an http(s) URL or
    that carries credentials (they would end up in logs; pass them as arguments instead).

    >>> normalize_base_url("zephyr.example.com").api
    'https://zephyr.example.com/flex/services/rest/latest'
    >>> b = normalize_base_url("https://zephyr.example.com/flex/html5/#/search?q=1")
    >>> b.api
    'https://zephyr.example.com/flex/services/rest/latest'
    >>> print(b.note)
    https://zephyr.example.com/flex/html5/ is a web-UI address; using the server https://zephyr.example.com
    >>> normalize_base_url("http://localhost:8080/flex/services/rest/latest/advancesearch?x=1").api
    'http://localhost:8080/flex/services/rest/latest'
    >>> normalize_base_url("ftp://zephyr.example.com")
    Traceback (most recent call last):
      ...
    zql.client.ConfigurationError: the Zephyr URL must start with http:// or https://, \
not ftp://zephyr.example.com
    """
    text = url.strip() if isinstance(url, str) else ""
    if not text:
        raise ConfigurationError("no Zephyr URL given (set ZEPHYR_URL or pass the server address)")
    notes: list[str] = []
    if "://" not in text:
        text = "https://" + text
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, ValueError):
        raise ConfigurationError("not a URL: the Zephyr URL could not be parsed") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        shown = text if parsed.userinfo == b"" else "that URL"
        raise ConfigurationError(
            f"the Zephyr URL must start with http:// or https://, not {shown}")
    if parsed.userinfo:
        raise ConfigurationError(
            "the Zephyr URL contains credentials; remove them and pass a token or "
            "username/password instead (ZEPHYR_TOKEN, ZEPHYR_USERNAME, ZEPHYR_PASSWORD)")
    port = f":{parsed.port}" if parsed.port is not None else ""
    origin = f"{parsed.scheme}://{_host(parsed.host)}{port}"
    segments = [s for s in parsed.path.split("/") if s]
    lowered = [s.lower() for s in segments]
    version = "latest"
    if "flex" not in lowered:
        prefix = "/".join(segments)
        if prefix:
            notes.append(f"treating /{prefix} as the server's context path")
        return BaseURL(origin, f"/{prefix}" if prefix else "", version, "; ".join(notes) or None)
    at = lowered.index("flex")
    prefix = "/".join(segments[:at])
    after = lowered[at:]
    base = f"{origin}/{prefix}" if prefix else origin
    if after[:3] == list(_REST):
        if len(after) > 3 and after[3] in API_VERSIONS:
            version = after[3]
    elif len(after) > 1:
        shown = f"{origin}{parsed.path}"
        notes.append(f"{shown} is a web-UI address; using the server {base}")
    return BaseURL(origin, f"/{prefix}" if prefix else "", version, "; ".join(notes) or None)


def _host(host: str) -> str:
    # httpx gives IPv6 hosts without brackets; a URL needs them back.
    return f"[{host}]" if ":" in host else host
