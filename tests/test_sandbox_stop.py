"""Stopping the sandbox's server (zql/sandbox/_server.py): at once, and nothing left open."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from zql.sandbox import Sandbox
from zql.sandbox._server import QuickStopServer

PATIENCE = 30.0


def _get(port: int, path: str, token: str) -> socket.socket:
    """A raw keep-alive connection that has sent one GET and read its whole answer."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
                 .encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(65536)
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    body = head.split(b"\r\n\r\n", 1)[1]
    while len(body) < length:
        body += sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def _serving(server: QuickStopServer) -> tuple[threading.Thread, socket.socket]:
    """Run ``server`` in a thread on a new loopback listener; the thread and the listener."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    return thread, listener


def test_stop_closes_an_idle_keep_alive_connection() -> None:
    sb = Sandbox().start()
    port = int(sb.url.rsplit(":", 1)[1])
    with _get(port, "/flex/services/rest/latest/user/current", sb.token) as sock:
        sb.stop()
        assert sock.recv(1) == b""  # the server closed its end
    with pytest.raises(ConnectionRefusedError):  # and no longer listens
        socket.create_connection(("127.0.0.1", port), timeout=PATIENCE).close()


@pytest.fixture
def stuck_server() -> Iterator[tuple[QuickStopServer, threading.Thread, threading.Event, int]]:
    """A server whose one endpoint waits for a body that never comes, with no grace period."""
    asked = threading.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        asked.set()
        while True:  # the body never completes: wait until cancelled
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            if not message.get("more_body"):
                await asyncio.sleep(3600)

    config = uvicorn.Config(app, log_level="critical", access_log=False, log_config=None,
                            lifespan="off", timeout_graceful_shutdown=0)
    server = QuickStopServer(config)
    thread, listener = _serving(server)
    try:
        yield server, thread, asked, listener.getsockname()[1]
    finally:
        server.stop_soon()
        thread.join(PATIENCE)
        listener.close()


def test_a_request_still_open_after_the_grace_period_is_answered_and_closed(
        stuck_server: tuple[QuickStopServer, threading.Thread, threading.Event, int]) -> None:
    server, thread, asked, port = stuck_server
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab")
        assert asked.wait(PATIENCE)
        server.stop_soon()
        thread.join(PATIENCE)
        assert not thread.is_alive()
        answer = b""
        while chunk := sock.recv(65536):  # uvicorn's 500 for the cancelled request, then EOF
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 500") and b"connection: close" in answer, answer
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        gc.collect()
    assert [str(w.message) for w in caught if w.category is ResourceWarning] == []


def test_a_stop_asked_before_the_server_runs_is_kept() -> None:
    config = uvicorn.Config(lambda *_: None, log_level="critical", log_config=None,
                            lifespan="off")
    server = QuickStopServer(config)
    server.stop_soon()  # no loop yet: only the flag
    thread, listener = _serving(server)
    thread.join(PATIENCE)
    listener.close()
    assert not thread.is_alive() and server.should_exit
