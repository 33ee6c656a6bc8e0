"""Turning what the user typed into ids the server knows, before anything is sent.

Status names resolve through the server's configured list (``client.statuses()``), users
through ``GET /user``, priorities through the server's priority values.
A name the server does not have is an :class:`UpdateError` with did-you-mean. These are client
operations (generators yielding requests), run by either client.

>>> from zql.schema import Status
>>> pick_status("blocked", [Status(1, "Pass"), Status(4, "Blocked")])
StatusRef(id=4, name='Blocked')
>>> pick_status("Blokced", [Status(1, "Pass"), Status(4, "Blocked")])
Traceback (most recent call last):
  ...
zql.update.resolve.UpdateError: no status named 'Blokced' on this server; did you mean: Blocked
"""

from __future__ import annotations

import difflib
from collections.abc import Generator, Mapping, Sequence
from typing import Any

from zql.schema import Status
from zql.update.endpoints import Request
from zql.update.model import Change, StatusRef, UserRef

__all__ = ["UpdateError", "change_op", "pick_status", "pick_user"]

_MAX_TAG = 255


class UpdateError(ValueError):
    """Bad input for an update: an unknown status, user or priority, a bad tag, no change."""


def _did_you_mean(kind: str, text: str, names: Sequence[str]) -> UpdateError:
    close = difflib.get_close_matches(text, list(names), n=3, cutoff=0.5)
    close += [n for n in names if text.casefold() in n.casefold() and n not in close]
    hint = f"did you mean: {', '.join(close[:3])}" if close else \
        f"known: {', '.join(names[:12])}{', …' if len(names) > 12 else ''}"
    return UpdateError(f"no {kind} named {text!r} on this server; {hint}")


def pick_status(name: str, statuses: Sequence[Status]) -> StatusRef:
    """The active status called ``name`` (any case)."""
    for status in statuses:
        if status.name.casefold() == name.strip().casefold():
            if not status.active:
                raise UpdateError(f"status {status.name!r} is not active on this server")
            return StatusRef(status.id, status.name)
    raise _did_you_mean("status", name, [s.name for s in statuses if s.active])


def pick_user(value: str, users: Sequence[Mapping[str, Any]]) -> UserRef:
    """The user with this user name (any case), full name, or id.

    >>> pick_user("KENJI", [{"id": 3, "username": "kenji"}])
    UserRef(id=3, name='kenji')
    """
    text = value.strip()
    for key in ("username", "fullName"):
        hits = [u for u in users if str(u.get(key, "")).casefold() == text.casefold()]
        if len(hits) == 1:
            return UserRef(int(hits[0]["id"]), str(hits[0].get("username", text)))
    hits = [u for u in users if str(u.get("id")) == text]
    if hits:
        return UserRef(int(hits[0]["id"]), str(hits[0].get("username", text)))
    raise _did_you_mean("user", text, [str(u.get("username")) for u in users])


def _tag(text: str) -> str:
    tag = text.strip()
    if not tag or any(c.isspace() for c in tag) or len(tag) > _MAX_TAG:
        raise UpdateError(f"bad tag {text!r}: a tag is one word of at most {_MAX_TAG} "
                          "characters (tags are separated by spaces)")
    return tag


def change_op(entity: str, *, status: str | None = None, notes: str | None = None,
              assign: str | None = None, add_tags: Sequence[str] = (),
              remove_tags: Sequence[str] = (), priority: str | None = None,
              statuses: Sequence[Status] = (),
              priorities: Sequence[str] | None = None,
              ) -> Generator[Request, Any, tuple[Change, dict[str, dict[str, str]]]]:
    """The :class:`~zql.update.model.Change` for the options given, with every name resolved
    on the server (users) or in the server's lists given (``statuses``: ``client.statuses()``;
    ``priorities``), and the names of status and user ids (for tables)."""
    if entity == "execution":
        if add_tags or remove_tags or priority is not None:
            raise UpdateError("--add-tag, --remove-tag and --priority apply to test cases "
                              "(--entity testcase)")
        if status is None and notes is None and assign is None:
            raise UpdateError("nothing to change: give --status, --notes or --assign")
    elif entity == "testcase":
        if status is not None or notes is not None or assign is not None:
            raise UpdateError("--status, --notes and --assign apply to executions "
                              "(--entity execution)")
        if not add_tags and not remove_tags and priority is None:
            raise UpdateError("nothing to change: give --add-tag, --remove-tag or --priority")
    else:
        raise UpdateError(f"updates act on executions or test cases, not {entity!r}")
    added = tuple(dict.fromkeys(_tag(t) for t in add_tags))
    removed = tuple(dict.fromkeys(_tag(t) for t in remove_tags))
    if set(added) & set(removed):
        raise UpdateError(f"tag {sorted(set(added) & set(removed))[0]!r} is both added and "
                          "removed")
    names: dict[str, dict[str, str]] = {}
    status_ref = None
    if entity == "execution":
        names["statuses"] = {str(s.id): s.name for s in statuses}
        if status is not None:
            status_ref = pick_status(status, statuses)
    user = None
    if assign is not None:
        users = yield Request("GET", "user", None, None)
        users = users if isinstance(users, list) else users.get("results", [])
        user = pick_user(assign, users)
        names["users"] = {str(u.get("id")): str(u.get("username")) for u in users}
    if priority is not None and priorities:
        known = {p.casefold(): p for p in priorities}
        if priority.strip().casefold() not in known:
            raise _did_you_mean("priority", priority, list(priorities))
        priority = known[priority.strip().casefold()]
    return Change(status=status_ref, notes=notes, assign=user, add_tags=added,
                  remove_tags=removed, priority=priority), names
