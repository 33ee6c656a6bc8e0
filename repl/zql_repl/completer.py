"""The prompt_toolkit completer: a thin adapter over :func:`zql.complete.complete`.

The engine decides what may come at the cursor; this module only maps its answers to
prompt_toolkit ``Completion`` objects, hands backslash-command lines to the command table, and
reports whether values were still loading (so the shell can reopen the menu when they arrive).
The shell wraps it as ``ThreadedCompleter(DynamicCompleter(...))`` so a slow value source never
blocks typing.

>>> from prompt_toolkit.document import Document
>>> from zql.schema import load_schema
>>> c = ZQLCompleter(lambda: (load_schema(), "testcase"))
>>> [x.text for x in c.get_completions(Document("prio"), None)]
['priority']
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from zql.complete import Completion as Suggestion
from zql.complete import UsageCounts, ValueSource, complete
from zql.schema import Schema

__all__ = ["LOADING_STYLE", "ZQLCompleter", "to_prompt_toolkit"]

#: Style class of the "values are loading" menu entry.
LOADING_STYLE = "class:completion-menu.loading"

#: Completions for a backslash-command line (text before the cursor).
CommandCompleter = Callable[[str], Iterable[Completion]]


def to_prompt_toolkit(item: Suggestion, text: str, cursor: int) -> Completion:
    """Map an engine suggestion to a prompt_toolkit completion at ``cursor``.

    prompt_toolkit replaces only text before the cursor. When the engine's range reaches past
    the cursor (completing inside a word) and the rest of the word already ends the suggestion,
    only the part before the cursor is replaced, which gives the same result.

    >>> from zql.complete import complete
    >>> s = complete("priority", 4)[0]
    >>> c = to_prompt_toolkit(s, "priority", 4); c.text, c.start_position
    ('prio', -4)
    """
    if item.pending:
        return Completion("", 0, display="loading values…", display_meta=item.meta,
                          style=LOADING_STYLE)
    insert = item.text
    after = text[cursor:item.end]
    if after and insert.endswith(after):
        insert = insert[: len(insert) - len(after)]
    return Completion(insert, item.start - cursor, display=item.display,
                      display_meta=item.meta or item.kind)


class ZQLCompleter(Completer):
    """ZQL completion for the current schema and entity, plus backslash commands.

    ``context`` returns ``(schema, entity)`` at each call, so a schema loaded from the server
    or a ``\\entity`` switch takes effect at the next keystroke.

    >>> from zql.schema import load_schema
    >>> c = ZQLCompleter(lambda: (load_schema(), "execution"))
    >>> [x.text for x in c.get_completions(Document("status "), None)]
    ['=', '!=', 'in']
    """

    def __init__(
        self,
        context: Callable[[], tuple[Schema, str]],
        *,
        values: ValueSource | None = None,
        history: UsageCounts | None = None,
        commands: CommandCompleter | None = None,
        version: Callable[[], int] | None = None,
        on_stale: Callable[[], None] | None = None,
    ) -> None:
        self.context = context
        self.values = values
        self.history = history
        self.commands = commands
        #: ``version()`` changes whenever the value source learnt something; when it changed
        #: while values were being asked for, ``on_stale()`` is called (from the completion
        #: thread) so the menu can be asked again
        self.version = version or (lambda: 0)
        self.on_stale = on_stale
        #: the text of the last request whose values were still loading (else None): when they
        #: arrive the shell reopens the menu if the text is unchanged
        self.pending_for: str | None = None

    def get_completions(self, document: Document,
                        complete_event: CompleteEvent | None) -> Iterator[Completion]:
        """Completions for the document at its cursor.

        >>> from zql.schema import load_schema
        >>> c = ZQLCompleter(lambda: (load_schema(), "testcase"))
        >>> [(x.text, x.start_position) for x in c.get_completions(Document("automated = t"), None)]
        [('true', -1)]
        """
        text, cursor = document.text, document.cursor_position
        before = text[:cursor]
        stripped = before.lstrip()
        self.pending_for = None
        if stripped.startswith("\\"):
            if self.commands is not None:
                yield from self.commands(before)
            return
        if stripped.startswith("?"):
            return  # quick search is free text
        schema, entity = self.context()
        asked = self.version()
        found = complete(text, cursor, schema=schema, entity=entity, values=self.values,
                         history=self.history)
        if any(item.pending for item in found):
            self.pending_for = text
            if self.version() != asked and self.on_stale is not None:
                self.on_stale()  # the values arrived while we were asking
        for item in found:
            yield to_prompt_toolkit(item, text, cursor)
