"""The language server's engine and its adapter, driven in-process (no editor, no pipes)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from lsprotocol import types as lsp

from tests.property_budget import examples
from zql import _tokens, _vocabulary
from zql.config import Settings
from zql.errors import Span
from zql.files import parse_file
from zql.highlight import TOKEN_KINDS
from zql.lsp.analysis import Analyzer, document_path, minimal_edit, segment_at, segments
from zql.lsp.hover import EXPLANATIONS
from zql.lsp.server import TOKEN_TYPES, ZQLServer

#: Enough queries for unchanged ones before and after the edited one (query 14): the cache's
#: answers must come back moved (after it) and unmoved (before it). The speed of a long file
#: is bench/bench_lsp.py's business, so 20 queries do what 200 did.
QUERIES = 20
FILE = ";\n".join(f'priority = "P{i % 4}" and name ~ "login {i}" or tag = "t{i}"'
                  for i in range(QUERIES))


def test_an_edit_gives_what_a_fresh_analysis_gives() -> None:
    """The per-query cache is invisible: after an edit, the diagnostics are exactly those of a
    fresh analysis of the new text, moved to where their queries now start. (That an edit
    re-lints only the query it touched is a speed property: bench/bench_lsp.py measures it.)"""
    analyzer = Analyzer()
    before = analyzer.diagnostics(FILE, Settings())
    at = FILE.index('"login 14"')
    edited = FILE[:at] + '"login 14x"' + FILE[at + len('"login 14"'):]
    after = analyzer.diagnostics(edited, Settings())
    assert after == Analyzer().diagnostics(edited, Settings())
    assert len(after) == len(before) == QUERIES  # ZQL301 (mixed and/or) once per query
    assert [d.span.start + (d.span.start > at) for d in before] == [d.span.start for d in after]
    broken = edited.replace('priority = "P2" and name ~ "login 14x"',
                            'prority = "P2" and name ~ "login 14x"')
    again = analyzer.diagnostics(broken, Settings())
    assert again == Analyzer().diagnostics(broken, Settings())
    assert [d.code for d in again].count("ZQL201") == 1


@pytest.mark.parametrize("settings", [Settings(entity="execution"), Settings(schema="ze6"),
                                      Settings(ignore=("ZQL3",)), Settings(select=("ZQL2",))])
def test_other_settings_never_get_a_cached_answer(settings: Settings) -> None:
    text = 'prority = "x" and status = "Fail" or name ~ "y"'
    analyzer = Analyzer()
    default = analyzer.diagnostics(text, Settings())
    answer = analyzer.diagnostics(text, settings)
    assert answer == Analyzer().diagnostics(text, settings)
    assert analyzer.diagnostics(text, Settings()) == default


def test_an_edited_schema_file_is_picked_up(tmp_path: Path) -> None:
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps({"entities": {"testcase": [
        {"name": "alpha", "type": "string", "operators": ["="]}]}}))
    analyzer = Analyzer()
    settings = Settings(schema=str(schema))
    assert analyzer.diagnostics('alpha = "x"', settings) == []
    schema.write_text(json.dumps({"entities": {"testcase": [
        {"name": "beta", "type": "string", "operators": ["="]}]}}))
    os.utime(schema, ns=(1, 1))  # a different mtime even on coarse file systems
    assert [d.code for d in analyzer.diagnostics('alpha = "x"', settings)] == ["ZQL201"]


@pytest.mark.parametrize(("text", "expected"), [
    ("", [(0, 0)]),
    ("a = 1;", [(0, 5), (6, 6)]),
    ('a = ";";b', [(0, 7), (8, 9)]),
    ("# x;y\na", [(0, 7)]),
    (";;", [(0, 0), (1, 1), (2, 2)]),
    ('a = "open;b', [(0, 11)]),  # an unterminated string runs to the line's end
])
def test_segments(text: str, expected: list[tuple[int, int]]) -> None:
    assert list(segments(text)) == expected


_PIECES = st.lists(st.sampled_from(
    ['a = "x"', '"', "\\", ";", "#", "\n", " ", "\t", "\x01", "b", "and", '\\"', "1"]),
    max_size=25).map("".join)


@hypothesis_settings(max_examples=examples(300))
@given(_PIECES)
def test_segments_split_exactly_like_parse_file(text: str) -> None:
    whole = [(q.offset, q.body) for q in parse_file(text).queries]
    pieces = [(start + q.offset, q.body) for start, end in segments(text)
              for q in parse_file(text[start:end]).queries]
    assert pieces == whole


@pytest.mark.parametrize(("offset", "expected"), [(0, (0, 5)), (5, (0, 5)), (6, (6, 6)),
                                                  (7, (7, 12))])
def test_segment_at(offset: int, expected: tuple[int, int]) -> None:
    assert segment_at("a = 1;;b = 2", offset) == expected


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("abc", "abc", None),
    ("abc", "abXc", (2, 2, "X")),
    ("aXbc", "abc", (1, 2, "")),
    ("aaa", "aaaa", (3, 3, "a")),
    ("", "x", (0, 0, "x")),
])
def test_minimal_edit(old: str, new: str, expected: tuple[int, int, str] | None) -> None:
    edit = minimal_edit(old, new)
    assert (None if edit is None else (edit.span.start, edit.span.end, edit.new_text)) \
        == expected
    if edit is not None:
        assert edit.apply(old) == new


def test_completion_in_a_later_query_has_file_offsets() -> None:
    text = 'name ~ "x";\n# c\nstatus = "F'
    found = Analyzer().completions(text, len(text), Settings(entity="execution"))
    assert [(c.text, c.start, c.end) for c in found] == [('"Fail"', len(text) - 2, len(text))]


@pytest.mark.parametrize(("text", "needle", "fragments"), [
    ('altid ~ "x"', "altid", ["**altId**", "canonical spelling is `altId`"]),
    ("treeid = 5", "treeid", ["API-only"]),
    ('tag = "x"', "tag", ["Holds several values"]),
    ('testcaseId = 1', "testcaseId", ["Called `id` in ze6"]),
    ('id = 1', "id", ["`testcaseId`"]),
    ('prority = "x"', "prority", ["Did you mean `priority`?"]),
    ('notes ~ "x"', "notes", ["A field of execution."]),
    ('name = "x"', "=", ["`name` does not allow `=`"]),
    ('x is not empty', "not", ["must not match"]),
    ('x is empty', "empty", ["no value"]),
    ('a = 1 or b = 2', "or", ["either side"]),
])
def test_hover_texts(text: str, needle: str, fragments: list[str]) -> None:
    schema = "ze6" if needle == "treeid" else None
    found = Analyzer().hover(text, text.index(needle), Settings(schema=schema))
    assert found is not None
    markdown, span = found
    assert span == Span(text.index(needle), text.index(needle) + len(needle))
    for fragment in fragments:
        assert fragment in markdown


@pytest.mark.parametrize(("text", "offset"), [('a = "x"', 5), ("a = 12", 5), ("# c\na = 1", 1),
                                              ("a = Fail", 5), ("a =  1", 4),
                                              ("a is blank", 7), ("a is not nul", 10),
                                              ('a in ("x", y)', 11)])
def test_no_hover_on_values_comments_and_space(text: str, offset: int) -> None:
    assert Analyzer().hover(text, offset, Settings()) is None


def test_every_keyword_and_operator_is_explained() -> None:
    vocab = _vocabulary.vocabulary()
    assert set(vocab.keywords) | set(vocab.symbols) == set(EXPLANATIONS)


def test_every_token_kind_has_a_semantic_type_or_stays_plain() -> None:
    plain = {_tokens.PUNCT, _tokens.WS, _tokens.ERROR}
    assert set(TOKEN_TYPES) == set(TOKEN_KINDS) - plain


@pytest.mark.parametrize(("only", "kinds"), [
    (None, ["quickfix", "quickfix", "source.fixAll"]),
    (("quickfix",), ["quickfix", "quickfix"]),
    (("source",), ["source.fixAll"]),
    (("refactor",), []),
])
def test_actions_respect_only(only: tuple[str, ...] | None, kinds: list[str]) -> None:
    text = 'priority in ("P1") AND tag = "a"'
    actions = Analyzer().actions(text, Settings(), Span(0, len(text)), only)
    assert [a.kind for a in actions] == kinds


def test_no_fix_all_when_nothing_is_fixable() -> None:
    assert Analyzer().actions('notes ~ "x"', Settings(), Span(0, 1)) == []


@pytest.mark.parametrize(("uri", "expected"), [
    ("file:///tmp/a%20b.zql", Path("/tmp/a b.zql")),
    ("file:///srv/%ED%95%9C.zql", Path("/srv/한.zql")),
    ("untitled:Untitled-1", None),
    ("https://example.invalid/a.zql", None),
])
def test_document_path(uri: str, expected: Path | None) -> None:
    assert document_path(uri) == expected


class _HeldFirstLint(ZQLServer):
    """A server whose first lint waits at a gate (inside the lint worker, as a slow lint would)
    and that records what it publishes."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[lsp.PublishDiagnosticsParams] = []
        self.linting = threading.Event()
        self.gate = threading.Event()
        self.publishing = threading.Event()
        self.lints = 0

    def lsp_diagnostics(self, uri: str, text: str) -> list[lsp.Diagnostic]:
        self.lints += 1
        if self.lints == 1:
            self.linting.set()
            assert self.gate.wait(30), "the test never opened the gate"
        return super().lsp_diagnostics(uri, text)

    def text_document_publish_diagnostics(self, params: lsp.PublishDiagnosticsParams) -> None:
        self.published.append(params)
        self.publishing.set()


def test_a_result_for_an_older_version_is_never_published() -> None:
    """Version 1 is still being linted when version 2 arrives: only version 2 is published."""
    server = _HeldFirstLint()
    uri = "untitled:race.zql"
    server.documents.clear()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        server.apply_change(uri, 1, [lsp.TextDocumentContentChangeWholeDocument(
            text="prority = 1")])
        server.schedule(uri, 0)
        assert await loop.run_in_executor(None, server.linting.wait, 30)
        server.apply_change(uri, 2, [lsp.TextDocumentContentChangeWholeDocument(
            text='name ~ "x" AND name ~ "y"')])
        server.schedule(uri, 0)
        server.gate.set()
        assert await loop.run_in_executor(None, server.publishing.wait, 30)
        assert server.lints == 2  # both versions were linted; the first one's result dropped

    asyncio.run(scenario())
    assert [(p.version, [d.code for d in p.diagnostics]) for p in server.published] == [
        (2, ["ZQL302"])]


def test_incremental_changes_use_the_negotiated_encoding() -> None:
    server = ZQLServer()
    uri = "untitled:inc.zql"
    server.apply_change(uri, 1, [lsp.TextDocumentContentChangeWholeDocument(
        text="# a\u2028😀\nx = Fail")])
    # U+2028 is not a line break: line 1 is "x = Fail"; in UTF-16 the emoji is two units.
    server.apply_change(uri, 2, [
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(1, 4), lsp.Position(1, 8)), text='"Fail"'),
        lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(0, 4), lsp.Position(0, 6)), text="🎉"),
    ])
    assert server.documents[uri].text == '# a\u2028🎉\nx = "Fail"'


#: Run in a process of its own (this one has pygls loaded): import the library and build the
#: CLI, note which protocol modules came in; then make pygls unimportable and run ``zql lsp``.
_WITHOUT_PYGLS = """
import contextlib, io, json, sys
import zql, zql.config, zql.sarif, zql.cli, zql.cli.lint, zql.cli.lsp
import zql.lsp.analysis, zql.lsp.positions, zql.lsp.hover
zql.cli.build_parser()
loaded = sorted(m for m in sys.modules if m.startswith(("pygls", "lsprotocol")))
sys.modules["pygls"] = None
err = io.StringIO()
with contextlib.redirect_stderr(err):
    code = zql.cli.main(["lsp"])
print(json.dumps({"loaded": loaded, "code": code, "stderr": err.getvalue()}))
"""


@pytest.fixture(scope="module")
def without_pygls() -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _WITHOUT_PYGLS], capture_output=True,
                          text=True, check=False, stdin=subprocess.DEVNULL)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def test_the_library_never_imports_pygls(without_pygls: dict[str, Any]) -> None:
    assert without_pygls["loaded"] == []


def test_lsp_without_pygls_says_how_to_install_it(without_pygls: dict[str, Any]) -> None:
    assert without_pygls["code"] == 2
    assert without_pygls["stderr"] == ("zql lsp: the language server needs pygls: "
                                       "pip install 'zephyr-zql[lsp]'\n")


def test_a_string_across_a_line_break_is_clipped_to_its_first_line() -> None:
    from zql.lines import LineIndex
    from zql.lsp.server import _LEGEND, _semantic_data

    text = 'a = "x\\\ny" and b = 1'  # a backslash escapes the line break: one string token
    data = _semantic_data(LineIndex(text), Analyzer().tokens(text))
    decoded, line, col = [], 0, 0
    for i in range(0, len(data), 5):
        line += data[i]
        col = col + data[i + 1] if data[i] == 0 else data[i + 1]
        decoded.append((line, col, data[i + 2], _LEGEND[data[i + 3]]))
    assert decoded[2] == (0, 4, 3, "string")
    assert decoded[3] == (1, 3, 3, "keyword")


def test_only_safe_fixes_are_preferred() -> None:
    actions = Analyzer().actions('prority = "P1"', Settings(), Span(0, 0), only=("quickfix",))
    assert actions and actions[0].title == "use priority"
    assert actions[0].preferred is False  # a did-you-mean is offered, never auto-applied
