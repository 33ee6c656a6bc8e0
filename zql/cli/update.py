"""``zql update``, ``zql apply`` and ``zql undo``: planned, confirmed, journaled bulk changes.

``update`` plans a change of the items a query selects and (after confirmation) applies it;
``apply`` applies a saved plan (reading every item again first: drifted ones are skipped) or,
with ``--resume``, continues an interrupted run from its journal; ``undo`` writes back the
"before" values of every item a journal shows as changed. See docs/update.md.
Exit codes: 0 all done, 1 some items did not change (listed) or a server error, 2 usage,
130 interrupted (the journal and the resume command are printed).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zql.cli._connect import add_connection_arguments, connect
from zql.cli._inputs import UsageError, exit_for
from zql.update.options import DEFAULT_MAX, add_change_arguments

if TYPE_CHECKING:
    from zql.client import ZephyrClient
    from zql.update import Plan

__all__ = ["register", "register_apply", "register_undo"]

#: A plan of 50,000 items is about 11 MB; anything far larger is not one of ours.
_MAX_PLAN = 512 * 2**20



def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, not {value}")
    return value


def _apply_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", "-y", action="store_true",
                        help="do not ask for confirmation (required without a terminal)")
    parser.add_argument("--max", type=_positive, default=DEFAULT_MAX, metavar="N",
                        help=f"refuse to change more than N items (default {DEFAULT_MAX:,})")
    parser.add_argument("--batch-size", type=_positive, default=500, metavar="N",
                        help="items per request (default and most 500)")
    parser.add_argument("--concurrency", type=_positive, default=1, metavar="N",
                        help="batches in flight at once (default 1, most 4)")
    parser.add_argument("--journal", metavar="FILE",
                        help="journal file (default: a new file in "
                        "$XDG_STATE_HOME/zql/journal/)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the plan and the requests that would be sent, and stop")
    add_connection_arguments(parser)


def register(subparsers: Any) -> None:
    """Add the ``update`` subcommand (``apply`` and ``undo`` have their own modules, which
    call :func:`register_apply` and :func:`register_undo`).

    >>> import argparse
    >>> commands = argparse.ArgumentParser().add_subparsers()
    >>> register(commands)
    >>> commands.choices["update"].parse_args(["q", "--status", "WIP", "--add-tag", "a"]).status
    'WIP'
    """
    update = subparsers.add_parser(
        "update", help="change the items a ZQL query selects (planned, confirmed, journaled)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
        "  zql update --entity execution 'status = \"Blocked\" and cycle = \"RC 18\"' "
        "--status WIP --dry-run\n"
        "  zql update --entity testcase 'name ~ \"login\"' --add-tag flaky --yes\n"
        "  zql update --entity execution 'status = \"Fail\"' --assign kenji "
        "--plan-out plan.json")
    update.add_argument("query", metavar="QUERY", help="ZQL selecting the items; - reads stdin")
    update.add_argument("--entity", default="execution",
                        help="execution (default) or testcase")
    update.add_argument("--release", metavar="R", help="release id or name")
    update.add_argument("--project", metavar="P", help="project id or name")
    add_change_arguments(update)
    update.add_argument("--plan-out", metavar="FILE",
                        help="write the plan as JSON and stop (apply it with zql apply FILE)")
    _apply_options(update)
    update.set_defaults(run=_guarded("update", _run_update))


def register_apply(subparsers: Any) -> None:
    """Add the ``apply`` subcommand."""
    apply = subparsers.add_parser(
        "apply", help="apply a saved plan, or resume an interrupted run (--resume JOURNAL)",
        description="Apply a plan written by zql update --plan-out: every item is read again\n"
        "first and any item changed since the plan (drift) is skipped and reported. With\n"
        "--resume JOURNAL, continue an interrupted run: batches with a recorded outcome are\n"
        "not sent again; a batch sent without one is read again and decided item by item.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    apply.add_argument("plan", metavar="PLAN", nargs="?", help="the plan file")
    apply.add_argument("--resume", metavar="JOURNAL", help="continue the run of this journal")
    _apply_options(apply)
    apply.set_defaults(run=_guarded("apply", _run_apply))


def register_undo(subparsers: Any) -> None:
    """Add the ``undo`` subcommand."""
    undo = subparsers.add_parser(
        "undo", help="write back the values a journaled run changed",
        description="Plan writing back the 'before' value of every item JOURNAL shows as\n"
        "changed, confirm, and apply it with its own journal. Items changed since by someone\n"
        "else (drift) are skipped and reported.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    undo.add_argument("journal_file", metavar="JOURNAL", help="the journal of the run to undo")
    _apply_options(undo)
    undo.set_defaults(run=_guarded("undo", _run_undo))


def _guarded(name: str, fn: Callable[[argparse.Namespace], int]) -> Callable[
        [argparse.Namespace], int]:
    """Map every expected error to one message and its exit code."""

    def run(args: argparse.Namespace) -> int:
        from zql.update import PlanError, UpdateError

        try:
            return fn(args)
        except Exception as err:  # expected ones become one line; exit_for re-raises the rest
            return exit_for(f"zql {name}", err, usage=(UpdateError, PlanError))

    return run


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _out(text: str) -> None:
    print(text, flush=True)


def _show_plan(plan: Plan, args: argparse.Namespace, client: ZephyrClient) -> None:
    from zql.update.flow import present

    present(client, plan, _out, dry_run=args.dry_run, batch_size=args.batch_size)


def _ask(prompt: str) -> bool:
    try:
        answer = input(prompt)
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def _execute(client: ZephyrClient, plan: Plan, args: argparse.Namespace, verb: str, *,
             fresh: bool) -> int:
    from zql.update.flow import NotConfirmed, execute

    try:
        code, _ = execute(client, plan, out=_out, note=_say, yes=args.yes,
                          ask=_ask if sys.stdin.isatty() else None, verb=verb, fresh=fresh,
                          most=args.max, journal=args.journal, batch_size=args.batch_size,
                          concurrency=args.concurrency, progress=_progress(plan))
    except NotConfirmed as err:
        _say(str(err))
        return 1
    return code


def _progress(plan: Plan) -> Callable[[int, int], None] | None:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r{done:,}/{total:,} {plan.noun(total)} sent", end=end, file=sys.stderr,
              flush=True)

    return show


def _read_query(text: str) -> str:
    return sys.stdin.read() if text == "-" else text


def _run_update(args: argparse.Namespace) -> int:
    from zql import parse
    from zql._fs import write_atomically
    from zql.update import plan_update
    from zql.update.flow import change_options

    query = _read_query(args.query)
    parse(query)  # a syntax error needs no server
    if args.entity not in ("execution", "testcase"):
        raise UsageError(f"--entity must be execution or testcase, not {args.entity!r}")
    with connect(args) as client:
        client.schema()  # validate against the server's own fields
        plan = plan_update(client, query, entity=args.entity, release=args.release,
                           project=args.project, **change_options(args))
        _show_plan(plan, args, client)
        if args.plan_out:
            try:
                write_atomically(Path(args.plan_out), json.dumps(plan.to_json(), indent=1) + "\n")
            except OSError as err:
                raise UsageError(f"cannot write {args.plan_out}: {err.strerror or err}") \
                    from None
            _say(f"plan written to {args.plan_out}; apply it with: zql apply {args.plan_out}")
            return 0
        if args.dry_run:
            return 0
        return _execute(client, plan, args, "Update", fresh=True)


def _load_plan(path: str) -> Plan:
    from zql.update import Plan, PlanError

    try:
        if Path(path).stat().st_size > _MAX_PLAN:
            raise UsageError(f"{path} is larger than {_MAX_PLAN // 2**20} MB: not a plan file")
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a text file: not a plan file") from None
    try:
        data = json.loads(text)
    except ValueError as err:
        raise PlanError(f"{path} is not JSON ({err})") from None
    return Plan.from_json(data)


def _same_server(plan: Plan, client: ZephyrClient) -> None:
    if plan.server and plan.server.rstrip("/") != client.base_url.rstrip("/"):
        raise UsageError(f"the plan was made against {plan.server}, not {client.base_url}; "
                         "connect to the same server")


def _run_apply(args: argparse.Namespace) -> int:
    from zql.update import read_journal, resume
    from zql.update.flow import interrupted, report_lines

    if bool(args.plan) == bool(args.resume):
        raise UsageError("give a plan file, or --resume JOURNAL (not both)")
    if args.resume:
        path = Path(args.resume)
        if not path.is_file():
            raise UsageError(f"no journal at {path}")
        view = read_journal(path)
        with connect(args) as client:
            _same_server(view.plan, client)
            counts = view.counts()
            _say(f"resuming {path}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
            if args.dry_run:
                return 0
            try:
                report = resume(client, path, batch_size=args.batch_size,
                                concurrency=args.concurrency, progress=_progress(view.plan))
            except KeyboardInterrupt:
                interrupted(path, _say)
                return 130
            for line in report_lines(report):
                _out(line)
            return report.exit_code
    plan = _load_plan(args.plan)
    with connect(args) as client:
        _same_server(plan, client)
        _show_plan(plan, args, client)
        if args.dry_run:
            return 0
        return _execute(client, plan, args, "Update", fresh=False)


def _run_undo(args: argparse.Namespace) -> int:
    from zql.update import undo

    path = Path(args.journal_file)
    if not path.is_file():
        raise UsageError(f"no journal at {path}")
    from zql.update.flow import undo_notes

    plan = undo(path)
    for line in undo_notes(path):
        _say(line)
    with connect(args) as client:
        _same_server(plan, client)
        _show_plan(plan, args, client)
        if args.dry_run:
            return 0
        return _execute(client, plan, args, "Undo", fresh=False)
