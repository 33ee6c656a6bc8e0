"""The asynchronous client: the same core as :class:`~zql.client.ZephyrClient`, awaited."""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio
import httpx

from zql.client._core import DEFAULT_TIMEOUT, Call, ClientCore, Item, Plan, env_settings
from zql.client._errors import ConfigurationError, ZephyrError
from zql.client._results import AsyncSearchResults, prepare
from zql.client._retry import Retry, RetryState
from zql.client._sync import default_headers
from zql.schema import Schema

if TYPE_CHECKING:
    from zql.report import Diff, Report

__all__ = ["AsyncZephyrClient"]

logger = logging.getLogger("zql.client")
T = TypeVar("T")
_LOGOUT_TIMEOUT = 5.0


class AsyncZephyrClient:
    """The async twin of :class:`~zql.client.ZephyrClient` (same arguments, same rules):
    ``async with``, ``await`` the lookups, ``async for`` over :meth:`search`.

    Concurrent requests share one session: when a cookie expires under several of them at
    once, one of them logs in again and the others wait for it and replay.

    >>> import asyncio
    >>> from zql.sandbox import Sandbox
    >>> async def main(sb):
    ...     async with AsyncZephyrClient(sb.url, username=sb.username,
    ...                                  password=sb.password) as client:
    ...         counts = await asyncio.gather(*(
    ...             client.search(f'priority = "{p}"', limit=1).count()
    ...             for p in ("High", "Low")))
    ...     return all(n > 0 for n in counts)
    >>> with Sandbox(seed=1) as sb:
    ...     asyncio.run(main(sb)), sb.control.logins
    (True, 1)
    """

    def __init__(self, base_url: str, *, token: str | None = None, username: str | None = None,
                 password: str | None = None, auth: str | httpx.Auth | None = None,
                 timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
                 verify: bool | ssl.SSLContext = True,
                 retries: int | Retry | None = 4, transport: httpx.AsyncBaseTransport | None = None,
                 schema: str | os.PathLike[str] | Schema | None = None,
                 sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
                 headers: Mapping[str, str] | None = None) -> None:
        self._core = ClientCore(base_url, token=token, username=username, password=password,
                                auth=auth, retries=retries, schema=schema)
        self._sleep = sleep
        self._http = httpx.AsyncClient(auth=self._core.http_auth, timeout=timeout, verify=verify,
                                       transport=transport, headers=default_headers(headers),
                                       follow_redirects=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 **kwargs: Any) -> AsyncZephyrClient:
        """A client configured by the ``ZEPHYR_*`` environment variables (``kwargs`` win).

        >>> AsyncZephyrClient.from_env({"ZEPHYR_URL": "https://z.example.com",
        ...                             "ZEPHYR_USERNAME": "ann", "ZEPHYR_PASSWORD": "pw"})
        <AsyncZephyrClient https://z.example.com/flex/services/rest/latest auth=cookie user='ann'>
        """
        settings = env_settings(environ) | kwargs
        if not settings.get("base_url"):
            raise ConfigurationError("no Zephyr URL: set ZEPHYR_URL or pass base_url")
        return cls(**settings)

    # ---- plumbing

    def __repr__(self) -> str:
        return self._core.describe(type(self).__name__)

    @property
    def base_url(self) -> str:
        """The REST API root every request goes to.

        >>> AsyncZephyrClient("http://localhost:8080/flex/services/rest/v3", token="t").base_url
        'http://localhost:8080/flex/services/rest/v3'
        """
        return self._core.base.api

    async def __aenter__(self) -> AsyncZephyrClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """End a cookie session (best effort) and close the connections.

        >>> import asyncio
        >>> asyncio.run(AsyncZephyrClient("https://z.example.com", token="t").aclose())
        """
        try:
            await self.logout()
        finally:
            await self._http.aclose()

    async def logout(self) -> None:
        """End the session of cookie auth; errors are only logged (see
        :meth:`ZephyrClient.logout`).

        >>> import asyncio
        >>> asyncio.run(AsyncZephyrClient("https://z.example.com", token="t").logout())
        """
        call = self._core.logout_call()
        if call is not None:
            try:
                await self._send(call, timeout=_LOGOUT_TIMEOUT)
            except httpx.HTTPError as exc:
                logger.debug("logout failed: %s", type(exc).__name__)

    async def _send(self, call: Call, **extra: Any) -> httpx.Response:
        return await self._http.request(
            call.method, call.url, params=call.params, json=call.json, headers=call.headers,
            auth=None if call.anonymous else httpx.USE_CLIENT_DEFAULT, **extra)

    async def _request(self, call: Call) -> Any:
        """Make one call, retrying as the policy allows (see :meth:`ZephyrClient._request`)."""
        state = RetryState(self._core.retry, idempotent=call.idempotent)
        while True:
            try:
                response = await self._send(call)
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                error = self._core.failure(exc, call)
                error.__cause__ = exc
            else:
                try:
                    return self._core.decode(response, call)
                except ZephyrError as exc:
                    error = exc
            wait = state.next_delay(error)
            logger.info("retry %d in %.2fs after: %s", state.attempt, wait, error)
            await self._sleep(wait)

    async def _run(self, plan: Plan[T]) -> T:
        """Drive an operation of the core (see :meth:`ZephyrClient._run`)."""
        value: Any = None
        error: ZephyrError | None = None
        while True:
            try:
                call = plan.throw(error) if error is not None else plan.send(value)
            except StopIteration as stop:
                return cast(T, stop.value)
            try:
                value, error = await self._request(call), None
            except ZephyrError as exc:
                value, error = None, exc

    # ---- search

    def search(self, query: Any, *, entity: str = "testcase", release: int | str | None = None,
               project: int | str | None = None, order_by: str | None = None,
               ascending: bool = True, page_size: int = 100, limit: int | None = None,
               validate: bool = True) -> AsyncSearchResults:
        """Search with ZQL; validated now, fetched lazily with ``async for`` (see
        :meth:`ZephyrClient.search`).

        >>> client = AsyncZephyrClient("https://z.example.com", token="t")
        >>> client.search('tag = "smoke" and not automated = true')
        <AsyncSearchResults testcase 'tag = "smoke" and automated != true' total=?>
        """
        spec = prepare(self._core, query, entity=entity, validate=validate, order_by=order_by,
                       ascending=ascending, page_size=page_size, limit=limit, release=release,
                       project=project)
        return AsyncSearchResults(self, spec)

    def quick_search(self, text: str, *, entity: str = "testcase",
                     release: int | str | None = None, project: int | str | None = None,
                     order_by: str | None = None, ascending: bool = True, page_size: int = 100,
                     limit: int | None = None) -> AsyncSearchResults:
        """Free-text search (``zql=false``), paged like :meth:`search`.

        >>> AsyncZephyrClient("https://z.example.com", token="t").quick_search("banner").query
        'banner'
        """
        spec = prepare(self._core, text, entity=entity, zql=False, order_by=order_by,
                       ascending=ascending, page_size=page_size, limit=limit, release=release,
                       project=project)
        return AsyncSearchResults(self, spec)

    # ---- reports (zql.report does the work; see docs/report.md)

    async def report(self, query: Any, *, entity: str = "execution",
                     by: Iterable[str] = ("status",), strategy: str = "auto",
                     release: int | str | None = None, project: int | str | None = None,
                     page_size: int = 500,
                     progress: Callable[[int, int | None], None] | None = None) -> Report:
        """Count the hits of ``query`` by one or two flat columns (see
        :meth:`ZephyrClient.report`).

        >>> import asyncio
        >>> from zql.sandbox import Sandbox
        >>> async def main(sb):
        ...     async with AsyncZephyrClient(sb.url, token=sb.token) as client:
        ...         return await client.report('priority = "Critical"', by=["status"])
        >>> with Sandbox(seed=1) as sb:
        ...     report = asyncio.run(main(sb))
        >>> report.strategy, report.total, report.count_of("Fail")   # one page: auto scans
        ('scan', 102, 6)
        """
        from zql.client._flatten import flat_columns, flatten
        from zql.report._run import drive_async, report_steps

        return cast("Report", await drive_async(self, report_steps(
            query, entity=entity, by=by, strategy=strategy, release=release, project=project,
            page_size=page_size, flatten=flatten, columns=flat_columns(entity),
            progress=progress)))

    async def diff(self, query_a: Any, query_b: Any | None = None, *,
                   release_a: int | str | None = None, release_b: int | str | None = None,
                   project: int | str | None = None, page_size: int = 500,
                   progress: Callable[[int, int | None], None] | None = None) -> Diff:
        """Compare two sets of executions by test case (see :meth:`ZephyrClient.diff`).

        >>> import asyncio
        >>> from zql.sandbox import Sandbox
        >>> async def main(sb):
        ...     async with AsyncZephyrClient(sb.url, token=sb.token) as client:
        ...         return await client.diff('cycle = "Sprint 12"', 'cycle = "Sprint 14"')
        >>> with Sandbox(seed=1) as sb:
        ...     d = asyncio.run(main(sb))
        >>> sum(d.summary.values()) == len(d.items)
        True
        """
        from zql.client._flatten import flatten
        from zql.report._run import Where, diff_steps, drive_async

        a = Where(query_a, "execution", release_a, project)
        b = Where(query_a if query_b is None else query_b, "execution", release_b, project)
        return cast("Diff", await drive_async(self, diff_steps(
            a, b, flatten=flatten, page_size=page_size, progress=progress)))

    # ---- schema and lookups

    async def schema(self, *, refresh: bool = False) -> Schema:
        """The server's ZQL schema, cached, or the bundled profile (see
        :meth:`ZephyrClient.schema`).

        >>> import asyncio, httpx
        >>> gone = httpx.MockTransport(lambda request: httpx.Response(404))
        >>> async def main():
        ...     async with AsyncZephyrClient("https://z.example.com", token="t",
        ...                                  transport=gone) as client:
        ...         return (await client.schema()).name
        >>> asyncio.run(main())
        'ze7'
        """
        return await self._run(self._core.schema_plan(refresh=refresh))

    async def suggest(self, field: str, prefix: str = "", *, entity: str = "testcase",
                      release: int | str | None = None, limit: int = 25) -> list[str]:
        """Values for completing ``field`` that start with ``prefix``.

        >>> import asyncio
        >>> from zql.sandbox import Sandbox
        >>> async def main(sb):
        ...     async with AsyncZephyrClient(sb.url, token=sb.token) as client:
        ...         return await client.suggest("status", "F", entity="execution")
        >>> with Sandbox(seed=1) as sb:
        ...     asyncio.run(main(sb))
        ['Fail']
        """
        return await self._run(self._core.suggest_plan(field, prefix, entity=entity,
                                                       release=release, limit=limit))

    async def projects(self) -> list[Item]:
        """All projects the user can see (``GET /project/lite``), cached.

        >>> import asyncio, httpx
        >>> answer = httpx.MockTransport(lambda r: httpx.Response(200, json=[{"id": 1}]))
        >>> async def main():
        ...     async with AsyncZephyrClient("https://z", token="t", transport=answer) as c:
        ...         return await c.projects()
        >>> asyncio.run(main())
        [{'id': 1}]
        """
        return await self._run(self._core.projects_plan())

    async def releases(self, project: int | str | None = None) -> list[Item]:
        """Releases, of one project (id or name) when given, cached.

        >>> import asyncio, httpx
        >>> answer = httpx.MockTransport(lambda r: httpx.Response(200, json=[{"id": 4}]))
        >>> async def main():
        ...     async with AsyncZephyrClient("https://z", token="t", transport=answer) as c:
        ...         return await c.releases(project=1)
        >>> asyncio.run(main())
        [{'id': 4}]
        """
        return await self._run(self._core.releases_plan(project))

    async def users(self) -> list[Item]:
        """The server's users (``GET /user``), cached.

        >>> import asyncio, httpx
        >>> answer = httpx.MockTransport(lambda r: httpx.Response(200, json=[{"id": 2}]))
        >>> async def main():
        ...     async with AsyncZephyrClient("https://z", token="t", transport=answer) as c:
        ...         return await c.users()
        >>> asyncio.run(main())
        [{'id': 2}]
        """
        return await self._run(self._core.lookup("users", "user"))

    async def cycles(self, release: int | str) -> list[Item]:
        """The test cycles of a release (id or name), cached.

        >>> import asyncio, httpx
        >>> answer = httpx.MockTransport(lambda r: httpx.Response(200, json=[{"id": 9}]))
        >>> async def main():
        ...     async with AsyncZephyrClient("https://z", token="t", transport=answer) as c:
        ...         return await c.cycles(3)
        >>> asyncio.run(main())
        [{'id': 9}]
        """
        return await self._run(self._core.cycles_plan(release))

    async def current_user(self) -> Item:
        """Who the credentials belong to (``GET /user/current``).

        >>> import asyncio, httpx
        >>> answer = httpx.MockTransport(lambda r: httpx.Response(200, json={"username": "a"}))
        >>> async def main():
        ...     async with AsyncZephyrClient("https://z", token="t", transport=answer) as c:
        ...         return await c.current_user()
        >>> asyncio.run(main())
        {'username': 'a'}
        """
        return cast(Item, await self._request(self._core.call("GET", "user/current")))
