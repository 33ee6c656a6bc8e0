"""Reports and diffs as text: ``table``, ``csv``, ``json``, ``markdown`` and ``html``.

The counterpart of :mod:`zql.rows` (which renders the rows themselves) for
:class:`~zql.report.Report` and :class:`~zql.report.Diff`. Pure: text in, text out. Cells go
through :func:`zql.rows.cell_text` on the terminal (no escape sequence from server data reaches
it); HTML escapes everything and is one self-contained file (inline style, the chart as inline
SVG, no URL of any kind), so it opens offline and can be mailed.

>>> from zql.report import count
>>> r = count([{"status": "Pass"}] * 3 + [{"status": "Fail"}], by=["status"], query="q")
>>> print(render_report(r, "table", width=60), end="")
status  count  percent
------  -----  -------  ------------------------------------
Pass        3    75.0%  ████████████████████████████████████
Fail        1    25.0%  ████████████
------  -----  -------
total       4   100.0%  pass rate 75.0% (3 of 4 executed)
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Sequence
from typing import Any

from zql.report._model import CATEGORIES, STATUS_COLUMN, Diff, DiffItem, Report
from zql.rows import cell_text, display_width, truncate

__all__ = ["FORMATS", "bar", "render_diff", "render_report"]

#: Every report and diff format, in the order help texts list them.
FORMATS: tuple[str, ...] = ("table", "csv", "json", "markdown", "html")
_EIGHTHS = " ▏▎▍▌▋▊▉"
_NAME_WIDTH = 48
_BAR_WIDTH = 40  # the longest bar, whatever the terminal's width


def bar(value: int, most: int, width: int) -> str:
    """A horizontal bar of Unicode blocks, ``width`` columns for ``most``.

    >>> bar(5, 10, 4), bar(10, 10, 4), bar(1, 100, 4), bar(0, 10, 4)
    ('██', '████', '▏', '')
    """
    if most <= 0 or value <= 0 or width <= 0:
        return ""
    eighths = max(1, round(value * width * 8 / most))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def _percent(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "-"


def _pass_line(report: Report) -> str:
    rate = report.pass_rate
    if rate is None:
        return "" if report.passed is None else "pass rate - (nothing executed)"
    return f"pass rate {100 * rate:.1f}% ({report.passed:,} of {report.executed:,} executed)"


def _align(rows: Sequence[Sequence[str]], numeric: Sequence[bool], *, rule_after: Sequence[int]
           ) -> list[str]:
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = []
        for cell, w, num in zip(row, widths, numeric, strict=True):
            pad = " " * (w - display_width(cell))
            cells.append(pad + cell if num else cell + pad)
        lines.append("  ".join(cells).rstrip())
        if index in rule_after:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def _partial_note(partial: bool) -> str:
    return "PARTIAL: interrupted before the end; counts so far\n" if partial else ""


# --------------------------------------------------------------------------- reports


def _one_field_rows(report: Report) -> list[tuple[str, int]]:
    return [(v, report.count_of(v)) for v in report.values(0)]


def _pivot(report: Report) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
    cells = {(g.values[0], g.values[1]): g.count for g in report.groups}
    return list(report.values(0)), list(report.values(1)), cells


def _with_pass_rate(report: Report) -> bool:
    return (report.status is not None and len(report.by) == 2
            and report.by[1] == STATUS_COLUMN)


def _pivot_matrix(report: Report, shorten: bool) -> list[list[str]]:
    rows, cols, cells = _pivot(report)
    rate = _with_pass_rate(report)
    first = report.by[0]
    head = [f"{first} \\ {report.by[1]}", *cols, "total"] + (["pass rate"] if rate else [])
    out = [head]
    for r in rows:
        counts = [cells.get((r, c), 0) for c in cols]
        name = truncate(cell_text(r), _NAME_WIDTH) if shorten else r
        line = [name, *(f"{n:,}" for n in counts), f"{sum(counts):,}"]
        if rate:
            line.append(_row_rate(report, cols, counts))
        out.append(line)
    col_totals = [sum(cells.get((r, c), 0) for r in rows) for c in cols]
    totals = ["total", *(f"{n:,}" for n in col_totals), f"{report.total:,}"]
    if rate:
        rr = report.pass_rate
        totals.append("-" if rr is None else f"{100 * rr:.1f}%")
    out.append(totals)
    return out


def _row_rate(report: Report, cols: list[str], counts: list[int]) -> str:
    by_status = dict(zip(cols, counts, strict=True))
    facts = report.status
    if facts is None:
        return "-"
    executed = sum(counts) - by_status.get(facts.not_executed, 0)
    return f"{100 * by_status.get(facts.passed, 0) / executed:.1f}%" if executed else "-"


def _report_table(report: Report, width: int) -> str:
    if len(report.by) == 2:
        matrix = _pivot_matrix(report, shorten=True)
        numeric = [False] + [True] * (len(matrix[0]) - 1)
        lines = _align(matrix, numeric, rule_after=[0, len(matrix) - 2])
        tail = _pass_line(report)
        return _partial_note(report.partial) + "\n".join(lines) + "\n" + (
            tail + "\n" if tail and not _with_pass_rate(report) else "")
    rows = _one_field_rows(report)
    table = [[report.by[0], "count", "percent"]]
    table += [[truncate(cell_text(v), _NAME_WIDTH), f"{n:,}", _percent(n, report.total)]
              for v, n in rows]
    table.append(["total", f"{report.total:,}", "100.0%" if report.total else "-"])
    lines = _align(table, [False, True, True], rule_after=[0, len(table) - 2])
    used = display_width(lines[0]) + 2
    room = max(10, min(_BAR_WIDTH, width - used))
    most = max((n for _, n in rows), default=0)
    out = [lines[0], lines[1] + "  " + "-" * room]
    for line, (_, n) in zip(lines[2:2 + len(rows)], rows, strict=True):
        out.append(line + "  " + bar(n, most, room))
    out.append(lines[2 + len(rows)])
    total_line = lines[-1]
    tail = _pass_line(report)
    out.append(total_line + ("  " + tail if tail else ""))
    return _partial_note(report.partial) + "\n".join(out) + "\n"


def _report_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*report.by, "count", "percent"])
    for g in report.groups:
        writer.writerow([*(_csv_safe(v) for v in g.values), g.count,
                         f"{100 * g.count / report.total:.1f}" if report.total else ""])
    return buf.getvalue()


def _csv_safe(value: str) -> str:
    return cell_text(value)  # one line per group: control characters made visible


def _md(text: str) -> str:
    return cell_text(text).replace("\\", "\\\\").replace("|", "\\|")


def _md_table(rows: Sequence[Sequence[str]], numeric: Sequence[bool]) -> list[str]:
    head = "| " + " | ".join(_md(c) for c in rows[0]) + " |"
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    body = ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows[1:]]
    return [head, rule, *body]


def _report_markdown(report: Report) -> str:
    lines = [f"**{report.entity}s by {', '.join(report.by)}** — `{_md(report.query)}`", ""]
    if report.partial:
        lines += ["*Partial: interrupted before the end.*", ""]
    if len(report.by) == 2:
        matrix = _pivot_matrix(report, shorten=False)
        lines += _md_table(matrix, [False] + [True] * (len(matrix[0]) - 1))
    else:
        table = [[report.by[0], "count", "percent"]]
        table += [[v, f"{n:,}", _percent(n, report.total)] for v, n in _one_field_rows(report)]
        table.append(["**total**", f"**{report.total:,}**", "100.0%" if report.total else "-"])
        lines += _md_table(table, [False, True, True])
    tail = _pass_line(report)
    if tail and not _with_pass_rate(report):
        lines += ["", tail[0].upper() + tail[1:] + "."]
    return "\n".join(lines) + "\n"


_STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{padding:.25em .8em;border-bottom:1px solid #ddd}
th{text-align:left;background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold;border-top:2px solid #999}code{background:#f4f4f4;padding:0 .3em}
.chart svg{max-width:100%;height:auto}.partial{color:#b71c1c;font-weight:bold}"""


def _html_table(rows: Sequence[Sequence[str]], numeric: Sequence[bool], *,
                total_last: bool = True) -> str:
    esc = html.escape
    out = ["<table>", "<tr>" + "".join(f"<th>{esc(c)}</th>" for c in rows[0]) + "</tr>"]
    for i, row in enumerate(rows[1:], 1):
        klass = ' class="total"' if total_last and i == len(rows) - 1 else ""
        out.append(f"<tr{klass}>" + "".join(
            f'<td class="n">{esc(c)}</td>' if n else f"<td>{esc(c)}</td>"
            for c, n in zip(row, numeric, strict=True)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
            f"{body}\n</body></html>\n")


def _report_html(report: Report, chart: str | None) -> str:
    from zql.report.chart import chart_svg

    esc = html.escape
    parts = [f"<h1>{esc(report.entity)}s by {esc(', '.join(report.by))}</h1>",
             f"<p>Query: <code>{esc(report.query)}</code> — {report.total:,} "
             f"{esc(report.entity)}s</p>"]
    if report.partial:
        parts.append('<p class="partial">Partial: interrupted before the end.</p>')
    if len(report.by) == 2:
        matrix = _pivot_matrix(report, shorten=False)
        parts.append(_html_table(matrix, [False] + [True] * (len(matrix[0]) - 1)))
    else:
        table = [[report.by[0], "count", "percent"]]
        table += [[v, f"{n:,}", _percent(n, report.total)] for v, n in _one_field_rows(report)]
        table.append(["total", f"{report.total:,}", "100.0%" if report.total else "-"])
        parts.append(_html_table(table, [False, True, True]))
    tail = _pass_line(report)
    if tail and not _with_pass_rate(report):
        parts.append(f"<p>{esc(tail[0].upper() + tail[1:])}.</p>")
    if report.groups:
        parts.append(f'<div class="chart" id="chart">{chart or chart_svg(report)}</div>')
    return _page(f"{report.entity}s by {', '.join(report.by)}", "\n".join(parts))


def render_report(report: Report, fmt: str, *, width: int = 100) -> str:
    """``report`` in one of :data:`FORMATS` (``width``: the terminal's, for the table's bars).

    >>> from zql.report import count
    >>> r = count([{"priority": "High", "tags": "a, b"}], by=["priority", "tags"],
    ...           entity="testcase")
    >>> print(render_report(r, "csv"), end="")
    priority,tags,count,percent
    High,a,1,100.0
    High,b,1,100.0
    >>> print(render_report(r, "json"))  # doctest: +ELLIPSIS
    {"entity": "testcase", "query": "", "by": ["priority", "tags"], "total": 1, "groups": [...
    """
    return _pick(fmt, {"table": lambda: _report_table(report, width),
                       "csv": lambda: _report_csv(report), "json": report.to_json,
                       "markdown": lambda: _report_markdown(report),
                       "html": lambda: _report_html(report, None)})


# --------------------------------------------------------------------------- diffs


def _listed(diff: Diff) -> list[tuple[str, list[DiffItem]]]:
    return [(c, diff.in_category(c)) for c in CATEGORIES if c != "unchanged"]


def _item_row(item: DiffItem, shorten: bool) -> list[str]:
    name = truncate(cell_text(item.name), _NAME_WIDTH) if shorten else item.name
    return [str(item.testcase_id), name, f"{item.a_status or '-'} → {item.b_status or '-'}",
            item.b_executed_by or ""]


_ITEM_HEAD = ["testcaseId", "name", "A → B", "run by (B)"]


def _diff_table(diff: Diff) -> str:
    summary = diff.summary
    lines = [f"A: {cell_text(diff.a)}", f"B: {cell_text(diff.b)}", ""]
    if diff.partial:
        lines.insert(0, _partial_note(True).rstrip())
    lines += _align([["category", "test cases"]] + [[c, f"{summary[c]:,}"] for c in CATEGORIES],
                    [False, True], rule_after=[0])
    for category, items in _listed(diff):
        if items:
            lines += ["", f"{category} ({len(items):,})"]
            lines += ["  " + line for line in _align(
                [_ITEM_HEAD] + [_item_row(i, True) for i in items], [True, False, False, False],
                rule_after=[0])]
    return "\n".join(lines) + "\n"


def _diff_csv(diff: Diff) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["testcaseId", "name", "a_status", "b_status", "category", "b_executedBy"])
    for i in diff.items:
        writer.writerow([i.testcase_id, _csv_safe(i.name), i.a_status or "", i.b_status or "",
                         i.category, i.b_executed_by or ""])
    return buf.getvalue()


def _diff_markdown(diff: Diff) -> str:
    summary = diff.summary
    lines = [f"**A:** `{_md(diff.a)}`  ", f"**B:** `{_md(diff.b)}`", ""]
    if diff.partial:
        lines += ["*Partial: interrupted before the end.*", ""]
    lines += _md_table([["category", "test cases"]] + [[c, f"{summary[c]:,}"]
                                                      for c in CATEGORIES], [False, True])
    for category, items in _listed(diff):
        if items:
            lines += ["", f"**{category}** ({len(items):,})", ""]
            lines += _md_table([_ITEM_HEAD] + [_item_row(i, False) for i in items],
                               [True, False, False, False])
    return "\n".join(lines) + "\n"


def _diff_html(diff: Diff) -> str:
    esc = html.escape
    summary = diff.summary
    parts = ["<h1>What changed</h1>", f"<p>A: <code>{esc(diff.a)}</code><br>"
             f"B: <code>{esc(diff.b)}</code></p>"]
    if diff.partial:
        parts.append('<p class="partial">Partial: interrupted before the end.</p>')
    parts.append(_html_table([["category", "test cases"]] + [[c, f"{summary[c]:,}"]
                                                             for c in CATEGORIES],
                             [False, True], total_last=False))
    for category, items in _listed(diff):
        if items:
            parts.append(f"<h2>{esc(category)} ({len(items):,})</h2>")
            parts.append(_html_table([_ITEM_HEAD] + [_item_row(i, False) for i in items],
                                     [True, False, False, False], total_last=False))
    return _page("What changed", "\n".join(parts))


def render_diff(diff: Diff, fmt: str) -> str:
    """``diff`` in one of :data:`FORMATS`: the summary first, then the lists (regressions
    first; the unchanged test cases are counted, and listed only in ``json`` and ``csv``).

    >>> from zql.report import diff
    >>> d = diff([{"testcaseId": 1, "name": "Login", "status": "Pass"}],
    ...          [{"testcaseId": 1, "name": "Login", "status": "Fail", "executedBy": "ann"}],
    ...          a="cycle 1", b="cycle 2")
    >>> print(render_diff(d, "table"), end="")  # doctest: +ELLIPSIS
    A: cycle 1
    B: cycle 2
    <BLANKLINE>
    category       test cases
    -------------  ----------
    regressed               1
    ...
    unchanged               0
    <BLANKLINE>
    regressed (1)
      testcaseId  name   A → B        run by (B)
      ----------  -----  -----------  ----------
               1  Login  Pass → Fail  ann
    """
    return _pick(fmt, {"table": lambda: _diff_table(diff), "csv": lambda: _diff_csv(diff),
                       "json": diff.to_json, "markdown": lambda: _diff_markdown(diff),
                       "html": lambda: _diff_html(diff)})


def _pick(fmt: str, renderers: dict[str, Callable[[], Any]]) -> str:
    """The text of the renderer for ``fmt`` (``json`` gives an object to dump on one line)."""
    render = renderers.get(fmt)
    if render is None:
        raise ValueError(f"unknown format {fmt!r}; one of: {', '.join(FORMATS)}")
    out = render()
    return out if isinstance(out, str) else json.dumps(out, ensure_ascii=False) + "\n"
