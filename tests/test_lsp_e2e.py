"""`zql lsp` end to end: a real client speaks JSON-RPC to the server process over stdio.

Expected positions are computed here independently of ``zql.lsp.positions`` (by encoding the
line prefix), so a conversion bug cannot hide behind itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.lsp_client import TIMEOUT, LspClient
from zql.documents import format_file

pytestmark = pytest.mark.timeout(120)

_CODECS = {"utf-16": ("utf-16-le", 2), "utf-8": ("utf-8", 1), "utf-32": ("utf-32-le", 4)}


def col(line_text: str, encoding: str = "utf-16") -> int:
    codec, width = _CODECS[encoding]
    return len(line_text.encode(codec)) // width


def pos(text: str, needle: str, encoding: str = "utf-16", *, end: bool = False,
        nth: int = 0) -> dict[str, int]:
    offset = -1
    for _ in range(nth + 1):
        offset = text.index(needle, offset + 1)
    if end:
        offset += len(needle)
    line = text.count("\n", 0, offset)
    line_start = text.rfind("\n", 0, offset) + 1
    return {"line": line, "character": col(text[line_start:offset], encoding)}


def rng(text: str, needle: str, encoding: str = "utf-16", nth: int = 0) -> dict[str, Any]:
    return {"start": pos(text, needle, encoding, nth=nth),
            "end": pos(text, needle, encoding, end=True, nth=nth)}


def offset_of(text: str, position: dict[str, int], encoding: str = "utf-16") -> int:
    lines = text.split("\n")
    start = sum(len(line) + 1 for line in lines[: position["line"]])
    line = lines[position["line"]] if position["line"] < len(lines) else ""
    for i in range(len(line) + 1):
        if col(line[:i], encoding) >= position["character"]:
            return start + i
    return start + len(line)


def apply_edits(text: str, edits: list[dict[str, Any]]) -> str:
    spans = [(offset_of(text, e["range"]["start"]), offset_of(text, e["range"]["end"]),
              e["newText"]) for e in edits]
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


@pytest.fixture(scope="module")
def client() -> Iterator[LspClient]:
    with LspClient() as lsp:
        caps = lsp.initialize(options={"debounce_ms": 20})
        lsp.capabilities = caps["capabilities"]  # type: ignore[attr-defined]
        yield lsp
        assert lsp.shutdown() == 0


def test_initialize_advertises_features(client: LspClient) -> None:
    caps = client.capabilities  # type: ignore[attr-defined]
    assert caps["positionEncoding"] == "utf-16"
    assert caps["textDocumentSync"]["change"] == 2  # incremental
    assert caps["hoverProvider"] and caps["documentFormattingProvider"]
    assert set(caps["codeActionProvider"]["codeActionKinds"]) == {"quickfix", "source.fixAll"}
    assert '"' in caps["completionProvider"]["triggerCharacters"]
    legend = caps["semanticTokensProvider"]["legend"]["tokenTypes"]
    assert {"keyword", "operator", "property", "string", "number", "comment"} <= set(legend)


MULTI = ('# zql: entity=execution\n'
         'name ~ "새로운 테스트 😀" and status = Fail;\n'
         '# second query, with combining marks\n'
         'notes ~ "e\u0301te\u0301 🎉" and\n'
         '  prority = "x";\n'
         'status = "Pass" AND tag = "😀"\n')


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("korean-emoji-multi", MULTI, [("ZQL107", "Fail", 0), ("ZQL201", "prority", 0),
                                   ("ZQL302", "AND", 0)]),
    ("emoji-before-error", 'tag = "🎉🎉🎉" and name ~ "x" and status = "Fail"',
     [("ZQL201", "status", 0)]),
    ("combining-only", 'name ~ "n\u0303n\u0303" and name = "x"', [("ZQL203", "=", 0)]),
    ("crlf", 'name ~ "한"\r\n  and prority = "x"', [("ZQL201", "prority", 0)]),
    ("unterminated", 'name ~ "😀 open', [("ZQL101", '"😀 open', 0)]),
])
def test_diagnostics_have_exact_utf16_ranges(client: LspClient, name: str, text: str,
                                             expected: list[tuple[str, str, int]]) -> None:
    uri = f"untitled:{name}.zql"
    client.open(uri, text)
    found = client.diagnostics(uri, 1)
    got = [(d["code"], d["range"]) for d in found]
    want = [(code, rng(text.replace("\r\n", "\n"), needle, nth=nth))
            for code, needle, nth in expected]
    assert got == want
    assert all(d["source"] == "zql" for d in found)


def test_incremental_edits_after_emoji_update_diagnostics(client: LspClient) -> None:
    uri = "untitled:edit.zql"
    text = 'tag = "😀" and status = Fail'
    client.open(uri, text)
    assert [d["code"] for d in client.diagnostics(uri, 1)] == ["ZQL107"]  # syntax first
    # Quote the bare word: two insertions, positions in UTF-16 after an emoji.
    after, before = pos(text, "Fail", end=True), pos(text, "Fail")
    # Two insertions in one notification, applied in order; positions are UTF-16 after 😀.
    changes = [{"range": {"start": after, "end": after}, "text": '"'},
               {"range": {"start": before, "end": before}, "text": '"'}]
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": changes})
    text2 = 'tag = "😀" and status = "Fail"'
    found = client.diagnostics(uri, 2)
    assert [(d["code"], d["range"]) for d in found] == [("ZQL201", rng(text2, "status"))]


def test_rapid_changes_never_publish_stale_results(client: LspClient) -> None:
    uri = "untitled:rapid.zql"
    client.open(uri, "a")
    client.diagnostics(uri, 1)
    for version in range(2, 12):
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"text": f'name ~ "{"x" * version}" and prority{version} = 1'}]})
    final = client.diagnostics(uri, 11)
    assert [d["code"] for d in final] == ["ZQL201"]
    assert "prority11" in final[0]["message"]
    versions = [version for method, seen_uri, version in client.seen
                if method == "textDocument/publishDiagnostics" and seen_uri == uri]
    assert versions == sorted(versions) and versions[-1] == 11


def test_completion_after_emoji_replaces_the_word(client: LspClient) -> None:
    uri = "untitled:complete.zql"
    text = 'tag = "😀";\nname ~ "한" and prio'
    client.open(uri, text)
    client.diagnostics(uri, 1)
    result = client.request("textDocument/completion", {
        "textDocument": {"uri": uri}, "position": pos(text, "prio", end=True)})
    items = result["items"]
    assert items[0]["label"] == "priority" and items[0]["kind"] == 5  # Field
    assert items[0]["textEdit"] == {"range": rng(text, "prio"), "newText": "priority"}


def test_completion_offers_the_fields_operators_and_values(client: LspClient) -> None:
    uri = "untitled:values.zql"
    text = '# zql: entity=execution\nstatus = "F'
    client.open(uri, text)
    client.diagnostics(uri, 1)
    result = client.request("textDocument/completion", {
        "textDocument": {"uri": uri}, "position": pos(text, '"F', end=True)})
    assert [(i["label"], i["textEdit"]["newText"], i["kind"]) for i in result["items"]] == [
        ("Fail", '"Fail"', 12)]  # Value
    assert result["items"][0]["textEdit"]["range"] == rng(text, '"F')


@pytest.mark.parametrize(("needle", "fragments"), [
    ("priority", ["**priority**", "*testcase*", "`is not`"]),
    ("~", ["contains", "`name` allows"]),
    ("and", ["both sides must match"]),
])
def test_hover(client: LspClient, needle: str, fragments: list[str]) -> None:
    uri = "untitled:hover.zql"
    text = 'name ~ "테스트 😀" and priority = "P1"'
    client.open(uri, text)
    client.diagnostics(uri, 1)
    result = client.request("textDocument/hover", {
        "textDocument": {"uri": uri}, "position": pos(text, needle)})
    assert result["contents"]["kind"] == "markdown"
    for fragment in fragments:
        assert fragment in result["contents"]["value"]
    assert result["range"] == rng(text, needle)


def test_formatting_edit_produces_the_formatted_file(client: LspClient) -> None:
    uri = "untitled:format.zql"
    text = '# 한국어 comment 😀\nname~"😀"AND  tag in("a","b") ;\nstatus="x"\n'
    client.open(uri, text)
    client.diagnostics(uri, 1)
    edits = client.request("textDocument/formatting", {
        "textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": True}})
    assert len(edits) == 1
    assert apply_edits(text, edits) == format_file(text)[0]
    assert edits[0]["range"]["start"] == pos(text, '~"')


def test_formatting_a_broken_file_changes_nothing(client: LspClient) -> None:
    uri = "untitled:broken.zql"
    client.open(uri, "name ~")
    client.diagnostics(uri, 1)
    assert client.request("textDocument/formatting", {
        "textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": True}}) is None


def test_code_action_fix_applies_and_clears_the_diagnostic(client: LspClient) -> None:
    uri = "untitled:fix.zql"
    text = 'name ~ "😀";\n# zwei\nstatus = Fail and name ~ "x"'
    client.open(uri, text)
    diagnostics = client.diagnostics(uri, 1)
    bare = next(d for d in diagnostics if d["code"] == "ZQL107")
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": bare["range"],
        "context": {"diagnostics": [bare]}})
    quick = [a for a in actions if a["kind"] == "quickfix"]
    assert quick[0]["isPreferred"] and quick[0]["diagnostics"][0]["code"] == "ZQL107"
    fixed = apply_edits(text, quick[0]["edit"]["changes"][uri])
    assert fixed == 'name ~ "😀";\n# zwei\nstatus = "Fail" and name ~ "x"'
    client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2},
                                             "contentChanges": [{"text": fixed}]})
    assert [d["code"] for d in client.diagnostics(uri, 2)] == ["ZQL201"]  # status: testcase


def test_fix_all_source_action(client: LspClient) -> None:
    uri = "untitled:fixall.zql"
    text = 'priority = P1 AND tag in ("a");\nname ~ "😀" OR name ~ "x"'
    client.open(uri, text)
    client.diagnostics(uri, 1)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": uri}, "range": {"start": pos(text, "name"),
                                                "end": pos(text, "name")},
        "context": {"diagnostics": [], "only": ["source.fixAll"]}})
    assert [a["kind"] for a in actions] == ["source.fixAll"]
    fixed = apply_edits(text, actions[0]["edit"]["changes"][uri])
    assert fixed == 'priority = "P1" and tag = "a";\nname ~ "😀" or name ~ "x"'


def test_semantic_tokens_follow_the_highlighter(client: LspClient) -> None:
    uri = "untitled:tokens.zql"
    text = '# 😀\ntag = "😀" and automated = true'
    client.open(uri, text)
    client.diagnostics(uri, 1)
    legend = client.capabilities["semanticTokensProvider"]["legend"]["tokenTypes"]  # type: ignore[attr-defined]
    data = client.request("textDocument/semanticTokens/full",
                          {"textDocument": {"uri": uri}})["data"]
    line = character = 0
    decoded = []
    for i in range(0, len(data), 5):
        d_line, d_char, length, kind, _ = data[i:i + 5]
        line += d_line
        character = character + d_char if d_line == 0 else d_char
        decoded.append((line, character, length, legend[kind]))
    assert decoded == [(0, 0, 4, "comment"), (1, 0, 3, "property"), (1, 4, 1, "operator"),
                       (1, 6, 4, "string"), (1, 11, 3, "keyword"), (1, 15, 9, "property"),
                       (1, 25, 1, "operator"), (1, 27, 4, "enumMember")]


def test_close_clears_diagnostics(client: LspClient) -> None:
    uri = "untitled:close.zql"
    client.open(uri, "prority = 1")
    assert client.diagnostics(uri, 1)
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert client.diagnostics(uri) == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-32"])
def test_negotiated_encoding_is_honoured(encoding: str) -> None:
    text = 'tag = "😀🎉" and name ~ "새로운 😀 e\u0301" and\nprority = "x" and status = Fail'
    with LspClient() as lsp:
        caps = lsp.initialize(encodings=[encoding, "utf-16"], options={"debounce_ms": 20})
        assert caps["capabilities"]["positionEncoding"] == encoding
        uri = "untitled:enc.zql"
        lsp.open(uri, text)
        found = lsp.diagnostics(uri, 1)
        assert [(d["code"], d["range"]) for d in found] == [("ZQL107",
                                                             rng(text, "Fail", encoding))]
        # Incoming positions are read in the same encoding.
        lsp.notify("textDocument/didChange", {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": rng(text, "Fail", encoding), "text": '"Fail"'}]})
        fixed = text.replace("Fail", '"Fail"')
        found = lsp.diagnostics(uri, 2)
        assert [(d["code"], d["range"]) for d in found] == [
            ("ZQL201", rng(fixed, "prority", encoding)),
            ("ZQL201", rng(fixed, "status", encoding))]  # testcase has no status
        items = lsp.request("textDocument/completion", {
            "textDocument": {"uri": uri}, "position": pos(fixed, "prority", encoding,
                                                          end=True)})["items"]
        assert items[0]["label"] == "priority"
        assert items[0]["textEdit"]["range"] == rng(fixed, "prority", encoding)
        assert lsp.shutdown() == 0


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One server started in a project with a ``zql.toml`` and given client options; the
    diagnostics of files in and out of the project, then of one under a broken config file;
    then ``exit`` without ``shutdown`` and the exit code. (Each test reads its part.)"""
    tmp_path = tmp_path_factory.mktemp("configured")
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "zql.toml").write_text(
        'entity = "execution"\nschema = "ze7"\nignore = ["ZQL302"]\n')
    (tmp_path / "schema.json").write_text(json.dumps({"name": "mine", "entities": {
        "requirement": [{"name": "custom1", "type": "string", "operators": ["="]}]}}))
    found: dict[str, Any] = {}
    with LspClient(cwd=tmp_path) as lsp:
        lsp.initialize(root=tmp_path, options={"zql": {"entity": "requirement",
                                                       "schema": "schema.json"}})
        for path, text in _SETTINGS_CASES:
            (tmp_path / path).write_text(text)
            uri = (tmp_path / path).as_uri()
            lsp.open(uri, text)
            found[path] = lsp.diagnostics(uri, 1)
        # A broken config file is reported on the file, in one line, not as a crash.
        (tmp_path / "proj" / "zql.toml").write_text("entity = [\n")
        uri = (tmp_path / "proj" / "d.zql").as_uri()
        lsp.open(uri, 'name ~ "x"')
        found["broken config"] = lsp.diagnostics(uri, 1)
        lsp.notify("exit", None)
        found["exit"] = lsp.proc.wait(timeout=TIMEOUT)
    return found


_SETTINGS_CASES = [
    # config file: entity=execution, ZQL302 ignored
    ("proj/a.zql", 'status = "Fail" AND notes ~ "x"'),
    # the header wins over the config file
    ("proj/b.zql", '# zql: entity=testcase\nstatus = "Fail"'),
    # no config file: the client's options (entity, schema relative to the root)
    ("c.zql", 'custom1 = "x" AND status = "y"'),
]


def test_settings_come_from_header_then_config_then_client(configured: dict[str, Any]) -> None:
    codes = {path: sorted(d["code"] for d in configured[path]) for path, _ in _SETTINGS_CASES}
    assert codes == {"proj/a.zql": [], "proj/b.zql": ["ZQL201"],
                     "c.zql": ["ZQL201", "ZQL302"]}
    broken = configured["broken config"]
    assert len(broken) == 1 and "not valid TOML" in broken[0]["message"]
    assert broken[0]["range"]["start"] == {"line": 0, "character": 0}


def test_exit_without_shutdown_is_an_error_exit(configured: dict[str, Any]) -> None:
    assert configured["exit"] == 1
