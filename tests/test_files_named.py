"""``zql.files.named_queries``: ``# name: NAME`` directly above a query names it."""

from __future__ import annotations

from zql.files import named_queries, parse_header

TEAM = (
    "# zql: entity=execution release=\"Atlas 4.0\" project=Ironclad schema=ze7\n"
    "# name: nightly-fails\n"
    "status = \"Fail\";\n"
    "\n"
    "# the flaky ones\n"
    "# name: flaky\n"
    "tag in (\"flaky\", \"quarantine\")\n"
    "  and status != \"Pass\";\n"
    "# name: not-directly-above\n"
    "\n"
    "name ~ \"x\";\n"
    "status = \"Blocked\"; # name: same-line\n"
    "priority = \"High\";\n"
    "# name:\n"
    "id = 1;\n"
    "   # name:   spaced name  \n"
    "   id = 2\n"
)


def test_names_queries_with_spans_lines_and_header_settings() -> None:
    found = named_queries(TEAM)
    assert [q.name for q in found] == ["nightly-fails", "flaky", "spaced name"]
    first, flaky, spaced = found
    assert first.query == 'status = "Fail"'
    assert (first.line, flaky.line, spaced.line) == (3, 7, 17)
    assert flaky.query == 'tag in ("flaky", "quarantine")\n  and status != "Pass"'
    for q in found:
        assert TEAM[q.span[0]:q.span[1]] == q.query
        assert TEAM[q.name_span[0]:q.name_span[1]] == q.name
        assert (q.entity, q.release, q.project, q.schema) == (
            "execution", "Atlas 4.0", "Ironclad", "ze7")


def test_a_file_without_header_or_names() -> None:
    assert named_queries("status = \"Fail\"") == []
    only = named_queries("# name: a\nstatus = \"Fail\"")
    assert [(q.name, q.entity, q.release, q.project, q.schema) for q in only] == [
        ("a", None, None, None, None)]


def test_duplicates_are_kept_in_order_for_the_linter() -> None:
    text = "# name: a\nx = 1;\n# name: a\ny = 2"
    assert [(q.name, q.query) for q in named_queries(text)] == [("a", "x = 1"), ("a", "y = 2")]


def test_crlf_files() -> None:
    text = "# name: win\r\nstatus = \"Fail\";\r\n"
    (q,) = named_queries(text)
    assert (q.name, q.query, q.line) == ("win", 'status = "Fail"', 2)


def test_header_quotes_values_and_tolerates_an_open_quote() -> None:
    assert parse_header('# zql: release="Release 2.0" entity=execution') == {
        "release": "Release 2.0", "entity": "execution"}
    assert parse_header("# zql: project=Bob's entity=testcase") == {
        "project": "Bob's", "entity": "testcase"}
