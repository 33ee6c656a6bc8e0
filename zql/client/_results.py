"""Search: query preparation, the paging state machine, and the lazy result iterables.

:class:`Pager` is pure: it says which window to ask for next and digests each answer. It trusts
the page the server actually returned — the next request starts after the rows received, not
after the rows asked for — so a server that caps pages at 100 or 500 loses and duplicates
nothing. It stops at the total, at ``limit``, or at the first empty page (never loops).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx

from zql.ast import And, Clause, Node, Not, Or
from zql.client._core import Call, ClientCore, Item, Plan, parse_page
from zql.client._errors import UnexpectedResponseError, ZephyrError, ZQLValidationError
from zql.client._facts import VARIANTS, Variant, can_fall_back, variant_names
from zql.errors import Severity
from zql.format import format as format_query
from zql.parser import parse
from zql.schema import Schema
from zql.search_options import SearchOptions
from zql.validate import validate as validate_query

__all__ = ["AsyncDriver", "AsyncSearchResults", "Driver", "Page", "Pager", "SearchResults",
           "SearchSpec", "prepare"]

T = TypeVar("T")
logger = logging.getLogger("zql.client")


class Driver(Protocol):
    """What sync results need from their client: its core, and a way to run a plan."""

    @property
    def core(self) -> ClientCore:
        """The client's sans-I/O core."""

    def run(self, plan: Plan[T]) -> T:
        """Make the calls of ``plan`` and return its result."""


class AsyncDriver(Protocol):
    """What async results need from their client (see :class:`Driver`)."""

    @property
    def core(self) -> ClientCore:
        """The client's sans-I/O core."""

    async def run(self, plan: Plan[T]) -> T:
        """Make the calls of ``plan`` and return its result."""


@dataclass(frozen=True, slots=True)
class SearchSpec:
    """A validated search, ready to page: the exact text sent, its options, and what the
    server needs besides (canonical order field, custom-field flag, GET or POST).

    >>> prepare(ClientCore("http://h", token="t"), 'status="Fail"',
    ...         SearchOptions(entity="execution")).text
    'status = "Fail"'
    """

    text: str
    options: SearchOptions
    order_by: str | None = None
    is_cfield: bool = False
    post: bool = False

    @property
    def entity(self) -> str:
        """The entity searched."""
        return self.options.entity


@dataclass(frozen=True, slots=True)
class Page:
    """One page of results: where it starts, the server's total and the items.

    >>> Page(0, 2, [{"id": 1}, {"id": 2}]).total
    2
    """

    first_result: int
    total: int | None
    items: list[Item]


def query_node(query: Any) -> Node:
    """The AST of a query given as text, an AST node, or a builder expression.

    >>> import zql
    >>> query_node(zql.field("priority").eq("P1"))
    Clause(field='priority', op=<Op.EQ: 'EQ'>, value=String(value='P1'))
    """
    if isinstance(query, str):
        return parse(query)
    if isinstance(query, Clause | Not | And | Or):
        return query
    node = getattr(query, "node", None)
    if isinstance(node, Clause | Not | And | Or):
        return node
    to_zql = getattr(query, "to_zql", None)
    if callable(to_zql):
        return parse(str(to_zql()))
    raise TypeError(f"a query is ZQL text or a builder expression, not {type(query).__name__}")


def prepare(core: ClientCore, query: Any, options: SearchOptions | None = None) -> SearchSpec:
    """Check everything that can be checked without the server and build the :class:`SearchSpec`.

    With ``options.validate`` the text is parsed (a :class:`~zql.ZQLSyntaxError` before any
    request) and checked against the client's known schema (:class:`ZQLValidationError`); the
    canonical portable text is what gets sent. ``options.quick`` sends plain text instead.

    >>> core = ClientCore("http://h", token="t", schema="ze7")
    >>> prepare(core, 'not priority in ("P1","P2")').text
    'priority != "P1" and priority != "P2"'
    >>> prepare(core, 'prority = "P1"')
    Traceback (most recent call last):
      ...
    zql.client.ZQLValidationError: 1:1: error[ZQL201]: no field 'prority' in testcase...
    """
    options = options or SearchOptions()
    entity = options.entity
    schema = core.known_schema
    if options.quick:
        if not isinstance(query, str):
            raise TypeError("quick search takes plain text")
        text = query.strip()
    elif options.validate:
        node = query_node(query)
        if schema is not None:
            _check(query, node, entity, schema)
        text = format_query(node, portable=True)
    else:
        text = query.strip() if isinstance(query, str) else format_query(query_node(query),
                                                                         portable=True)
    order_by, is_cfield = options.order_by, False
    if order_by is not None and schema is not None:
        spec = schema.field(entity, order_by)
        if spec is not None:
            order_by, is_cfield = spec.name, spec.custom is not None
    post = len(str(httpx.QueryParams({"word": text}))) > core.url_limit
    return SearchSpec(text, options, order_by, is_cfield, post)


def _check(query: Any, node: Node, entity: str, schema: Schema) -> None:
    # Text is validated as typed, so the diagnostics' spans point into what the user wrote.
    source = query if isinstance(query, str) else node
    errors = [d for d in validate_query(source, entity=entity, schema=schema)
              if d.severity >= Severity.ERROR]
    if errors:
        raise ZQLValidationError(errors, query if isinstance(query, str) else format_query(node))


def search_params(core: ClientCore, spec: SearchSpec) -> Plan[dict[str, int]]:
    """Resolve the release and project names of a search to ids (cached lookups)."""
    out: dict[str, int] = {}
    release, project = spec.options.release, spec.options.project
    if project is not None:
        out["projectid"] = yield from core.resolve_project(project)
    if release is not None:
        out["releaseid"] = yield from core.resolve_release(release, project)
    return out


def search_call(core: ClientCore, spec: SearchSpec, ids: dict[str, int], first: int,
                size: int, variant: Variant = VARIANTS[0]) -> Call:
    """The request for one page in one of the server's search variants: ``GET
    /advancesearch`` (``POST`` for very long queries), ``POST /advancesearch/zql`` or
    ``GET /testcase?zqlquery=``.

    >>> core = ClientCore("http://h", token="t")
    >>> spec = prepare(core, 'name ~ "login"', SearchOptions(order_by="name"))
    >>> dict(search_call(core, spec, {"releaseid": 3}, 200, 100).params)
    {'word': 'name ~ "login"', 'entitytype': 'testcase', 'zql': 'true', 'firstresult': '200',
     'maxresults': '100', 'isascorder': 'true', 'order': 'name', 'releaseid': '3'}
    >>> search_call(core, spec, {}, 0, 50, VARIANTS[2]).json["maxResults"]
    50
    """
    zql, ascending = not spec.options.quick, spec.options.ascending
    entity = variant.execution_type if spec.entity == "execution" else spec.entity
    if variant.path == "testcase":
        # INFERRED: this list pages with offset/pagesize like ZE's other lists.
        return core.call("GET", "testcase", page=True, params={
            "zqlquery": spec.text, "offset": first, "pagesize": size, **ids})
    if spec.post or variant.method == "POST":
        body = {"word": spec.text, "entityType": entity, "zql": zql,
                "firstResult": first, "maxResults": size, "isAscOrder": ascending,
                "releaseId": ids.get("releaseid"), "projectId": ids.get("projectid")}
        if spec.order_by:
            body |= {"order": spec.order_by, "isCfield": spec.is_cfield}
        return core.call("POST", variant.path, page=True,
                         json={k: v for k, v in body.items() if v is not None})
    return core.call("GET", variant.path, page=True, params={
        "word": spec.text, "entitytype": entity, "zql": zql, "firstresult": first,
        "maxresults": size, "isascorder": ascending, "order": spec.order_by,
        "is_cfield": True if spec.is_cfield else None, **ids})


def fetch_page(core: ClientCore, spec: SearchSpec, ids: dict[str, int], first: int,
               size: int) -> Plan[Any]:
    """One page, trying the server's search variants in order until one answers (a 404, 405
    or unreadable shape means "not this one"); the one that worked is remembered."""
    variants = core.search_variants(spec.entity, quick=spec.options.quick)
    first_error: ZephyrError | None = None
    for n, variant in enumerate(variants):
        try:
            body = yield search_call(core, spec, ids, first, size, variant)
        except ZephyrError as err:
            first_error = first_error or err
            if n + 1 < len(variants) and can_fall_back(err):
                logger.info("search: %s is not usable here (%s); trying %s", variant.name,
                            err.message, variants[n + 1].name)
                continue
            if n and can_fall_back(err):
                # None answered: the documented endpoint's answer says most; name the rest.
                first_error.message += (" (search endpoints tried: "
                                        f"{', '.join(variant_names(variants))})")
                first_error.args = (first_error.message,)
                raise first_error from None
            raise
        core.use_search_variant(spec.entity, variant)
        return body
    raise AssertionError("no search variant")  # pragma: no cover - VARIANTS is never empty


class Pager:
    """Paging state of one pass over a search. Pure: it never sends anything.

    A pass never yields the same id twice, and a page that brings no new id (a server that
    ignores ``firstresult`` and answers the same page again) ends the pass with
    :class:`~zql.client.UnexpectedResponseError` instead of looping.

    >>> pager = Pager(page_size=3, limit=5)
    >>> pager.window()
    (0, 3)
    >>> first = pager.accept([{"resultSize": 9, "results": [{"id": 1}, {"id": 2}]}])
    >>> [item["id"] for item in first.items]
    [1, 2]
    >>> pager.window()
    (2, 3)
    >>> page = pager.accept([{"resultSize": 9, "results": [{"id": 3}, {"id": 4}, {"id": 5}]}])
    >>> len(page.items), pager.window()
    (3, None)
    """

    def __init__(self, page_size: int, limit: int | None = None) -> None:
        self.page_size = page_size
        self.limit = limit
        self.offset = 0
        self.delivered = 0
        self.total: int | None = None
        self.done = limit == 0
        self._seen: set[Any] = set()

    def window(self) -> tuple[int, int] | None:
        """``(firstresult, maxresults)`` of the next request, or None when finished."""
        if self.done:
            return None
        size = self.page_size
        if self.limit is not None:
            size = min(size, self.limit - self.delivered)
        return self.offset, size

    def accept(self, body: Any) -> Page:
        """Digest one answer; the returned page holds the items to deliver (``limit`` applied).

        >>> Pager(10).accept([{"resultSize": 2, "results": [{"id": 1}, None]}])
        Traceback (most recent call last):
          ...
        zql.client.UnexpectedResponseError: the search answer's results[1] is JSON null, not an ...
        """
        total, rows = parse_page(body)
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                kind = "JSON null" if row is None else type(row).__name__
                raise UnexpectedResponseError(
                    f"the search answer's results[{index}] is {kind}, not an object (a row): "
                    "the server sent something the client cannot read")
        start = self.offset
        self.total = total
        self.offset += len(rows)
        fresh = self._fresh(rows)
        if rows and not fresh:
            raise UnexpectedResponseError(
                f"the page at firstresult={start} repeats rows already received (no new id): "
                "the server does not advance through the results (does it ignore "
                "firstresult?); stopped")
        if self.limit is not None:
            fresh = fresh[: self.limit - self.delivered]
        self.delivered += len(fresh)
        self.done = (not rows or (total is not None and self.offset >= total)
                     or (self.limit is not None and self.delivered >= self.limit))
        return Page(start, total, fresh)

    def _fresh(self, rows: list[Item]) -> list[Item]:
        """The rows not delivered before (rows without an id cannot be told apart: all kept)."""
        out = []
        for row in rows:
            key = row.get("id")
            if key is None or isinstance(key, dict | list):
                out.append(row)
            elif key not in self._seen:
                self._seen.add(key)
                out.append(row)
        return out


class _Results:
    def __init__(self, spec: SearchSpec) -> None:
        self.spec = spec
        #: the server's total hit count (``resultSize``), known after the first page
        self.total: int | None = None
        self._ids: dict[str, int] | None = None

    def _ids_plan(self, core: ClientCore) -> Plan[dict[str, int]]:
        if self._ids is None:
            self._ids = yield from search_params(core, self.spec)
        return self._ids

    def _page_plan(self, core: ClientCore, pager: Pager) -> Plan[Page | None]:
        """The next page of a pass, or None when the pass is over."""
        window = pager.window()
        if window is None:
            return None
        ids = yield from self._ids_plan(core)
        page = pager.accept((yield from fetch_page(core, self.spec, ids, *window)))
        self.total = page.total
        return page

    def _count_plan(self, core: ClientCore) -> Plan[int]:
        ids = yield from self._ids_plan(core)
        total, rows = parse_page((yield from fetch_page(core, self.spec, ids, 0, 1)))
        self.total = total if total is not None else len(rows)
        limit = self.spec.options.limit
        return self.total if limit is None else min(limit, self.total)

    def _pager(self) -> Pager:
        return Pager(self.spec.options.page_size, self.spec.options.limit)

    @property
    def query(self) -> str:
        """The text sent to the server."""
        return self.spec.text

    def __repr__(self) -> str:
        total = "?" if self.total is None else self.total
        return f"<{type(self).__name__} {self.spec.entity} {self.spec.text!r} total={total}>"


class SearchResults(_Results):
    """The lazy, re-iterable result of :meth:`ZephyrClient.search`.

    Nothing is sent until you iterate; each iteration pages from the start again, holding one
    page at a time. ``total`` is set once the first page has arrived.

    >>> from zql.sandbox import Sandbox
    >>> from zql.client import ZephyrClient
    >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
    ...     results = client.search('priority = "High"', limit=3)
    ...     print(results.total)
    ...     ids = [item["id"] for item in results]
    ...     print(len(ids), results.total > 3)
    None
    3 True
    """

    def __init__(self, driver: Driver, spec: SearchSpec) -> None:
        super().__init__(spec)
        self._driver = driver

    def pages(self) -> Iterator[Page]:
        """The pages of one pass, fetched one after the other as you iterate."""
        pager, driver = self._pager(), self._driver
        while (page := driver.run(self._page_plan(driver.core, pager))) is not None:
            yield page

    def __iter__(self) -> Iterator[Item]:
        for page in self.pages():
            yield from page.items

    def count(self) -> int:
        """How many items an iteration delivers (``limit`` applied), asking for one row.

        Also sets :attr:`total`.

        >>> from zql.sandbox import Sandbox
        >>> from zql.client import ZephyrClient
        >>> with Sandbox(seed=1) as sb, ZephyrClient(sb.url, token=sb.token) as client:
        ...     client.search('status = "Fail"', entity="execution", limit=10).count()
        10
        """
        return self._driver.run(self._count_plan(self._driver.core))


class AsyncSearchResults(_Results):
    """The lazy, re-iterable result of :meth:`AsyncZephyrClient.search` (``async for``).

    >>> import asyncio
    >>> from zql.sandbox import Sandbox
    >>> from zql.client import AsyncZephyrClient
    >>> async def first_three(url, token):
    ...     async with AsyncZephyrClient(url, token=token) as client:
    ...         return [item["id"] async for item in client.search('priority = "High"', limit=3)]
    >>> with Sandbox(seed=1) as sb:
    ...     len(asyncio.run(first_three(sb.url, sb.token)))
    3
    """

    def __init__(self, driver: AsyncDriver, spec: SearchSpec) -> None:
        super().__init__(spec)
        self._driver = driver

    async def pages(self) -> AsyncIterator[Page]:
        """The pages of one pass, fetched one after the other as you iterate."""
        pager, driver = self._pager(), self._driver
        while (page := await driver.run(self._page_plan(driver.core, pager))) is not None:
            yield page

    async def __aiter__(self) -> AsyncIterator[Item]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def count(self) -> int:
        """How many items an iteration delivers (see :meth:`SearchResults.count`).

        >>> import asyncio
        >>> from zql.sandbox import Sandbox
        >>> from zql.client import AsyncZephyrClient
        >>> async def main(sb):
        ...     async with AsyncZephyrClient(sb.url, token=sb.token) as client:
        ...         return await client.search('status = "Fail"', entity="execution").count()
        >>> with Sandbox(seed=1) as sb:
        ...     asyncio.run(main(sb)) > 10
        True
        """
        return await self._driver.run(self._count_plan(self._driver.core))
