"""Highlighting in the prompt: the grammar-derived pygments lexer, through prompt_toolkit.

Backslash commands and quick searches are not ZQL, so they are shown plainly instead of as a
string of error tokens.

>>> from prompt_toolkit.document import Document
>>> line = ShellLexer().lex_document(Document('status = "Fail"'))(0)
>>> [text for _, text in line if text.strip()]
['status', '=', '"Fail"']
>>> ShellLexer().lex_document(Document("\\\\entity execution"))(0)
[('class:command', '\\\\entity execution')]
"""

from __future__ import annotations

from collections.abc import Callable

from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.lexers import Lexer, PygmentsLexer

from zql.highlight import ZQLLexer

__all__ = ["ShellLexer"]


class ShellLexer(Lexer):
    """ZQL through ``PygmentsLexer(ZQLLexer)``; command and quick-search lines as plain text.

    >>> ShellLexer().lex_document(Document("? login"))(0)
    [('class:command', '? login')]
    """

    def __init__(self) -> None:
        self.zql = PygmentsLexer(ZQLLexer)

    def lex_document(self, document: Document) -> Callable[[int], StyleAndTextTuples]:
        """The fragments of each line of ``document``.

        >>> ShellLexer().lex_document(Document("a = 1"))(0)[-1]
        ('class:pygments.literal.number', '1')
        """
        if document.text.lstrip().startswith(("\\", "?")):
            lines = document.lines

            def plain(lineno: int) -> StyleAndTextTuples:
                return [("class:command", lines[lineno])] if lineno < len(lines) else []

            return plain
        return self.zql.lex_document(document)
