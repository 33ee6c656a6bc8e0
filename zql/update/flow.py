"""The interactive flow shared by ``zql update``/``apply``/``undo`` and the shell's ``\\update``:
show the plan, check ``--max``, confirm, apply with a journal, report.

Output goes through two callables (``out`` for results, ``note`` for progress and notes), and
confirmation through ``ask`` (None when there is no terminal: then ``yes`` is required).

``DEFAULT_MAX``, ``add_change_arguments`` and ``change_options`` live in the light
:mod:`zql.update.options` (the command line's parsers need them) and are importable from here.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zql.update.journal import default_journal_path
from zql.update.options import DEFAULT_MAX, add_change_arguments, change_options
from zql.update.render import confirm_prompt, problems, requests_text, sample, summary
from zql.update.resolve import UpdateError

if TYPE_CHECKING:
    from zql.update.engine import Report
    from zql.update.model import Plan

__all__ = ["DEFAULT_MAX", "NotConfirmed", "add_change_arguments", "change_options", "execute",
           "latest_journal", "present", "shell_undo", "shell_update", "show", "undo_notes"]

_SHOWN = 20
Say = Callable[[str], None]


class NotConfirmed(UpdateError):
    """Changing needs a confirmation that was not (or could not be) given."""


def show(plan: Plan, out: Say, *, dry_run: bool = False, api: str = "",
         batch_size: int = 500, me: int | None = None) -> None:
    """The summary and a sample; with ``dry_run`` also the requests that would be sent."""
    out(summary(plan))
    out(sample(plan))
    if dry_run:
        out("requests that would be sent:")
        out(requests_text(plan, api=api, batch_size=batch_size, me=me))


def _confirm(plan: Plan, *, yes: bool, most: int, ask: Callable[[str], bool] | None,
             verb: str, count: int) -> None:
    if count > most:
        raise UpdateError(f"{count:,} {plan.noun(count)} would change, more than --max "
                          f"{most:,}; raise --max to go ahead")
    if yes:
        return
    if ask is None:
        raise UpdateError(f"refusing to change {count:,} {plan.noun(count)} without "
                          "confirmation: there is no terminal to ask on; pass --yes")
    if not ask(confirm_prompt(plan, verb, count)):
        raise NotConfirmed("not confirmed: nothing changed")


def _precheck(client: Any, plan: Plan, out: Say) -> tuple[int, bool]:
    """Show what changed since the plan; ``(items still to send, any drifted or gone)``."""
    from zql.update.run import check_now

    decided = check_now(client, plan)
    if not decided:
        return len(plan.items), False
    counts: dict[str, int] = {}
    for result in decided:
        counts[result.result] = counts.get(result.result, 0) + 1
    words = {"already": "already in the target state", "drift": "changed by someone else",
             "failed": "gone from the server"}
    out("since the plan: " + ", ".join(f"{n} {words[k]}" for k, n in counts.items())
        + " — skipped")
    for result in decided[:_SHOWN]:
        if result.result != "already":
            out(f"  {result.id}: {result.result} — {result.message}")
    if len(decided) > _SHOWN:
        out(f"  … and {len(decided) - _SHOWN} more")
    return len(plan.items) - len(decided), any(r.result != "already" for r in decided)


def report_lines(report: Report) -> list[str]:
    """The report: counts, why the account was stopped, the items that did not change."""
    lines = [report.summary()]
    if report.stopped:
        lines.append(f"stopped: your account may not make this change ({report.stopped})")
    if report.problems:
        lines += ["not changed:", problems(report)]
    lines.append(f"journal: {report.journal}")
    if report.count("changed"):
        lines.append(f"undo with: zql undo {report.journal}")
    return lines


def execute(client: Any, plan: Plan, *, out: Say, note: Say, yes: bool,
            ask: Callable[[str], bool] | None, verb: str = "Update", fresh: bool,
            most: int = DEFAULT_MAX, journal: str | None = None, batch_size: int = 500,
            concurrency: int = 1,
            progress: Callable[[int, int], None] | None = None) -> tuple[int, Path | None]:
    """Confirm and apply ``plan``; returns the exit code and the journal written (if any).

    Raises :class:`~zql.update.resolve.UpdateError` for ``--max`` and a missing ``--yes``,
    :class:`NotConfirmed` when the answer is no. Ctrl-C prints the journal and the resume
    command and returns 130.
    """
    from zql.update.run import apply

    if not plan.items:
        note("nothing to change")
        return 0, None
    count, problems_found = len(plan.items), False
    if not fresh:  # a saved plan, an undo: show the drift before asking
        count, problems_found = _precheck(client, plan, out)
        if count == 0:
            note("nothing to change")
            return int(problems_found), None
    _confirm(plan, yes=yes, most=most, ask=ask, verb=verb, count=count)
    if not yes:
        fresh = False  # time passed at the prompt: read every item again before writing
    kind = "undo" if plan.change.restore else "update"
    path = Path(journal) if journal else default_journal_path(kind, plan.entity)
    note(f"journal: {path}")
    try:
        report = apply(client, plan, journal=path, batch_size=batch_size,
                       concurrency=concurrency, fresh=fresh, progress=progress)
    except KeyboardInterrupt:
        interrupted(path, note)
        return 130, path
    for line in report_lines(report):
        out(line)
    return report.exit_code, path


def interrupted(path: Path, note: Say) -> None:
    """What to say after Ctrl-C: where the journal is, how to resume."""
    note(f"interrupted; the journal is {path}")
    note(f"resume with: zql apply --resume {path}")


def _command_parser(name: str, *, undo: bool = False) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=name, add_help=False, exit_on_error=False)
    if not undo:
        add_change_arguments(parser)
    parser.add_argument("--yes", "-y", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--max", type=int, default=DEFAULT_MAX)
    return parser


def _parse(parser: argparse.ArgumentParser, argument: str,
           positional: bool = False) -> tuple[argparse.Namespace, list[str]]:
    import shlex

    try:
        words = shlex.split(argument)
        args, rest = parser.parse_known_args(words)
    except (ValueError, argparse.ArgumentError) as err:
        raise UpdateError(f"{parser.prog}: {err}") from None
    extra = [w for w in rest if w.startswith("-") or not positional]
    if extra:
        raise UpdateError(f"{parser.prog}: unknown option {extra[0]!r}")
    return args, rest


def undo_notes(path: Path) -> list[str]:
    """Warnings before undoing ``path``: a run that did not finish leaves items undecided,
    which an undo cannot restore (resume it first)."""
    from zql.update.journal import read_journal

    view = read_journal(path)
    pending = view.counts().get("pending", 0) + view.counts().get("not-applied", 0)
    if view.ended or not pending:
        return []
    return [f"note: {path} is of a run that did not finish: {pending} {view.plan.noun(pending)} "
            f"are not decided and are left as they are (zql apply --resume {path} first)"]


def latest_journal(environ: dict[str, str] | None = None) -> Path:
    """The newest journal in the state directory (``\\undo`` without an argument)."""
    folder = default_journal_path("x", "x", environ).parent
    found = sorted(folder.glob("*.jsonl"), key=lambda p: p.stat().st_mtime) \
        if folder.is_dir() else []
    if not found:
        raise UpdateError(f"no journal in {folder} yet")
    return found[-1]


def shell_update(client: Any, query: str, argument: str, *, entity: str, out: Say,
                 ask: Callable[[str], bool] | None, release: int | str | None = None,
                 project: int | str | None = None) -> int:
    """The shell's ``\\update OPTIONS``: plan ``query`` (the current query), show, confirm and
    apply, exactly as ``zql update`` does."""
    from zql.update.run import plan_update

    args, _ = _parse(_command_parser("\\update"), argument)
    plan = plan_update(client, query, entity=entity, release=release, project=project,
                       **change_options(args))
    return _run_command(client, plan, args, out, ask, "Update", fresh=True)


def shell_undo(client: Any, argument: str, *, out: Say,
               ask: Callable[[str], bool] | None) -> int:
    """The shell's ``\\undo [JOURNAL]`` (default: the newest journal)."""
    from zql.update.run import undo

    args, rest = _parse(_command_parser("\\undo", undo=True), argument, positional=True)
    path = Path(rest[0]) if rest else latest_journal()
    if not path.is_file():
        raise UpdateError(f"no journal at {path}")
    out(f"undoing {path}")
    for line in undo_notes(path):
        out(line)
    return _run_command(client, undo(path), args, out, ask, "Undo", fresh=False)


def present(client: Any, plan: Plan, out: Say, *, dry_run: bool, batch_size: int = 500) -> None:
    """:func:`show` for a client: a dry run names the current user in the requests shown."""
    me = None
    if dry_run and plan.change.status is not None and not plan.change.restore:
        me = client.current_user().get("id")
    show(plan, out, dry_run=dry_run, api=client.base_url, batch_size=batch_size, me=me)


def _run_command(client: Any, plan: Plan, args: argparse.Namespace, out: Say,
                 ask: Callable[[str], bool] | None, verb: str, *, fresh: bool) -> int:
    present(client, plan, out, dry_run=args.dry_run)
    if args.dry_run:
        return 0
    try:
        code, _ = execute(client, plan, out=out, note=out, yes=args.yes, ask=ask, verb=verb,
                          fresh=fresh, most=args.max)
    except NotConfirmed as err:
        out(str(err))
        return 1
    return code
