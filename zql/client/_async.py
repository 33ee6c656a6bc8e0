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

from zql.client._core import (
    DEFAULT_TIMEOUT,
    ClientCore,
    Item,
    Plan,
    Steps,
    default_headers,
    env_settings,
)
from zql.client._errors import ConfigurationError, ZephyrError
from zql.client._results import AsyncSearchResults, prepare
from zql.client._retry import Retry
from zql.client._tls import default_trust
from zql.client._transfer import (
    DEFAULT_MAX_RESPONSE,
    Attempt,
    BodyReader,
    Sleep,
    deadline_error,
)
from zql.schema import Schema, Status
from zql.search_options import UNSET, SearchOptions, Unset

if TYPE_CHECKING:
    from zql.report import Diff
    from zql.report import Report as Counts
    from zql.update import Plan as UpdatePlan
    from zql.update import Report

__all__ = ["AsyncDriver", "AsyncZephyrClient"]

logger = logging.getLogger("zql.client")
T = TypeVar("T")


class AsyncDriver:
    """Performs the core's steps with an ``httpx.AsyncClient`` (see
    :class:`~zql.client._sync.SyncDriver`); each attempt also runs under an anyio deadline."""

    def __init__(self, core: ClientCore, http: httpx.AsyncClient,
                 sleep: Callable[[float], Awaitable[None]] = anyio.sleep) -> None:
        self._core = core
        self.http = http
        self.sleep = sleep

    @property
    def core(self) -> ClientCore:
        """The client's sans-I/O core."""
        return self._core

    async def run(self, plan: Plan[T]) -> T:
        """Make every call of an operation (with retries) and return its result."""
        return await self.perform(self._core.steps(plan))

    async def perform(self, steps: Steps[T]) -> T:
        """Carry out the steps (see :meth:`SyncDriver.perform`)."""
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as stop:
                return cast(T, stop.value)
            value, error = None, None
            if isinstance(step, Sleep):
                await self.sleep(step.seconds)
                continue
            try:
                value = await self._attempt(step)
            except (httpx.HTTPError, httpx.InvalidURL, ZephyrError) as exc:
                error = exc

    async def _attempt(self, step: Attempt) -> httpx.Response:
        call = step.call
        request = self.http.build_request(call.method, call.url, params=call.params,
                                          json=call.json, headers=call.headers,
                                          timeout=step.timeout)
        with anyio.move_on_after(step.remaining()) as scope:
            response = await self.http.send(
                request, stream=True, auth=None if call.anonymous else httpx.USE_CLIENT_DEFAULT)
            try:
                reader = BodyReader(step, request)
                async for chunk in response.aiter_bytes():
                    reader.feed(chunk)
                return reader.response(response)
            finally:
                await response.aclose()
        assert scope.cancelled_caught
        raise deadline_error(request)


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
                 headers: Mapping[str, str] | None = None,
                 max_response_size: int = DEFAULT_MAX_RESPONSE) -> None:
        self._core = ClientCore(base_url, token=token, username=username, password=password,
                                auth=auth, retries=retries, schema=schema, timeout=timeout,
                                max_response_size=max_response_size)
        http = httpx.AsyncClient(auth=self._core.http_auth, timeout=self._core.timeout,
                                 verify=default_trust(verify), transport=transport,
                                 headers=default_headers(headers), follow_redirects=False)
        self._driver = AsyncDriver(self._core, http)

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

    @property
    def driver(self) -> AsyncDriver:
        """The seam for engines that send calls of their own (see
        :attr:`ZephyrClient.driver <zql.client.ZephyrClient.driver>`); ``run`` is awaited.

        >>> import anyio, httpx
        >>> answer = httpx.MockTransport(lambda r: httpx.Response(200, json={"id": 7}))
        >>> async def me():
        ...     async with AsyncZephyrClient("https://z", token="t", transport=answer) as c:
        ...         core = c.driver.core
        ...         return await c.driver.run(core.fetch(core.call("GET", "user/current")))
        >>> anyio.run(me)
        {'id': 7}
        """
        return self._driver

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
            await self._driver.http.aclose()

    async def logout(self) -> None:
        """End the session of cookie auth; errors are only logged (see
        :meth:`ZephyrClient.logout`).

        >>> import asyncio
        >>> asyncio.run(AsyncZephyrClient("https://z.example.com", token="t").logout())
        """
        await self._driver.perform(self._core.logout_steps())

    # ---- search

    def search(self, query: Any, options: SearchOptions | None = None, *,
               entity: str | Unset = UNSET, release: int | str | Unset | None = UNSET,
               project: int | str | Unset | None = UNSET,
               order_by: str | Unset | None = UNSET, ascending: bool | Unset = UNSET,
               page_size: int | Unset = UNSET, limit: int | Unset | None = UNSET,
               quick: bool | Unset = UNSET, validate: bool | Unset = UNSET) -> AsyncSearchResults:
        """Search with ZQL; validated now, fetched lazily with ``async for`` (see
        :meth:`ZephyrClient.search`).

        >>> client = AsyncZephyrClient("https://z.example.com", token="t")
        >>> client.search('tag = "smoke" and not automated = true')
        <AsyncSearchResults testcase 'tag = "smoke" and automated != true' total=?>
        """
        opts = SearchOptions.of(options, entity=entity, release=release, project=project,
                                order_by=order_by, ascending=ascending, page_size=page_size,
                                limit=limit, quick=quick, validate=validate)
        return AsyncSearchResults(self._driver, prepare(self._core, query, opts))

    def quick_search(self, text: str, options: SearchOptions | None = None, *,
                     entity: str | Unset = UNSET, release: int | str | Unset | None = UNSET,
                     project: int | str | Unset | None = UNSET,
                     order_by: str | Unset | None = UNSET, ascending: bool | Unset = UNSET,
                     page_size: int | Unset = UNSET,
                     limit: int | Unset | None = UNSET) -> AsyncSearchResults:
        """Free-text search (``zql=false``), paged like :meth:`search`.

        >>> AsyncZephyrClient("https://z.example.com", token="t").quick_search("banner").query
        'banner'
        """
        return self.search(text, options, entity=entity, release=release, project=project,
                           order_by=order_by, ascending=ascending, page_size=page_size,
                           limit=limit, quick=True)

    # ---- reports (zql.report does the work; see docs/report.md)

    async def report(self, query: Any, *, entity: str = "execution",
                     by: Iterable[str] = ("status",), strategy: str = "auto",
                     release: int | str | None = None, project: int | str | None = None,
                     page_size: int = 500,
                     progress: Callable[[int, int | None], None] | None = None) -> Counts:
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
        from zql.client._flatten import flat_columns, flattener
        from zql.report._run import drive_async, report_steps

        return cast("Counts", await drive_async(self, report_steps(
            query, entity=entity, by=by, strategy=strategy, release=release, project=project,
            page_size=page_size, flattener=flattener, columns=flat_columns(entity),
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
        from zql.client._flatten import flattener
        from zql.report._run import Where, diff_steps, drive_async

        a = Where(query_a, "execution", release_a, project)
        b = Where(query_a if query_b is None else query_b, "execution", release_b, project)
        return cast("Diff", await drive_async(self, diff_steps(
            a, b, flattener=flattener, page_size=page_size, progress=progress)))

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
        return await self._driver.run(self._core.schema_plan(refresh=refresh))

    async def statuses(self, *, refresh: bool = False) -> tuple[Status, ...]:
        """The server's configured execution statuses, cached (see
        :meth:`ZephyrClient.statuses`).

        >>> import asyncio
        >>> from zql.sandbox import Sandbox
        >>> async def main(sb):
        ...     async with AsyncZephyrClient(sb.url, token=sb.token) as client:
        ...         return [s.name for s in await client.statuses()][:2]
        >>> with Sandbox(seed=1) as sb:
        ...     asyncio.run(main(sb))
        ['Pass', 'Fail']
        """
        return await self._driver.run(self._core.statuses_plan(refresh=refresh))

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
        return await self._driver.run(self._core.suggest_plan(field, prefix, entity=entity,
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
        return await self._driver.run(self._core.projects_plan())

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
        return await self._driver.run(self._core.releases_plan(project))

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
        return await self._driver.run(self._core.lookup("users", "user"))

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
        return await self._driver.run(self._core.cycles_plan(release))

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
        return cast(Item, await self._driver.run(self._core.fetch(
            self._core.call("GET", "user/current"))))

    # ---- bulk updates (zql.update; docs/update.md)

    async def plan_update(self, query: Any, *, entity: str = "execution",
                    **options: Any) -> UpdatePlan:
        """Plan a bulk change of the items ``query`` selects (``status=``, ``notes=``,
        ``assign=``, ``add_tags=``, ``remove_tags=``, ``priority=``); nothing is written.
        See :func:`zql.update.aplan_update`."""
        from zql.update import aplan_update

        return await aplan_update(self, query, entity=entity, **options)

    async def apply(self, plan: UpdatePlan, *, journal: str | os.PathLike[str] | None = None,
              **options: Any) -> Report:
        """Apply a plan in journaled batches (``batch_size=``, ``concurrency=``, ``fresh=``).
        See :func:`zql.update.aapply`."""
        from zql.update import aapply

        return await aapply(self, plan, journal=journal, **options)
