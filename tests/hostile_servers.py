"""Small real HTTP servers on loopback that misbehave on purpose (issue 11): endless bodies,
slow drips, pages that never advance, echoes of credentials, bad ``Retry-After`` values,
rows that are not objects. Every loop is bounded; every server stops with its ``with`` block.

``with Hostile(answer) as server: ...`` runs ``answer(handler)`` for each request, where
``handler`` is the ``BaseHTTPRequestHandler``; ``server.url`` is its address and
``server.seen`` the requests it got (method, path with query, headers).
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = Callable[[http.server.BaseHTTPRequestHandler], None]


class Hostile:
    """A threaded loopback server answering every request with ``answer``."""

    def __init__(self, answer: Answer) -> None:
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.stopping = threading.Event()
        seen, stopping = self.seen, self.stopping

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                seen.append((self.command, self.path, dict(self.headers.items())))
                length = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(length).decode() if length else ""
                self.stopping = stopping  # type: ignore[attr-defined]
                try:
                    answer(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def url(self) -> str:
        """The server's address."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Hostile:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def searches(self) -> list[dict[str, str]]:
        """The query parameters of every search request seen."""
        return [{k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
                for _, path, _ in self.seen if "/advancesearch" in path]


def send_json(handler: http.server.BaseHTTPRequestHandler, status: int, body: Any,
              headers: dict[str, str] | None = None) -> None:
    """Answer with a JSON body."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(data)


def stopping(handler: http.server.BaseHTTPRequestHandler) -> threading.Event:
    """The event set when the server is stopped (loops check it)."""
    event: threading.Event = handler.stopping  # type: ignore[attr-defined]
    return event


def endless_body(handler: http.server.BaseHTTPRequestHandler, *, chunk: int = 65536,
                 most: int = 20000) -> None:
    """A chunked JSON-looking body that never ends (bounded: ``most`` chunks, ~1.3 GB)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    piece = b" " * chunk
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    handler.wfile.write(b"1\r\n[\r\n")
    for _ in range(most):
        if stopping(handler).is_set():
            break
        handler.wfile.write(frame)
    handler.close_connection = True


def drip(handler: http.server.BaseHTTPRequestHandler, *, every: float = 0.05,
         most: int = 2000) -> None:
    """A body announced as 10,000 bytes and sent one byte every ``every`` seconds
    (bounded: ``most`` bytes). The bytes sent to each connection are counted in
    ``handler.server.dripped`` (a list, one entry per connection)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "10000")
    handler.end_headers()
    counts: list[int] = handler.server.__dict__.setdefault("dripped", [])
    counts.append(0)
    index = len(counts) - 1
    for _ in range(most):
        if stopping(handler).wait(every):
            break
        handler.wfile.write(b" ")
        handler.wfile.flush()
        counts[index] += 1
    handler.close_connection = True


def page(results: list[Any], *, total: int, first: int = 0) -> list[dict[str, Any]]:
    """A search answer in ZE's array-wrapped shape."""
    return [{"firstResult": first, "resultSize": total, "results": results}]


def routes(table: dict[str, Any], *, fallback: int = 404) -> Answer:
    """An answer serving JSON per path suffix: ``{"/user/current": {...}}``; a value that is
    callable gets the handler and answers itself; anything else gets ``fallback``."""

    def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        for suffix, body in table.items():
            if path.endswith(suffix):
                if callable(body):
                    body(handler)
                else:
                    send_json(handler, 200, body)
                return
        send_json(handler, fallback, {"errorMsg": "no such endpoint", "errorCode": "Not Found"})

    return answer
