"""The sans-I/O core shared by the sync and async clients.

Everything except sending bytes and sleeping lives here: configuration, credentials, request
descriptions (:class:`Call`), response decoding and error mapping, caches, and the multi-request
operations (name lookups, schema fetch, suggestions) written once as generators that yield
:class:`Call` objects and receive decoded JSON. Each client runs them with a ten-line driver.
"""

from __future__ import annotations

import difflib
import json
import logging
import os
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeVar, cast

import httpx

from zql import __version__
from zql.client._auth import COOKIE_NAME, BasicAuth, BearerAuth, CookieAuth
from zql.client._errors import (
    ConfigurationError,
    NameResolutionError,
    NotFoundError,
    PermissionDeniedError,
    RequestRejectedError,
    UnexpectedResponseError,
    ZephyrError,
    decode_response,
    secret_forms,
    transport_error,
)
from zql.client._facts import STATUS_ENDPOINTS, Variant, parse_statuses, variants_for
from zql.client._logs import register as register_secrets
from zql.client._retry import Retry, RetryState
from zql.client._transfer import (
    DEFAULT_MAX_RESPONSE,
    Attempt,
    Sleep,
    attempt_timeout,
    total_time,
)
from zql.client._url import BaseURL, normalize_base_url
from zql.schema import Schema, SchemaError, Status, load_schema

__all__ = ["DEFAULT_TIMEOUT", "AuthKind", "Call", "ClientCore", "Plan", "Steps",
           "default_headers", "env_settings"]

logger = logging.getLogger("zql.client")

T = TypeVar("T")
#: An operation: yields the calls it needs, receives their decoded JSON, returns its result.
Plan: TypeAlias = Generator["Call", Any, T]
#: What a driver performs: attempts (send, get the read response back) and sleeps.
Steps: TypeAlias = Generator[Attempt | Sleep, Any, T]
AuthKind: TypeAlias = Literal["bearer", "basic", "cookie"]
Item: TypeAlias = dict[str, Any]

#: Connect quickly or fail; give a slow search a while.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_AUTH_KINDS = ("bearer", "basic", "cookie")
_SUGGESTIONS = 25
_LOGOUT_TIME = 5.0


def default_headers(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Headers every request carries (JSON in, JSON out, who we are).

    >>> default_headers()["Accept"]
    'application/json'
    """
    return {"Accept": "application/json", "User-Agent": f"zephyr-zql/{__version__}",
            **(extra or {})}


@dataclass(frozen=True, slots=True)
class Call:
    """One request to make: method, absolute URL, query parameters and JSON body.

    >>> Call("GET", "https://h/flex/services/rest/latest/release").idempotent
    True
    """

    method: str
    url: str
    params: Mapping[str, str] | None = None
    json: Any = None
    #: safe to repeat (all reads, including search by POST)
    idempotent: bool = True
    headers: Mapping[str, str] | None = None
    #: send without the client's auth (logout carries its own cookie)
    anonymous: bool = False
    #: the answer must be a page of search results
    page: bool = False


def env_settings(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Client keyword arguments from ``ZEPHYR_URL``, ``ZEPHYR_TOKEN``, ``ZEPHYR_USERNAME``,
    ``ZEPHYR_PASSWORD`` (and ``ZEPHYR_AUTH``: bearer, basic or cookie); empty values are unset.

    >>> env_settings({"ZEPHYR_URL": "https://z", "ZEPHYR_TOKEN": "t", "ZEPHYR_USERNAME": ""})
    {'base_url': 'https://z', 'token': 't'}
    """
    env = os.environ if environ is None else environ
    names = {"base_url": "ZEPHYR_URL", "token": "ZEPHYR_TOKEN", "username": "ZEPHYR_USERNAME",
             "password": "ZEPHYR_PASSWORD", "auth": "ZEPHYR_AUTH"}
    return {key: env[name] for key, name in names.items() if env.get(name)}


def build_auth(kind: str | httpx.Auth | None, *, token: str | None, username: str | None,
               password: str | None, login_url: str) -> tuple[str, httpx.Auth]:
    """The auth object for the given credentials; a token means bearer, a username cookie.

    >>> build_auth(None, token="t", username=None, password=None, login_url="https://h/")
    ('bearer', BearerAuth(token=***))
    >>> build_auth(None, token=None, username="a", password=None, login_url="https://h/")
    Traceback (most recent call last):
      ...
    zql.client.ConfigurationError: no password for user 'a' (set ZEPHYR_PASSWORD)
    """
    if isinstance(kind, httpx.Auth):
        return "custom", kind
    if kind is None:
        if token:
            kind = "bearer"
        elif username or password:
            kind = "cookie"
        else:
            raise ConfigurationError("no credentials: give an API token (ZEPHYR_TOKEN) or a "
                                     "username and password (ZEPHYR_USERNAME, ZEPHYR_PASSWORD)")
    kind = str(kind).lower()
    if kind not in _AUTH_KINDS:
        raise ConfigurationError(f"unknown auth {kind!r}; one of: {', '.join(_AUTH_KINDS)}")
    if kind == "bearer":
        if not token:
            raise ConfigurationError("bearer auth needs an API token (ZEPHYR_TOKEN)")
        return kind, BearerAuth(token)
    if not username:
        raise ConfigurationError(f"{kind} auth needs a username (ZEPHYR_USERNAME)")
    if not password:
        raise ConfigurationError(f"no password for user {username!r} (set ZEPHYR_PASSWORD)")
    if kind == "basic":
        return kind, BasicAuth(username, password)
    return kind, CookieAuth(username, password, login_url)


@dataclass
class ClientCore:
    """Configuration, caches and operations of one client (no I/O).

    >>> core = ClientCore("https://zephyr.example.com/flex/html5/", token="t")
    >>> core.base.api, core.auth_kind
    ('https://zephyr.example.com/flex/services/rest/latest', 'bearer')
    >>> core.call("GET", "release").url
    'https://zephyr.example.com/flex/services/rest/latest/release'
    """

    base_url: str
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str | httpx.Auth | None = field(default=None, repr=False)
    retries: int | Retry | None = field(default=4, repr=False)
    schema: str | os.PathLike[str] | Schema | None = field(default=None, repr=False)
    timeout: float | httpx.Timeout | None = field(default_factory=lambda: DEFAULT_TIMEOUT,
                                                  repr=False)
    max_response_size: int = field(default=DEFAULT_MAX_RESPONSE, repr=False)

    def __post_init__(self) -> None:
        self.timeout = _coerce_timeout(self.timeout)
        size = self.max_response_size
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigurationError(f"max_response_size must be a positive int, not {size!r}")
        self.base: BaseURL = normalize_base_url(self.base_url)
        if self.base.note:
            logger.warning("Zephyr URL: %s", self.base.note)
        self.auth_kind, self.http_auth = build_auth(
            self.auth, token=self.token, username=self.username, password=self.password,
            login_url=self.base.url("user/current"))
        self.retry = Retry.coerce(self.retries)
        self._forms_key: tuple[str | None, ...] = ()
        self._forms: tuple[str, ...] = ()
        _ = self.secrets  # registers them with the log filter at once
        self._cache: dict[str, list[Item]] = {}
        self._given_schema = load_schema(self.schema) if self.schema is not None else None
        self._server_schema: Schema | None = None
        self._statuses: tuple[Status, ...] | None = None
        self._variants: dict[str, Variant] = {}
        self._fallback_schema: Schema | None = None

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be shown, in every form it can come back in: the token, the
        password (and the ``Basic`` header's base64 of ``user:password``), the session cookie.

        >>> core = ClientCore("http://h", username="ann", password="pw-secret", auth="basic")
        >>> "YW5uOnB3LXNlY3JldA==" in core.secrets and "pw-secret" in core.secrets
        True
        """
        auth = self.http_auth
        cookie = auth.session if isinstance(auth, CookieAuth) else None
        key = (self.token, self.password, cookie)
        if self._forms_key != key:
            self._forms_key = key
            self._forms = secret_forms(key, username=self.username, password=self.password)
            register_secrets(self._forms)
        return self._forms

    def describe(self, cls: str) -> str:
        """The client's ``repr``: URL, auth kind and user, never a secret."""
        user = f" user={self.username!r}" if self.username and self.auth_kind != "bearer" else ""
        return f"<{cls} {self.base.api} auth={self.auth_kind}{user}>"

    # ---- the steps a driver performs

    def attempt(self, call: Call, *, until: float | None = None) -> Attempt:
        """One attempt at ``call``: its deadline is the timeout's budget from now, and never
        later than ``until`` (the end of the retries' ``max_time``)."""
        assert isinstance(self.timeout, httpx.Timeout)
        now = time.monotonic()
        budget = total_time(self.timeout)
        end = now + budget if budget is not None else until
        if until is not None and end is not None:
            end = min(end, until)
        left = max(0.001, (end if end is not None else now + self.retry.max_time) - now)
        return Attempt(call, now + left, attempt_timeout(self.timeout, left),
                       self.max_response_size)

    def request_steps(self, call: Call) -> Steps[Any]:
        """One call, retried as the policy allows: the attempts and sleeps for a driver;
        returns the decoded JSON or raises the :class:`ZephyrError`.

        Every attempt and every wait fits inside ``Retry.max_time`` from the first attempt.
        """
        state = RetryState(self.retry, idempotent=call.idempotent)
        until = state.start + self.retry.max_time
        while True:
            try:
                response = yield self.attempt(call, until=until)
            except ZephyrError as exc:
                error = exc
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                error = self.failure(exc, call)
                error.__cause__ = exc
            else:
                try:
                    return self.decode(response, call)
                except ZephyrError as exc:
                    error = exc
            wait = state.next_delay(error)
            logger.info("retry %d in %.2fs after: %s", state.attempt, wait, error)
            yield Sleep(wait)

    def steps(self, plan: Plan[T]) -> Steps[T]:
        """An operation as driver steps: each call it yields is made (with retries) and its
        answer, or its error, sent back into it."""
        value: Any = None
        error: ZephyrError | None = None
        while True:
            try:
                call = plan.throw(error) if error is not None else plan.send(value)
            except StopIteration as stop:
                return cast(T, stop.value)
            try:
                value, error = (yield from self.request_steps(call)), None
            except ZephyrError as exc:
                value, error = None, exc

    def probe_steps(self, call: Call) -> Steps[httpx.Response]:
        """One attempt, no retry and no decoding: the raw response (``zql doctor``)."""
        response: httpx.Response = yield self.attempt(
            call, until=time.monotonic() + self.retry.max_time)
        return response

    def logout_steps(self) -> Steps[None]:
        """End a cookie session: one short attempt, no retries; a failure is only logged."""
        call = self.logout_call()
        if call is None:
            return
        try:
            yield self.attempt(call, until=time.monotonic() + _LOGOUT_TIME)
        except (ZephyrError, httpx.HTTPError, httpx.InvalidURL) as exc:
            logger.debug("logout failed: %s", type(exc).__name__)

    # ---- requests and answers

    def call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             json: Any = None, idempotent: bool = True, page: bool = False) -> Call:
        """A :class:`Call` to ``path`` below the API root; parameters as strings, None dropped.

        >>> ClientCore("http://h", token="t").call("GET", "x", params={"a": True, "b": None}).params
        {'a': 'true'}
        """
        clean = None
        if params is not None:
            clean = {k: _param(v) for k, v in params.items() if v is not None}
        return Call(method, self.base.url(path), clean, json, idempotent, page=page)

    def decode(self, response: httpx.Response, call: Call) -> Any:
        """The JSON of an answer, or the mapped :class:`ZephyrError` (secrets scrubbed)."""
        try:
            body = decode_response(response, secrets=self.secrets)
        except ZephyrError as err:
            err.scrub(self.secrets)  # e.g. a redirect's target
            raise
        if call.page:
            parse_page(body, response)  # a bad shape is an error of this response
        return body

    def failure(self, exc: httpx.HTTPError | httpx.InvalidURL, call: Call) -> ZephyrError:
        """The client error for an httpx exception raised while making ``call``."""
        error = transport_error(exc, httpx.Request(call.method, call.url, params=call.params))
        error.scrub(self.secrets)
        return error

    def logout_call(self) -> Call | None:
        """The ``DELETE /user/logout`` ending a cookie session, or None when there is none.

        The session is forgotten at once, so a failed logout never leaves a stale cookie.
        """
        auth = self.http_auth
        cookie = auth.forget() if isinstance(auth, CookieAuth) else None
        if cookie is None:
            return None
        return Call("DELETE", self.base.url("user/logout"),
                    headers={"Cookie": f"{COOKIE_NAME}={cookie}"}, anonymous=True)

    def fetch(self, call: Call) -> Plan[Any]:
        """The plan of a single call: its decoded JSON."""
        return (yield call)

    # ---- schema

    @property
    def known_schema(self) -> Schema | None:
        """The schema queries are validated against: one given, or one fetched from the server
        (never the bundled fallback, which would reject a server's custom fields)."""
        return self._given_schema or self._server_schema

    @property
    def url_limit(self) -> int:
        """Encoded query length above which a search goes by POST (the schema's value facts).

        >>> ClientCore("http://h", token="t").url_limit
        4000
        """
        return (self.known_schema or load_schema()).values.url_limit

    def schema_plan(self, *, refresh: bool = False) -> Plan[Schema]:
        """Fetch ``/v3/zql/metadata``; fall back to the given or bundled profile, logging why.
        Either way the schema carries the server's configured statuses when it shows them."""
        if not refresh:
            cached = self._server_schema or self._fallback_schema
            if cached is not None:
                return cached
        try:
            data = yield self.call("GET", "v3/zql/metadata")
            schema = Schema.from_metadata(data, name=f"server:{self.base.origin}")
            if not schema.entities:
                raise SchemaError("the metadata has no searchable entity")
        except (NotFoundError, RequestRejectedError, UnexpectedResponseError, SchemaError) as err:
            fallback = self._given_schema or load_schema()
            logger.warning("the server offers no usable ZQL metadata (%s); using the %s schema",
                           err, fallback.name)
            self._fallback_schema = yield from self._with_statuses(fallback, refresh)
            return self._fallback_schema
        self._server_schema = yield from self._with_statuses(schema, refresh)
        return self._server_schema

    def _with_statuses(self, schema: Schema, refresh: bool) -> Plan[Schema]:
        statuses = yield from self.statuses_plan(refresh=refresh)
        return schema.with_statuses(statuses) if self.statuses_known else schema

    def suggest_plan(self, field_name: str, prefix: str, *, entity: str,
                     release: int | str | None, limit: int = _SUGGESTIONS) -> Plan[list[str]]:
        """Value suggestions: the server's lookup for the field, else the schema's known values."""
        schema = self._given_schema or (yield from self.schema_plan())
        spec = schema.field(entity, field_name)
        if spec is None:
            return []
        static = [v for v in spec.values if v.casefold().startswith(prefix.casefold())][:limit]
        if not spec.lookup:
            return static
        release_id = None if release is None else (yield from self.resolve_release(release))
        try:
            data = yield self.call("GET", f"v3/zql/val/{spec.lookup}", params={
                "partialtext": prefix, "releaseid": release_id, "offset": 0, "pagesize": limit})
        except NotFoundError:
            return static
        out: list[str] = []
        for entry in items_of(data, what="suggestions"):
            value = entry.get("value") if isinstance(entry, dict) else entry
            if value is not None and str(value) not in out:
                out.append(str(value))
        return out[:limit]

    # ---- server facts: statuses, search variants

    def statuses_plan(self, *, refresh: bool = False) -> Plan[tuple[Status, ...]]:
        """The execution statuses the server is configured with (``testresult.testresultStatus
        .LOV``, from the preference or the system preferences), cached; the given or bundled
        schema's statuses, with a logged warning, when the server shows neither."""
        if self._statuses is not None and not refresh:
            return self._statuses
        reasons: list[str] = []
        for path, params in STATUS_ENDPOINTS:
            try:
                statuses = parse_statuses((yield self.call("GET", path, params=params)))
            except (NotFoundError, RequestRejectedError, UnexpectedResponseError,
                    PermissionDeniedError) as err:
                reasons.append(err.message)
                continue
            self._statuses = statuses
            return statuses
        fallback = (self._given_schema or load_schema()).values.statuses
        logger.info("the server shows no configured statuses (%s); using the defaults",
                       "; ".join(reasons))
        self._statuses = fallback
        return fallback

    @property
    def statuses_known(self) -> bool:
        """Whether the statuses were read from the server (not the defaults)."""
        default = (self._given_schema or load_schema()).values.statuses
        return self._statuses is not None and self._statuses is not default

    def search_variants(self, entity: str, *, quick: bool = False) -> list[Variant]:
        """The search variants to try for ``entity`` (the remembered one once one worked)."""
        out = variants_for(entity, self._variants.get(entity))
        return [v for v in out if not (quick and v.path == "testcase")] or out

    def use_search_variant(self, entity: str, variant: Variant) -> None:
        """Remember the variant that answered for ``entity`` (said once, at INFO)."""
        if self._variants.get(entity) != variant:
            self._variants[entity] = variant
            logger.info("searching %ss with %s", entity, variant.name)

    @property
    def search_variant_used(self) -> dict[str, str]:
        """Entity → the name of the search variant that answered for it."""
        return {entity: v.name for entity, v in self._variants.items()}

    # ---- lookups

    def lookup(self, key: str, path: str, *, refresh: bool = False) -> Plan[list[Item]]:
        """A lookup list (projects, releases, users, cycles), cached per client."""
        if refresh or key not in self._cache:
            self._cache[key] = items_of((yield self.call("GET", path)), what=key)
        return list(self._cache[key])

    def projects_plan(self) -> Plan[list[Item]]:
        """All projects the user can see (``GET /project/lite``)."""
        return (yield from self.lookup("projects", "project/lite"))

    def releases_plan(self, project: int | str | None = None) -> Plan[list[Item]]:
        """Releases, of one project when given (``GET /release[/project/{id}]``)."""
        if project is None:
            return (yield from self.lookup("release", "release"))
        pid = yield from self.resolve_project(project)
        return (yield from self.lookup(f"release/project/{pid}", f"release/project/{pid}"))

    def cycles_plan(self, release: int | str) -> Plan[list[Item]]:
        """The cycles of a release (``GET /cycle/release/{id}``)."""
        rid = yield from self.resolve_release(release)
        return (yield from self.lookup(f"cycles:{rid}", f"cycle/release/{rid}"))

    def resolve_project(self, value: int | str) -> Plan[int]:
        """A project id from an id or a name (case-insensitive, unique)."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        projects = yield from self.projects_plan()
        return pick("project", value, projects, source=self.base.url("project/lite"))

    def resolve_release(self, value: int | str, project: int | str | None = None) -> Plan[int]:
        """A release id from an id or a name; ``project`` narrows an ambiguous name."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if project is None:
            path = "release"
        else:
            path = f"release/project/{(yield from self.resolve_project(project))}"
        releases = yield from self.lookup(path, path)
        names: dict[int, str] = {}
        wanted = str(value).strip().casefold()
        if sum(_key(r, "name") == wanted for r in releases) > 1:
            # Only to label the candidates of an ambiguous name with their projects.
            names = {int(p["id"]): str(p.get("name")) for p in (yield from self.projects_plan())
                     if "id" in p}
        return pick("release", value, releases, projects=names, source=self.base.url(path))


def _coerce_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """An ``httpx.Timeout`` from seconds or a Timeout; refuses negative, NaN and zero.

    >>> _coerce_timeout(5)
    Timeout(timeout=5)
    >>> _coerce_timeout(float("nan"))
    Traceback (most recent call last):
      ...
    zql.client.ConfigurationError: timeout must be a positive number of seconds, not nan
    """
    timeout = value if isinstance(value, httpx.Timeout) else httpx.Timeout(value)
    for phase in (timeout.connect, timeout.read, timeout.write, timeout.pool):
        if phase is not None and (isinstance(phase, bool) or not phase > 0 or phase != phase):
            raise ConfigurationError(
                f"timeout must be a positive number of seconds, not {phase!r}")
    return timeout


def _param(value: Any) -> str:
    # The API reads booleans the way JSON writes them.
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _key(item: Mapping[str, Any], name: str) -> str:
    return str(item.get(name, "")).strip().casefold()


def parse_page(body: Any, response: httpx.Response | None = None) -> tuple[int | None, list[Item]]:
    """``(resultSize, results)`` of a search answer: ``[{firstResult, resultSize, results}]``
    or the bare object (some servers); an empty array is an empty result.

    >>> parse_page([{"firstResult": 0, "resultSize": 7, "results": [{"id": 1}]}])
    (7, [{'id': 1}])
    >>> parse_page({"firstResult": 0, "resultSize": 0, "results": []})
    (0, [])
    """
    if isinstance(body, list):
        if not body:
            return 0, []
        body = body[0]
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        raise UnexpectedResponseError(
            "the search answer is not a page of results ({firstResult, resultSize, results})",
            response=response)
    total = body.get("resultSize")
    return (int(total) if isinstance(total, int | str) and str(total).isdigit() else None,
            body["results"])


def items_of(data: Any, *, what: str) -> list[Any]:
    """The list inside a lookup answer: a bare array, or a page ``{"results": [...]}``.

    >>> items_of({"firstResult": 0, "results": [{"id": 1}]}, what="users")
    [{'id': 1}]
    """
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        return list(data["results"])
    if data is None:
        return []
    raise UnexpectedResponseError(f"the {what} answer is neither a list nor a page of results")


def pick(kind: str, value: int | str, items: Sequence[Item], *,
         projects: Mapping[int, str] | None = None, source: str | None = None) -> int:
    """The id of the one item named ``value``; a string of digits that names nothing is an id.

    ``source`` is the URL the items came from (the error's URL when nothing or several match).

    >>> rel = [{"id": 3, "name": "R1", "projectId": 1}, {"id": 4, "name": "R1", "projectId": 2}]
    >>> pick("release", "r1", rel[:1]), pick("release", "17", rel)
    (3, 17)
    >>> pick("release", "R1", rel, projects={1: "Apollo", 2: "Gemini"})
    Traceback (most recent call last):
      ...
    zql.client.NameResolutionError: release name 'R1' is ambiguous: R1 (id 3, project Apollo), \
R1 (id 4, project Gemini); give the id or the project
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"a {kind} is an id (int) or a name (str), not {type(value).__name__}")
    if isinstance(value, int):
        return value
    text = value.strip()
    matches = [item for item in items if _key(item, "name") == text.casefold() and "id" in item]
    if len(matches) == 1:
        return int(matches[0]["id"])
    if not matches and text.isdigit():
        return int(text)
    projects = projects or {}
    request = httpx.Request("GET", source) if source else None

    def label(item: Item) -> str:
        pid = item.get("projectId")
        where = f", project {projects.get(int(pid), pid)}" if pid is not None and projects else ""
        return f"{item.get('name')} (id {item.get('id')}{where})"

    if matches:
        candidates = [label(item) for item in matches]
        hint = "give the id or the project" if kind == "release" else "give the id"
        raise NameResolutionError(
            f"{kind} name {text!r} is ambiguous: {', '.join(candidates)}; {hint}",
            candidates=candidates, request=request)
    names = {str(item.get("name")): item for item in items}
    close = difflib.get_close_matches(text, list(names), n=5, cutoff=0.5)
    close += [n for n in names if text.casefold() in n.casefold() and n not in close]
    candidates = [label(names[n]) for n in close[:5]]
    if candidates:
        raise NameResolutionError(f"no {kind} named {text!r}; did you mean: "
                                  f"{', '.join(candidates)}", candidates=candidates,
                                  request=request)
    known = [label(item) for item in items[:10]]
    more = ", …" if len(items) > 10 else ""
    raise NameResolutionError(
        f"no {kind} named {text!r}; known: {', '.join(known) or 'none'}{more}", candidates=known,
        request=request)
