"""Issue 11 #18: the language server survives bad frames and answers every request, over real
stdio with raw bytes (a hostile or broken client), through ``zql lsp``."""

from __future__ import annotations

import itertools
import json
import tracemalloc
from typing import Any

import pytest

from tests.lsp_client import TIMEOUT, LspClient, frame
from zql.lsp.framing import MAX_HEADER, FrameBuffer, FrameError

URI = "untitled:q.zql"


def _hover(msg_id: int, character: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": URI}, "position": {"line": 0, "character": character}}}


def _still_answers(client: LspClient, msg_id: int) -> None:
    client.send_raw(frame(_hover(msg_id, 1)))
    answer = client.response(msg_id)
    assert "error" not in answer and "priority" in answer["result"]["contents"]["value"]


#: request ids for the shared server, apart from the ones the client numbers itself
_ids = itertools.count(10_000)


@pytest.fixture(scope="module")
def client() -> Any:
    """One server for the module: each test proves it still answers after its bad frame.

    Its first request comes before ``initialize`` (the answer is kept for the test about it);
    the module's last test ends it: ``shutdown``, a request after that, ``exit`` (code 0)."""
    with LspClient() as lsp_client:
        early = next(_ids)
        lsp_client.send_raw(frame(_hover(early, 0)))
        lsp_client.before_initialize = lsp_client.response(early)  # type: ignore[attr-defined]
        lsp_client.initialize()
        lsp_client.open(URI, 'priority = "P1"')
        lsp_client.diagnostics(URI)
        yield lsp_client
        if lsp_client.proc.poll() is None:  # the last test did not run here (-k, xdist)
            assert lsp_client.shutdown() == 0


def test_requests_before_initialize_get_server_not_initialized(client: LspClient) -> None:
    error = client.before_initialize["error"]  # type: ignore[attr-defined]
    assert error["code"] == -32002 and "before initialize" in error["message"]
    _still_answers(client, next(_ids))  # ...and initialized, the same server answers


def test_a_huge_content_length_is_dropped_and_the_server_goes_on(client: LspClient) -> None:
    client.send_raw(b"Content-Length: 999999999999\r\n\r\n"
                    + json.dumps(_hover(next(_ids), 1)).encode())
    _still_answers(client, next(_ids))
    assert client.proc.poll() is None


@pytest.mark.parametrize("header", [
    b"Content-Length: abc\r\n\r\n", b"Content-Length: -5\r\n\r\n",
    b"Content-Type: application/vscode-jsonrpc\r\n\r\n", b"Content-Length:\r\n\r\n",
], ids=["non-numeric", "negative", "missing", "empty"])
def test_a_bad_content_length_does_not_stop_the_server_answering(
        client: LspClient, header: bytes) -> None:
    dropped = next(_ids)
    client.send_raw(header + json.dumps(_hover(dropped, 1)).encode())
    _still_answers(client, next(_ids))
    with pytest.raises(TimeoutError):  # the dropped frame itself is not answered twice
        client.response(dropped, timeout=0.0)


def test_a_header_without_end_is_bounded_then_the_stream_resyncs(client: LspClient) -> None:
    client.send_raw(b"X-Junk: " + b"y" * (2 * MAX_HEADER) + b"\r\n")
    _still_answers(client, next(_ids))


def test_hover_at_character_minus_one_gets_invalid_params(client: LspClient) -> None:
    msg_id = next(_ids)
    client.send_raw(frame(_hover(msg_id, -1)))
    error = client.response(msg_id)["error"]
    assert error["code"] == -32602 and "textDocument/hover" in error["message"]
    _still_answers(client, next(_ids))


def test_not_json_gets_a_parse_error(client: LspClient) -> None:
    with pytest.raises(TimeoutError):  # no stale id-less error from an earlier test
        client.response(None, timeout=0.0)
    body = b"{not json"
    client.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    assert client.response(None)["error"]["code"] == -32700
    _still_answers(client, next(_ids))


def test_the_frame_buffer_stays_bounded_while_it_discards() -> None:
    buf = FrameBuffer(max_body=1000, max_header=100)
    tracemalloc.start()
    try:
        buf.feed(b"Content-Length: 999999999999\r\n\r\n")
        assert [type(f) for f in buf.frames()] == [FrameError]
        for _ in range(50):  # 3.2 MB of a body nobody should buffer, over the peak bound
            buf.feed(b"x" * 65536)
            assert list(buf.frames()) == [] and len(buf) <= 65536 + 20
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000
    buf.feed(b"Content-Length: 2\r\n\r\n{}")
    assert list(buf.frames()) == [b"{}"]


def test_a_frame_split_anywhere_is_read_whole() -> None:
    data = frame(_hover(1, 0)) + b"Content-Length: 3\r\n\r\nabc" + frame(_hover(2, 0))
    for cut in range(1, len(data)):
        buf = FrameBuffer(max_body=1000)
        buf.feed(data[:cut])
        got = list(buf.frames())
        buf.feed(data[cut:])
        got += list(buf.frames())
        assert [json.loads(b)["id"] if b != b"abc" else b for b in got] == [1, b"abc", 2], cut


def test_requests_after_shutdown_get_invalid_request(client: LspClient) -> None:
    """Last in the module: it ends the shared server."""
    assert client.request("shutdown", None) is None
    after = next(_ids)
    client.send_raw(frame(_hover(after, 0)))
    assert client.response(after)["error"]["code"] == -32600
    client.notify("exit", None)
    assert client.proc.wait(timeout=TIMEOUT) == 0
