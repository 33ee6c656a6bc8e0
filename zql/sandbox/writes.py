"""The sandbox's write endpoints: execution status, notes and assignee, test case tags and priority.

The shapes are the ones public ZE clients send (zql-reference §3.7); every write lands in the
SQLite store and the search documents are recomputed, so later searches see the change:

- ``PUT /execution/bulk?status={id}&testerid={user}&allExecutions=false`` with
  ``{"ids": [...]}``: one status for many executions (its execution date becomes now);
  ``testerid`` must name a user and is recorded as who ran it — the sandbox keeps no executor
  apart from the assignee, so the assignee is left alone. Answers the updated schedules.
- ``PUT /execution/bulk/execute`` with ``[{"rtsId", "status", "notes", "testerId",
  "executedOn", "actualTime", ...}]``: per-row values; a key that is absent is left unchanged,
  ``testerId`` re-assigns (INFERRED in ZE), status ``-1`` with ``executedOn: null`` makes a run
  "Not Executed" again. Answers the updated schedules.
- ``PUT /execution/{id}?status={id}&testerid={user}`` with ``{}`` or ``{"notes": ...}``: one
  execution; answers the updated schedule.
- ``PUT /testcase?forceCreateNewVersion=false`` with ``{"testcase": {"testcaseId", "tag",
  "priority", ...}, "releaseId"}``: the keys given replace the test case's values (``tag`` is the
  whole space-separated tag list); answers the updated test case hit.

A request is checked whole before anything is applied: one bad entry (an unknown id, status or
user) is a 400 naming it, and nothing changes. The read-only account gets 403. The control's
faults and gates (``--fail-rate``, latency, cookie expiry, held requests) come first, as for
reads; then :class:`~zql.sandbox.write_control.WriteControl` can apply a write and drop the
connection before the answer is complete ("applied but response lost").
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from zql.sandbox.api import ApiError, Context, RouteTable, blocking, bool_param, json_body
from zql.sandbox.model import fold

if TYPE_CHECKING:
    import sqlite3

__all__ = ["MAX_BATCH", "ResponseLost", "routes"]

#: Most ids (or rows) one bulk request may carry, as public clients send.
MAX_BATCH = 500
_MAX_TEXT = 32_768


class ResponseLost(Exception):
    """Raised after a partial answer, so the server drops the connection (a lost response)."""


class _Quiet(logging.Filter):
    """Keeps the deliberate drops out of uvicorn's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, ResponseLost)


_QUIET = _Quiet()


class _LostAnswer(Response):
    """Starts a real answer, sends part of it and drops the connection."""

    def __init__(self, content: Any) -> None:
        super().__init__(json.dumps(content).encode(), media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[:1], "more_body": True})
        raise ResponseLost("the answer was dropped after the write was applied")


def _error(status: int, message: str) -> Exception:
    return ApiError(status, message)


def _whole(value: object, what: str, *, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 19:
        return int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 10**18:
        raise _error(400, f"{what} must be a whole number, not {json.dumps(value)}")
    return value


def _text(value: object, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _error(400, f"{what} must be a string or null, not {json.dumps(value)}")
    if len(value) > _MAX_TEXT:
        raise _error(400, f"{what} is longer than {_MAX_TEXT} characters")
    return value


async def _json_body(request: Request) -> Any:
    try:
        return await json_body(request)
    except ClientDisconnect:  # the client went away (killed): nothing to apply, no one to tell
        raise _error(400, "the client disconnected before sending its request") from None


def _now() -> int:
    return int(time.time() * 1000)


class _Writes:
    """The write endpoints over one store and control."""

    def __init__(self, ctx: Context) -> None:
        self.store = ctx.store
        self.control = ctx.control

    # ---- shared steps

    def _may_write(self, request: Request, what: str) -> None:
        user: str = request.state.user
        if getattr(request.state, "readonly", False):
            raise _error(403, f"user {user!r} has read-only access and may not change {what}")

    def _answer(self, content: Any) -> Response:
        self.control.writes.count_applied()
        if self.control.writes.take_loss():
            return _LostAnswer(content)
        return JSONResponse(content)

    def _known(self, table: str, ids: Sequence[int]) -> set[int]:
        found = self.store.rows(f"SELECT id FROM {table} WHERE id IN "
                                "(SELECT value FROM json_each(?))", (json.dumps(list(ids)),))
        return {row[0] for row in found}

    def _check_ids(self, table: str, ids: Sequence[int], what: str) -> None:
        known = self._known(table, ids)
        missing = [i for i in ids if i not in known]
        if missing:
            raise _error(400, f"no {what} with id {missing[0]}"
                         + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""))

    def _status(self, value: object, what: str = "status") -> int:
        number = _whole(value, what)
        assert number is not None
        if not self._known("statuses", [number]):
            raise _error(400, f"unknown {what} {number}")
        return number

    def _user(self, value: object, what: str) -> int | None:
        number = _whole(value, what, nullable=True)
        if number is not None and not self._known("users", [number]):
            raise _error(400, f"no user with id {number} ({what})")
        return number

    def _schedules(self, ids: Sequence[int]) -> list[Any]:
        return [json.loads(item) for item in self.store.items("execution", ids)]

    def _set_executions(self, rows: Sequence[tuple[int, dict[str, object]]]) -> None:
        with self.store.writing() as conn:
            for eid, values in rows:
                if values:
                    sets = ", ".join(f"{name} = ?" for name in values)
                    conn.execute(f"UPDATE executions SET {sets}, modified_on = ? WHERE id = ?",
                                 (*values.values(), _now(), eid))
            self.store.refresh(conn, "execution", [eid for eid, _ in rows])

    # ---- executions

    async def bulk_status(self, request: Request) -> Response:
        self._may_write(request, "executions")
        body = await _json_body(request)
        return self._answer(await blocking(lambda: self._bulk_status(request, body)))

    def _bulk_status(self, request: Request, body: Any) -> Any:
        params = request.query_params
        status = self._status(params.get("status"))
        if not params.get("testerid"):
            raise _error(400, "testerid is required")
        self._user(params.get("testerid"), "testerid")
        if bool_param(params, "allExecutions", False):
            raise _error(400, "allExecutions=true is not supported: send the ids")
        raw = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(raw, list) or not raw:
            raise _error(400, 'the body must be {"ids": [execution id, ...]} with at least one id')
        if len(raw) > MAX_BATCH:
            raise _error(400, f"at most {MAX_BATCH} ids a request, not {len(raw)}")
        ids = list(dict.fromkeys(_whole(i, "ids[]") or 0 for i in raw))
        self._check_ids("executions", ids, "execution")
        now = _now()
        self._set_executions([(i, {"status_id": status, "executed_on": now}) for i in ids])
        return self._schedules(ids)

    async def one_execution(self, request: Request) -> Response:
        self._may_write(request, "executions")
        body = await _json_body(request)
        return self._answer(await blocking(lambda: self._one_execution(request, body)))

    def _one_execution(self, request: Request, body: Any) -> Any:
        eid = _whole(request.path_params["execution_id"], "execution id") or 0
        self._check_ids("executions", [eid], "execution")
        status = self._status(request.query_params.get("status"))
        self._user(request.query_params.get("testerid"), "testerid")
        if body is not None and not isinstance(body, dict):
            raise _error(400, "the body must be a JSON object")
        values: dict[str, object] = {"status_id": status, "executed_on": _now()}
        if isinstance(body, dict) and "notes" in body:
            values["notes"] = _text(body["notes"], "notes")
        self._set_executions([(eid, values)])
        return self._schedules([eid])[0]

    async def bulk_execute(self, request: Request) -> Response:
        self._may_write(request, "executions")
        body = await _json_body(request)
        return self._answer(await blocking(lambda: self._bulk_execute(body)))

    def _bulk_execute(self, body: Any) -> Any:
        if not isinstance(body, list) or not body:
            raise _error(400, 'the body must be a list of {"rtsId", ...} rows')
        if len(body) > MAX_BATCH:
            raise _error(400, f"at most {MAX_BATCH} rows a request, not {len(body)}")
        rows = [self._execute_row(entry, n) for n, entry in enumerate(body)]
        self._check_ids("executions", [eid for eid, _ in rows], "execution")
        self._set_executions(rows)
        return self._schedules(list(dict.fromkeys(eid for eid, _ in rows)))

    def _execute_row(self, entry: object, n: int) -> tuple[int, dict[str, object]]:
        if not isinstance(entry, dict):
            raise _error(400, f"row {n} must be an object")
        where = f"row {n}"
        eid = _whole(entry.get("rtsId"), f"{where}: rtsId")
        values: dict[str, object] = {}
        if "status" in entry:
            status = self._status(entry["status"], f"{where}: status")
            values["status_id"] = status
            values["executed_on"] = None if status < 0 else _now()
        if "executedOn" in entry:
            values["executed_on"] = _whole(entry["executedOn"], f"{where}: executedOn",
                                           nullable=True)
        if "notes" in entry:
            values["notes"] = _text(entry["notes"], f"{where}: notes")
        if "testerId" in entry:
            values["tester_id"] = self._user(entry["testerId"], f"{where}: testerId")
        if "actualTime" in entry:
            values["actual_time"] = _text(entry["actualTime"], f"{where}: actualTime")
        return eid or 0, values

    # ---- test cases

    async def testcase(self, request: Request) -> Response:
        self._may_write(request, "test cases")
        body = await _json_body(request)
        return self._answer(await blocking(lambda: self._testcase(request, body)))

    def _testcase(self, request: Request, body: Any) -> Any:
        if bool_param(request.query_params, "forceCreateNewVersion", False):
            raise _error(400, "forceCreateNewVersion=true is not supported by the sandbox")
        tc = body.get("testcase") if isinstance(body, dict) else None
        if not isinstance(tc, dict):
            raise _error(400, 'the body must be {"testcase": {"testcaseId", ...}, "releaseId"}')
        key = _whole(tc.get("testcaseId"), "testcase.testcaseId")
        found = self.store.rows("SELECT id, release_id FROM testcases WHERE testcase_id = ?",
                                (key,))
        if not found:
            raise _error(400, f"no test case with testcaseId {key}")
        row_id, release = found[0]
        if isinstance(body, dict) and body.get("releaseId") not in (None, release):
            raise _error(400, f"test case {key} is not in release {body.get('releaseId')}")
        values, tags = self._testcase_values(tc)
        with self.store.writing() as conn:
            self._set_testcase(conn, row_id, release, values, tags)
        return json.loads(self.store.items("testcase", [row_id])[0])

    def _testcase_values(self, tc: Mapping[str, Any]) -> tuple[dict[str, object],
                                                                  list[str] | None]:
        values: dict[str, object] = {}
        tags = None
        if "tag" in tc:
            text = _text(tc["tag"], "testcase.tag") or ""
            tags = list(dict.fromkeys(text.split()))
            values["tags"] = " ".join(tags)
            values["tags_json"] = json.dumps(tags)
        if "priority" in tc:
            priority = _text(tc["priority"], "testcase.priority") or None
            if priority is not None:
                known = {fold(p): p for (p,) in self.store.rows(
                    "SELECT DISTINCT priority FROM testcases WHERE priority IS NOT NULL")}
                if fold(priority) not in known:
                    raise _error(400, f"unknown priority {priority!r}; one of: "
                                 f"{', '.join(sorted(known.values()))}")
                priority = known[fold(priority)]
            values["priority"] = priority
        return values, tags

    def _set_testcase(self, conn: sqlite3.Connection, row_id: int, release: int,
                      values: Mapping[str, object], tags: list[str] | None) -> None:
        if values:
            sets = ", ".join(f"{name} = ?" for name in values)
            conn.execute(f"UPDATE testcases SET {sets}, modified_on = ? WHERE id = ?",
                         (*values.values(), _now(), row_id))
        if tags is not None:
            conn.execute("DELETE FROM testcase_tags WHERE tc_id = ?", (row_id,))
            conn.executemany("INSERT INTO testcase_tags VALUES (?, ?)",
                             [(row_id, t) for t in tags])
            conn.executemany("INSERT OR IGNORE INTO lookup_values VALUES ('tag', ?, ?, ?)",
                             [(release, t, fold(t)) for t in tags])
        self.store.refresh(conn, "testcase", [row_id])
        runs = [r[0] for r in conn.execute("SELECT id FROM executions WHERE tct_id = ?",
                                           (row_id,))]
        self.store.refresh(conn, "execution", runs)


def routes(ctx: Context) -> RouteTable:
    """``(method, path, endpoint)`` of every write endpoint (for ``create_app``).

    >>> from zql.sandbox.app import create_app
    >>> from zql.sandbox.api import Credentials
    >>> from zql.sandbox.control import Control
    >>> from zql.sandbox.store import Store
    >>> app = create_app(Store.open(), Control(), Credentials("t", "admin", "pw"))
    >>> sorted(r.path for r in app.routes[0].routes if "PUT" in (r.methods or ()))
    ['/execution/bulk', '/execution/bulk/execute', '/execution/{execution_id}', '/testcase']
    >>> app.state.store.close()
    """
    logging.getLogger("uvicorn.error").addFilter(_QUIET)
    writes = _Writes(ctx)
    return [
        ("PUT", "/execution/bulk", writes.bulk_status),
        ("PUT", "/execution/bulk/execute", writes.bulk_execute),
        ("PUT", "/execution/{execution_id}", writes.one_execution),
        ("PUT", "/testcase", writes.testcase),
    ]
