"""The synchronous client: a thin driver over :class:`~zql.client._core.ClientCore`."""

from __future__ import annotations

import logging
import os
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

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
from zql.client._results import SearchResults, prepare
from zql.client._retry import Retry
from zql.client._tls import default_trust
from zql.client._transfer import DEFAULT_MAX_RESPONSE, Attempt, BodyReader, Sleep
from zql.schema import Schema, Status
from zql.search_options import UNSET, SearchOptions, Unset

if TYPE_CHECKING:
    from zql.report import Diff
    from zql.report import Report as Counts
    from zql.update import Plan as UpdatePlan
    from zql.update import Report

__all__ = ["SyncDriver", "ZephyrClient"]

logger = logging.getLogger("zql.client")
T = TypeVar("T")


class SyncDriver:
    """Performs the core's steps with an ``httpx.Client``: sends attempts, sleeps.

    ``sleep`` is the private seam the tests use to record waits instead of sleeping.
    """

    def __init__(self, core: ClientCore, http: httpx.Client,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._core = core
        self.http = http
        self.sleep = sleep

    @property
    def core(self) -> ClientCore:
        """The client's sans-I/O core."""
        return self._core

    def run(self, plan: Plan[T]) -> T:
        """Make every call of an operation (with retries) and return its result."""
        return self.perform(self._core.steps(plan))

    def perform(self, steps: Steps[T]) -> T:
        """Carry out the steps: send each attempt, sleep each wait, send back the outcome."""
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as stop:
                return cast(T, stop.value)
            value, error = None, None
            if isinstance(step, Sleep):
                self.sleep(step.seconds)
                continue
            try:
                value = self._attempt(step)
            except (httpx.HTTPError, httpx.InvalidURL, ZephyrError) as exc:
                error = exc

    def _attempt(self, step: Attempt) -> httpx.Response:
        call = step.call
        request = self.http.build_request(call.method, call.url, params=call.params,
                                          json=call.json, headers=call.headers,
                                          timeout=step.timeout)
        response = self.http.send(request, stream=True,
                                  auth=None if call.anonymous else httpx.USE_CLIENT_DEFAULT)
        try:
            reader = BodyReader(step, request)
            for chunk in response.iter_bytes():
                reader.feed(chunk)
            return reader.response(response)
        finally:
            response.close()


class ZephyrClient:
    """A Zephyr Enterprise REST client: validated, paged, retried search and lookups.

    ``base_url`` may be the server address, the REST root or a pasted web-UI address. A
    ``token`` means Bearer auth; a ``username``/``password`` means a session cookie (``auth=``
    ``"basic"`` sends Basic on every request instead). ``retries`` is a count or a
    :class:`~zql.client.Retry`; ``timeout`` bounds each whole request (connect, send, and
    reading the full answer) and ``max_response_size`` the bytes of any answer; ``schema`` (a
    profile name, file or :class:`~zql.Schema`) makes queries be validated against it before
    sending, as does a successful :meth:`schema` call.

    >>> from zql.client import flatten
    >>> from zql.sandbox import Sandbox
    >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
    ...     hits = client.search('priority in ("High", "Critical") and automated = true', limit=5)
    ...     rows = [flatten(item, "testcase") for item in hits]
    ...     print(len(rows), list(rows[0])[:4], hits.total > 5)
    5 ['id', 'name', 'priority', 'tags'] True
    """

    def __init__(self, base_url: str, *, token: str | None = None, username: str | None = None,
                 password: str | None = None, auth: str | httpx.Auth | None = None,
                 timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
                 verify: bool | ssl.SSLContext = True,
                 retries: int | Retry | None = 4, transport: httpx.BaseTransport | None = None,
                 schema: str | os.PathLike[str] | Schema | None = None,
                 headers: Mapping[str, str] | None = None,
                 max_response_size: int = DEFAULT_MAX_RESPONSE) -> None:
        self._core = ClientCore(base_url, token=token, username=username, password=password,
                                auth=auth, retries=retries, schema=schema, timeout=timeout,
                                max_response_size=max_response_size)
        http = httpx.Client(auth=self._core.http_auth, timeout=self._core.timeout,
                            verify=default_trust(verify), transport=transport,
                            headers=default_headers(headers), follow_redirects=False)
        self._driver = SyncDriver(self._core, http)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> ZephyrClient:
        """A client configured by ``ZEPHYR_URL``, ``ZEPHYR_TOKEN``, ``ZEPHYR_USERNAME``,
        ``ZEPHYR_PASSWORD`` (``kwargs`` win over the environment).

        >>> env = {"ZEPHYR_URL": "https://zephyr.example.com", "ZEPHYR_TOKEN": "t0k"}
        >>> with ZephyrClient.from_env(env) as client:
        ...     client
        <ZephyrClient https://zephyr.example.com/flex/services/rest/latest auth=bearer>
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

        >>> ZephyrClient("zephyr.example.com", token="t").base_url
        'https://zephyr.example.com/flex/services/rest/latest'
        """
        return self._core.base.api

    @property
    def driver(self) -> SyncDriver:
        """The seam for engines that send calls of their own (:mod:`zql.update` sends its
        writes this way) with this client's auth, retries, limits and scrubbing:
        ``driver.core`` builds an operation, ``driver.run(operation)`` performs it.

        >>> import httpx
        >>> answer = httpx.MockTransport(lambda r: httpx.Response(200, json={"id": 7}))
        >>> with ZephyrClient("https://z", token="t", transport=answer) as c:
        ...     c.driver.run(c.driver.core.fetch(c.driver.core.call("GET", "user/current")))
        {'id': 7}
        """
        return self._driver

    def __enter__(self) -> ZephyrClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """End a cookie session (best effort) and close the connections.

        >>> from zql.sandbox import Sandbox
        >>> with Sandbox(seed=1) as sb:
        ...     client = ZephyrClient(sb.url, username=sb.username, password=sb.password)
        ...     _ = client.current_user()
        ...     client.close()
        ...     [(method, path) for method, path, _ in sb.control.requests][-1]
        ('DELETE', '/flex/services/rest/latest/user/logout')
        """
        try:
            self.logout()
        finally:
            self._driver.http.close()

    def logout(self) -> None:
        """End the session of cookie auth (``DELETE /user/logout``); errors are only logged.

        Zephyr counts sessions against licences, so :meth:`close` calls this for you.

        >>> ZephyrClient("https://zephyr.example.com", token="t").logout()  # no session: no-op
        """
        self._driver.perform(self._core.logout_steps())

    # ---- search

    def search(self, query: Any, options: SearchOptions | None = None, *,
               entity: str | Unset = UNSET, release: int | str | Unset | None = UNSET,
               project: int | str | Unset | None = UNSET,
               order_by: str | Unset | None = UNSET, ascending: bool | Unset = UNSET,
               page_size: int | Unset = UNSET, limit: int | Unset | None = UNSET,
               quick: bool | Unset = UNSET, validate: bool | Unset = UNSET) -> SearchResults:
        """Search with ZQL (text or a builder expression); lazy, re-iterable, paged results.

        ``options`` is a :class:`~zql.client.SearchOptions`; keyword arguments change single
        fields of it (defaults: test cases, pages of 100, no limit, validated). With
        ``validate`` a syntax error raises :class:`~zql.ZQLSyntaxError` here, before any
        request, and a schema error raises :class:`~zql.client.ZQLValidationError` when a
        schema is known. ``release``/``project`` take an id or a name.

        >>> client = ZephyrClient("https://zephyr.example.com", token="t")
        >>> client.search('status = Fail', entity="execution")
        Traceback (most recent call last):
          ...
        zql.errors.ZQLSyntaxError: 1:10: error[ZQL107]: bare word 'Fail' is not a value
          status = Fail
                   ^^^^
          hint: values are quoted in ZE: "Fail"
        >>> client.search('not status = "Pass"', SearchOptions(entity="execution"))
        <SearchResults execution 'status != "Pass"' total=?>
        >>> client.close()
        """
        opts = SearchOptions.of(options, entity=entity, release=release, project=project,
                                order_by=order_by, ascending=ascending, page_size=page_size,
                                limit=limit, quick=quick, validate=validate)
        return SearchResults(self._driver, prepare(self._core, query, opts))

    def quick_search(self, text: str, options: SearchOptions | None = None, *,
                     entity: str | Unset = UNSET, release: int | str | Unset | None = UNSET,
                     project: int | str | Unset | None = UNSET,
                     order_by: str | Unset | None = UNSET, ascending: bool | Unset = UNSET,
                     page_size: int | Unset = UNSET,
                     limit: int | Unset | None = UNSET) -> SearchResults:
        """Free-text search (``zql=false``), paged like :meth:`search`.

        >>> with ZephyrClient("https://zephyr.example.com", token="t") as client:
        ...     client.quick_search("login timeout").query
        'login timeout'
        """
        return self.search(text, options, entity=entity, release=release, project=project,
                           order_by=order_by, ascending=ascending, page_size=page_size,
                           limit=limit, quick=True)

    # ---- reports (zql.report does the work; see docs/report.md)

    def report(self, query: Any, *, entity: str = "execution", by: Iterable[str] = ("status",),
               strategy: str = "auto", release: int | str | None = None,
               project: int | str | None = None, page_size: int = 500,
               progress: Callable[[int, int | None], None] | None = None) -> Counts:
        """Count the hits of ``query`` by one or two flat columns (``by``), scanning the rows
        or asking one count per known value (``strategy``: ``auto``, ``scan``, ``count``).

        Ctrl-C during a scan raises :class:`zql.report.ReportInterrupted` carrying the partial
        counts. ``progress(done, total)`` is called after each page of a scan.

        >>> from zql.sandbox import Sandbox
        >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        ...     r = client.report('priority = "Critical"', by=["status"], strategy="count")
        ...     r.total == sum(g.count for g in r.groups), r.requests, r.groups[0].values
        (True, 6, ('Pass',))
        """
        from zql.client._flatten import flat_columns, flattener
        from zql.report._run import drive, report_steps

        return cast("Counts", drive(self, report_steps(
            query, entity=entity, by=by, strategy=strategy, release=release, project=project,
            page_size=page_size, flattener=flattener, columns=flat_columns(entity),
            progress=progress)))

    def diff(self, query_a: Any, query_b: Any | None = None, *,
             release_a: int | str | None = None, release_b: int | str | None = None,
             project: int | str | None = None, page_size: int = 500,
             progress: Callable[[int, int | None], None] | None = None) -> Diff:
        """Compare two sets of executions by test case (``query_b`` defaults to ``query_a``,
        e.g. the same query in ``release_a`` and ``release_b``); see :func:`zql.report.diff`.

        >>> from zql.sandbox import Sandbox
        >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        ...     d = client.diff('cycle = "Sprint 12"', 'cycle = "Sprint 14"')
        ...     sum(d.summary.values()) == len(d.items)
        True
        """
        from zql.client._flatten import flattener
        from zql.report._run import Where, diff_steps, drive

        a = Where(query_a, "execution", release_a, project)
        b = Where(query_a if query_b is None else query_b, "execution", release_b, project)
        return cast("Diff", drive(self, diff_steps(a, b, flattener=flattener,
                                                   page_size=page_size, progress=progress)))

    # ---- schema and lookups

    def schema(self, *, refresh: bool = False) -> Schema:
        """The server's ZQL schema (``/v3/zql/metadata``), cached; the bundled profile (with a
        logged warning) when the server has none. Queries are validated against it afterwards.

        >>> from zql.sandbox import Sandbox
        >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        ...     client.schema().field("testcase", "customtext").custom
        'text'
        """
        return self._driver.run(self._core.schema_plan(refresh=refresh))

    def statuses(self, *, refresh: bool = False) -> tuple[Status, ...]:
        """The execution statuses the server is configured with, custom and inactive ones
        included (``GET /latest/admin/preference?key=testresult.testresultStatus.LOV``, else
        ``GET /v4/admin/preference/all/system``), cached with the schema; the bundled
        defaults, with a logged warning, when the server shows neither.

        >>> from zql.sandbox import Sandbox
        >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        ...     [s.name for s in client.statuses()][:2]
        ['Pass', 'Fail']
        """
        return self._driver.run(self._core.statuses_plan(refresh=refresh))

    def suggest(self, field: str, prefix: str = "", *, entity: str = "testcase",
                release: int | str | None = None, limit: int = 25) -> list[str]:
        """Values for completing ``field`` that start with (or contain) ``prefix``.

        >>> from zql.sandbox import Sandbox
        >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        ...     client.suggest("priority", "c")
        ['Critical']
        """
        return self._driver.run(self._core.suggest_plan(field, prefix, entity=entity,
                                                        release=release, limit=limit))

    def projects(self) -> list[Item]:
        """All projects the user can see (``GET /project/lite``), cached.

        >>> from zql.sandbox import Sandbox
        >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        ...     [p["name"] for p in client.projects()]
        ['Project Ironclad', 'Atlas Mobile', 'Nimbus Cloud Console']
        """
        return self._driver.run(self._core.projects_plan())

    def releases(self, project: int | str | None = None) -> list[Item]:
        """Releases, of one project (id or name) when given, cached.

        >>> import httpx
        >>> def server(request):
        ...     assert request.url.path.endswith("/release/project/1")
        ...     return httpx.Response(200, json=[{"id": 4, "name": "4.0", "projectId": 1}])
        >>> with ZephyrClient("https://z", token="t", transport=httpx.MockTransport(server)) as c:
        ...     [r["name"] for r in c.releases(project=1)]
        ['4.0']
        """
        return self._driver.run(self._core.releases_plan(project))

    def users(self) -> list[Item]:
        """The server's users (``GET /user``), cached.

        >>> import httpx
        >>> answer = httpx.MockTransport(lambda r: httpx.Response(200, json=[{"id": 2}]))
        >>> with ZephyrClient("https://z", token="t", transport=answer) as c:
        ...     c.users()
        [{'id': 2}]
        """
        return self._driver.run(self._core.lookup("users", "user"))

    def cycles(self, release: int | str) -> list[Item]:
        """The test cycles of a release (id or name), cached.

        >>> from zql.sandbox import Sandbox
        >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        ...     cycles = client.cycles("Ironclad 3.0")
        ...     {c["releaseId"] for c in cycles}
        {1}
        """
        return self._driver.run(self._core.cycles_plan(release))

    def current_user(self) -> Item:
        """Who the credentials belong to (``GET /user/current``); a cheap credentials check.

        >>> import httpx
        >>> answer = httpx.MockTransport(lambda r: httpx.Response(200, json={"username": "a"}))
        >>> with ZephyrClient("https://z", token="t", transport=answer) as c:
        ...     c.current_user()["username"]
        'a'
        """
        return cast(Item, self._driver.run(self._core.fetch(self._core.call("GET",
                                                                            "user/current"))))

    # ---- bulk updates (zql.update; docs/update.md)

    def plan_update(self, query: Any, *, entity: str = "execution",
                    **options: Any) -> UpdatePlan:
        """Plan a bulk change of the items ``query`` selects (``status=``, ``notes=``,
        ``assign=``, ``add_tags=``, ``remove_tags=``, ``priority=``); nothing is written.
        See :func:`zql.update.plan_update`."""
        from zql.update import plan_update

        return plan_update(self, query, entity=entity, **options)

    def apply(self, plan: UpdatePlan, *, journal: str | os.PathLike[str] | None = None,
              **options: Any) -> Report:
        """Apply a plan in journaled batches (``batch_size=``, ``concurrency=``, ``fresh=``).
        See :func:`zql.update.apply`."""
        from zql.update import apply

        return apply(self, plan, journal=journal, **options)
