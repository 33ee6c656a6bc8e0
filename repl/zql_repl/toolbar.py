"""The bottom toolbar: entity, release and project, connection state, the first finding.

Pure: it turns the shell's state into style-and-text fragments, so it is tested without a
terminal; the shell calls it on every redraw.

>>> from zql.schema import load_schema
>>> from zql_repl.metadata import Snapshot
>>> from zql_repl.state import ShellState
>>> frags = fragments(ShellState(release="R1"), Snapshot(load_schema(), "connected",
...     server="zephyr.example.com"), 'status = Fail', None)
>>> "".join(text for _, text in frags)
' testcase │ release R1 │ ● connected zephyr.example.com │ \\\\? help '
"""

from __future__ import annotations

from prompt_toolkit.formatted_text import StyleAndTextTuples

from zql.errors import Diagnostic, Severity
from zql_repl.metadata import Snapshot
from zql_repl.state import ShellState
from zql_repl.validator import summary

__all__ = ["fragments"]

_SEP = ("class:bottom-toolbar.sep", " │ ")
_STATE_STYLE = {"connected": "ok", "loading": "busy", "connecting": "busy", "offline": "off"}


def fragments(state: ShellState, snapshot: Snapshot, text: str,
              diagnostic: Diagnostic | None, *, loading: bool = False) -> StyleAndTextTuples:
    """Toolbar fragments for the current settings, server state and text being typed.

    ``loading`` says completion values for the text are on their way (a menu holding only
    "loading" would be hidden by prompt_toolkit, so the toolbar says it).

    >>> from zql.errors import Span
    >>> from zql.schema import load_schema
    >>> d = Diagnostic("ZQL107", Severity.ERROR, "bare word 'Fail' is not a value", Span(9, 13))
    >>> frags = fragments(ShellState(), Snapshot(load_schema()), "status = Fail", d)
    >>> frags[-1]
    ('class:bottom-toolbar.error', "1:10 error ZQL107: bare word 'Fail' is not a value ")
    """
    out: StyleAndTextTuples = [("class:bottom-toolbar.entity", f" {state.entity}")]
    if state.release:
        out += [_SEP, ("class:bottom-toolbar.release", f"release {state.release}")]
    if state.project:
        out += [_SEP, ("class:bottom-toolbar.release", f"project {state.project}")]
    where = f" {snapshot.server}" if snapshot.server and snapshot.state != "offline" else ""
    style = _STATE_STYLE.get(snapshot.state, "off")
    out += [_SEP, (f"class:bottom-toolbar.{style}", f"● {snapshot.label}{where}")]
    if state.output_file is not None:
        out += [_SEP, ("class:bottom-toolbar.release", f"next results → {state.output_file}")]
    if loading:
        out += [_SEP, ("class:bottom-toolbar.busy", "values loading…")]
    out.append(_SEP)
    if diagnostic is None:
        out.append(("class:bottom-toolbar.hint", "\\? help "))
    else:
        level = {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(diagnostic.severity,
                                                                           "info")
        out.append((f"class:bottom-toolbar.{level}", summary(text, diagnostic) + " "))
    return out
