"""Validation of the query being typed: a prompt_toolkit Validator over :func:`zql.lint.lint`.

Errors block Enter (the shell then prints the rendered error with a caret and hint); warnings
and style notes only show in the toolbar. Lines that are not ZQL (backslash commands, quick
search after ``?``, blank input) are never checked. Lint results are cached per text, schema
and entity because the toolbar asks on every redraw.

>>> from zql.schema import load_schema
>>> check = Linter(lambda: (load_schema("ze7"), "testcase"))
>>> [d.code for d in check.diagnostics('status = Fail')]
['ZQL107']
>>> check.diagnostics("\\\\entity execution")
[]
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.validation import ValidationError, Validator

from zql import _lexer
from zql.errors import Diagnostic, Severity, line_col
from zql.lint import lint
from zql.schema import Schema

__all__ = ["Linter", "ZQLValidator", "is_query", "needs_more", "summary"]

#: Returns the schema and entity the current text is checked against.
Context = Callable[[], tuple[Schema, str]]


def is_query(text: str) -> bool:
    """Whether a line is ZQL to lint and run (not a command, a quick search or blank).

    >>> is_query('a = 1'), is_query('\\\\q'), is_query('? login'), is_query('  ')
    (True, False, False, False)
    """
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith(("\\", "?"))


def needs_more(text: str) -> bool:
    """Whether the query has an open parenthesis, so Enter should start a new line.

    >>> needs_more('(a = 1 or'), needs_more('a = 1'), needs_more('a ~ "("')
    (True, False, False)
    """
    depth = 0
    for tok in _lexer.scan(text):
        if tok.type == "LPAR":
            depth += 1
        elif tok.type == "RPAR":
            depth -= 1
    return depth > 0


def summary(text: str, diag: Diagnostic) -> str:
    """One line for the toolbar: position, severity, code and message.

    >>> from zql.errors import Span
    >>> summary("a\\nb = x", Diagnostic("ZQL107", Severity.ERROR, "bare word", Span(6, 7)))
    '2:5 error ZQL107: bare word'
    """
    line, col = line_col(text, diag.span.start)
    return f"{line}:{col} {diag.severity} {diag.code}: {diag.message}"


class Linter:
    """Lint with a small cache keyed by text, schema and entity.

    >>> from zql.schema import load_schema
    >>> Linter(lambda: (load_schema(), "testcase")).first('prority = "P1"').code
    'ZQL201'
    """

    _SIZE = 256

    def __init__(self, context: Context) -> None:
        self.context = context
        self._schema: Schema | None = None
        self._cache: dict[tuple[str, str], tuple[Diagnostic, ...]] = {}

    def diagnostics(self, text: str) -> list[Diagnostic]:
        """Every finding for ``text`` (empty for non-query lines).

        >>> from zql.schema import load_schema
        >>> [d.code for d in Linter(lambda: (load_schema(), "testcase")).diagnostics("a AND")]
        ['ZQL105']
        """
        if not is_query(text):
            return []
        schema, entity = self.context()
        if schema is not self._schema:
            # A reloaded schema is a new object: everything cached was checked against the old.
            self._schema, self._cache = schema, {}
        key = (text, entity)
        found = self._cache.get(key)
        if found is None:
            if len(self._cache) >= self._SIZE:
                self._cache.clear()
            found = self._cache[key] = tuple(lint(text, entity=entity, schema=schema))
        return list(found)

    def first(self, text: str) -> Diagnostic | None:
        """The most important finding: the first error, else the first warning or note.

        >>> from zql.schema import load_schema
        >>> Linter(lambda: (load_schema(), "testcase")).first('name ~ "x"') is None
        True
        """
        found = self.diagnostics(text)
        errors = [d for d in found if d.severity is Severity.ERROR]
        ranked = errors or found
        return ranked[0] if ranked else None

    def errors(self, text: str) -> list[Diagnostic]:
        """Only the error-level findings (the ones that block running the query).

        >>> from zql.schema import load_schema
        >>> Linter(lambda: (load_schema(), "testcase")).errors('priority = "P1" AND name ~ "x"')
        []
        """
        return [d for d in self.diagnostics(text) if d.severity is Severity.ERROR]


class ZQLValidator(Validator):
    """Blocks Enter on an error; the message carries position, code and text.

    >>> from zql.schema import load_schema
    >>> v = ZQLValidator(Linter(lambda: (load_schema(), "testcase")))
    >>> try:
    ...     v.validate(Document('status = Fail'))
    ... except ValidationError as err:
    ...     print(err.cursor_position, err.message)
    9 1:10 error ZQL107: bare word 'Fail' is not a value
    """

    def __init__(self, linter: Linter) -> None:
        self.linter = linter

    def validate(self, document: Document) -> None:
        """Raise ``ValidationError`` at the first error of the document's text.

        >>> from zql.schema import load_schema
        >>> ZQLValidator(Linter(lambda: (load_schema(), "testcase"))).validate(Document("\\\\q"))
        """
        text = document.text
        errors = self.linter.errors(text)
        if errors:
            raise ValidationError(cursor_position=min(errors[0].span.start, len(text)),
                                  message=summary(text, errors[0]))
