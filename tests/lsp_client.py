"""A small, real LSP client for the tests: JSON-RPC with Content-Length framing over a
subprocess's stdin/stdout, as an editor speaks it.

A reader thread parses every frame from the server; responses are matched to requests by id,
notifications are queued (and server-to-client requests answered with null) so a test can wait
for, say, ``textDocument/publishDiagnostics`` of a given version.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from tests.process_support import PATIENCE, stop

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = PATIENCE


def server_command() -> list[str]:
    """``python -m zql.cli lsp`` with the interpreter running the tests."""
    return [sys.executable, "-m", "zql.cli", "lsp"]


def read_frame(stream: BinaryIO) -> dict[str, Any] | None:
    """One framed JSON-RPC message, or None at end of stream."""
    headers: dict[str, str] = {}
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.decode("ascii").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers["content-length"])
    body = b""
    while len(body) < length:
        chunk = stream.read(length - len(body))
        if not chunk:
            return None
        body += chunk
    message: dict[str, Any] = json.loads(body.decode("utf-8"))
    return message


def frame(message: dict[str, Any]) -> bytes:
    """A message with its Content-Length header (byte length of the UTF-8 body)."""
    body = json.dumps(message, ensure_ascii=False).encode("utf-8")
    return f"Content-Length: {len(body)}\r\n\r\n".encode("ascii") + body


class LspClient:
    """Start the server, talk to it, and stop it (use as a context manager)."""

    def __init__(self, command: list[str] | None = None, cwd: Path | None = None) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            command or server_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, cwd=cwd or ROOT, env=env)
        self._next_id = 0
        self._responses: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self.notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        #: (method, uri, version) of every notification taken so far; only these, since
        #: keeping whole messages would grow the heap and slow this process down
        self.seen: list[tuple[str, str | None, int | None]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self) -> LspClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while True:
            message = read_frame(self.proc.stdout)
            if message is None:
                with self._cond:
                    self._cond.notify_all()
                return
            if "id" in message and "method" in message:  # a request from the server
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                continue
            if "id" in message:
                with self._cond:
                    self._responses[message["id"]] = message
                    self._cond.notify_all()
            else:
                self.notifications.put(message)

    def _send(self, message: dict[str, Any]) -> None:
        self.send_raw(frame(message))

    def send_raw(self, data: bytes) -> None:
        """Write bytes as they are (hostile frames included)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def response(self, msg_id: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The whole response (result or error) to the request ``msg_id``."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while msg_id not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise TimeoutError(f"no answer to {msg_id!r} ({self.stderr_text()})")
                self._cond.wait(left)
            return self._responses.pop(msg_id)

    def send_request(self, method: str, params: Any) -> int:
        """Send a request without waiting; its id (for :meth:`response`)."""
        self._next_id += 1
        self._send({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        return self._next_id

    def request(self, method: str, params: Any, timeout: float = TIMEOUT) -> Any:
        """Send a request and return its result (raises on an error response)."""
        msg_id = self.send_request(method, params)
        try:
            response = self.response(msg_id, timeout)
        except TimeoutError:
            raise TimeoutError(f"no answer to {method} ({self.stderr_text()})") from None
        if "error" in response:
            raise RuntimeError(f"{method} failed: {response['error']}")
        return response.get("result")

    def notify(self, method: str, params: Any) -> None:
        """Send a notification."""
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_for(self, method: str, predicate: Callable[[Any], bool] = lambda p: True,
                 timeout: float = TIMEOUT) -> Any:
        """The params of the next ``method`` notification whose params satisfy ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {method} notification ({self.stderr_text()})")
            try:
                message = self.notifications.get(timeout=left)
            except queue.Empty:
                continue
            params = message.get("params")
            self.seen.append((str(message.get("method")),
                              params.get("uri") if isinstance(params, dict) else None,
                              params.get("version") if isinstance(params, dict) else None))
            if message.get("method") == method and predicate(message.get("params")):
                return message.get("params")

    def initialize(self, *, encodings: list[str] | None = None,
                   options: dict[str, Any] | None = None,
                   root: Path | None = None) -> dict[str, Any]:
        """``initialize`` + ``initialized``; returns the server's capabilities."""
        capabilities: dict[str, Any] = {
            "textDocument": {
                "publishDiagnostics": {"versionSupport": True},
                "completion": {"completionItem": {"snippetSupport": False}},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "codeAction": {"codeActionLiteralSupport": {"codeActionKind": {
                    "valueSet": ["quickfix", "source.fixAll"]}}},
                "semanticTokens": {"requests": {"full": True}, "tokenTypes": [],
                                   "tokenModifiers": [], "formats": ["relative"]},
            },
        }
        if encodings is not None:
            capabilities["general"] = {"positionEncodings": encodings}
        result: dict[str, Any] = self.request("initialize", {
            "processId": os.getpid(),
            "rootUri": root.as_uri() if root else None,
            "capabilities": capabilities,
            "initializationOptions": options,
        })
        self.notify("initialized", {})
        return result

    def open(self, uri: str, text: str, version: int = 1) -> None:
        """``textDocument/didOpen`` for a ZQL document."""
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "zql", "version": version, "text": text}})

    def diagnostics(self, uri: str, version: int | None = None) -> list[dict[str, Any]]:
        """Wait for the diagnostics of ``uri`` (at ``version`` when given)."""
        params = self.wait_for(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and (version is None or p.get("version") == version))
        found: list[dict[str, Any]] = params["diagnostics"]
        return found

    def shutdown(self) -> int:
        """``shutdown`` then ``exit``; returns the server's exit code."""
        assert self.request("shutdown", None) is None
        self.notify("exit", None)
        return self.proc.wait(timeout=TIMEOUT)

    def stderr_text(self) -> str:
        """What the server wrote to stderr so far (only once it has exited)."""
        if self.proc.poll() is None or self.proc.stderr is None:
            return "server still running"
        return self.proc.stderr.read().decode("utf-8", "replace")[-2000:]

    def close(self) -> None:
        """Stop the server if it is still running and close the pipes."""
        stop(self.proc)
        self._reader.join(timeout=TIMEOUT)
