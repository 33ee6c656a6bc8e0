"""uvicorn's server, stopped at once: :meth:`QuickStopServer.stop_soon` wakes it.

uvicorn notices ``should_exit`` on a 0.1 s tick, then sleeps another 0.1 s and polls every 0.1 s
for connections to close: 0.2-0.3 s per stop, which a test suite starting a few hundred
sandboxes pays again and again. This server waits on an event instead of the tick (it still does
the tick's once-a-second work, the ``Date`` header) and polls the closing connections every 5 ms.
Everything else is uvicorn's own. Imported only by :meth:`zql.sandbox.Sandbox.start`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

import uvicorn

#: how often a stopping server looks whether its connections have closed
_POLL = 0.005


class QuickStopServer(uvicorn.Server):
    """A ``uvicorn.Server`` that :meth:`stop_soon` stops without waiting for a tick."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's start-up, after noting the loop and the event to wake it with."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        await super().startup(sockets)

    def stop_soon(self) -> None:
        """Ask the server to stop, from any thread; it starts shutting down at once."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(wake.set)

    async def main_loop(self) -> None:
        """uvicorn's loop, woken by :meth:`stop_soon`; its once-a-second work stays."""
        assert self._wake is not None
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000  # on_tick's work runs when counter % 10 == 0
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's shutdown with a 5 ms poll in place of its 0.1 s sleeps."""
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        grace = self.config.timeout_graceful_shutdown
        deadline = loop.time() + (float("inf") if grace is None else grace)
        state = self.server_state
        while (state.connections or state.tasks) and not self.force_exit \
                and loop.time() < deadline:
            await asyncio.sleep(_POLL)
        for task in state.tasks:
            task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()
