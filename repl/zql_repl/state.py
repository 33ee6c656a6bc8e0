"""What the shell is set to: entity, release, output format, limit, order... (one object).

Backslash commands change it; searches and the toolbar read it.

>>> s = ShellState()
>>> s.entity, s.format, s.limit, s.release_param
('testcase', 'table', 500, None)
>>> ShellState(release="12").release_param, ShellState(release="R 2.0").release_param
(12, 'R 2.0')
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zql.rows import noun
from zql_repl.config import Defaults

__all__ = ["ShellState", "noun"]

def _id_or_name(value: str | None) -> int | str | None:
    if value is None or value == "":
        return None
    return int(value) if value.isdigit() else value


@dataclass(slots=True)
class ShellState:
    """The shell's current settings (mutable: commands change them).

    >>> s = ShellState(); s.entity = "execution"; s.entity
    'execution'
    """

    entity: str = "testcase"
    release: str | None = None
    project: str | None = None
    format: str = "table"
    limit: int = 500
    page_size: int = 100
    order_by: str | None = None
    #: the column the user asked to sort by (``order_by`` is the server's field for it)
    order_column: str | None = None
    ascending: bool = True
    #: the columns shown (``\\columns``); None: the format's default
    columns: tuple[str, ...] | None = None
    timing: bool = True
    pager: bool = True
    #: the next results go to this file instead of the screen (``\o FILE``), once
    output_file: Path | None = None
    #: the last query run (``\e``, ``\fmt``, ``\explain`` and ``\ns`` default to it)
    last_query: str | None = None

    @classmethod
    def from_defaults(cls, defaults: Defaults) -> ShellState:
        """Start values from the config's ``[defaults]``.

        >>> ShellState.from_defaults(Defaults(format="csv", limit=0)).limit_param is None
        True
        """
        return cls(entity=defaults.entity, format=defaults.format, limit=defaults.limit,
                   page_size=defaults.page_size, timing=defaults.timing, pager=defaults.pager)

    @property
    def release_param(self) -> int | str | None:
        """The release as the client takes it: an id (digits) or a name.

        >>> ShellState(release="7").release_param
        7
        """
        return _id_or_name(self.release)

    @property
    def project_param(self) -> int | str | None:
        """The project as the client takes it: an id (digits) or a name.

        >>> ShellState(project="Atlas Mobile").project_param
        'Atlas Mobile'
        """
        return _id_or_name(self.project)

    @property
    def limit_param(self) -> int | None:
        """The search limit (None: no limit).

        >>> ShellState(limit=0).limit_param is None, ShellState(limit=5).limit_param
        (True, 5)
        """
        return self.limit or None
