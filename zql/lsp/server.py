"""The pygls adapter: protocol types in, :mod:`zql.lsp.analysis` calls, protocol types out.

Documents are kept here, changes applied with :mod:`zql.lsp.positions` in the negotiated
position encoding (pygls keeps its own copy too, but splits lines at characters the protocol
does not count as line breaks, such as U+2028). Diagnostics run on open at once and on change
after a short debounce, in one worker thread; a result is published only if the document is
still at the version it was computed for, so a slow lint never overwrites a newer one.

Settings per document: its header, then the nearest ``zql.toml`` / ``[tool.zql]``, then the
client's ``initializationOptions`` (or ``workspace/didChangeConfiguration`` under ``zql``):
``entity``, ``schema``, ``select``, ``ignore``, and ``debounce_ms`` for the server itself.

>>> server = build_server()
>>> server.name, DEFAULT_DEBOUNCE
('zql', 0.15)
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

# pygls first: without it, ``zql lsp`` says so before loading lsprotocol (about 0.5 s).
import pygls  # noqa: F401
from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from zql.config import ConfigCache, Settings, resolve, settings_from
from zql.documents import file_findings
from zql.errors import Diagnostic, Severity, Span, ZQLError, ZQLSyntaxError
from zql.lines import DEFAULT_ENCODING, ENCODINGS, LineIndex
from zql.lsp.analysis import Analyzer, document_path
from zql.lsp.framing import serve

__all__ = ["DEFAULT_DEBOUNCE", "TOKEN_TYPES", "ZQLServer", "build_server"]

#: Seconds to wait after a change before linting (``debounce_ms`` overrides it).
DEFAULT_DEBOUNCE = 0.15
#: Highlighter kind -> semantic token type; kinds left out (punctuation, errors) stay plain.
TOKEN_TYPES: dict[str, str] = {
    "keyword": lsp.SemanticTokenTypes.Keyword.value,
    "operator": lsp.SemanticTokenTypes.Operator.value,
    "field": lsp.SemanticTokenTypes.Property.value,
    "string": lsp.SemanticTokenTypes.String.value,
    "number": lsp.SemanticTokenTypes.Number.value,
    "constant": lsp.SemanticTokenTypes.EnumMember.value,
    "comment": lsp.SemanticTokenTypes.Comment.value,
}
_LEGEND = list(dict.fromkeys(TOKEN_TYPES.values()))
_SEVERITY = {Severity.ERROR: lsp.DiagnosticSeverity.Error,
             Severity.WARNING: lsp.DiagnosticSeverity.Warning,
             Severity.INFO: lsp.DiagnosticSeverity.Information}
_ITEM_KINDS = {"field": lsp.CompletionItemKind.Field, "operator": lsp.CompletionItemKind.Operator,
               "keyword": lsp.CompletionItemKind.Keyword, "value": lsp.CompletionItemKind.Value,
               "punctuation": lsp.CompletionItemKind.Text}
_SERVER_KEYS = ("debounce_ms",)
log = logging.getLogger("zql.lsp")


_PositionParams = lsp.CompletionParams | lsp.HoverParams | lsp.TextDocumentPositionParams


@dataclass
class _Document:
    text: str
    version: int
    index: LineIndex | None = None


_T = TypeVar("_T")


class ZQLServer(LanguageServer):
    """The ZQL language server: documents, settings and the analysis engine.

    >>> ZQLServer().debounce
    0.15
    """

    def __init__(self) -> None:
        from zql import __version__

        super().__init__("zql", __version__)
        self.analyzer = Analyzer()
        self.configs = ConfigCache()
        self.client_settings = Settings()
        self.client_error: str | None = None
        self.root: Path | None = None
        self.debounce = DEFAULT_DEBOUNCE
        #: set by ``shutdown``: ``exit`` without it is an error exit, as the protocol says
        self.shut_down = False
        self.documents: dict[str, _Document] = {}
        self._pending: dict[str, asyncio.Task[None]] = {}
        self._published: dict[str, int] = {}
        self._converted: OrderedDict[tuple[Any, ...], list[lsp.Diagnostic]] = OrderedDict()
        # One worker: lint runs never overlap, so results come back in the order asked.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zql-lint")

    # ---- state

    @property
    def encoding(self) -> str:
        """The negotiated position encoding (``utf-16`` before initialization).

        >>> ZQLServer().encoding
        'utf-16'
        """
        try:
            value = self.workspace.position_encoding
        except RuntimeError:
            return DEFAULT_ENCODING
        text = str(getattr(value, "value", value) or DEFAULT_ENCODING)
        return text if text in ENCODINGS else DEFAULT_ENCODING

    def index(self, uri: str) -> tuple[_Document, LineIndex]:
        """The document and its line index (built once per version).

        >>> s = ZQLServer()
        >>> s.apply_change("untitled:a", 1, [lsp.TextDocumentContentChangeWholeDocument("😀 = 1")])
        >>> s.index("untitled:a")[1].position(1)
        (0, 2)
        """
        doc = self.documents.get(uri)
        if doc is None:  # a request for a document the client never opened: read it as is
            path = document_path(uri)
            try:
                text = path.read_text(encoding="utf-8") if path and path.is_file() else ""
            except (OSError, UnicodeDecodeError):
                text = ""
            doc = _Document(text, 0)
        if doc.index is None or doc.index.encoding != self.encoding:
            doc.index = LineIndex(doc.text, self.encoding)
        return doc, doc.index

    def at_cursor(self, params: _PositionParams,
                  ask: Callable[[str, int, Settings], _T]) -> tuple[_T | None, LineIndex]:
        """``ask(text, offset, settings)`` for a position request, and the document's index;
        None for unusable settings (the diagnostics already say why).

        >>> s = ZQLServer()
        >>> s.apply_change("untitled:a", 1, [lsp.TextDocumentContentChangeWholeDocument("ab")])
        >>> s.at_cursor(lsp.HoverParams(lsp.TextDocumentIdentifier("untitled:a"),
        ...                             lsp.Position(0, 1)), lambda t, o, _: (t, o))[0]
        ('ab', 1)
        """
        doc, index = self.index(params.text_document.uri)
        offset = index.offset(params.position.line, params.position.character)
        try:
            settings = self.settings_for(params.text_document.uri, doc.text)
            return ask(doc.text, offset, settings), index
        except (ZQLError, ValueError):
            return None, index

    def configure(self, options: Any) -> None:
        """Take client options (initialization or ``didChangeConfiguration``); bad ones are
        reported on every document rather than dropped silently.

        >>> s = ZQLServer()
        >>> s.configure({"zql": {"entity": "execution", "debounce_ms": 50}})
        >>> s.client_settings.entity, s.debounce
        ('execution', 0.05)
        >>> s.configure({"entity": "bug"}); s.client_error
        "client settings: unknown entity 'bug'; one of: testcase, requirement, execution"
        """
        if isinstance(options, Mapping) and isinstance(options.get("zql"), Mapping):
            options = options["zql"]
        if not isinstance(options, Mapping):
            options = {}
        settings = {k: v for k, v in options.items() if k not in _SERVER_KEYS}
        if isinstance(options.get("debounce_ms"), int | float):
            self.debounce = max(0.0, float(options["debounce_ms"]) / 1000)
        try:
            self.client_settings = settings_from(settings, base_dir=self.root,
                                                 origin="client settings")
            self.client_error = None
        except ZQLError as err:
            self.client_settings, self.client_error = Settings(), str(err)

    def settings_for(self, uri: str, text: str) -> Settings:
        """Header > config file > client settings; raises for unusable ones.

        >>> s = ZQLServer(); s.configure({"schema": "ze6", "entity": "execution"})
        >>> found = s.settings_for("untitled:a", "# zql: entity=testcase\\nx = 1")
        >>> found.entity, found.schema
        ('testcase', 'ze6')
        """
        if self.client_error:
            raise ZQLError(self.client_error)
        path = document_path(uri)
        config = self.configs.settings(path if path is not None else (self.root or Path.cwd()))
        return resolve(text, path, fallback=self.client_settings, config=config)

    # ---- diagnostics

    def schedule(self, uri: str, delay: float) -> None:
        """Lint ``uri`` after ``delay`` seconds, replacing a lint still waiting.

        >>> async def demo() -> int:
        ...     s = ZQLServer()
        ...     s.schedule("untitled:a", 60)
        ...     first = s._pending["untitled:a"]
        ...     s.schedule("untitled:a", 60)
        ...     await asyncio.sleep(0)
        ...     s._pending["untitled:a"].cancel()
        ...     return first.cancelled()
        >>> asyncio.run(demo())
        True
        """
        waiting = self._pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        self._pending[uri] = asyncio.get_running_loop().create_task(self._lint(uri, delay))

    async def _lint(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        doc = self.documents.get(uri)
        if doc is None:
            return
        version, text = doc.version, doc.text
        loop = asyncio.get_running_loop()
        found = await loop.run_in_executor(self._worker, self.lsp_diagnostics, uri, text)
        current = self.documents.get(uri)
        if current is None or current.version != version:
            return  # stale: the document changed (or closed) while this lint ran
        if self._published.get(uri, -1) > version:
            return
        self._published[uri] = version
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version))

    def lsp_diagnostics(self, uri: str, text: str) -> list[lsp.Diagnostic]:
        """Diagnostics for ``text`` as protocol objects (runs in the worker thread).

        A part's converted diagnostics are kept by the part's text and where it starts: after
        a one-character edit only the edited part (and parts starting on its line) convert
        again.

        >>> found = ZQLServer().lsp_diagnostics("untitled:a", 'tag = "😀";\\nstatus = Fail')
        >>> [(d.code, d.range.start.line, d.range.start.character) for d in found]
        [('ZQL107', 1, 9)]
        """
        index = LineIndex(text, self.encoding)
        try:
            settings = self.settings_for(uri, text)
            parts = self.analyzer.parts(text, settings)
        except (ZQLError, ValueError) as err:
            first_line = index.position(len(text.split("\n", 1)[0]))
            return [lsp.Diagnostic(
                range=lsp.Range(lsp.Position(0, 0), lsp.Position(*first_line)),
                message=f"cannot lint this file: {err}", severity=lsp.DiagnosticSeverity.Error,
                source="zql")]
        out: list[lsp.Diagnostic] = []
        for part in parts:
            if not part.diagnostics:
                continue
            where = index.position(part.start)
            key = (part.text, part.offset - part.start, part.diagnostics, index.encoding, where)
            converted = self._converted.get(key)
            if converted is None:
                local = LineIndex(part.text, index.encoding)
                converted = [self.to_lsp(d, local, part.offset - part.start, where)
                             for d in part.diagnostics]
                self._converted[key] = converted
                if len(self._converted) > self.analyzer.maxsize:
                    self._converted.popitem(last=False)
            out.extend(converted)
        # File-level findings (a query name used twice) are few; converted on every run.
        out.extend(self.to_lsp(d, index) for d in file_findings(text, settings))
        return out

    @staticmethod
    def to_lsp(diag: Diagnostic, index: LineIndex, offset: int = 0,
               origin: tuple[int, int] = (0, 0)) -> lsp.Diagnostic:
        """One diagnostic as the protocol has it; the hint goes on a second line.

        Its span is moved by ``offset`` into ``index``'s text, whose start is at ``origin``
        (line, character) of the document.

        >>> d = Diagnostic("ZQL201", Severity.ERROR, "unknown", Span(4, 5), hint="check it")
        >>> out = ZQLServer.to_lsp(d, LineIndex("😀 = x"), 0, (3, 2))
        >>> (out.range.start.line, out.range.start.character), out.message
        ((3, 7), 'unknown\\nhint: check it')
        """
        message = f"{diag.message}\nhint: {diag.hint}" if diag.hint else diag.message
        (line, col), (end_line, end_col) = index.range(
            Span(diag.span.start + offset, diag.span.end + offset))
        start = lsp.Position(origin[0] + line, col + origin[1] if line == 0 else col)
        end = lsp.Position(origin[0] + end_line, end_col + origin[1] if end_line == 0 else end_col)
        return lsp.Diagnostic(range=lsp.Range(start, end), message=message,
                              severity=_SEVERITY[diag.severity], code=diag.code, source="zql")

    def apply_change(self, uri: str, version: int,
                     changes: list[lsp.TextDocumentContentChangeEvent]) -> None:
        """Apply incremental or full changes in order, converting positions ourselves.

        >>> s = ZQLServer()
        >>> s.apply_change("untitled:a", 1, [lsp.TextDocumentContentChangeWholeDocument("😀x")])
        >>> s.apply_change("untitled:a", 2, [lsp.TextDocumentContentChangePartial(
        ...     range=lsp.Range(lsp.Position(0, 2), lsp.Position(0, 3)), text="y")])
        >>> s.documents["untitled:a"].text
        '😀y'
        """
        doc = self.documents.get(uri)
        text = doc.text if doc is not None else ""
        for change in changes:
            rng = getattr(change, "range", None)
            if rng is None:
                text = change.text
                continue
            span = LineIndex(text, self.encoding).span(
                (rng.start.line, rng.start.character), (rng.end.line, rng.end.character))
            text = text[:span.start] + change.text + text[span.end:]
        self.documents[uri] = _Document(text, version)


def _range(index: LineIndex, span: Span) -> lsp.Range:
    (line, col), (end_line, end_col) = index.range(span)
    return lsp.Range(lsp.Position(line, col), lsp.Position(end_line, end_col))


def _semantic_data(index: LineIndex, tokens: list[tuple[int, int, str]]) -> list[int]:
    data: list[int] = []
    prev_line = prev_col = 0
    for start, end, kind in tokens:
        token_type = TOKEN_TYPES.get(kind)
        if token_type is None or end <= start:
            continue
        (line, col), (end_line, end_col) = index.range(Span(start, end))
        if end_line != line:
            # The protocol's tokens stay on one line. Only a broken string crosses one (a
            # backslash right before the line break); its first line is coloured, not the rest.
            end_col = index.position(index.line_span(line).end)[1]
        if end_col <= col:
            continue
        delta_col = col - prev_col if line == prev_line else col
        data += [line - prev_line, delta_col, end_col - col, _LEGEND.index(token_type), 0]
        prev_line, prev_col = line, col
    return data


def build_server() -> ZQLServer:
    """A server with every feature registered (start it with ``start_io()``).

    >>> "textDocument/hover" in build_server().protocol.fm.features
    True
    """
    server = ZQLServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: ZQLServer, params: lsp.InitializeParams) -> None:
        root = params.root_uri or (params.workspace_folders[0].uri
                                   if params.workspace_folders else None)
        ls.root = document_path(root) if root else None
        ls.configure(params.initialization_options)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(ls: ZQLServer,
                                 params: lsp.DidChangeConfigurationParams) -> None:
        if params.settings:
            ls.configure(params.settings)
        for uri in list(ls.documents):
            ls.schedule(uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ZQLServer, params: lsp.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.documents[item.uri] = _Document(item.text, item.version)
        ls.schedule(item.uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ZQLServer, params: lsp.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.apply_change(uri, params.text_document.version, list(params.content_changes))
        ls.schedule(uri, ls.debounce)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: ZQLServer, params: lsp.DidSaveTextDocumentParams) -> None:
        # A saved zql.toml or schema file may change every open document's findings.
        for uri in list(ls.documents):
            ls.schedule(uri, 0)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ZQLServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        waiting = ls._pending.pop(uri, None)
        if waiting is not None:
            waiting.cancel()
        ls.documents.pop(uri, None)
        ls._published.pop(uri, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=[" ", '"', "(", ","]))
    def completion(ls: ZQLServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
        found, index = ls.at_cursor(params, ls.analyzer.completions)
        if found is None:
            return None
        items = [lsp.CompletionItem(
            label=c.display, kind=_ITEM_KINDS.get(c.kind), detail=c.meta or None,
            sort_text=f"{c.rank:04d}", filter_text=c.text.strip() or c.display,
            text_edit=lsp.TextEdit(_range(index, Span(c.start, c.end)), c.text))
            for c in found]
        return lsp.CompletionList(is_incomplete=False, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: ZQLServer, params: lsp.HoverParams) -> lsp.Hover | None:
        found, index = ls.at_cursor(params, ls.analyzer.hover)
        if found is None:
            return None
        markdown, span = found
        return lsp.Hover(contents=lsp.MarkupContent(lsp.MarkupKind.Markdown, markdown),
                         range=_range(index, span))

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: ZQLServer,
                   params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit] | None:
        from zql.lsp.analysis import format_edit

        doc, index = ls.index(params.text_document.uri)
        try:
            edit = format_edit(doc.text)
        except ZQLSyntaxError as err:
            # The diagnostics already show the error; a popup on every format-on-save would
            # only nag, so it goes to the client's log.
            ls.window_log_message(lsp.LogMessageParams(
                lsp.MessageType.Info, f"zql: not formatted: {err.diagnostic.message}"))
            return None
        if edit is None:
            return []
        return [lsp.TextEdit(_range(index, edit.span), edit.new_text)]

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
        code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll]))
    def code_action(ls: ZQLServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        doc, index = ls.index(uri)
        rng = params.range
        span = index.span((rng.start.line, rng.start.character),
                          (rng.end.line, rng.end.character))
        only = tuple(str(getattr(k, "value", k)) for k in params.context.only) \
            if params.context.only else None
        try:
            settings = ls.settings_for(uri, doc.text)
            actions = ls.analyzer.actions(doc.text, settings, span, only)
        except (ZQLError, ValueError):
            return None
        return [lsp.CodeAction(
            title=a.title, kind=lsp.CodeActionKind(a.kind),
            diagnostics=[ls.to_lsp(a.diagnostic, index)] if a.diagnostic else None,
            is_preferred=a.preferred or None,
            edit=lsp.WorkspaceEdit(changes={uri: [
                lsp.TextEdit(_range(index, e.span), e.new_text) for e in a.edits]}))
            for a in actions]

    @server.feature(lsp.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                    lsp.SemanticTokensLegend(token_types=_LEGEND, token_modifiers=[]))
    def semantic_tokens(ls: ZQLServer, params: lsp.SemanticTokensParams) -> lsp.SemanticTokens:
        doc, index = ls.index(params.text_document.uri)
        return lsp.SemanticTokens(data=_semantic_data(index, ls.analyzer.tokens(doc.text)))

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(ls: ZQLServer,
                        params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        doc, index = ls.index(params.text_document.uri)
        return [lsp.DocumentSymbol(
            name=s.name, kind=lsp.SymbolKind.Function, range=_range(index, s.span),
            selection_range=_range(index, s.name_span),
            detail=s.query if len(s.query) <= 60 else s.query[:59] + "…")
            for s in ls.analyzer.symbols(doc.text)]

    @server.feature(lsp.SHUTDOWN)
    def shutdown(ls: ZQLServer, params: Any) -> None:
        ls.shut_down = True
        for task in ls._pending.values():
            task.cancel()
        ls._worker.shutdown(wait=False, cancel_futures=True)

    return server


def main(log_file: str | None = None) -> int:
    """Serve over stdin/stdout until the client says ``exit``; 1 if it never said
    ``shutdown`` first (or the connection was lost).

    >>> import inspect; list(inspect.signature(main).parameters)
    ['log_file']
    """
    if log_file:
        logging.basicConfig(filename=log_file, level=logging.INFO,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    import gc

    server = build_server()
    # Load the grammar, linter and completion engine now, then move everything alive into
    # the permanent generation: full collections no longer walk those objects, which cut
    # the p99 of a keystroke's diagnostics by about half in bench/bench_lsp.py.
    server.analyzer.diagnostics("x = 1", Settings())
    server.analyzer.completions("x", 1, Settings())
    gc.freeze()
    serve(server, sys.stdin.buffer, sys.stdout.buffer)
    return 0 if server.shut_down else 1
