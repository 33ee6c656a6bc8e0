"""zql.complete: what the grammar accepts at the cursor, filled in from the schema, ranked."""

from __future__ import annotations

import doctest
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from tests.corpus import all_queries, valid_queries
from tests.property_budget import examples
from zql import _grammar, _lexer
from zql._complete_context import decode_partial
from zql._complete_rank import UsageCounts, match, word_starts
from zql.complete import KINDS, Completion, complete, expected_at
from zql.schema import FieldSpec, SchemaError, load_schema

CURSOR = "|"
EXEC = "execution"


def _at(marked: str) -> tuple[str, int]:
    """Text and cursor from a string with one ``|`` marking the cursor (default: the end)."""
    if CURSOR not in marked:
        return marked, len(marked)
    return marked.replace(CURSOR, "", 1), marked.index(CURSOR)


def _texts(marked: str, **kw: object) -> list[str]:
    text, cursor = _at(marked)
    return [c.text for c in complete(text, cursor, **kw)]  # type: ignore[arg-type]


_SERVER = {"project": ["Ironclad", "Atlas", 'Say "hi"'], "release": ["R1", "R2"],
           "creator": ["alice", "bob"], "testcaseId": ["389722", "x1"]}


def server(entity: str, spec: FieldSpec, prefix: str) -> Sequence[str] | None:
    """A value source standing in for the shell's server lookups."""
    if spec.name == "tag":
        return None  # still loading
    return _SERVER.get(spec.name, [])


# (marked text, entity, expected first candidates in order)
FIRST = [
    ("", "testcase", ["testcaseId", "estimatedTime", "creator"]),
    ("prio", "testcase", ["priority"]),
    ("PRIO", "testcase", ["priority"]),
    ("id", "testcase", ["testcaseId", "altId", "versionId"]),
    ("sta", EXEC, ["status"]),
    ("status ", EXEC, ["=", "!=", "in"]),
    ("status !", EXEC, ["!="]),
    ("name ", "testcase", ["~", "!~"]),
    ("name !", "testcase", ["!~"]),
    ("altId ", "testcase", ["~", "!~", "is", "is not"]),
    ("altId i", "testcase", ["is", "is not"]),
    ("altId is ", "testcase", ["not", "empty"]),
    ("altId is n", "testcase", ["not"]),
    ("altId is not ", "testcase", ["empty"]),
    ("automated ", "testcase", ["=", "!="]),
    ("automated = ", "testcase", ["true", "false"]),
    ("automated = f", "testcase", ["false"]),
    ("status = ", EXEC, ['"Pass"', '"Fail"', '"WIP"', '"Blocked"']),
    ('status = "F', EXEC, ['"Fail"']),
    ('status = "f', EXEC, ['"Fail"']),
    ("status = F", EXEC, ['"Fail"']),
    ('status in ("Fail", ', EXEC, ['"Pass"', '"WIP"', '"Blocked"']),
    ('status in ("Fail" ', EXEC, [")", ","]),
    ("status in ", EXEC, ["("]),
    ('status = "Fail" ', EXEC, ["and", "or", "not"]),
    ('status = "Fail"', EXEC, [" and", " or", " not"]),
    ('status = "Fail" an', EXEC, ["and"]),
    ('status = "Fail"an', EXEC, [" and"]),
    ('(status = "Fail" ', EXEC, ["and", "or", "not", ")"]),
    ("(a = 1 or b = 2) and (c = 3 ", "testcase", ["and", "or", "not", ")"]),
    ("not not au", "testcase", ["automated"]),
    ("x = 1\n  and\n  ver", "testcase", ["version", "versionId"]),
    ("a = 1 # comment\nand na", "testcase", ["name"]),
    ("sta|tus = 1", EXEC, ["status"]),
    ('name ~ "새|', "testcase", []),
    ("project = ", "testcase", ['"Ironclad"', '"Atlas"', '"Say \\"hi\\""']),
    ('project = "say', "testcase", ['"Say \\"hi\\""']),
    ('project = "Say \\"h', "testcase", ['"Say \\"hi\\""']),
    ("project = iron", "testcase", ['"Ironclad"']),
    ('project in ("Atlas", ', "testcase", ['"Ironclad"', '"Say \\"hi\\""']),
    ("testcaseId = ", "testcase", ["389722"]),
    ("testcaseId = 38", "testcase", ["389722"]),
    ('testcaseId = "38', "testcase", []),
    ("release = R", "testcase", ['"R1"', '"R2"']),
    ("creator != ", "requirement", ['"alice"', '"bob"']),
    ("name ~ ", "testcase", []),
    # an invalid earlier part: complete from the last and/or/not/( after it
    ("a = = 1 and na", "testcase", ["name"]),
    ("a = @ and prio", "testcase", ["priority"]),
    ("a > 1 or (sta", EXEC, ["status"]),
    ("x ( and auto", "testcase", ["automated"]),
    # nothing sensible: inside a comment, after a broken clause, after a complete operator
    ("a = 1 # comm", "testcase", []),
    ("a = = 1", "testcase", []),
    ("a = 1 =", "testcase", []),
    ("@", "testcase", []),
    ("a = @", "testcase", []),
    ("status = Fail ", EXEC, []),
    # a closed string with a bad escape ends at its quote: completion restarts after `and`
    ('a = "\\x" and auto', "testcase", ["automated"]),
]


@pytest.mark.parametrize(("marked", "entity", "first"), FIRST)
def test_first_candidates(marked: str, entity: str, first: list[str]) -> None:
    got = _texts(marked, entity=entity, values=server)
    assert got[: len(first)] == first, got
    if not first:
        assert got == []


# (marked text, entity, must include, must exclude)
INCLUDE_EXCLUDE = [
    ("", "testcase", {"testcaseId", "not", "("}, {"and", "or", ")", "status"}),
    ("", EXEC, {"status", "executedBy", "notes"}, {"name", "contents"}),
    ("", "requirement", {"url", "details", "id"}, {"automated"}),
    ("status ", EXEC, {"=", "!=", "in"}, {"~", "!~", "is", "is not", "not"}),
    ("estimatedTime ", "testcase", {"=", "!=", "is", "is not"}, {"in", "~"}),
    ("unknownField ", "testcase", {"=", "!=", "~", "!~", "in", "is", "is not"}, set()),
    ("automated = ", "testcase", {"true", "false"}, {"empty", '"true"', "("}),
    ("priority is ", "testcase", {"not", "empty"}, {"null", "true"}),
    ("name ~ ", "testcase", set(), {"true", "false"}),
    ('status in ("Fail", "WIP", ', EXEC, {'"Pass"', '"Blocked"'}, {'"Fail"', '"WIP"'}),
    ("not ", "testcase", {"name", "not", "("}, {"and", ")"}),
    ("(", "testcase", {"name", "(", "not"}, {")"}),
    ("a = 1 and ", "testcase", {"name", "not", "("}, {"and", "or"}),
    ("a = 1 ", "testcase", {"and", "or", "not"}, {")", "name"}),
    ("(a = 1 ", "testcase", {")"}, {","}),
    ("a in (1 ", "testcase", {")", ","}, {"and"}),
    ("a in (1, 2) ", "testcase", {"and", "or"}, {","}),
]


@pytest.mark.parametrize(("marked", "entity", "include", "exclude"), INCLUDE_EXCLUDE)
def test_include_exclude(marked: str, entity: str, include: set[str], exclude: set[str]) -> None:
    got = {t.strip() for t in _texts(marked, entity=entity)}
    assert include <= got, include - got
    assert not exclude & got, exclude & got


# (marked text, entity, first candidate's text, start, end)
RANGES = [
    ("prio", "testcase", "priority", 0, 4),
    ("a = 1 and prio", "testcase", "priority", 10, 14),
    ("pri|o = 1", "testcase", "priority", 0, 4),
    ("|prio", "testcase", "testcaseId", 0, 0),
    ("status |", EXEC, "=", 7, 7),
    ("status !|= 1", EXEC, "!=", 7, 9),
    ('status = "Fa', EXEC, '"Fail"', 9, 12),
    ('status = "Fa|il"', EXEC, '"Fail"', 9, 15),
    ('status = "Fa|il and b = 1', EXEC, '"Fail"', 9, 14),
    ('status = "Fail" a', EXEC, "and", 16, 17),
    ('status = "Fail"', EXEC, " and", 15, 15),
    ("automated = t|rue", "testcase", "true", 12, 16),
    ("altId is not e", "testcase", "empty", 13, 14),
    ("x = 1\nand na", "testcase", "name", 10, 12),
    ("é = 1 and na", "testcase", "name", 10, 12),
]


@pytest.mark.parametrize(("marked", "entity", "text", "start", "end"), RANGES)
def test_replaced_range(marked: str, entity: str, text: str, start: int, end: int) -> None:
    source, cursor = _at(marked)
    first = complete(source, cursor, entity=entity)[0]
    assert (first.text, first.start, first.end) == (text, start, end)


def test_field_meta_and_kinds() -> None:
    schema = load_schema("ze6").with_custom_fields("testcase", [("customtext", "text")])
    items = {c.display: c for c in complete("", schema=schema)}
    assert items["creator"].meta == "string · = != in"
    assert items["creatorid"].meta == "long · = != in · api only"
    assert items["customtext"].meta == "string · ~ !~ is is not · custom text"
    assert items["creator"].kind == "field"
    assert items["not"].kind == "keyword" and items["("].kind == "punctuation"
    ze7 = {c.display: c.meta for c in complete("est")}
    assert ze7["estimatedTime"] == "string HH:MM:SS · = != is is not"


def test_custom_fields_complete_with_their_operators() -> None:
    schema = load_schema().with_custom_fields(
        "testcase", [("customnumber", "number"), ("customcheck", "checkbox")])
    assert _texts("custom", schema=schema) == ["customnumber", "customcheck"]
    assert _texts("customnumber ", schema=schema) == ["=", "!=", "in"]
    assert _texts("customcheck = ", schema=schema) == ["true", "false"]
    assert _texts("customcheck in (true, ", schema=schema) == ["false"]


def test_kinds_and_ranks() -> None:
    result = complete("a = 1 and ")
    assert {c.kind for c in result} <= set(KINDS)
    assert [c.rank for c in result] == list(range(len(result)))
    assert [c.match for c in complete("id")] == ["word", "word", "word", "fuzzy"]


def test_loading_values_give_one_pending_item() -> None:
    result = complete("tag = ", values=server)
    assert [(c.text, c.meta, c.pending, c.start, c.end) for c in result] == [
        ("", "loading…", True, 6, 6)]
    assert [c.pending for c in complete("project = ", values=server)] == [False] * 3


def test_value_source_gets_entity_spec_and_decoded_prefix() -> None:
    calls: list[tuple[str, str, str]] = []

    def source(entity: str, spec: FieldSpec, prefix: str) -> list[str]:
        calls.append((entity, spec.name, prefix))
        return []

    complete('cycle in ("a", "Sprint \\"1', entity="testSchedule", values=source)
    complete("automated = ", values=source)  # booleans need no lookup
    assert calls == [("execution", "cycle", 'Sprint "1')]


def test_history_breaks_ties_but_not_match_quality() -> None:
    history = UsageCounts()
    for _ in range(3):
        history.record('contents ~ "x" and creator = "bob"')
    assert _texts("", history=history)[:2] == ["creator", "contents"]
    assert _texts("c", history=history)[:3] == ["creator", "contents", "comment"]
    assert _texts("creator = ", values=server, history=history)[:2] == ['"bob"', '"alice"']
    assert _texts("na", history=history)[0] == "name"  # a prefix match beats a used fuzzy one
    counts = {"folder": 5}
    assert _texts("", history=counts)[0] == "folder"


def test_completion_apply() -> None:
    text = 'status = "Fa|il" and x = 1'
    source, cursor = _at(text)
    first = complete(source, cursor, entity=EXEC)[0]
    assert first.apply(source) == ('status = "Fail" and x = 1', 15)


@pytest.mark.parametrize(("marked", "expected"), [
    ("", {"FIELD", "NOT", "LPAR"}),
    ("sta", {"FIELD", "NOT", "LPAR"}),
    ("status ", {"EQ", "NE", "CONTAINS", "NOT_CONTAINS", "IN", "IS"}),
    ("a is ", {"NOT", "EMPTY", "NULL"}),
    ("a = ", {"STRING", "NUMBER", "TRUE", "FALSE"}),
    ('a = "x', {"STRING", "NUMBER", "TRUE", "FALSE"}),
    ("a = 1 ", {"AND", "OR", "NOT", "$END"}),
    ("(a = 1 ", {"AND", "OR", "NOT", "RPAR"}),
    ("a in (1 ", {"COMMA", "RPAR"}),
    ("a = 1 # x", set()),
    ("a = = 1", set()),
])
def test_expected_at(marked: str, expected: set[str]) -> None:
    text, cursor = _at(marked)
    assert expected_at(text, cursor) == expected


@pytest.mark.parametrize(("call", "error"), [
    (lambda: complete("a", 5), ValueError),
    (lambda: complete("a", -1), ValueError),
    (lambda: complete(None), TypeError),  # type: ignore[arg-type]
    (lambda: complete("a", entity="bug"), SchemaError),
    (lambda: complete("a", schema="ze9"), SchemaError),
])
def test_bad_arguments_raise_one_clear_error(call: object, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        call()  # type: ignore[operator]
    assert "\n" not in str(info.value)


# ---- never raises: every prefix, every cursor, random text


def _check_invariants(text: str, cursor: int) -> None:
    for c in complete(text, cursor, values=server, entity=EXEC):
        assert 0 <= c.start <= cursor <= c.end <= len(text)
        assert c.kind in KINDS
        new_text, new_cursor = c.apply(text)
        assert 0 <= new_cursor <= len(new_text)
    expected_at(text, cursor)


@pytest.mark.parametrize("query", [*all_queries(), "a = 1 # c\nand b", '"\\u12', "(((("])
def test_every_prefix_and_every_cursor(query: str) -> None:
    for i in range(len(query) + 1):
        _check_invariants(query[:i], i)
        _check_invariants(query, i)


@given(st.text(st.sampled_from(list('abnotIS =!~()",\\#-.19\n\tü😀\x00')), max_size=40),
       st.data())
@settings(max_examples=examples(300), deadline=None)
@example('a = "\\', None)
def test_random_text_never_raises(text: str, data: st.DataObject | None) -> None:
    cursor = data.draw(st.integers(0, len(text))) if data is not None else len(text)
    _check_invariants(text, cursor)


# ---- the hand-driven tables agree with Lark's own interactive parser


def _lark_accepts(text: str) -> set[str] | None:
    interactive = _grammar.lark_parser().parse_interactive(text)
    try:
        interactive.exhaust_lexer()
    except LarkError:
        return None
    return set(interactive.accepts())


@pytest.mark.parametrize("query", all_queries())
def test_expected_at_agrees_with_lark(query: str) -> None:
    for i in range(len(query) + 1):
        text = query[:i] + " "
        if "#" in text:
            continue  # Lark reads comments too; completion says nothing inside one
        lark = _lark_accepts(text)
        if lark is not None:
            assert expected_at(text) == lark, text


@given(st.text(st.sampled_from(list('abnotIS =!~()",019-')), max_size=30))
@settings(max_examples=examples(400), deadline=None)
@example('a="x"andb="y" ornot(c')
def test_expected_at_agrees_with_lark_on_random_text(text: str) -> None:
    lark = _lark_accepts(text + " ")
    if lark is not None:
        assert expected_at(text + " ") == lark


@pytest.mark.parametrize("query", valid_queries())
def test_next_token_of_valid_queries_is_offered(query: str) -> None:
    toks = [t for t in _lexer.tokenize(query) if t.kind not in ("whitespace", "comment")]
    schema = load_schema()
    for tok in toks:
        prefix = query[: tok.start]
        if prefix[-1:].isalnum():
            prefix += " "  # else the word or number before the cursor is the one being typed
        assert tok.type in expected_at(prefix), (prefix, tok)
        if tok.kind in ("keyword", "punctuation") and tok.type not in ("NULL", "NOT", "IN", "IS"):
            offered = [c.text.strip() for c in complete(prefix)]
            assert tok.text.lower() in offered, (prefix, tok, offered)
        if tok.type == "FIELD" and schema.field("testcase", tok.text):
            assert schema.field("testcase", tok.text).name in _texts(prefix)  # type: ignore[union-attr]


# ---- ranking helpers and history


@pytest.mark.parametrize(("prefix", "candidate", "how"), [
    ("", "x", "prefix"),
    ("TEST", "testcaseId", "prefix"),
    ("id", "testcaseId", "word"),
    ("iron", "Project Ironclad", "word"),
    ("b", "a_b", "word"),
    ("2", "v2", "word"),
    ("tcid", "testcaseId", "fuzzy"),
    ("straß", "STRASSE", "prefix"),
    ("x", "testcaseId", None),
    ("!", "!=", "prefix"),
])
def test_match(prefix: str, candidate: str, how: str | None) -> None:
    assert match(prefix, candidate) == how


def test_word_starts() -> None:
    assert word_starts("executedBy") == [8]
    assert word_starts("HTTPServer2") == [10]
    assert word_starts("") == []


@pytest.mark.parametrize(("raw", "value"), [
    ("", ""), ("abc", "abc"), ('a\\"b', 'a"b'), ("a\\", "a"), ("a\\u00e", "a"),
    ("a\\u00e9", "aé"), ("a\\q", "a"), ("새", "새"),
])
def test_decode_partial(raw: str, value: str) -> None:
    assert decode_partial(raw) == value


def test_history_records_json_and_limit() -> None:
    history = UsageCounts(limit=3)
    assert history.record('status in ("Fail", "WIP") or automated = true or n = 1.50')
    assert not history.record("status = ")
    assert len(history) == 3
    again = UsageCounts.from_json(json.loads(json.dumps(history.to_json())))
    assert again.counts == history.counts
    full = UsageCounts()
    full.record('status in ("Fail", "WIP") or automated = true or n = 1.50 or n is empty')
    assert full.uses("value", "true", field="AUTOMATED") == 1
    assert full.uses("value", "1.50", field="n") == 1
    assert full.uses("operator", "in", field="status") == 1
    assert full.uses("field", "n") == 2


@pytest.mark.parametrize("data", [
    None, [], {"format": "other"}, {"format": "zql-history/1", "entries": 3},
    {"format": "zql-history/1", "entries": [["a", "b", "c", True]]},
    {"format": "zql-history/1", "entries": [["a", "b", 1, 2]]},
])
def test_history_rejects_bad_json(data: object) -> None:
    with pytest.raises(ValueError, match=r"^not a zql history"):
        UsageCounts.from_json(data)


def test_completion_is_frozen() -> None:
    item = Completion("x", 0, 0, "x")
    with pytest.raises(AttributeError):
        item.text = "y"  # type: ignore[misc]


def test_engines_doc() -> None:
    doc = Path(__file__).resolve().parent.parent / "docs" / "engines.md"
    result = doctest.testfile(str(doc), module_relative=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 10
