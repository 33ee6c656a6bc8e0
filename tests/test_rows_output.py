"""zql.rows and zql.columns: chosen columns, flat JSON, excel-csv, xlsx, visible escapes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from zql.client import flat_columns, flatten
from zql.columns import SORT_FIELDS, ColumnError, choose_columns, sort_key
from zql.rows import OutputOptions, format_for_path, make_renderer
from zql.schema import load_schema

EXECUTION: dict[str, Any] = {
    "id": 9, "cycleName": "Sprint 12",
    "lastTestResult": {"executionStatus": "2", "executionDate": 1700000000000,
                       "comment": "=HYPERLINK(\"http://evil\")"},
    "tcrTreeTestcase": {"testcase": {"testcaseId": 1001, "name": "Login\x1b[31m\u202e",
                                     "priority": "High"}},
}
HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "plain"]


def render(options: OutputOptions, items: list[dict[str, Any]], entity: str = "execution",
           **kw: Any) -> str:
    r = make_renderer(options, entity, flatten=flatten, **kw)
    return r.page(items) + r.end()


def test_columns_choose_and_order_what_every_format_shows() -> None:
    cols = ("id", "status", "executedOn", "lastTestResult.comment")
    table = render(OutputOptions("table", columns=cols, width=200, style="plain"), [EXECUTION])
    assert table.splitlines()[0].split() == ["id", "status", "executedOn",
                                             "lastTestResult.comment"]
    rows = list(csv.DictReader(io.StringIO(render(OutputOptions("csv", columns=cols),
                                                  [EXECUTION]))))
    assert rows == [{"id": "9", "status": "Fail", "executedOn": "2023-11-14T22:13:20Z",
                     "lastTestResult.comment": '=HYPERLINK("http://evil")'}]
    flat = render(OutputOptions("jsonl", columns=cols, flat=True), [EXECUTION])
    assert json.loads(flat) == {"id": 9, "status": "Fail", "executedOn": "2023-11-14T22:13:20Z",
                                "lastTestResult.comment": '=HYPERLINK("http://evil")'}


def test_flat_json_lines_have_the_csv_columns_and_values() -> None:
    flat = json.loads(render(OutputOptions("jsonl", flat=True), [EXECUTION]))
    assert list(flat) == flat_columns("execution")
    row = next(csv.DictReader(io.StringIO(render(OutputOptions("csv"), [EXECUTION]))))
    assert {k: "" if v is None else str(v) for k, v in flat.items()} == row
    whole = json.loads(render(OutputOptions("json", flat=True), [EXECUTION, EXECUTION]))
    assert whole == [flat, flat]
    assert json.loads(render(OutputOptions("jsonl"), [EXECUTION])) == EXECUTION  # raw default


def test_the_default_execution_table_shows_priority() -> None:
    header = render(OutputOptions("table", width=200, style="plain"),
                    [EXECUTION]).splitlines()[0].split()
    assert header[:5] == ["id", "testcaseId", "name", "status", "priority"]


def test_an_unknown_column_gets_a_did_you_mean() -> None:
    with pytest.raises(ColumnError, match=r"unknown column 'prority'; did you mean 'priority'\?"):
        make_renderer(OutputOptions("csv", columns=("id", "prority")), "execution",
                      flatten=flatten)
    assert choose_columns("ID, Name,id", flat_columns("testcase")) == ("id", "name")


def test_control_and_bidi_characters_are_kept_in_files_and_escaped_on_screen() -> None:
    name = "Login\x1b[31m\u202e"
    row = next(csv.DictReader(io.StringIO(render(OutputOptions("csv"), [EXECUTION]))))
    assert row["name"] == name
    assert json.loads(render(OutputOptions("jsonl", flat=True), [EXECUTION]))["name"] == name
    for fmt in ("table", "vertical"):
        text = render(OutputOptions(fmt, width=300), [EXECUTION])
        assert "\x1b" not in text and "\u202e" not in text
        assert "Login\\x1b[31m\\u202e" in text
    for ch in ["\u200b", "\u200f", "\u202a", "\u2066", "\u2069", "\ufeff", "\x85"]:
        text = render(OutputOptions("table", columns=("name",), width=100),
                      [{"tcrTreeTestcase": {"testcase": {"name": f"a{ch}b"}}}])
        assert ch not in text and f"a\\{'x' if ord(ch) < 256 else 'u'}" in text


def test_a_table_for_a_pipe_is_never_cut() -> None:
    long = {"id": 1, "name": "n" * 150, "priority": "p" * 90}
    piped = render(OutputOptions("table", width=None, style="plain"), [long], entity="testcase")
    assert "n" * 150 in piped and "p" * 90 in piped and "…" not in piped
    terminal = render(OutputOptions("table", width=80, style="plain"), [long], entity="testcase")
    assert max(len(line) for line in terminal.splitlines()) <= 80 and "…" in terminal


def test_excel_csv_has_a_bom_and_neutralises_formulas() -> None:
    items = [{"id": n, "name": text} for n, text in enumerate(HOSTILE)] + [{"id": -5, "name": 3}]
    text = make_renderer("excel-csv", "testcase").page(items)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert [r["name"] for r in rows] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tx", "'\rx",
                                         "plain", "3"]
    assert rows[-1]["id"] == "-5"  # a number is not a formula
    exact = list(csv.DictReader(io.StringIO(make_renderer("csv", "testcase").page(items),
                                            newline="")))
    assert [r["name"] for r in exact][:7] == HOSTILE  # plain CSV stays exact


def test_xlsx_has_typed_cells_no_formulas_frozen_header_fitted_widths(tmp_path: Path) -> None:
    path = tmp_path / "hits.xlsx"
    items = [EXECUTION] + [{"id": n, "notes": text, "actualTime": 1.5}
                           for n, text in enumerate(HOSTILE, start=100)]
    r = make_renderer(OutputOptions("xlsx"), "execution", flatten=flatten, path=path)
    assert r.page(items[:3]) == "" and r.page(items[3:]) == "" and r.end() == ""
    book = openpyxl.load_workbook(path)
    sheet = book["results"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert list(header) == flat_columns("execution")
    first = {k: _ooxml(v) for k, v in zip(header, rows[1], strict=True)}
    assert first["id"] == 9 and isinstance(first["id"], int)
    assert first["executedOn"] == dt.datetime(2023, 11, 14, 22, 13, 20)
    assert first["name"] == "Login\x1b[31m\u202e"
    assert first["notes"] == '=HYPERLINK("http://evil")'
    notes = [_ooxml(dict(zip(header, row, strict=True))["notes"]) for row in rows[2:]]
    assert notes == HOSTILE
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f"  # never a formula
    width = sheet.column_dimensions["C"].width  # the name column: fitted, not the default
    assert width is not None and width >= len("Login\x1b[31m\u202e")


def _ooxml(value: Any) -> Any:
    # XML cannot hold control characters: the workbook stores ESC as OOXML's "_x001B_" escape,
    # which Excel decodes; openpyxl hands the escape back as it is.
    import re

    if not isinstance(value, str):
        return value
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def test_csv_quotes_a_lone_carriage_return() -> None:
    text = make_renderer("csv", "testcase").page([{"id": 1, "name": "a\rb"}, {"id": 2}])
    assert [r["name"] for r in csv.DictReader(io.StringIO(text, newline=""))] == ["a\rb", ""]


def test_format_from_the_file_extension() -> None:
    assert [format_for_path(p, "table") for p in ("a.csv", "a.JSON", "a.jsonl", "a.xlsx",
                                                   "a.txt")] == [
        "csv", "json", "jsonl", "xlsx", "table"]


@pytest.mark.parametrize(("entity", "name", "field"), [
    ("execution", "executedBy", "executedBy"), ("execution", "PRIORITY", "priority"),
    ("execution", "modified", "lastModifiedOn"), ("testcase", "id", "testcaseId"),
    ("execution", "actualTime", "actualtime"), ("testcase", "customtext", "customtext"),
    ("requirement", "orderid", "orderId"),
])
def test_sort_by_the_names_people_see(entity: str, name: str, field: str) -> None:
    from zql.sandbox import sandbox_schema

    assert sort_key(entity, name, sandbox_schema()).field == field


def test_sort_names_that_cannot_work_say_why() -> None:
    with pytest.raises(ColumnError, match="did you mean 'priority'"):
        sort_key("execution", "prority", load_schema("ze7"))
    with pytest.raises(ColumnError, match="the server cannot sort executions by executedOn"):
        sort_key("execution", "executedon")
    with pytest.raises(ColumnError, match="the server cannot sort test cases by tags"):
        sort_key("testcase", "tags")


def test_every_sort_column_is_a_flat_column() -> None:
    for entity, columns in SORT_FIELDS.items():
        assert set(columns) - {"modified"} <= set(flat_columns(entity)), entity
