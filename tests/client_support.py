"""Fixtures and helpers shared by the client tests: one sandbox per test module, reset per test.

Import the fixtures into a test module with ``from tests.client_support import sandbox_fixture,
sb_fixture``; they are named ``client_sandbox`` and ``sb`` in tests (``sb`` is what tests use).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest

from tests.process_support import PATIENCE
from zql.sandbox import Sandbox

#: Distinctive credentials, so a leak is easy to spot in any output.
TOKEN = "tok-Zq9xSECRETtoken-7731"
USER = "alice"
PASSWORD = "pw-Qm4SECRETpass-0925"
SECRETS = (TOKEN, PASSWORD)


@pytest.fixture(scope="module", name="client_sandbox")
def sandbox_fixture() -> Iterator[Sandbox]:
    """One small sandbox for the whole test module."""
    with Sandbox(size="small", seed=1, token=TOKEN, user=(USER, PASSWORD)) as running:
        yield running


def reset(sb: Sandbox) -> None:
    """Back to defaults: no faults, no latency, no quirks, the default page cap."""
    control = sb.control
    control.page_cap = 500
    control.quirks = False
    control.latency_ms = 0
    control.fail_rate = 0.0
    while control.take_fault() is not None:
        pass
    control.expire_sessions()


@pytest.fixture(name="sb")
def sb_fixture(client_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The module's sandbox, reset before and after the test."""
    reset(client_sandbox)
    yield client_sandbox
    reset(client_sandbox)


def interrupting(gate: Any, timeout: float = PATIENCE) -> threading.Thread:
    """A started thread that, once ``gate`` (a sandbox gate) holds a request, delivers to the
    main thread what SIGINT delivers (``_thread.interrupt_main``: a ``KeyboardInterrupt``), then
    lets the request go: the main thread, blocked reading that answer, meets the interrupt as
    soon as it runs Python code again, inside the call it made. Join it after that call.
    (No request held within ``timeout``: an AssertionError in the thread, no interrupt.)"""
    import _thread
    import signal

    def interrupt() -> None:
        gate.wait_held(timeout=timeout)
        _thread.interrupt_main(signal.SIGINT)
        gate.release()

    thread = threading.Thread(target=interrupt, daemon=True)
    thread.start()
    return thread


def searches(sb: Sandbox, since: int = 0) -> list[dict[str, str]]:
    """The query parameters of every search request the sandbox saw after ``since``."""
    from urllib.parse import parse_qsl

    return [dict(parse_qsl(query)) for method, path, query in sb.control.requests[since:]
            if path.endswith("/advancesearch")]


class Sleeps(list[float]):
    """A ``sleep`` that records instead of waiting (sync and async flavours)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)

    async def asleep(self, seconds: float) -> None:
        self.append(seconds)


C = TypeVar("C")


def recording(client: C, sleep: Any) -> C:
    """``client`` with its retries' waits going to ``sleep`` (the drivers' private seam)."""
    client._driver.sleep = sleep  # type: ignore[attr-defined]
    return client


class OddServer:
    """A tiny real HTTP server answering every request with one canned response, for what the
    sandbox never does (an HTML page, a redirect, a body that is not JSON).

    ``with OddServer(200, b"<html>", "text/html") as url: ...``
    """

    def __init__(self, status: int, body: bytes, content_type: str = "application/json",
                 headers: dict[str, str] | None = None) -> None:
        import http.server
        import threading

        answer = (status, body, content_type, headers or {})
        self.paths: list[str] = []
        paths = self.paths

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                paths.append(self.path)
                status, body, kind, extra = answer
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
