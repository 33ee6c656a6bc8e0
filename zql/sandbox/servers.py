"""Server profiles: how the Zephyr versions the sandbox emulates differ, as data, in one place.

``Sandbox(server="ze6")`` / ``zql sandbox --server ze6`` picks one. Everything a profile
changes is a field of :class:`ServerProfile`; the app, the store and the views read these
fields and nothing else decides per-version behaviour. The bundled status defaults come from
the schema data (``zql.schema.load_schema().values``); a profile only *adds* the custom and
inactive statuses its server is configured with.

Where the facts come from (zql-reference §3.3, §3.6; issue 12):

- ``page_shape``: ZE answers a search with an array wrapping the page object; some servers
  answer the bare object. Which version does which is **INFERRED** (older on-premise servers
  wrap, the cloud answers bare).
- ``search_variants``: ``GET /advancesearch`` is documented for every version;
  ``POST /advancesearch``, ``POST /advancesearch/zql`` and ``GET /testcase?zqlquery=`` are seen
  in public clients. Which version lacks which is **INFERRED**.
- ``custom_statuses``: ids 11 "Outscoped" and 12 "Deferred" are seen in public report scripts;
  that one is inactive, and on which versions, is **INFERRED**.
- ``never_run``: a never-run execution has no ``lastTestResult`` on most servers; some clients
  see ``"0"`` or ``"-1"`` instead (**INFERRED** assignment to versions).
- ``nested_401``: some 401 bodies nest the message as a JSON string inside
  ``{"message": …}`` (**INFERRED**: the cloud).
- ``page_cap``: 500 (``api.records.maxallowed``) everywhere by default.
- ``actual_time``: ``"HH:MM:SS"`` or milliseconds (one public client does
  ``int(actualTime)``); **INFERRED** per version.

>>> PROFILES["ze8"].custom_statuses
(Status(id=11, name='Outscoped', active=True), Status(id=12, name='Deferred', active=False))
>>> [s.name for s in profile("ze7").statuses()]
['Pass', 'Fail', 'WIP', 'Blocked']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from zql.schema import Status, load_schema

__all__ = ["DEFAULT_SERVER", "PROFILES", "SEARCH_VARIANTS", "ServerProfile", "profile"]

#: every search route the sandbox can serve; a profile names the ones its server has
SEARCH_VARIANTS = ("GET /advancesearch", "POST /advancesearch", "POST /advancesearch/zql",
                   "GET /testcase?zqlquery")


@dataclass(frozen=True, slots=True)
class ServerProfile:
    """One emulated server version. See the module docstring for what is INFERRED.

    >>> PROFILES["cloud"].page_shape, PROFILES["cloud"].nested_401
    ('bare', True)
    """

    name: str
    description: str
    #: ``array``: ``[{"firstResult", "resultSize", "results"}]``; ``bare``: the object alone
    page_shape: Literal["array", "bare"] = "array"
    #: the search routes this server answers (the others are 404), from :data:`SEARCH_VARIANTS`
    search_variants: tuple[str, ...] = SEARCH_VARIANTS
    #: statuses added to the bundled defaults (the server's own configuration)
    custom_statuses: tuple[Status, ...] = ()
    #: how a never-run execution reads: ``None`` = no ``lastTestResult``; otherwise a
    #: ``lastTestResult`` whose ``executionStatus`` is this text
    never_run: str | None = None
    #: 401 bodies are ``{"message": "<JSON text of {\"message\": …}>"}``
    nested_401: bool = False
    #: the default page cap (``api.records.maxallowed``)
    page_cap: int = 500
    #: ``hms``: ``"HH:MM:SS"``; ``ms``: whole milliseconds
    actual_time: Literal["hms", "ms"] = "ms"

    def statuses(self) -> tuple[Status, ...]:
        """The configured status list: the schema's defaults, then this server's own.

        >>> [(s.id, s.active) for s in PROFILES["ze8"].statuses()][-2:]
        [(11, True), (12, False)]
        """
        return load_schema().values.statuses + self.custom_statuses

    def serves(self, variant: str) -> bool:
        """Whether this server answers a search variant.

        >>> PROFILES["ze6"].serves("POST /advancesearch/zql")
        False
        """
        if variant not in SEARCH_VARIANTS:
            raise ValueError(f"unknown search variant {variant!r}")
        return variant in self.search_variants


_CUSTOM = (Status(11, "Outscoped", True), Status(12, "Deferred", False))

PROFILES: dict[str, ServerProfile] = {p.name: p for p in (
    ServerProfile(
        "ze6", "Zephyr Enterprise 6.x: GET search only, HH:MM:SS times, default statuses",
        search_variants=("GET /advancesearch", "GET /testcase?zqlquery"),
        actual_time="hms"),
    ServerProfile(
        "ze7", "Zephyr Enterprise 7.x (the default): every search variant, default statuses"),
    ServerProfile(
        "ze8", "Zephyr Enterprise 8.x: custom statuses (11 Outscoped, 12 Deferred inactive), "
        'never-run rows with executionStatus "-1"',
        custom_statuses=_CUSTOM, never_run="-1"),
    ServerProfile(
        "cloud", 'Zephyr Enterprise cloud: bare page objects, nested 401 messages, never-run '
        'rows with executionStatus "0", custom statuses',
        page_shape="bare", custom_statuses=_CUSTOM, never_run="0", nested_401=True,
        search_variants=("GET /advancesearch", "POST /advancesearch",
                         "POST /advancesearch/zql")),
)}

#: the profile used unless one is asked for
DEFAULT_SERVER = "ze7"


def profile(name: str) -> ServerProfile:
    """The profile called ``name`` (any case).

    >>> profile("ZE9")
    Traceback (most recent call last):
      ...
    ValueError: unknown server profile 'ZE9'; one of: ze6, ze7, ze8, cloud
    """
    found = PROFILES.get(name.strip().lower())
    if found is None:
        raise ValueError(f"unknown server profile {name!r}; one of: {', '.join(PROFILES)}")
    return found
