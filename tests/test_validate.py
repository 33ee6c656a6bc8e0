"""zql.validate: the ZQL2xx checks against the bundled schemas, custom and server schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

import zql
from zql._vocabulary import vocabulary
from zql.ast import Op
from zql.errors import Severity
from zql.format import quote
from zql.schema import FieldSpec, Schema, load_schema, profile_names
from zql.validation import validate

E, W = Severity.ERROR, Severity.WARNING

# query, entity, profile, code, severity, span, text after the preferred fix (None: no fix)
CASES: list[tuple[str, str, str, str, Severity, tuple[int, int], str | None]] = [
    # ZQL201 unknown field: rename, other entity, did-you-mean, nothing close
    ("id = 5", "testcase", "ze7", "ZQL201", E, (0, 2), "testcaseId = 5"),
    ('cyclephase = "C1"', "execution", "ze7", "ZQL201", E, (0, 10), 'cycle = "C1"'),
    ('assignee = "bob"', "execution", "ze7", "ZQL201", E, (0, 8), 'executedBy = "bob"'),
    ('notes ~ "x"', "testcase", "ze7", "ZQL201", E, (0, 5), None),
    ('status = "Fail"', "testcase", "ze7", "ZQL201", E, (0, 6), None),
    ('prority = "P1"', "testcase", "ze7", "ZQL201", E, (0, 7), 'priority = "P1"'),
    ('tag = "a" and creater = "me"', "testcase", "ze7", "ZQL201", E, (14, 21),
     'tag = "a" and creator = "me"'),
    ("zzz = 1", "testcase", "ze7", "ZQL201", E, (0, 3), None),
    ("testcaseId = 5", "testcase", "ze6", "ZQL201", E, (0, 10), "id = 5"),
    # ZQL202 non-canonical case
    ('ALTID ~ "x"', "testcase", "ze7", "ZQL202", W, (0, 5), 'altId ~ "x"'),
    ('Priority = "P1"', "testcase", "ze7", "ZQL202", W, (0, 8), 'priority = "P1"'),
    ('altId ~ "x"', "testcase", "ze6", "ZQL202", W, (0, 5), 'altid ~ "x"'),
    # ZQL203 operator not allowed (a ~ / = swap changes matching: only suggested in the hint)
    ('name = "login"', "testcase", "ze7", "ZQL203", E, (5, 6), None),
    ('name != "login"', "testcase", "ze7", "ZQL203", E, (5, 7), None),
    ('priority ~ "P"', "testcase", "ze7", "ZQL203", E, (9, 10), None),
    ('name in ("a")', "testcase", "ze7", "ZQL203", E, (5, 7), None),
    ("automated in (true)", "testcase", "ze7", "ZQL203", E, (10, 12), None),
    ("name is empty", "testcase", "ze7", "ZQL203", E, (5, 7), None),
    ("testcaseId is not empty", "testcase", "ze7", "ZQL203", E, (11, 17), None),
    ('status ~ "Pass"', "execution", "ze7", "ZQL203", E, (7, 8), None),
    # ZQL204 value type
    ('version = "3"', "testcase", "ze7", "ZQL204", E, (10, 13), "version = 3"),
    ('testcaseId in (1, "2")', "testcase", "ze7", "ZQL204", E, (18, 21), "testcaseId in (1, 2)"),
    ('version = "-3"', "testcase", "ze7", "ZQL204", E, (10, 14), "version = -3"),
    ('version = "3.5"', "testcase", "ze7", "ZQL204", E, (10, 15), None),
    ('version = "three"', "testcase", "ze7", "ZQL204", E, (10, 17), None),
    ("version = 2.0", "testcase", "ze7", "ZQL204", E, (10, 13), "version = 2"),
    ("version = 2.5", "testcase", "ze7", "ZQL204", E, (10, 13), None),
    ("version = 2147483648", "testcase", "ze7", "ZQL204", E, (10, 20), None),
    ("version = true", "testcase", "ze7", "ZQL204", E, (10, 14), None),
    ("testcaseId = 9223372036854775808", "testcase", "ze7", "ZQL204", E, (13, 32), None),
    ('automated = "true"', "testcase", "ze7", "ZQL204", E, (12, 18), "automated = true"),
    ('automated = " FALSE "', "testcase", "ze7", "ZQL204", E, (12, 21), "automated = false"),
    ("automated = 1", "testcase", "ze7", "ZQL204", E, (12, 13), "automated = true"),
    ("automated = 0", "testcase", "ze7", "ZQL204", E, (12, 13), "automated = false"),
    ("automated = 2", "testcase", "ze7", "ZQL204", E, (12, 13), None),
    ('automated = "yes"', "testcase", "ze7", "ZQL204", E, (12, 17), None),
    ("priority = 1", "testcase", "ze7", "ZQL204", E, (11, 12), 'priority = "1"'),
    ("priority = 1.50", "testcase", "ze7", "ZQL204", E, (11, 15), 'priority = "1.50"'),
    ("priority = true", "testcase", "ze7", "ZQL204", E, (11, 15), 'priority = "true"'),
    ('priority in ("P1", 2)', "testcase", "ze7", "ZQL204", E, (19, 20), 'priority in ("P1", "2")'),
    ('estimatedTime = "1:30:00"', "testcase", "ze7", "ZQL204", E, (16, 25),
     'estimatedTime = "01:30:00"'),
    ('estimatedTime = "90 minutes"', "testcase", "ze7", "ZQL204", E, (16, 28), None),
    ('estimatedTime = "01:60:00"', "testcase", "ze7", "ZQL204", E, (16, 26), None),
    ('actualtime != "1:5:00"', "execution", "ze7", "ZQL204", E, (14, 22), None),
    ("customnumber = 1.5", "testcase", "custom", "ZQL204", E, (15, 18), None),
    ("customcheckbox = 1", "testcase", "custom", "ZQL204", E, (17, 18), "customcheckbox = true"),
    # ZQL205 API-only field
    ("treeid = 5", "testcase", "ze6", "ZQL205", W, (0, 6), None),
    ("revision in (1, 2)", "execution", "ze6", "ZQL205", W, (0, 8), None),
    # ZQL206 unknown value
    ('status = "Passed"', "execution", "ze7", "ZQL206", W, (9, 17), 'status = "Pass"'),
    ('status = "fail"', "execution", "ze7", "ZQL206", W, (9, 15), 'status = "Fail"'),
    ('status in ("Pass", "Blokced")', "execution", "ze7", "ZQL206", W, (19, 28),
     'status in ("Pass", "Blocked")'),
    ('status != "Unexecuted"', "execution", "ze7", "ZQL206", W, (10, 22),
     'status != "Not Executed"'),
]


def _schema(profile: str) -> Schema:
    if profile == "custom":
        return load_schema("ze7").with_custom_fields(
            "testcase", [("customnumber", "number"), ("customcheckbox", "checkbox"),
                         ("customtext", "text"), ("custompicklist", "picklist")])
    return load_schema(profile)


@pytest.mark.parametrize(("query", "entity", "profile", "code", "severity", "span", "fixed"),
                         CASES)
def test_rule(query: str, entity: str, profile: str, code: str, severity: Severity,
              span: tuple[int, int], fixed: str | None) -> None:
    schema = _schema(profile)
    found = [d for d in validate(query, entity=entity, schema=schema) if d.code == code]
    assert [(d.span.start, d.span.end, d.severity) for d in found] == [(*span, severity)]
    if fixed is None:
        assert found[0].fix is None
        return
    assert found[0].fix is not None
    assert found[0].fix.apply(query) == fixed
    assert code not in {d.code for d in validate(fixed, entity=entity, schema=schema)}


def test_messages_say_where_the_field_is() -> None:
    """A few messages pinned in full: they are the rules' whole point."""
    def message(query: str, **kw: str) -> str:
        return validate(query, **kw)[0].message

    assert message("id = 5") == "no field 'id' in testcase: it is named testcaseId in ze7"
    assert message('notes ~ "x"') == (
        "no field 'notes' in testcase: it exists for execution, not testcase")
    assert message('prority = "P1"') == "no field 'prority' in testcase; did you mean priority?"
    assert message('priority ~ "P"') == (
        "'~' is not allowed for priority; allowed: =, !=, in, is, is not")
    assert message('status = "Passed"', entity="execution") == (
        '"Passed" is not a known status; did you mean "Pass"?')
    assert message("treeid = 5", schema="ze6") == "'treeid' is API-only: not offered in the ZE UI"


def test_unknown_field_hint_lists_the_fields() -> None:
    (diag,) = validate("zzz = 1")
    assert diag.hint is not None
    assert all(f.name in diag.hint for f in load_schema().fields("testcase"))
    empty = Schema("bare", {"testcase": {}})
    assert "no fields for testcase" in (validate("zzz = 1", schema=empty)[0].hint or "")


def test_every_suggestion_is_a_fix() -> None:
    (diag,) = validate('tagg = "x"', entity="requirement")
    assert [f.edits[0].new_text for f in diag.fixes] == load_schema().suggest(
        "requirement", "tagg")
    assert diag.fixes


def test_decimal_fields_take_integers_and_decimals() -> None:
    schema = Schema.from_json({"entities": {"testcase": [
        {"name": "price", "type": "decimal", "operators": ["=", "in"]}]}})
    assert validate("price = 1.5 and price in (2, -3.25)", schema=schema) == []
    (diag,) = validate('price = "1.5"', schema=schema)
    assert (diag.code, diag.fix.apply('price = "1.5"') if diag.fix else None) == (
        "ZQL204", "price = 1.5")


# ---------------------------------------------------------------- schema-driven: the good clauses

def _value(spec: FieldSpec) -> str:
    if spec.type in ("long", "int"):
        return "42"
    if spec.type == "decimal":
        return "4.2"
    if spec.type == "boolean":
        return vocabulary().keywords["TRUE"]
    if spec.values:
        return quote(spec.values[0])
    return quote("01:30:00" if spec.format else "x")


def _clause(spec: FieldSpec, op: Op) -> str:
    if op in (Op.IS, Op.IS_NOT):
        return zql.format(zql.Clause(spec.name, op, zql.Empty()))
    value = _value(spec)
    if op is Op.IN:
        return f"{spec.name} {op.text} ({value})"
    if op in (Op.CONTAINS, Op.NOT_CONTAINS) and not value.startswith('"'):
        value = quote(value)
    return f"{spec.name} {op.text} {value}"


_ALL_FIELDS = [(p, e, spec) for p in profile_names() for e in ("testcase", "requirement",
               "execution") for spec in load_schema(p).fields(e)]


@pytest.mark.parametrize(("profile", "entity", "spec"), _ALL_FIELDS,
                         ids=lambda x: x.name if isinstance(x, FieldSpec) else str(x))
def test_every_field_with_every_allowed_operator_is_clean(profile: str, entity: str,
                                                          spec: FieldSpec) -> None:
    for op in spec.operators:
        found = {d.code for d in validate(_clause(spec, op), entity=entity, schema=profile)}
        assert found <= ({"ZQL205"} if spec.api_only else set()), (_clause(spec, op), found)


@pytest.mark.parametrize(("profile", "entity", "spec"), _ALL_FIELDS,
                         ids=lambda x: x.name if isinstance(x, FieldSpec) else str(x))
def test_every_other_operator_is_zql203(profile: str, entity: str, spec: FieldSpec) -> None:
    for op in set(Op) - spec.operators:
        query = _clause(spec, op)
        codes = [d.code for d in validate(query, entity=entity, schema=profile)]
        assert "ZQL203" in codes, query


# ---------------------------------------------------------------- inputs and options

def test_text_that_does_not_parse_raises() -> None:
    with pytest.raises(zql.ZQLSyntaxError) as err:
        validate("status = Fail")
    assert err.value.diagnostics[0].code == "ZQL107"


def test_unknown_entity_raises_schema_error() -> None:
    with pytest.raises(zql.SchemaError, match="unknown entity"):
        validate('name ~ "x"', entity="defect")


def test_accepts_a_node_and_entity_aliases() -> None:
    node = zql.parse('status = "Pass"')
    assert validate(node, entity="testSchedule") == []
    assert [d.code for d in validate(node)] == ["ZQL201"]


@pytest.mark.parametrize("source", ["ze7", "ZE7", None])
def test_schema_sources_by_name(source: str | None) -> None:
    assert load_schema(source) is load_schema("ze7")
    assert validate('name ~ "x"', schema=source) == []


def test_schema_file_and_server_metadata(tmp_path: Path) -> None:
    meta = {"testcase": [
        {"name": "name", "dataType": "string", "operatorToFieldMap": {"~": "n"}, "visible": True},
        {"name": "secret", "dataType": "long", "operatorToFieldMap": {"=": "s"}, "visible": False},
    ]}
    server = Schema.from_metadata(meta)
    path = tmp_path / "server.json"
    server.save(path)
    for schema in (server, path, str(path)):
        assert [(d.code, d.span.start) for d in validate(
            'name ~ "x" and secret = "5" and other = 1', schema=schema)] == [
            ("ZQL205", 15), ("ZQL204", 24), ("ZQL201", 32)]


def test_missing_schema_file_raises() -> None:
    with pytest.raises(zql.SchemaError, match="not found"):
        validate('name ~ "x"', schema="no/such/schema.json")


def test_results_sorted_and_one_clause_can_have_several() -> None:
    codes = [(d.code, d.span.start) for d in validate('NAME = 5', schema="ze7")]
    assert codes == [("ZQL202", 0), ("ZQL203", 5), ("ZQL204", 7)]
