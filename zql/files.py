"""``.zql`` files: several queries separated by ``;``, ``#`` comments, an options header.

A first-line comment ``# zql: entity=execution schema=ze6`` sets that file's options. Offsets of
every query are kept so diagnostics point into the file, not into the query alone. Used by
``zql lint``, ``zql fmt`` and the language server.

>>> f = parse_file('# zql: entity=execution\\nstatus = "Fail";\\n# next\\nname ~ "x"\\n')
>>> f.options, [(q.body, q.offset) for q in f.queries]
({'entity': 'execution'}, [('status = "Fail"', 24), ('name ~ "x"', 48)])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from zql import _lexer

__all__ = [
    "HEADER",
    "NAME_COMMENT",
    "NamedQuery",
    "QueryText",
    "ZqlFile",
    "comment_names",
    "named_queries",
    "parse_file",
    "parse_header",
]

#: The options header: ``# zql: key=value key=value`` on the first line.
HEADER = re.compile(r"\A[ \t]*#[ \t]*zql:(?P<opts>[^\n]*)")
_SEPARATOR = ";"
#: A query's name: a comment line ``# name: NAME`` directly above the query.
NAME_COMMENT = re.compile(r"[ \t]*#[ \t]*name:[ \t]*(?P<name>[^\n]*?)[ \t]*\r?\Z")
# The same line anywhere in a text, for one pass over a whole file.
_NAME_LINES = re.compile("^" + NAME_COMMENT.pattern.removesuffix(r"\Z") + "$", re.M)


def comment_names(text: str) -> list[str]:
    r"""The names of every ``# name:`` comment line, in order, whether or not a query follows.

    One regular-expression pass, no split into queries: a superset of what
    :func:`named_queries` finds, so a text whose comment names are all different has no
    query name used twice.

    >>> comment_names("# name: a\nx = 1;\n  # name: b  \n# name:\n# other")
    ['a', 'b']
    """
    return [m.group("name") for m in _NAME_LINES.finditer(text) if m.group("name")]


@dataclass(frozen=True, slots=True)
class QueryText:
    """One query of a file: its text (with surrounding comments) and where it starts.

    ``body_start``/``body_end`` delimit the query proper inside ``text``, without the
    comments and whitespace around it.
    """

    text: str
    start: int
    body_start: int
    body_end: int
    #: a comment stands between the query's tokens (formatting would drop it)
    inner_comments: bool = False

    @property
    def offset(self) -> int:
        """Where the query proper starts in the file (add it to the body's spans).

        >>> parse_file("# c\\na = 1 ;").queries[0].offset
        4
        """
        return self.start + self.body_start

    @property
    def body(self) -> str:
        """The query without the comments and whitespace around it.

        >>> parse_file("# c\\na = 1 ;").queries[0].body
        'a = 1'
        """
        return self.text[self.body_start : self.body_end]


@dataclass(frozen=True, slots=True)
class ZqlFile:
    """A parsed ``.zql`` file: header options, its queries, and any trailing comment text."""

    text: str
    options: dict[str, str] = field(default_factory=dict)
    queries: tuple[QueryText, ...] = ()


def parse_header(text: str) -> dict[str, str]:
    """Options from a ``# zql: key=value ...`` first line (unknown keys are kept).

    >>> parse_header("# zql: entity=execution schema=ze6\\nx = 1")
    {'entity': 'execution', 'schema': 'ze6'}
    >>> parse_header('# zql: entity=execution release="Atlas 4.0"')
    {'entity': 'execution', 'release': 'Atlas 4.0'}
    >>> parse_header("x = 1")
    {}
    """
    match = HEADER.match(text)
    if not match:
        return {}
    import shlex  # only for a file with a header (start-up time)

    options: dict[str, str] = {}
    opts = match.group("opts")
    try:  # values may be quoted: release="Release 2.0"
        items = shlex.split(opts, comments=False)
    except ValueError:  # an unbalanced quote: plain words
        items = opts.split()
    for item in items:
        key, sep, value = item.partition("=")
        if sep and key:
            options[key.strip().lower()] = value.strip()
    return options


def parse_file(text: str) -> ZqlFile:
    """Split a file into queries at ``;`` outside strings and comments.

    Segments holding nothing but whitespace and comments are not queries.

    >>> [q.body for q in parse_file('a = ";" ; # x;y\\nb = 2;').queries]
    ['a = ";"', 'b = 2']
    """
    queries: list[QueryText] = []
    seg_start = 0
    first = last = -1
    inner = False
    saw_comment_after_body = False

    def close(end: int) -> None:
        nonlocal first, last, inner, saw_comment_after_body
        if first >= 0:
            queries.append(QueryText(text[seg_start:end], seg_start, first - seg_start,
                                     last - seg_start, inner))
        first = last = -1
        inner = saw_comment_after_body = False

    for tok in _lexer.scan(text):
        if tok.type == "ERROR" and tok.text == _SEPARATOR:
            close(tok.start)
            seg_start = tok.end
            continue
        if tok.kind == "whitespace":
            continue
        if tok.kind == "comment":
            if first >= 0:
                saw_comment_after_body = True
            continue
        if first < 0:
            first = tok.start
        if saw_comment_after_body:
            inner = True
        last = tok.end
    close(len(text))
    return ZqlFile(text, parse_header(text), tuple(queries))


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A query of a ``.zql`` file named by a ``# name: NAME`` comment line directly above it.

    ``span`` is the query proper (code-point offsets into the file, end exclusive), ``line``
    its first line (1-based); ``name_span`` is the name inside the comment (for a diagnostic
    about the name). ``entity``, ``release``, ``project`` and ``schema`` are the file's header
    settings that apply (``None`` when the header does not set one).
    """

    name: str
    query: str
    line: int
    span: tuple[int, int]
    name_span: tuple[int, int]
    entity: str | None = None
    release: str | None = None
    project: str | None = None
    schema: str | None = None


def named_queries(text: str) -> list[NamedQuery]:
    r"""The named queries of a ``.zql`` file, in file order (duplicates included).

    A query is named by a comment line ``# name: NAME`` on the line directly above its first
    line; other comments may stand above the name line. Unnamed queries are left out.

    >>> text = (
    ...     '# zql: entity=execution release="Atlas 4.0"\n'
    ...     '# name: nightly-fails\n'
    ...     'status = "Fail";\n'
    ...     'status = "Blocked";\n'
    ...     '# name: mine\n'
    ...     'executedBy = "jdoe"\n'
    ... )
    >>> for q in named_queries(text):
    ...     print(q.name, q.query, q.line, q.entity, q.release, sep=" | ")
    nightly-fails | status = "Fail" | 3 | execution | Atlas 4.0
    mine | executedBy = "jdoe" | 6 | execution | Atlas 4.0
    >>> q = named_queries(text)[0]
    >>> text[q.span[0]:q.span[1]], text[q.name_span[0]:q.name_span[1]]
    ('status = "Fail"', 'nightly-fails')
    """
    parsed = parse_file(text)
    opts = parsed.options
    settings = {key: opts.get(key) or None for key in ("entity", "release", "project", "schema")}
    found: list[NamedQuery] = []
    for query in parsed.queries:
        start = query.offset
        line_start = text.rfind("\n", 0, start) + 1
        if line_start == 0 or text[line_start:start].strip():
            continue  # the query does not start its line, or starts the file
        above_start = text.rfind("\n", 0, line_start - 1) + 1
        if above_start < query.start:
            continue  # the line above belongs to the previous query
        match = NAME_COMMENT.match(text, above_start, line_start - 1)
        if match is None or not match.group("name"):
            continue
        found.append(NamedQuery(
            name=match.group("name"),
            query=query.body,
            line=text.count("\n", 0, start) + 1,
            span=(start, start + len(query.body)),
            name_span=(match.start("name"), match.end("name")),
            **settings,
        ))
    return found
