"""``\\report``, ``\\count`` and ``\\diff`` in the shell: thin adapters over :mod:`zql.report`.

They run on the shell's connection with its entity, release and project, and print in the
shell's current format (``table``/``vertical`` → table, ``json``/``jsonl`` → json, ``csv``).
Ctrl-C during a scan prints the partial counts, marked partial.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zql.search_options import SearchOptions
from zql_repl.search import error_line
from zql_repl.state import noun

if TYPE_CHECKING:
    from zql_repl.app import Shell

__all__ = ["count_hits", "diff_named", "report_format", "run_report"]

_CONNECT_WAIT = 30.0
_FORMATS = {"table": "table", "vertical": "table", "json": "json", "jsonl": "json",
            "csv": "csv"}


def report_format(shell_format: str) -> str:
    """The report format for the shell's row format.

    >>> report_format("vertical"), report_format("jsonl"), report_format("csv")
    ('table', 'json', 'csv')
    """
    return _FORMATS.get(shell_format, "table")


def _client(shell: Shell) -> Any:
    client = shell.connection.wait(_CONNECT_WAIT)
    if client is None:
        raise RuntimeError("still connecting; try again in a moment")
    return client


def _failed(shell: Shell, err: BaseException) -> bool:
    from zql.client import ZephyrError
    from zql.errors import ZQLError
    from zql.report import ReportError
    from zql_repl.connection import NotConnected

    if isinstance(err, ZephyrError | ZQLError | ReportError | NotConnected | RuntimeError):
        shell.print(error_line(err) if not isinstance(err, ReportError) else str(err))
        return True
    return False


def run_report(shell: Shell, fields: list[str], query: str) -> None:
    """Print the report of ``query`` grouped by ``fields``."""
    from zql.report import ReportInterrupted
    from zql.report.render import render_report

    state = shell.state
    fmt = report_format(state.format)
    width = shell.session.output.get_size().columns
    try:
        report = _client(shell).report(query, entity=state.entity, by=fields,
                                       release=state.release_param,
                                       project=state.project_param)
    except ReportInterrupted as stop:
        shell.print(render_report(stop.partial, fmt, width=width).rstrip("\n"))  # type: ignore[arg-type]
        shell.print("interrupted: partial counts")
        return
    except Exception as err:
        if _failed(shell, err):
            return
        raise
    shell.print(render_report(report, fmt, width=width).rstrip("\n"))


def count_hits(shell: Shell, query: str) -> None:
    """Print how many items ``query`` matches (one request)."""
    state = shell.state
    options = SearchOptions(entity=state.entity, release=state.release_param,
                            project=state.project_param)
    try:
        total = _client(shell).search(query, options).count()
    except Exception as err:
        if _failed(shell, err):
            return
        raise
    shell.print(noun(state.entity, total))


def diff_named(shell: Shell, name_a: str, name_b: str) -> None:
    """Print the diff of two named queries (of executions)."""
    from zql.report import ReportInterrupted
    from zql.report.render import render_diff
    from zql_repl.named import NamedQueryError

    try:
        a, b = shell.named.get(name_a), shell.named.get(name_b)
    except NamedQueryError as err:
        shell.print(str(err))
        return
    wrong = [q.name for q in (a, b) if q.entity != "execution"]
    if wrong:
        shell.print(f"\\diff compares executions; {', '.join(wrong)} searches another entity")
        return
    fmt = report_format(shell.state.format)
    try:
        result = _client(shell).diff(a.query, b.query, release_a=shell.state.release_param,
                                     release_b=shell.state.release_param,
                                     project=shell.state.project_param)
    except ReportInterrupted as stop:
        shell.print(render_diff(stop.partial, fmt).rstrip("\n"))  # type: ignore[arg-type]
        shell.print("interrupted: partial comparison")
        return
    except Exception as err:
        if _failed(shell, err):
            return
        raise
    shell.print(render_diff(result, fmt).rstrip("\n"))
