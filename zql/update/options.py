"""The options of a change, shared by ``zql update`` and the shell's ``\\update``.

Argument definitions only (``argparse``, no engine): ``zql --help`` and every other subcommand
build their parsers with these without loading the planner, the client or httpx.

>>> p = argparse.ArgumentParser(prog="x", add_help=False); add_change_arguments(p)
>>> p.parse_args(["--add-tag", "a", "--add-tag", "b"]).add_tag
['a', 'b']
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["DEFAULT_MAX", "add_change_arguments", "change_options"]

#: More items than this need ``--max`` raised.
DEFAULT_MAX = 1000


def add_change_arguments(parser: argparse.ArgumentParser) -> None:
    """The options saying what to change (``zql update`` and ``\\update`` share them)."""
    change = parser.add_argument_group("the change (executions)")
    change.add_argument("--status", metavar="NAME", help="set this status (server's names)")
    change.add_argument("--notes", metavar="TEXT", help="set the notes")
    change.add_argument("--assign", metavar="USER", help="assign to this user (name or id)")
    tc = parser.add_argument_group("the change (test cases)")
    tc.add_argument("--add-tag", action="append", default=[], metavar="T", help="add a tag")
    tc.add_argument("--remove-tag", action="append", default=[], metavar="T",
                    help="remove a tag")
    tc.add_argument("--priority", metavar="P", help="set the priority")


def change_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`~zql.update.plan_update` from parsed options."""
    return {"status": args.status, "notes": args.notes, "assign": args.assign,
            "add_tags": args.add_tag, "remove_tags": args.remove_tag, "priority": args.priority}
