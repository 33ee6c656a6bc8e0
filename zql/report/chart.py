"""Charts of a report with matplotlib (the ``report`` extra): a bar chart for one field,
stacked bars for two. Rendered with the Agg/SVG backends only — no display, no network; SVG
text is drawn as paths, so the chart looks the same everywhere without any font.

>>> from zql.report import count
>>> svg = chart_svg(count([{"status": "Pass"}, {"status": "Fail"}], by=["status"]))
>>> svg.startswith("<svg") and "http" not in svg
True
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zql.report._model import NONE, OTHER, STATUS_COLUMN, Report, ReportError
from zql.rows import cell_text, truncate

__all__ = ["ChartError", "chart_png", "chart_svg", "title", "write_chart"]

# Colours a test manager expects for the statuses (by their role, whatever the server calls
# them); other values take matplotlib's default cycle.
_PASS, _FAILING, _IN_BETWEEN, _NEVER_RUN = "#2e7d32", ("#c62828", "#6a1b9a"), "#f9a825", "#9e9e9e"
_SPECIAL = {OTHER: "#bdbdbd", NONE: "#e0e0e0"}
_MOST_BARS = 40


class ChartError(ReportError):
    """A chart cannot be drawn: the ``report`` extra is missing, or an unknown file type.

    >>> str(ChartError("x"))
    'x'
    """


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ChartError("charts need the 'report' extra (matplotlib): "
                         "pip install 'zephyr-zql[report]'") from None
    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["svg.fonttype"] = "path"
    import matplotlib.pyplot as plt

    return plt


def _palette(report: Report, field: int) -> Callable[[str, int], str]:
    """Colours for the values of the ``field``-th grouped field."""
    facts = report.status
    roles: dict[str, str] = dict(_SPECIAL)
    if facts is not None and report.by[field] == STATUS_COLUMN:
        roles[facts.passed] = _PASS
        roles[facts.not_executed] = _NEVER_RUN
        roles.update(zip(facts.failing, _FAILING, strict=False))
        roles.update((name, _IN_BETWEEN) for name in facts.order if name not in roles)

    def colour(value: str, index: int) -> str:
        return roles.get(value, f"C{index % 10}")

    return colour


def _label(value: str) -> str:
    # No control character reaches a font, and a `$` is a dollar, not matplotlib's mathtext.
    return truncate(cell_text(value), 32).replace("$", r"\$")


def title(report: Report) -> str:
    """The chart's title; it says so when only the first values have a bar.

    >>> from zql.report import count
    >>> title(count([{"name": f"t{i}"} for i in range(50)], by=["name"], entity="testcase"))
    'testcases by name (the first 40 of 50 values, as in the table)'
    """
    text = f"{report.entity}s by {', '.join(report.by)}"
    shown, every = min(_MOST_BARS, len(report.values(0))), len(report.values(0))
    if every > shown:  # said on the chart, never cut silently
        text += f" (the first {shown} of {every:,} values, as in the table)"
    return cell_text(text)


def _figure(report: Report) -> Any:
    plt = _pyplot()
    first = list(report.values(0))[:_MOST_BARS]
    height = max(2.4, 0.38 * len(first) + 1.4)
    fig, ax = plt.subplots(figsize=(8, height), dpi=100)
    labels = [_label(v) for v in first]
    positions = list(range(len(first)))[::-1]  # the first value on top
    if len(report.by) == 1:
        counts = [report.count_of(v) for v in first]
        colour = _palette(report, 0)
        ax.barh(positions, counts, color=[colour(v, i) for i, v in enumerate(first)])
        for y, n in zip(positions, counts, strict=True):
            ax.text(n, y, f" {n:,}", va="center", fontsize=9)
    else:
        left = [0] * len(first)
        colour = _palette(report, 1)
        for j, second in enumerate(report.values(1)):
            widths = [report.count_of(v, second) for v in first]
            ax.barh(positions, widths, left=left, label=_label(second),
                    color=colour(second, j))
            left = [a + b for a, b in zip(left, widths, strict=True)]
        ax.legend(title=_label(report.by[1]), fontsize=8, title_fontsize=9, loc="center left",
                  bbox_to_anchor=(1.0, 0.5), frameon=False)
    ax.set_yticks(positions, labels=labels, fontsize=9)
    ax.set_xlabel(f"{report.entity}s")
    ax.set_title(title(report).replace("$", r"\$"), fontsize=11)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


#: The last chart drawn, ``(report, format, bytes)``: an HTML page and the ``--chart`` file of
#: the same report (``zql report -o r.html --chart c.svg``) draw it once, not twice.
_last: tuple[Report, str, bytes] | None = None


def _render(report: Report, fmt: str) -> bytes:
    global _last
    last = _last
    if last is not None and last[0] is report and last[1] == fmt:
        return last[2]
    plt = _pyplot()
    fig = _figure(report)
    buf = io.BytesIO()
    try:
        # No metadata: nothing in the file names a URL (matplotlib's defaults would).
        metadata: dict[str, Any] = ({"Creator": None, "Date": None, "Format": None,
                                     "Type": None} if fmt == "svg" else {"Software": None})
        fig.savefig(buf, format=fmt, metadata=metadata)
    finally:
        plt.close(fig)
    data = buf.getvalue()
    _last = (report, fmt, data)
    return data


def chart_svg(report: Report) -> str:
    """The chart as an ``<svg>`` element to inline in HTML (no XML prolog, no namespace URL
    an offline page could try to fetch)."""
    text = _render(report, "svg").decode("utf-8")
    text = text[text.index("<svg"):]
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text, count=0)
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return text


def chart_png(report: Report) -> bytes:
    """The chart as PNG bytes.

    >>> from zql.report import count
    >>> chart_png(count([{"priority": "High"}], by=["priority"], entity="testcase"))[:4]
    b'\\x89PNG'
    """
    return _render(report, "png")


def write_chart(report: Report, path: str | Path) -> None:
    """Write the chart alone to ``path`` (``.svg`` or ``.png``), atomically."""
    from zql._fs import write_atomically

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".svg":
        data: bytes = _render(report, "svg")
    elif suffix == ".png":
        data = chart_png(report)
    else:
        raise ChartError(f"--chart {path}: the file must end in .svg or .png")
    write_atomically(target, data)
