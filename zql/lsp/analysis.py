"""The language server's engine, with no protocol in it: diagnostics, completion, hover,
formatting, fixes and semantic tokens for one ``.zql`` text, in code-point offsets.

:class:`Analyzer` keeps each query's lint result keyed by the query's text and the settings,
so an edit re-lints only the query it touched; a 200-query file costs one file split plus one
query's lint per keystroke. The server (:mod:`zql.lsp.server`) turns offsets into positions
with :mod:`zql.lsp.positions` and everything else into protocol types.

>>> a = Analyzer()
>>> [(d.code, d.span) for d in a.diagnostics('a = 1;\\nstatus = Fail', Settings())]
[('ZQL201', Span(start=0, end=1)), ('ZQL107', Span(start=16, end=20))]
>>> a.stats
{'hits': 0, 'misses': 2}
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from zql import _grammar_cache, _lexer, _tokens, _vocabulary
from zql.config import Settings
from zql.documents import file_findings, fix_text, format_file, outline
from zql.errors import Diagnostic, Span, TextEdit
from zql.files import parse_file
from zql.linting import lint
from zql.schema import Schema

if TYPE_CHECKING:
    from zql.complete import Completion

__all__ = [
    "Action",
    "Analyzer",
    "Part",
    "Symbol",
    "TokenKind",
    "document_path",
    "format_edit",
    "minimal_edit",
    "segment_at",
    "segments",
]

#: A token's range and highlighter kind (:data:`zql.highlight.TOKEN_KINDS`).
TokenKind = tuple[int, int, str]
_SEPARATOR = ";"


@functools.cache
def _boundaries() -> re.Pattern[str]:
    # Where a separator search must look: at separators, and at the first character of the
    # tokens that may contain one (strings and comments). Every other token is free of all
    # three, so each of these characters outside a string or comment starts a token.
    firsts = {_grammar_cache.terminal_regexp(name)[0] for name in ("STRING", "COMMENT")}
    return re.compile("[" + re.escape("".join(sorted(firsts)) + _SEPARATOR) + "]")


def segments(text: str) -> Iterator[tuple[int, int]]:
    """``[start, end)`` of each ``;``-separated part of a file, comments included.

    Separators inside strings and comments do not count, exactly as in
    :func:`zql.files.parse_file`: the same scanner reads each string, comment and separator,
    but only those, so a long file costs one regular-expression search per string.

    >>> list(segments('a = ";" ; # x;y\\nb = 2'))
    [(0, 8), (9, 21)]
    """
    start = pos = 0
    pattern = _boundaries()
    while True:
        found = pattern.search(text, pos)
        if found is None:
            break
        token = next(_lexer.scan(text, found.start()))
        if token.type == "ERROR" and token.text == _SEPARATOR:
            yield start, token.start
            start = token.end
        pos = token.end
    yield start, len(text)


def segment_at(text: str, offset: int) -> tuple[int, int]:
    """The part of the file the cursor is in (a cursor just before ``;`` is still in it).

    >>> segment_at("a = 1; b = 2", 6), segment_at("a = 1; b = 2", 5)
    ((6, 12), (0, 5))
    """
    for start, end in segments(text):
        if start <= offset <= end:
            return start, end
    return len(text), len(text)


def minimal_edit(old: str, new: str) -> TextEdit | None:
    """One edit turning ``old`` into ``new``, touching as little as possible (None if equal).

    Editors keep the cursor and folds of untouched text, so the edit spans only the change.

    >>> minimal_edit("a=1; b=2", "a=1; b = 2")
    TextEdit(span=Span(start=6, end=7), new_text=' = ')
    """
    if old == new:
        return None
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while (suffix < limit - prefix
           and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]):
        suffix += 1
    return TextEdit(Span(prefix, len(old) - suffix), new[prefix:len(new) - suffix])


def format_edit(text: str) -> TextEdit | None:
    """The edit that formats the whole file with ``zql fmt``'s rules (None: nothing to do).

    A file with a syntax error raises :class:`~zql.ZQLSyntaxError` (formatting would guess).

    >>> format_edit('status="Fail";name~"x"')
    TextEdit(span=Span(start=6, end=19), new_text=' = "Fail";name ~ ')
    """
    formatted, _notes = format_file(text)
    return minimal_edit(text, formatted)


class Part(NamedTuple):
    """One ``;``-separated part of a file that holds a query, and that query's findings.

    ``start`` is where the part starts in the file, ``text`` the part, ``offset`` where the
    query's body starts in the file; ``diagnostics`` have spans relative to the body.

    >>> part = Analyzer().parts("a = 1;\\n  b = Fail", Settings())[1]
    >>> part.start, part.text, part.offset, [d.span for d in part.diagnostics]
    (6, '\\n  b = Fail', 9, [Span(start=4, end=8)])
    """

    start: int
    text: str
    offset: int
    diagnostics: tuple[Diagnostic, ...]


class Symbol(NamedTuple):
    """A named query for the outline: its name, text, whole span and the name's span."""

    name: str
    query: str
    span: Span
    name_span: Span


@dataclass(frozen=True, slots=True)
class Action:
    """A code action: a titled set of edits, and the diagnostic it resolves (if any).

    ``kind`` is ``quickfix`` for one diagnostic's fix, ``source.fixAll`` for all of them.

    >>> Action("quote it", (TextEdit(Span(4, 8), '"Fail"'),), "quickfix").edits[0].new_text
    '"Fail"'
    """

    title: str
    edits: tuple[TextEdit, ...]
    kind: str
    diagnostic: Diagnostic | None = None
    preferred: bool = False


class Analyzer:
    """Per-query caches for one server process; safe to call from several threads.

    ``maxsize`` bounds each cache (least recently used entries go first).

    >>> a = Analyzer()
    >>> text = 'priority = "P1";\\nstatus = Fail'
    >>> _ = a.diagnostics(text, Settings())
    >>> [d.code for d in a.diagnostics(text.replace("P1", "P2"), Settings())]
    ['ZQL107']
    >>> a.stats
    {'hits': 1, 'misses': 3}
    """

    def __init__(self, maxsize: int = 8192) -> None:
        self.maxsize = maxsize
        self._lock = threading.Lock()
        self._lints: OrderedDict[tuple[Any, ...], tuple[int, tuple[Diagnostic, ...]]] = \
            OrderedDict()
        self._tokens: OrderedDict[str, tuple[TokenKind, ...]] = OrderedDict()
        self._schemas: dict[str, tuple[Any, Schema]] = {}
        self.stats = {"hits": 0, "misses": 0}

    # ---- settings

    def schema(self, settings: Settings) -> tuple[Schema, Any]:
        """The schema for these settings and a key that changes when its file changes.

        Raises :class:`~zql.SchemaError` for an unknown profile or an unreadable file.

        >>> Analyzer().schema(Settings(schema="ze6"))[0].name
        'ze6'
        """
        from zql.schema import load_schema

        source = settings.lint_options()["schema"]
        stamp: Any = source
        if os.path.exists(source):
            stat = os.stat(source)
            stamp = (source, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._schemas.get(source)
        if cached is not None and cached[0] == stamp:
            return cached[1], stamp
        schema = load_schema(source)
        with self._lock:
            self._schemas[source] = (stamp, schema)
        return schema, stamp

    # ---- diagnostics

    def diagnostics(self, text: str, settings: Settings) -> list[Diagnostic]:
        """Every finding of every query, with spans into the whole text.

        Raises :class:`~zql.ZQLError` or ``ValueError`` for unusable settings (an unknown
        schema or rule); the server reports that as one diagnostic.

        >>> [(d.code, d.span.start) for d in Analyzer().diagnostics(
        ...     "# zql: entity=execution\\nstatus = Fail", Settings(entity="execution"))]
        [('ZQL107', 33)]
        """
        return [d.shifted(part.offset) for part in self.parts(text, settings)
                for d in part.diagnostics] + file_findings(text, settings)

    def parts(self, text: str, settings: Settings) -> list[Part]:
        """Each ``;``-separated part holding a query, with its findings relative to its body.

        Each part is split and linted once per distinct text and settings; the server
        converts findings to positions per part without copying shifted diagnostics.

        >>> [(p.start, p.offset, len(p.diagnostics))
        ...  for p in Analyzer().parts("a = 1; ;name ~ 'x'", Settings())]
        [(0, 0, 1), (8, 8, 1)]
        """
        schema, stamp = self.schema(settings)
        options = settings.lint_options()
        options["schema"] = schema
        key = (options["entity"], stamp, options["select"], options["ignore"])
        out: list[Part] = []
        for start, end in segments(text):
            piece = text[start:end]
            cache_key = (*key, piece)
            with self._lock:
                cached = self._lints.get(cache_key)
                if cached is not None:
                    self._lints.move_to_end(cache_key)
                    self.stats["hits"] += 1
            if cached is None:
                # The part holds at most one query: the same scanner found no separator in it.
                found = parse_file(piece).queries
                cached = (found[0].offset, tuple(lint(found[0].body, **options))) if found \
                    else (-1, ())
                with self._lock:
                    self.stats["misses"] += 1
                    self._remember(self._lints, cache_key, cached)
            if cached[0] >= 0:
                out.append(Part(start, piece, start + cached[0], cached[1]))
        return out

    def _remember(self, cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        cache[key] = value
        if len(cache) > self.maxsize:
            cache.popitem(last=False)

    def actions(self, text: str, settings: Settings, span: Span,
                only: tuple[str, ...] | None = None) -> list[Action]:
        """Quick fixes for the diagnostics touching ``span``, then "fix all" when it helps.

        ``only`` limits the kinds (``quickfix``, ``source.fixAll``; a prefix such as
        ``source`` selects its sub-kinds), as the protocol's ``context.only`` does.

        >>> [(a.kind, a.preferred) for a in Analyzer().actions("s = Fail", Settings(), Span(5, 5))]
        [('quickfix', True), ('source.fixAll', False)]
        """
        def wanted(kind: str) -> bool:
            return only is None or any(kind == o or kind.startswith(o + ".") for o in only)

        out: list[Action] = []
        diagnostics = self.diagnostics(text, settings)
        if wanted("quickfix"):
            for diag in diagnostics:
                touches = (diag.span.start <= span.end and span.start <= diag.span.end)
                if not touches:
                    continue
                for index, fix in enumerate(diag.fixes):
                    # Only a safe first fix is preferred: editors apply preferred fixes on
                    # request without showing them, and a guess must be chosen knowingly.
                    out.append(Action(fix.title, fix.edits, "quickfix", diag,
                                      index == 0 and fix.safe))
        if wanted("source.fixAll") and any(d.fixes for d in diagnostics):
            edit = minimal_edit(text, fix_text(text, settings=settings))
            if edit is not None:  # safe fixes only, as `zql lint --fix`
                out.append(Action("Fix all auto-fixable problems", (edit,), "source.fixAll"))
        return out

    # ---- outline

    def symbols(self, text: str) -> list[Symbol]:
        """The file's named queries (``# name: NAME`` above a query) for an editor's outline:
        each with the span from its name comment to the query's end, and the name's span.

        >>> [(s.name, s.span, s.name_span) for s in Analyzer().symbols("# name: a\\nx = 1")]
        [('a', Span(start=0, end=15), Span(start=8, end=9))]
        """
        out: list[Symbol] = []
        for named in outline(text):
            start = text.rfind("\n", 0, named.name_span[0]) + 1
            out.append(Symbol(named.name, named.query, Span(start, named.span[1]),
                              Span(*named.name_span)))
        return out

    # ---- completion, hover, tokens

    def completions(self, text: str, offset: int, settings: Settings) -> list[Completion]:
        """:func:`zql.complete` for the query around ``offset``, ranges in file offsets.

        >>> [(c.text, c.start) for c in Analyzer().completions("a = 1;\\nprio", 11, Settings())]
        [('priority', 7)]
        """
        from dataclasses import replace

        from zql.complete import complete

        start, end = segment_at(text, offset)
        schema, _ = self.schema(settings)
        found = complete(text[start:end], offset - start, schema=schema,
                         entity=settings.lint_options()["entity"])
        return [replace(c, start=c.start + start, end=c.end + start)
                for c in found if not c.pending]

    def hover(self, text: str, offset: int, settings: Settings) -> tuple[str, Span] | None:
        """Markdown about the field, keyword or operator under ``offset``, and its span.

        >>> Analyzer().hover("tag in ()", 5, Settings())[1]
        Span(start=4, end=6)
        """
        from zql.lsp.hover import describe

        start, end = segment_at(text, offset)
        tokens = _lexer.tokenize(text[start:end])
        local = offset - start
        under = [t for t in tokens if t.start <= local < t.end]
        if not under:  # the cursor just after a word still hovers that word
            under = [t for t in tokens if t.end == local and t.kind != _tokens.WS]
        if not under:
            return None
        token = under[0]
        if token.type == "FIELD" and _after_operator(tokens, token):
            return None  # a bare word where a value belongs: the diagnostic says what to do
        field = _field_before(tokens, token)
        schema, _ = self.schema(settings)
        markdown = describe(token, schema, settings.lint_options()["entity"], field)
        if markdown is None:
            return None
        return markdown, Span(token.start + start, token.end + start)

    def tokens(self, text: str) -> list[TokenKind]:
        """Highlighter kinds for the whole file (whitespace left out), cached per query.

        >>> Analyzer().tokens('a = 1; # c')
        [(0, 1, 'field'), (2, 3, 'operator'), (4, 5, 'number'), (7, 10, 'comment')]
        """
        from zql.highlight import token_kinds

        out: list[TokenKind] = []
        for start, end in segments(text):
            piece = text[start:end]
            with self._lock:
                cached = self._tokens.get(piece)
            if cached is None:
                cached = tuple(token_kinds(piece))
                with self._lock:
                    self._remember(self._tokens, piece, cached)
            out.extend((s + start, e + start, kind) for s, e, kind in cached)
        return out


def _after_operator(tokens: list[_tokens.Lexeme], token: _tokens.Lexeme) -> bool:
    # A word where a value belongs (after an operator, a list comma, `is` or `is not`).
    before = [t.type for t in tokens[:tokens.index(token)]
              if t.kind not in (_tokens.WS, _tokens.COMMENT)]
    kinds = _vocabulary.vocabulary().terminal_kind
    if before[-2:] == ["IS", "NOT"]:
        return True
    return bool(before) and (kinds.get(before[-1]) == _tokens.OPERATOR
                             or before[-1] in ("COMMA", "IS"))


def _field_before(tokens: list[_tokens.Lexeme], token: _tokens.Lexeme) -> str | None:
    # The field an operator or value belongs to: the nearest FIELD before it in its clause.
    name: str | None = None
    for tok in tokens:
        if tok is token:
            return name
        if tok.type == "FIELD":
            name = tok.text
        elif tok.type in ("AND", "OR", "LPAR", "RPAR"):
            name = None
    return name


def document_path(uri: str) -> Path | None:
    """The file system path of a ``file:`` URI (None for untitled or remote documents).

    >>> document_path("file:///tmp/a%20b.zql").as_posix(), document_path("untitled:1")
    ('/tmp/a b.zql', None)
    """
    import urllib.parse

    parsed = urllib.parse.urlsplit(uri)
    if parsed.scheme != "file":
        return None
    path = urllib.parse.unquote(parsed.path)
    if os.name == "nt" and path.startswith("/") and path[2:3] == ":":
        path = path[1:]  # file:///C:/x -> C:/x
    return Path(path)
