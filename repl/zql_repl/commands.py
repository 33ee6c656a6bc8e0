"""Backslash commands (psql/pgcli habits): one table, used by dispatch, help and completion.

Each command is a function ``(shell, argument) -> None`` registered with :func:`command`.
Failures raise :class:`CommandError` with one line; the shell prints it and carries on.

>>> [c.name for c in COMMANDS.values()][:4]
['\\\\entity', '\\\\release', '\\\\project', '\\\\quick']
>>> split("\\\\order name desc")
('\\\\order', 'name desc')
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prompt_toolkit.completion import Completion

from zql.columns import SORT_FIELDS, ColumnError, choose_columns, sort_key
from zql.errors import ZQLError
from zql.schema import ENTITIES, Schema, SchemaError
from zql_repl.config import FORMATS
from zql_repl.explain import explain_lines, field_lines, schema_lines
from zql_repl.named import NamedQueryError

if TYPE_CHECKING:
    from zql_repl.app import Shell

__all__ = ["COMMANDS", "Command", "CommandError", "command", "complete_line", "dispatch",
           "help_text", "split"]


class CommandError(Exception):
    """A command that cannot do what was asked; the message is one line.

    >>> str(CommandError("x"))
    'x'
    """


@dataclass(frozen=True, slots=True)
class Command:
    """A backslash command: name, argument synopsis, one-line help, handler, completions.

    >>> COMMANDS["\\\\limit"].args
    '[N]'
    """

    name: str
    args: str
    help: str
    run: Callable[[Shell, str], None]
    complete: Callable[[Shell], list[str]] | None = None
    #: the argument is a list joined by this (``\\columns a,b``): each item completes
    separator: str | None = None


#: Every command by name, in help order.
COMMANDS: dict[str, Command] = {}


def command(name: str, args: str, help: str,
            complete: Callable[[Shell], list[str]] | None = None, separator: str | None = None
            ) -> Callable[[Callable[[Shell, str], None]], Callable[[Shell, str], None]]:
    """Register a command handler under ``name`` (with its backslash).

    >>> COMMANDS["\\\\q"].help
    'quit (Ctrl-D does too)'
    """

    def register(func: Callable[[Shell, str], None]) -> Callable[[Shell, str], None]:
        COMMANDS[name] = Command(name, args, help, func, complete, separator)
        return func

    return register


def split(line: str) -> tuple[str, str]:
    """A command line as ``(name, argument)``; the argument keeps its inner spaces.

    >>> split("\\\\q"), split("  \\\\ns  fails  status = 1 ")
    (('\\\\q', ''), ('\\\\ns', 'fails  status = 1'))
    """
    stripped = line.strip()
    name, _, rest = stripped.partition(" ")
    return name, rest.strip()


def dispatch(shell: Shell, line: str) -> None:
    """Run one backslash command line; unknown names raise :class:`CommandError`.

    >>> from zql_repl.app import Shell
    >>> dispatch(Shell.headless(), "\\\\format csv")
    format: csv
    """
    name, arg = split(line)
    found = COMMANDS.get(name)
    if found is None:
        raise CommandError(f"unknown command {name} (\\? lists the commands)")
    found.run(shell, arg)


def help_text() -> str:
    """The ``\\?`` text: every command with its arguments, then the keys.

    >>> "\\\\quick TEXT" in help_text()
    True
    """
    width = max(len(f"{c.name} {c.args}".strip()) for c in COMMANDS.values())
    lines = ["Commands:"]
    for c in COMMANDS.values():
        lines.append(f"  {f'{c.name} {c.args}'.strip():<{width}}  {c.help}")
    lines.append("  ?TEXT" + " " * (width - 5) + "  quick search (same as \\quick TEXT)")
    lines.append("Keys:")
    for key, what in KEYS:
        lines.append(f"  {key:<{width}}  {what}")
    return "\n".join(lines)


#: Keys of the shell, for ``\?`` and the README.
KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "run the query (refused with the error shown if it is invalid; a new line "
              "while a parenthesis is open)"),
    ("Alt-Enter", "new line"),
    ("Tab", "complete (fields, operators, values, keywords, commands)"),
    ("Ctrl-C", "clear the line; cancel a running search"),
    ("Ctrl-D", "quit (on an empty line)"),
    ("Ctrl-R", "search the history"),
    ("Ctrl-X Ctrl-E", "edit the line in $EDITOR (emacs mode; v in vi mode)"),
    ("F4", "switch between emacs and vi key bindings"),
)


def complete_line(shell: Shell, before: str) -> Iterator[Completion]:
    """Completions for a backslash-command line: the name, then its argument.

    Used by :class:`zql_repl.completer.ZQLCompleter` for lines starting with a backslash.

    >>> from zql_repl.app import Shell
    >>> [c.text for c in complete_line(Shell.headless(), "\\\\format j")]
    ['json', 'jsonl']
    """
    stripped = before.lstrip()
    if " " not in stripped:
        for c in COMMANDS.values():
            if c.name.startswith(stripped):
                yield Completion(c.name, -len(stripped), display_meta=c.help)
        return
    name, _, partial = stripped.partition(" ")
    found = COMMANDS.get(name)
    if found is None or found.complete is None:
        return
    word = partial.lstrip()
    taken: set[str] = set()
    if found.separator and found.separator in word:
        head, _, word = word.rpartition(found.separator)
        taken = {w.strip().casefold() for w in head.split(found.separator)}
    for option in found.complete(shell):
        if option.casefold().startswith(word.casefold()) and option.casefold() not in taken:
            yield Completion(option, -len(word))


def _query_arg(shell: Shell, arg: str) -> str:
    text = arg or shell.state.last_query
    if not text:
        raise CommandError("no query: give one, or run one first")
    return text


def _on_off(arg: str, current: bool, what: str) -> bool:
    if not arg:
        return not current
    if arg.lower() in ("on", "1", "yes"):
        return True
    if arg.lower() in ("off", "0", "no"):
        return False
    raise CommandError(f"{what}: say on or off, not {arg!r}")


# --------------------------------------------------------------------------- settings


@command("\\entity", "[ENTITY]", "show or set the entity searched (testcase, requirement, "
         "execution)", complete=lambda shell: list(ENTITIES))
def _entity(shell: Shell, arg: str) -> None:
    if arg:
        try:
            shell.state.entity = Schema.entity_name(arg)
        except SchemaError as err:
            raise CommandError(str(err)) from None
    shell.print(f"entity: {shell.state.entity}")


def _set_name(shell: Shell, arg: str, what: str, known: tuple[str, ...]) -> str | None:
    if not arg:
        return None
    if arg == "-":
        return ""
    if known and not arg.isdigit() and arg.casefold() not in {k.casefold() for k in known}:
        hint = ", ".join(known[:8]) + (", …" if len(known) > 8 else "")
        raise CommandError(f"no {what} named {arg!r} (known: {hint})")
    return arg


@command("\\release", "[NAME|ID|-]", "show or set the release searched (- for all)",
         complete=lambda shell: list(shell.metadata.snapshot.releases))
def _release(shell: Shell, arg: str) -> None:
    chosen = _set_name(shell, arg, "release", shell.metadata.snapshot.releases)
    if chosen is not None:
        shell.state.release = chosen or None
        shell.metadata.set_release(shell.state.release)
    shell.print(f"release: {shell.state.release or 'all'}")


@command("\\project", "[NAME|ID|-]", "show or set the project searched (- for all)",
         complete=lambda shell: list(shell.metadata.snapshot.projects))
def _project(shell: Shell, arg: str) -> None:
    chosen = _set_name(shell, arg, "project", shell.metadata.snapshot.projects)
    if chosen is not None:
        shell.state.project = chosen or None
    shell.print(f"project: {shell.state.project or 'all'}")


@command("\\quick", "TEXT", "quick search: free text, as the web UI's search box")
def _quick(shell: Shell, arg: str) -> None:
    if not arg:
        raise CommandError("\\quick needs some text to search for")
    shell.search(arg, quick=True)


@command("\\format", "[FORMAT]", "show or set the output format (" + ", ".join(FORMATS) + ")",
         complete=lambda shell: list(FORMATS))
def _format(shell: Shell, arg: str) -> None:
    if arg:
        if arg not in FORMATS:
            raise CommandError(f"unknown format {arg!r} (one of {', '.join(FORMATS)})")
        shell.state.format = arg
    shell.print(f"format: {shell.state.format}")


@command("\\limit", "[N]", "show or set the most rows fetched (0 for no limit)")
def _limit(shell: Shell, arg: str) -> None:
    if arg:
        if not arg.isdigit():
            raise CommandError(f"\\limit takes a whole number >= 0, not {arg!r}")
        shell.state.limit = int(arg)
    shell.print(f"limit: {shell.state.limit or 'none'}")


def _fields(shell: Shell) -> list[str]:
    return [f.name for f in shell.schema.fields(shell.state.entity)]


def _flat_columns(shell: Shell) -> list[str]:
    from zql.client import flat_columns

    return flat_columns(shell.state.entity)


def _sortable(shell: Shell) -> list[str]:
    columns = [c for c, f in SORT_FIELDS.get(shell.state.entity, {}).items() if f is not None]
    folded = {c.casefold() for c in columns}
    return columns + [f for f in _fields(shell) if f.casefold() not in folded]


@command("\\order", "[COLUMN [desc]|-]", "sort results by a column or field (- for the "
         "server's order)", complete=_sortable)
def _order(shell: Shell, arg: str) -> None:
    words = arg.split()
    if words == ["-"]:
        shell.state.order_by = shell.state.order_column = None
        shell.state.ascending = True
    elif words:
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise CommandError("usage: \\order COLUMN [asc|desc]")
        try:
            key = sort_key(shell.state.entity, words[0], shell.schema)
        except ColumnError as err:
            raise CommandError(str(err)) from None
        shell.state.order_by, shell.state.order_column = key.field, key.column
        shell.state.ascending = len(words) == 1 or words[1].lower() == "asc"
    order = shell.state.order_column or shell.state.order_by
    shell.print("order: " + (f"{order} {'asc' if shell.state.ascending else 'desc'}"
                             if order else "server default"))


@command("\\columns", "[A,B,…]", "show these columns, in order (no argument: the default ones)",
         complete=_flat_columns, separator=",")
def _columns(shell: Shell, arg: str) -> None:
    if arg:
        try:
            shell.state.columns = choose_columns(arg, _flat_columns(shell))
        except ColumnError as err:
            raise CommandError(str(err)) from None
    else:
        shell.state.columns = None
    shown = ", ".join(shell.state.columns) if shell.state.columns else "the default ones"
    shell.print(f"columns: {shown}")


@command("\\all", "", "list every item of the entity (of the release/project, if set)")
def _all(shell: Shell, arg: str) -> None:
    if arg:
        raise CommandError("\\all takes no argument (it lists everything)")
    shell.search("", quick=True)


@command("\\o", "[FILE]", "write the next results to FILE (format from .csv/.json/.jsonl/"
         ".xlsx); no FILE cancels")
def _output(shell: Shell, arg: str) -> None:
    if not arg:
        shell.state.output_file = None
        shell.print("next results: to the screen")
        return
    path = Path(os.path.expanduser(arg))
    if path.is_dir() or not path.parent.is_dir():
        raise CommandError(f"cannot write {path}: not a file in an existing folder")
    shell.state.output_file = path
    shell.print(f"next results: to {path}")


@command("\\timing", "[on|off]", "show the elapsed time of searches")
def _timing(shell: Shell, arg: str) -> None:
    shell.state.timing = _on_off(arg, shell.state.timing, "\\timing")
    shell.print(f"timing: {'on' if shell.state.timing else 'off'}")


@command("\\pager", "[on|off]", "page long output through $PAGER (or less)")
def _pager(shell: Shell, arg: str) -> None:
    shell.state.pager = _on_off(arg, shell.state.pager, "\\pager")
    shell.print(f"pager: {'on' if shell.state.pager else 'off'}")


# --------------------------------------------------------------------------- queries


@command("\\e", "[QUERY]", "edit the query (default: the last one) in $EDITOR, then review it")
def _edit(shell: Shell, arg: str) -> None:
    text = arg or shell.state.last_query or ""
    shell.next_text = edit_in_editor(text)


def edit_in_editor(text: str) -> str:
    """Open ``text`` in ``$VISUAL``/``$EDITOR`` (default ``vi``) and return what was saved.

    >>> import os; os.environ["EDITOR"] = "true"
    >>> edit_in_editor("a = 1")
    'a = 1'
    """
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, name = tempfile.mkstemp(suffix=".zql", prefix="zql-edit-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        try:
            code = subprocess.call([*shlex.split(editor), name])
        except OSError as err:
            raise CommandError(f"cannot start the editor {editor!r}: {err.strerror}") from None
        if code != 0:
            raise CommandError(f"the editor exited with status {code}; query unchanged")
        return Path(name).read_text(encoding="utf-8").rstrip("\n")
    finally:
        Path(name).unlink(missing_ok=True)


@command("\\fmt", "[QUERY]", "show the query (default: the last one) canonical and portable")
def _fmt(shell: Shell, arg: str) -> None:
    import zql

    text = _query_arg(shell, arg)
    try:
        shell.print(f"canonical: {zql.format(text)}")
        shell.print(f"portable:  {zql.format(text, portable=True)}")
    except ZQLError as err:
        shell.print(str(err))


@command("\\explain", "[QUERY]", "show the parse tree, resolved fields and diagnostics")
def _explain(shell: Shell, arg: str) -> None:
    shell.print("\n".join(explain_lines(_query_arg(shell, arg), shell.schema,
                                        shell.state.entity)))


@command("\\schema", "[FIELD]", "list the entity's fields, or describe one with its values",
         complete=_fields)
def _schema(shell: Shell, arg: str) -> None:
    if not arg:
        shell.print("\n".join(schema_lines(shell.schema, shell.state.entity)))
        return
    spec = shell.schema.field(shell.state.entity, arg)
    if spec is None:
        close = shell.schema.suggest(shell.state.entity, arg)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise CommandError(f"no field {arg!r} in {shell.state.entity}{hint}")
    shell.print("\n".join(field_lines(spec, shell.wait_values(spec))))


# --------------------------------------------------------------------------- named queries


def _names(shell: Shell) -> list[str]:
    try:
        return shell.named.names()
    except NamedQueryError:
        return []


@command("\\ns", "NAME [QUERY]", "save the query (default: the last one) as NAME, with the "
         "entity, release and project")
def _named_save(shell: Shell, arg: str) -> None:
    name, _, query = arg.partition(" ")
    if not name:
        raise CommandError("usage: \\ns NAME [QUERY]")
    text = _query_arg(shell, query.strip())
    errors = shell.linter.errors(text)
    if errors:
        raise CommandError(f"not saved: {errors[0].code} {errors[0].message}")
    try:
        shell.named.save(name, text, shell.state.entity, shell.state.release,
                         shell.state.project)
    except NamedQueryError as err:
        raise CommandError(str(err)) from None
    where = _where(shell.state.entity, shell.state.release, shell.state.project)
    shell.print(f"saved {name} ({where}): {text}")


def _where(entity: str, release: str | None, project: str | None) -> str:
    parts = [entity] + [f"{k} {v}" for k, v in (("release", release), ("project", project)) if v]
    return ", ".join(parts)


@command("\\n", "NAME", "run the named query (with its entity, release and project)",
         complete=_names)
def _named_run(shell: Shell, arg: str) -> None:
    if not arg:
        raise CommandError("usage: \\n NAME (\\nl lists the names)")
    try:
        found = shell.named.get(arg)
    except NamedQueryError as err:
        raise CommandError(str(err)) from None
    # The query runs where it was saved: the shell is set to that entity, release and project.
    shell.state.entity = found.entity
    shell.state.release, shell.state.project = found.release, found.project
    shell.metadata.set_release(found.release)
    shell.print(f"({_where(found.entity, found.release, found.project)})")
    shell.print(f"{found.entity}> {found.query}")
    shell.search(found.query, entity=found.entity)


@command("\\nl", "", "list the named queries")
def _named_list(shell: Shell, arg: str) -> None:
    try:
        found = shell.named.all()
    except NamedQueryError as err:
        raise CommandError(str(err)) from None
    if not found:
        shell.print("no named queries yet (\\ns NAME saves one)")
        return
    width = max(len(q.name) for q in found)
    for q in found:
        where = _where(q.entity, q.release, q.project)
        shell.print(f"  {q.name:<{width}}  {where}: {q.query}")


@command("\\nd", "NAME", "delete the named query", complete=_names)
def _named_delete(shell: Shell, arg: str) -> None:
    try:
        shell.named.delete(arg)
    except NamedQueryError as err:
        raise CommandError(str(err)) from None
    shell.print(f"deleted {arg}")


# --------------------------------------------------------------------------- reports


def _report_columns(shell: Shell) -> list[str]:
    from zql.client import flat_columns

    return flat_columns(shell.state.entity)


@command("\\report", "FIELD[,FIELD] [QUERY]",
         "count the query's hits (default: the last one) by one or two fields",
         complete=_report_columns)
def _report(shell: Shell, arg: str) -> None:
    from zql_repl.reports import run_report

    fields, _, query = arg.strip().partition(" ")
    if not fields:
        raise CommandError("usage: \\report FIELD[,FIELD] [QUERY], e.g. \\report status")
    run_report(shell, [f for f in fields.split(",") if f.strip()], _query_arg(shell, query))


@command("\\count", "[QUERY]", "how many items the query (default: the last one) matches")
def _count(shell: Shell, arg: str) -> None:
    from zql_repl.reports import count_hits

    count_hits(shell, _query_arg(shell, arg.strip()))


@command("\\diff", "NAME_A NAME_B", "what changed between two named queries of executions",
         complete=_names)
def _diff(shell: Shell, arg: str) -> None:
    from zql_repl.reports import diff_named

    names = arg.split()
    if len(names) != 2:
        raise CommandError("usage: \\diff NAME_A NAME_B (two named queries, \\nl lists them)")
    diff_named(shell, *names)


# --------------------------------------------------------------------------- bulk updates


def _updates(shell: Shell) -> tuple[object, Callable[[str], bool] | None]:
    """The client (connected) and how to ask for confirmation (None: no terminal)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.input import DummyInput

    from zql_repl.connection import NotConnected

    try:
        client = shell.connection.wait(30)
    except NotConnected as err:
        raise CommandError(str(err)) from None
    if client is None:
        raise CommandError("still connecting to the server; try again in a moment")
    if isinstance(shell.session.input, DummyInput):
        return client, None

    def ask(prompt: str) -> bool:
        # A plain prompt on the same terminal (the shell's own validates ZQL).
        answer: PromptSession[str] = PromptSession(input=shell.session.input,
                                                   output=shell.session.output)
        try:
            return answer.prompt(prompt).strip().lower() in ("y", "yes")
        except (EOFError, KeyboardInterrupt):
            return False

    return client, ask


@command("\\update", "--status S|--notes T|--assign U|--add-tag T|--remove-tag T|--priority P"
         " [--dry-run] [--yes]", "change what the last query selects: plan, confirm, journal "
         "(docs/update.md)")
def _update(shell: Shell, arg: str) -> None:
    from zql.client import ZephyrError
    from zql.update import PlanError, UpdateError
    from zql.update.flow import shell_update

    client, ask = _updates(shell)
    try:
        shell_update(client, _query_arg(shell, ""), arg, entity=shell.state.entity,
                     release=shell.state.release_param, project=shell.state.project_param,
                     out=shell.print, ask=ask)
    except (UpdateError, PlanError, ZephyrError, ZQLError) as err:
        raise CommandError(str(err).splitlines()[0]) from None


@command("\\undo", "[JOURNAL] [--dry-run] [--yes]", "write back what an update changed "
         "(default: the newest journal)")
def _undo(shell: Shell, arg: str) -> None:
    from zql.client import ZephyrError
    from zql.update import PlanError, UpdateError
    from zql.update.flow import shell_undo

    client, ask = _updates(shell)
    try:
        shell_undo(client, arg, out=shell.print, ask=ask)
    except (UpdateError, PlanError, ZephyrError, ZQLError) as err:
        raise CommandError(str(err).splitlines()[0]) from None


# --------------------------------------------------------------------------- the shell


@command("\\refresh", "", "reload the server's schema and value lists")
def _refresh(shell: Shell, arg: str) -> None:
    shell.metadata.refresh()
    shell.print("reloading the schema and values in the background")


@command("\\?", "", "this help")
def _help(shell: Shell, arg: str) -> None:
    shell.print(help_text())


@command("\\q", "", "quit (Ctrl-D does too)")
def _quit(shell: Shell, arg: str) -> None:
    shell.done = True
