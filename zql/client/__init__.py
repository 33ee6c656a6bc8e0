"""A Zephyr Enterprise REST client: validated, paged, resilient ZQL search (sync and async).

``ZephyrClient`` and ``AsyncZephyrClient`` wrap httpx and share one sans-I/O core (request
building, answer decoding, paging, error mapping, retry policy). See ``docs/client.md``.

>>> from zql.sandbox import Sandbox
>>> from zql.client import ZephyrClient, flatten
>>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, username=sb.username,
...                                          password=sb.password) as client:
...     rows = [flatten(item, "execution") for item in client.search(
...         'status = "Fail" and priority = "Critical"', entity="execution", limit=2)]
>>> [(row["status"], row["priority"]) for row in rows]
[('Fail', 'Critical'), ('Fail', 'Critical')]
"""

from zql.client._async import AsyncZephyrClient
from zql.client._auth import BasicAuth, BearerAuth, CookieAuth
from zql.client._core import DEFAULT_TIMEOUT
from zql.client._errors import (
    AuthenticationError,
    ConfigurationError,
    NameResolutionError,
    NotFoundError,
    PermissionDeniedError,
    QueryRejectedError,
    RateLimitedError,
    RequestRejectedError,
    ServerError,
    TimeoutError,
    TransportError,
    UnexpectedResponseError,
    WrongBaseURLError,
    ZephyrError,
    ZQLValidationError,
)
from zql.client._flatten import flat_columns, flatten
from zql.client._logs import install as _install_log_filter
from zql.client._results import AsyncSearchResults, Page, SearchResults
from zql.client._retry import Retry
from zql.client._sync import ZephyrClient
from zql.client._url import BaseURL, normalize_base_url
from zql.search_options import UNSET, SearchOptions

__all__ = [
    "DEFAULT_TIMEOUT",
    "UNSET",
    "AsyncSearchResults",
    "AsyncZephyrClient",
    "AuthenticationError",
    "BaseURL",
    "BasicAuth",
    "BearerAuth",
    "ConfigurationError",
    "CookieAuth",
    "NameResolutionError",
    "NotFoundError",
    "Page",
    "PermissionDeniedError",
    "QueryRejectedError",
    "RateLimitedError",
    "RequestRejectedError",
    "Retry",
    "SearchOptions",
    "SearchResults",
    "ServerError",
    "TimeoutError",
    "TransportError",
    "UnexpectedResponseError",
    "WrongBaseURLError",
    "ZQLValidationError",
    "ZephyrClient",
    "ZephyrError",
    "flat_columns",
    "flatten",
    "normalize_base_url",
]

_install_log_filter()

# Exceptions say they live here, so tracebacks read ``zql.client.AuthenticationError``.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and issubclass(_obj, Exception):
        _obj.__module__ = __name__
del _name, _obj
