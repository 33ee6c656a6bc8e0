"""Server facts the client reads instead of assuming: configured statuses, search variants.

Pure helpers (no I/O) used by the core. Every choice the public sources leave open is marked
INFERRED here, in one place (see docs/client.md, "Choices where the sources are silent").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from zql.client._errors import (
    NotFoundError,
    RequestRejectedError,
    UnexpectedResponseError,
    ZephyrError,
)
from zql.schema import Status

__all__ = ["STATUS_ENDPOINTS", "STATUS_KEY", "VARIANTS", "Variant", "can_fall_back",
           "parse_statuses", "variants_for"]

#: The preference holding the execution statuses a server is configured with.
STATUS_KEY = "testresult.testresultStatus.LOV"
#: Where to read it, in order: the preference itself, then every system preference (older).
STATUS_ENDPOINTS: tuple[tuple[str, dict[str, str] | None], ...] = (
    ("latest/admin/preference", {"key": STATUS_KEY}),
    ("v4/admin/preference/all/system", None),
)


def parse_statuses(data: Any) -> tuple[Status, ...]:
    """The statuses in a preference answer: one preference object, or a list of them, whose
    ``value`` is a JSON *string* holding ``[{"id", "value", "active"}, …]``.

    >>> pref = {"name": STATUS_KEY, "value": '[{"id": 1, "value": "Pass", "active": true}, '
    ...         '{"id": "12", "value": "Deferred", "active": false}]'}
    >>> parse_statuses(pref)
    (Status(id=1, name='Pass', active=True), Status(id=12, name='Deferred', active=False))
    >>> parse_statuses([{"name": "other", "value": "x"}, pref])[1].name
    'Deferred'
    >>> parse_statuses({"value": "[]"})
    Traceback (most recent call last):
      ...
    zql.client.UnexpectedResponseError: the status preference lists no status
    """
    if isinstance(data, list):
        matches = [p for p in data if isinstance(p, dict)
                   and STATUS_KEY in (p.get("name"), p.get("key"))]
        if not matches:
            raise UnexpectedResponseError(f"no {STATUS_KEY} among the system preferences")
        data = matches[0]
    if not isinstance(data, dict) or "value" not in data:
        raise UnexpectedResponseError("the status preference is not an object with a value")
    value = data["value"]
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise UnexpectedResponseError("the status preference's value is not JSON") from None
    if not isinstance(value, list):
        raise UnexpectedResponseError("the status preference's value is not a list")
    out: list[Status] = []
    for entry in value:
        if not isinstance(entry, dict):
            raise UnexpectedResponseError("a status in the preference is not an object")
        try:
            ident = int(entry["id"])
            name = str(entry.get("value", entry.get("name"))).strip()
        except (KeyError, TypeError, ValueError):
            raise UnexpectedResponseError("a status in the preference has no numeric id") from None
        if not name or name == "None":
            raise UnexpectedResponseError(f"status {ident} in the preference has no name")
        active = entry.get("active", True)
        out.append(Status(ident, name, _flag(active)))
    if not out:
        raise UnexpectedResponseError("the status preference lists no status")
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of searching that some server offers.

    ``name`` is what ``-v`` and ``zql doctor`` print; ``entities`` limits it (None: all).
    """

    name: str
    method: str
    path: str
    entities: tuple[str, ...] | None = None
    #: the entity type sent for executions (INFERRED: one public script sends testexecution)
    execution_type: str = "execution"

    def serves(self, entity: str) -> bool:
        """Whether this variant can search ``entity``.

        >>> VARIANTS[-1].serves("execution"), VARIANTS[0].serves("execution")
        (False, True)
        """
        return self.entities is None or entity in self.entities


#: Tried in this order until one answers (documented first). The first one that works is
#: remembered per client, so a server costs the fallbacks once.
VARIANTS: tuple[Variant, ...] = (
    Variant("GET /advancesearch", "GET", "advancesearch"),
    Variant("GET /advancesearch (entitytype=testexecution)", "GET", "advancesearch",
            ("execution",), execution_type="testexecution"),
    Variant("POST /advancesearch/zql", "POST", "advancesearch/zql"),
    Variant("GET /testcase?zqlquery=", "GET", "testcase", ("testcase",)),
)


def variants_for(entity: str, known: Variant | None = None) -> list[Variant]:
    """The variants to try for ``entity``: only the remembered one once one worked.

    >>> [v.name for v in variants_for("testcase")]
    ['GET /advancesearch', 'POST /advancesearch/zql', 'GET /testcase?zqlquery=']
    """
    if known is not None and known.serves(entity):
        return [known]
    return [v for v in VARIANTS if v.serves(entity)]


def can_fall_back(error: ZephyrError) -> bool:
    """Whether an answer means "not this variant" (404/405/410, or an unreadable shape), so
    the next variant is worth trying; any other error is the search's own.

    >>> can_fall_back(NotFoundError("not found (404)")), can_fall_back(ZephyrError("x"))
    (True, False)
    """
    if isinstance(error, NotFoundError | UnexpectedResponseError):
        return True
    if isinstance(error, RequestRejectedError):
        return error.status_code == 405 or (
            error.status_code == 400 and "entity" in (error.error_msg or "").lower())
    return False


def variant_names(variants: Iterable[Variant]) -> list[str]:
    """The names of some variants (for messages).

    >>> variant_names(VARIANTS[:1])
    ['GET /advancesearch']
    """
    return [v.name for v in variants]


def _flag(value: object) -> bool:
    """A JSON flag that servers send as a boolean, a number or a string ("false", "0").

    >>> _flag("false"), _flag(0), _flag(True), _flag("yes")
    (False, False, True, True)
    """
    if isinstance(value, str):
        try:
            value = json.loads(value.strip().lower())
        except ValueError:
            return True
    return bool(value)
