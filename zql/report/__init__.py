"""Reports and diffs over search results: counts by group, and what changed between two runs.

Pure engines over flat rows (:func:`count`, :func:`diff`), the count strategy's planner and the
renderers (:mod:`zql.report.render`); ``ZephyrClient.report`` and ``ZephyrClient.diff`` run them
against a server. See ``docs/report.md``.

>>> from zql.report import count
>>> r = count([{"priority": "High"}, {"priority": "High"}, {"priority": None}], by=["priority"],
...           entity="testcase")
>>> [(g.values, g.count) for g in r.groups]
[(('High',), 2), (('(none)',), 1)]
"""

from zql.report._count import BUCKETS, Counter, GroupBy, count
from zql.report._diff import DiffBuilder, classify, diff
from zql.report._model import (
    CATEGORIES,
    NONE,
    OTHER,
    Diff,
    DiffItem,
    Group,
    Report,
    ReportError,
    StatusFacts,
)
from zql.report._run import ReportInterrupted

__all__ = ["BUCKETS", "CATEGORIES", "NONE", "OTHER", "Counter", "Diff", "DiffBuilder", "DiffItem",
           "Group", "GroupBy", "Report", "ReportError", "ReportInterrupted", "StatusFacts",
           "classify", "count", "diff"]

# Exceptions say they live here, so tracebacks read ``zql.report.ReportError``.
ReportError.__module__ = ReportInterrupted.__module__ = __name__
