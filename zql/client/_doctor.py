"""``zql doctor``'s engine: check a connection step by step and say what to fix.

:func:`diagnose` runs the checks in order — base URL, TLS, authentication, user and roles,
search endpoints, page cap, ZQL metadata, value lookups, configured statuses, searchable custom
fields, clock skew, latency — and returns a :class:`Report` (one :class:`Check` each, with a
hint when it fails). Nothing here prints, and nothing in a report is a secret: server text is
scrubbed of every form of the client's credentials, and no credential is ever quoted, not
even in part.
"""

from __future__ import annotations

import contextlib
import email.utils
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from zql.client._core import Call
from zql.client._errors import (
    AuthenticationError,
    PermissionDeniedError,
    TimeoutError,
    ZephyrError,
    scrub,
    server_text,
)
from zql.client._facts import STATUS_ENDPOINTS, VARIANTS, parse_statuses
from zql.client._results import SearchResults, prepare, search_call
from zql.client._tls import HINT, peer_certificate
from zql.schema import Schema, Status, load_schema
from zql.search_options import SearchOptions

if TYPE_CHECKING:
    from zql.client._sync import ZephyrClient

__all__ = ["PROBE_QUERY", "PROBE_ROWS", "Check", "Report", "diagnose"]

#: Rows asked for to measure the page cap: above the usual default of 500.
PROBE_ROWS = 1000
#: A query every server answers with every row (a value no priority has).
PROBE_QUERY = 'priority != "zql-doctor-probe"'
_SKEW = 60.0  # seconds of clock difference that start to matter (cookies, dates)
_SLOW = 2.0  # seconds of round trip that make every page slow
_PINGS = 3


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report: what was checked, whether it passed, and what was seen (with a
    hint on what to do when it failed)."""

    name: str
    ok: bool
    detail: str


@dataclass(slots=True)
class Report:
    """Everything doctor found; :meth:`to_json` is the ``--format json`` document."""

    server: str
    auth: str
    user: str | None = None
    page_cap: int | None = None
    statuses: list[Status] = field(default_factory=list)
    endpoints: dict[str, bool] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every check passed."""
        return all(check.ok for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        """``{"server", "auth", "user", "page_cap", "statuses", "endpoints", "checks"}``.

        >>> Report("https://z/flex/services/rest/latest", "bearer").to_json()["page_cap"] is None
        True
        """
        return {"server": self.server, "auth": self.auth, "user": self.user,
                "page_cap": self.page_cap,
                "statuses": [{"id": s.id, "name": s.name, "active": s.active}
                             for s in self.statuses],
                "endpoints": dict(self.endpoints),
                "checks": [asdict(check) for check in self.checks]}


class _Doctor:
    def __init__(self, client: ZephyrClient, trust: str, clock: Callable[[], float]) -> None:
        # doctor is part of the client package: it drives the client's own driver and core
        self.driver = client._driver
        self.core = client._core
        self.trust = trust
        self.now = clock
        self.report = Report(self.core.base.api, self.core.auth_kind)
        self.rtts: list[float] = []
        self.skews: list[float] = []

    def add(self, name: str, ok: bool, detail: str, hint: str = "") -> bool:
        text = scrub(detail if ok or not hint else f"{detail}; hint: {hint}", self.core.secrets)
        self.report.checks.append(Check(name, ok, text))
        return ok

    def probe(self, call: Call) -> httpx.Response:
        """One attempt, no retry, no decoding: the raw answer (timed, its Date noted)."""
        start = time.perf_counter()
        response: httpx.Response = self.driver.perform(self.core.probe_steps(call))
        self.rtts.append(time.perf_counter() - start)
        date = response.headers.get("date")
        if date:
            with contextlib.suppress(TypeError, ValueError, IndexError):
                self.skews.append(email.utils.parsedate_to_datetime(date).timestamp()
                                  - self.now())
        return response

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.driver.run(self.core.fetch(self.core.call("GET", path, params=params)))

    # ---- the checks, in order

    def reach(self) -> httpx.Response | None:
        base = self.core.base
        note = f" ({base.note})" if base.note else ""
        try:
            answer = self.probe(Call("GET", base.url("user/current"), anonymous=True))
        except (httpx.HTTPError, httpx.InvalidURL, ZephyrError) as exc:
            error = exc if isinstance(exc, ZephyrError) else self.core.failure(exc, Call(
                "GET", base.url("user/current")))
            hint = ("check the address and that the server is up; behind a proxy set "
                    "HTTPS_PROXY" if not isinstance(error, TimeoutError) else
                    "the server did not answer in time: check the address, a VPN or proxy, "
                    "or raise --timeout")
            reason = error.message
            if "not trusted" in reason:
                reason, hint = "its TLS certificate is not trusted", "see the TLS check below"
            self.add("base URL", False, f"{base.api} is not reachable: {reason}", hint)
            return None
        kind = answer.headers.get("content-type", "")
        if "html" in kind.lower() or answer.content[:1] == b"<":
            self.add("base URL", False, f"{base.api} answers with an HTML page, not the REST "
                     "API", "give the server address, e.g. https://zephyr.example.com")
            return answer
        if 300 <= answer.status_code < 400:
            self.add("base URL", False, f"{base.api} redirects ({answer.status_code})",
                     "use the final address, or an API token if it is a single-sign-on page")
            return answer
        self.add("base URL", True, f"{base.api} answers (HTTP {answer.status_code}){note}")
        return answer

    def tls(self, verify: Any) -> None:
        url = self.core.base.api
        if not url.startswith("https://"):
            self.add("TLS", True, "plain http: no TLS (fine for a sandbox on loopback; use "
                     "https for a real server)")
            return
        try:
            cert = peer_certificate(url, verify)
        except OSError as err:
            self.add("TLS", False, f"no TLS handshake: {err}", HINT)
            return
        assert cert is not None
        issuer = f"issuer {cert.issuer}" if cert.issuer else "issuer unknown"
        if cert.verified:
            self.add("TLS", True, f"certificate verified against {self.trust}; {issuer}")
        elif verify is False:
            self.add("TLS", False, f"verification is off (--insecure); {issuer}",
                     "trust the issuer instead: --ca-cert FILE with its CA certificate")
        else:
            self.add("TLS", False, f"certificate not trusted ({cert.error}) by {self.trust}; "
                     f"{issuer}", HINT)

    def authenticate(self, anonymous: httpx.Response | None) -> bool:
        kind = self.core.auth_kind
        offered = ""
        if anonymous is not None and anonymous.status_code == 401:
            challenge = anonymous.headers.get("www-authenticate")
            text = challenge or _server_message(anonymous)
            offered = f"; the server asks for: {text[:160]}" if text else ""
        said = ""
        try:
            user = self.get("user/current")
        except PermissionDeniedError as err:
            return self.add("authentication", False, f"{kind} credentials accepted but not "
                            f"allowed here: {err.message}", "ask an administrator for access")
        except AuthenticationError as err:
            if err.response is not None:
                message, _ = server_text(err.response, self.core.secrets)
                said = f" (HTTP {err.status_code}: {message})" if message else \
                    f" (HTTP {err.status_code})"
            hint = {"bearer": "check the API token (ZEPHYR_TOKEN, or the variable --token-env "
                              "names); with single sign-on only a token works",
                    "basic": "check the username and password (ZEPHYR_USERNAME, "
                             "ZEPHYR_PASSWORD), or use an API token",
                    "cookie": "check the username and password (ZEPHYR_USERNAME, "
                              "ZEPHYR_PASSWORD), or use an API token"}.get(kind, "")
            return self.add("authentication", False,
                            f"the server refused the {kind} credentials{said}{offered}", hint)
        except ZephyrError as err:
            return self.add("authentication", False, f"could not check: {err.message}",
                            "see the base URL check")
        self.add("authentication", True, f"{kind} accepted{offered}")
        info = user if isinstance(user, dict) else {}
        name = info.get("username") or info.get("name")
        self.report.user = str(name) if name is not None else None
        roles = _roles(info)
        self.add("user", name is not None,
                 f"{name} (roles: {', '.join(roles) or 'none shown'})" if name is not None
                 else "the server does not say who the credentials belong to",
                 "the answer of GET /user/current has no username")
        return True

    def search_endpoints(self) -> None:
        spec_options = SearchOptions(entity="testcase", page_size=1, validate=False)
        spec = prepare(self.core, PROBE_QUERY, spec_options)
        for variant in VARIANTS:
            if variant.entities and "testcase" not in variant.entities:
                execution_spec = prepare(self.core, PROBE_QUERY, spec_options.merge(
                    entity="execution"))
                call = search_call(self.core, execution_spec, {}, 0, 1, variant)
            else:
                call = search_call(self.core, spec, {}, 0, 1, variant)
            try:
                self.driver.run(self.core.fetch(call))
                self.report.endpoints[variant.name] = True
            except ZephyrError:
                self.report.endpoints[variant.name] = False
        working = [name for name, ok in self.report.endpoints.items() if ok]
        missing = [name for name, ok in self.report.endpoints.items() if not ok]
        detail = f"answer: {', '.join(working) or 'none'}"
        if missing:
            detail += f"; not here: {', '.join(missing)}"
        self.add("search endpoints", bool(working), detail,
                 "no search endpoint answers: check the base URL and the user's permissions")

    def page_cap(self) -> None:
        seen: list[str] = []
        for entity in ("execution", "testcase", "requirement"):
            options = SearchOptions(entity=entity, page_size=PROBE_ROWS, validate=False)
            try:
                found = SearchResults(self.driver, prepare(self.core, PROBE_QUERY, options))
                first = next(iter(found.pages()), None)
            except ZephyrError as err:
                seen.append(f"{entity}s: {err.message}")
                continue
            if first is None:
                continue
            rows, total = len(first.items), first.total
            if total is not None and rows < min(total, PROBE_ROWS):
                self.report.page_cap = rows
                self.add("page cap", True, f"{rows} rows a request (asked for {PROBE_ROWS} "
                         f"{entity}s of {total})")
                return
            seen.append(f"{rows} of {total} {entity}s in one page")
        self.add("page cap", True, "not reached: " + "; ".join(seen) +
                 f" (the cap is above what the server holds, or above {PROBE_ROWS})")

    def metadata(self) -> Schema | None:
        try:
            data = self.get("v3/zql/metadata")
            schema = Schema.from_metadata(data, name=f"server:{self.core.base.origin}")
        except ZephyrError as err:
            self.add("ZQL metadata", False, f"GET /v3/zql/metadata: {err.message}",
                     "the client validates against the bundled ze7 schema instead; "
                     "`zql schema pull` needs this endpoint")
            return None
        except ValueError as err:
            self.add("ZQL metadata", False, f"unreadable metadata: {err}",
                     "report it with this output")
            return None
        fields = sum(len(schema.fields(e)) for e in schema.entities)
        self.add("ZQL metadata", bool(fields), f"{fields} fields of {len(schema.entities)} "
                 f"entities ({', '.join(schema.entities)})", "the metadata lists no field")
        return schema

    def values(self, schema: Schema | None) -> None:
        lookups = [f for e in (schema.entities if schema else ()) for f in schema.fields(e)
                   if f.lookup] if schema else []
        if not lookups:
            self.add("ZQL values", False, "no lookup field to ask values for",
                     "completion falls back to the schema's known values")
            return
        spec = next((f for f in lookups if f.name == "priority"), lookups[0])
        try:
            data = self.get(f"v3/zql/val/{spec.lookup}", {"partialtext": "", "offset": 0,
                                                          "pagesize": 5})
        except ZephyrError as err:
            self.add("ZQL values", False, f"GET /v3/zql/val/{spec.lookup}: {err.message}",
                     "completion falls back to the schema's known values")
            return
        count = len(data) if isinstance(data, list) else len((data or {}).get("results", []))
        self.add("ZQL values", True, f"GET /v3/zql/val/{spec.lookup} answers ({count} values)")

    def statuses(self) -> None:
        reasons: list[str] = []
        for path, params in STATUS_ENDPOINTS:
            try:
                statuses = parse_statuses(self.get(path, params))
            except ZephyrError as err:
                reasons.append(f"{path}: {err.message}")
                continue
            self.report.statuses = list(statuses)
            default = {(s.id, s.name) for s in load_schema().values.statuses}
            custom = [s for s in statuses if (s.id, s.name) not in default]
            inactive = [s for s in statuses if not s.active]
            extra = f"; custom: {', '.join(f'{s.id} {s.name}' for s in custom)}" if custom else ""
            off = f"; inactive: {', '.join(s.name for s in inactive)}" if inactive else ""
            names = ", ".join(s.name for s in statuses)
            self.add("statuses", True, f"{len(statuses)} configured ({names}){extra}{off}")
            return
        self.report.statuses = list(load_schema().values.statuses)
        self.add("statuses", False, "the server shows no status list (" + "; ".join(reasons)
                 + "): the bundled defaults are used",
                 "the endpoint may need an administrator; `zql schema pull` run by one "
                 "stores the list for everyone")

    def custom_fields(self, schema: Schema | None) -> None:
        if schema is None:
            self.add("custom fields", False, "unknown: no ZQL metadata", "see ZQL metadata")
            return
        found = [f"{e}.{f.name} ({f.custom})" for e in schema.entities for f in schema.fields(e)
                 if f.custom]
        self.add("custom fields", True, f"{len(found)} searchable" +
                 (f": {', '.join(found[:8])}{' …' if len(found) > 8 else ''}" if found else ""))

    def clock(self) -> None:
        if not self.skews:
            self.add("clock skew", True, "unknown: the server sends no Date header")
            return
        skew = statistics.median(self.skews)
        ok = abs(skew) < _SKEW
        self.add("clock skew", ok, f"the server's clock is {abs(skew):.0f} s "
                 f"{'ahead of' if skew > 0 else 'behind'} this machine's",
                 "fix the clock (NTP) on the server or here: session expiry and dates shift")

    def latency(self) -> None:
        call = Call("GET", self.core.base.url("user/current"), anonymous=True)
        for _ in range(_PINGS):
            try:
                self.probe(call)
            except (httpx.HTTPError, httpx.InvalidURL, ZephyrError):
                break
        if not self.rtts:
            self.add("latency", False, "no round trip completed", "see the base URL check")
            return
        median = statistics.median(self.rtts)
        self.add("latency", median < _SLOW, f"{median * 1000:.0f} ms a round trip (median of "
                 f"{len(self.rtts)})", "every page costs at least this: a VPN or proxy on "
                 "the way? larger --page-size means fewer round trips")


def _server_message(response: httpx.Response) -> str:
    message, _ = server_text(response, ())
    return message or ""


def _roles(user: dict[str, Any]) -> list[str]:
    roles: list[str] = []
    for key in ("roles", "role", "rolename", "roleName"):
        value = user.get(key)
        items = value if isinstance(value, list) else [value] if value else []
        for item in items:
            name = item.get("name") if isinstance(item, dict) else item
            if name and str(name) not in roles:
                roles.append(str(name))
    return roles


def diagnose(client: ZephyrClient, *, verify: Any = True, trust: str = "the default CA bundle",
             clock: Callable[[], float] = time.time) -> Report:
    """Run every check against ``client``'s server, in order.

    ``verify`` is what the client was built with (for the TLS check), ``trust`` says in words
    what it trusts (:func:`zql.client._tls.trust_source`).

    >>> from zql.sandbox import Sandbox
    >>> from zql.client import ZephyrClient
    >>> with Sandbox(seed=1, page_cap=7) as sb, ZephyrClient(sb.url, token=sb.token) as c:
    ...     report = diagnose(c)
    >>> report.ok, report.page_cap, report.user, [s.name for s in report.statuses][:2]
    (True, 7, 'admin', ['Pass', 'Fail'])
    """
    doctor = _Doctor(client, trust, clock)
    anonymous = doctor.reach()
    reached = anonymous is not None and doctor.report.checks[-1].ok
    doctor.tls(verify)
    if reached and doctor.authenticate(anonymous):
        doctor.search_endpoints()
        doctor.page_cap()
        schema = doctor.metadata()
        doctor.values(schema)
        doctor.statuses()
        doctor.custom_fields(schema)
    else:
        why = "not checked: the server is not reachable" if not reached else \
            "not checked: authentication failed"
        names = [c.name for c in doctor.report.checks]
        for name in ("authentication", "user", "search endpoints", "page cap", "ZQL metadata",
                     "ZQL values", "statuses", "custom fields"):
            if name not in names:
                doctor.add(name, False, why)
    doctor.clock()
    doctor.latency()
    return doctor.report

