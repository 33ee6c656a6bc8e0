"""One frozen object for everything a search is asked with (httpx's ``Timeout`` is the model).

The client's core, both clients, the shell and ``zql search`` all describe a search with
:class:`SearchOptions` (also ``zql.client.SearchOptions``); the clients' keyword arguments are a
convenience that builds one. A leaf module: importing it loads no HTTP stack.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, replace
from typing import Any

from zql.schema import Schema

__all__ = ["DEFAULT_PAGE_SIZE", "UNSET", "SearchOptions", "Unset"]

#: Rows asked for per request unless told otherwise (servers cap pages, 500 by default).
DEFAULT_PAGE_SIZE = 100


class Unset(enum.Enum):
    """The default of a keyword argument that was not given (keeps the options' value)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: "Not given": ``client.search(q, options=o, limit=UNSET)`` keeps ``o.limit``.
UNSET = Unset.UNSET


def _count(name: str, value: Any, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        want = "a positive int" if low else "None or a non-negative int"
        raise ValueError(f"{name} must be {want}, not {value!r}")


@dataclass(frozen=True, slots=True)
class SearchOptions:
    """How to search: entity, release and project (id or name), order, page size, limit,
    quick (free text instead of ZQL) and validate (check the query locally first).

    Values are checked at construction; ``entity`` is normalised (``"executions"`` →
    ``"execution"``).

    >>> opts = SearchOptions(entity="executions", limit=5)
    >>> opts.entity, opts.page_size, opts.limit
    ('execution', 100, 5)
    >>> opts.merge(limit=UNSET, release="Atlas 4.0").release, opts.merge(limit=None).limit is None
    ('Atlas 4.0', True)
    >>> SearchOptions(page_size=0)
    Traceback (most recent call last):
      ...
    ValueError: page_size must be a positive int, not 0
    """

    entity: str = "testcase"
    release: int | str | None = None
    project: int | str | None = None
    order_by: str | None = None
    ascending: bool = True
    page_size: int = DEFAULT_PAGE_SIZE
    limit: int | None = None
    quick: bool = False
    validate: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "entity", Schema.entity_name(self.entity))
        _count("page_size", self.page_size, 1)
        if self.limit is not None:
            _count("limit", self.limit, 0)
        for name in ("release", "project"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, int | str)):
                raise TypeError(f"a {name} is an id (int) or a name (str), "
                                f"not {type(value).__name__}")

    def merge(self, **changes: Any) -> SearchOptions:
        """A copy with the given fields changed; :data:`UNSET` values are ignored.

        >>> SearchOptions().merge(entity="requirement", limit=UNSET).entity
        'requirement'
        """
        given = {k: v for k, v in changes.items() if v is not UNSET}
        return replace(self, **given) if given else self

    @classmethod
    def of(cls, options: SearchOptions | None = None, **changes: Any) -> SearchOptions:
        """``options`` (or the defaults) with the given keyword arguments applied.

        >>> SearchOptions.of(None, limit=3, entity=UNSET)
        SearchOptions(entity='testcase', release=None, project=None, order_by=None, \
ascending=True, page_size=100, limit=3, quick=False, validate=True)
        """
        if options is not None and not isinstance(options, SearchOptions):
            raise TypeError(f"options must be a SearchOptions, not {type(options).__name__}")
        return (options or cls()).merge(**changes)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The option names, in order (the keyword arguments of ``search``).

        >>> SearchOptions.field_names()[:3]
        ('entity', 'release', 'project')
        """
        return tuple(f.name for f in fields(cls))
