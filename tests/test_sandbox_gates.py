"""Gates: a test holds a sandbox response until it releases it, instead of racing the clock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from zql.sandbox import Sandbox

SEARCH = {"entitytype": "testcase", "maxresults": 1}


def _get(sb: Sandbox, path: str = "/advancesearch") -> httpx.Response:
    return httpx.get(sb.api_url + path, params=SEARCH,
                     headers={"Authorization": f"Bearer {sb.token}"}, timeout=30)


def test_a_gate_lets_after_requests_through_then_holds_until_released(sandbox: Sandbox) -> None:
    with sandbox.control.gate("/advancesearch", after=2) as gate, ThreadPoolExecutor(2) as pool:
        assert _get(sandbox).status_code == _get(sandbox).status_code == 200
        held = [pool.submit(_get, sandbox), pool.submit(_get, sandbox)]
        gate.wait_held(2)
        assert _get(sandbox, "/user").status_code == 200  # other paths are not held
        assert not any(f.done() for f in held)
        gate.release()
        assert [f.result(timeout=30).status_code for f in held] == [200, 200]
    assert sandbox.control.gates() == []
    assert _get(sandbox).status_code == 200  # a released gate holds nothing


def test_leaving_the_block_releases_and_method_filters(sandbox: Sandbox) -> None:
    with ThreadPoolExecutor(1) as pool:
        with sandbox.control.gate("/advancesearch", method="POST") as gate:
            assert _get(sandbox).status_code == 200  # GET is not this gate's
            post = pool.submit(httpx.post, sandbox.api_url + "/advancesearch",
                               json={"entityType": "testcase", "maxResults": 1},
                               headers={"Authorization": f"Bearer {sandbox.token}"},
                               timeout=30)
            gate.wait_held()
        assert gate.released and post.result(timeout=30).status_code == 200


def test_waiting_for_a_request_that_never_comes_fails_clearly(sandbox: Sandbox) -> None:
    with sandbox.control.gate("/nothing") as gate, pytest.raises(AssertionError,
                                                                 match="0 of 1 held"):
        gate.wait_held(timeout=0.01)


def test_stopping_the_sandbox_releases_its_gates() -> None:
    with Sandbox() as sb, ThreadPoolExecutor(1) as pool:
        gate = sb.control.gate("/advancesearch")
        held = pool.submit(_get, sb)
        gate.wait_held()
        sb.stop()
        assert gate.released
        assert held.result(timeout=30).status_code == 200  # released, then answered


def test_bad_gates_are_refused() -> None:
    from zql.sandbox.control import Gate

    with pytest.raises(ValueError, match="after must be >= 0"):
        Gate("/x", after=-1)
