"""Lint results for CI: SARIF 2.1.0 logs and GitHub workflow annotations.

Both take ``(name, text, diagnostics)`` triples, with spans as offsets into ``text``. Columns are
UTF-16 code units (SARIF's default ``columnKind``, and what GitHub's web views count), computed
by :mod:`zql.lsp.positions` like the language server's; lines and columns are 1-based.

Rule metadata (names, summaries, why, an example and its fix) comes from :mod:`zql.rules`, so
a code scanning view explains each finding the way ``zql lint --explain`` does.

>>> from zql.errors import Diagnostic, Severity, Span
>>> d = Diagnostic("ZQL107", Severity.ERROR, "bare word", Span(9, 13))
>>> log = to_sarif([("q.zql", "status = Fail", [d])])
>>> log["version"], log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
('2.1.0', {'startLine': 1, 'startColumn': 10, 'endLine': 1, 'endColumn': 14})
>>> print(github_annotations([("q.zql", "status = Fail", [d])]))
::error file=q.zql,line=1,col=10,endLine=1,endColumn=14,title=ZQL107::bare word
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterable, Sequence
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from zql.errors import Diagnostic, Severity, Span
from zql.lines import LineIndex
from zql.rules import rules

__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "Result", "github_annotations", "to_sarif"]

SARIF_VERSION = "2.1.0"
#: The OASIS schema the log declares (errata 01, the current 2.1.0 text).
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")
#: ``(display name or path, text, diagnostics with offsets into text)``
Result = tuple[str, str, Sequence[Diagnostic]]

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _uri(name: str) -> str:
    """A URI reference for a file name: relative paths stay relative (code scanning wants that).

    >>> _uri("queries/a b.zql"), _uri("<stdin>"), _uri("/tmp/x.zql")
    ('queries/a%20b.zql', '%3Cstdin%3E', 'file:///tmp/x.zql')
    """
    path: PurePath = PureWindowsPath(name) if "\\" in name else PurePosixPath(name)
    if path.is_absolute():
        return path.as_uri()
    return urllib.parse.quote(path.as_posix())


def _region(index: LineIndex, span: Span) -> dict[str, int]:
    (line, col), (end_line, end_col) = index.range(span)
    return {"startLine": line + 1, "startColumn": col + 1,
            "endLine": end_line + 1, "endColumn": end_col + 1}


def _rule_entries() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for r in rules():
        out.append({
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.why},
            "help": {
                "text": f"{r.why}\nBad:   {r.bad}\nFixed: {r.good}",
                "markdown": f"{r.why}\n\nBad:\n\n```zql\n{r.bad}\n```\n\nFixed:\n\n"
                            f"```zql\n{r.good}\n```",
            },
            "defaultConfiguration": {"level": _LEVELS[r.severity]},
            "properties": {"category": r.category, "tags": [r.category], "fix": r.fix},
        })
    return out


def _message(diag: Diagnostic) -> str:
    return f"{diag.message} (hint: {diag.hint})" if diag.hint else diag.message


def to_sarif(results: Iterable[Result], *, tool_version: str | None = None) -> dict[str, Any]:
    """One SARIF 2.1.0 log with one run holding every finding, its fixes and all rules.

    >>> to_sarif([])["runs"][0]["tool"]["driver"]["rules"][0]["id"]
    'ZQL100'
    """
    from zql import __version__

    rules = _rule_entries()
    index_of = {entry["id"]: i for i, entry in enumerate(rules)}
    out: list[dict[str, Any]] = []
    for name, text, diagnostics in results:
        uri = _uri(name)
        lines = LineIndex(text, "utf-16")
        for diag in diagnostics:
            entry: dict[str, Any] = {
                "ruleId": diag.code,
                "level": _LEVELS[diag.severity],
                "message": {"text": _message(diag)},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": uri},
                    "region": _region(lines, diag.span),
                }}],
            }
            if diag.code in index_of:
                entry["ruleIndex"] = index_of[diag.code]
            if diag.fixes:
                entry["fixes"] = [{
                    "description": {"text": fix.title},
                    "artifactChanges": [{
                        "artifactLocation": {"uri": uri},
                        "replacements": [{"deletedRegion": _region(lines, edit.span),
                                          "insertedContent": {"text": edit.new_text}}
                                         for edit in fix.edits],
                    }],
                    # Guesses are marked so a consumer can leave them to a person.
                    "properties": {"safe": fix.safe},
                } for fix in diag.fixes]
            out.append(entry)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "zql",
                "fullName": "zql lint (zephyr-zql)",
                "version": tool_version or __version__,
                "semanticVersion": tool_version or __version__,
                "rules": rules,
            }},
            "columnKind": "utf16CodeUnits",
            "results": out,
        }],
    }


def _escape_property(text: str) -> str:
    # GitHub's workflow-command escaping: properties also escape ':' and ','.
    return (text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            .replace(":", "%3A").replace(",", "%2C"))


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_annotations(results: Iterable[Result]) -> str:
    """GitHub Actions workflow commands, one ``::error``/``::warning``/``::notice`` per finding.

    >>> from zql.errors import Diagnostic, Severity, Span
    >>> d = Diagnostic("ZQL302", Severity.WARNING, "use and", Span(0, 3), hint="x, y")
    >>> print(github_annotations([("a,b.zql", "AND", [d])]))
    ::warning file=a%2Cb.zql,line=1,col=1,endLine=1,endColumn=4,title=ZQL302::use and (hint: x, y)
    """
    lines: list[str] = []
    for name, text, diagnostics in results:
        index = LineIndex(text, "utf-16")
        for diag in diagnostics:
            region = _region(index, diag.span)
            props = (f"file={_escape_property(name)},line={region['startLine']},"
                     f"col={region['startColumn']},endLine={region['endLine']},"
                     f"endColumn={region['endColumn']},title={_escape_property(diag.code)}")
            lines.append(f"::{_GITHUB[diag.severity]} {props}::{_escape_data(_message(diag))}")
    return "\n".join(lines)
