"""The channel layer of one box without Redis: Channels' in-memory layer, safe to publish to from other threads.

There the recorder, the analytics and the job progress relay run as threads of the web process and publish with
`async_to_sync`, on event loops of their own. Channels' in-memory layer keeps asyncio queues that belong to the
server's loop, and a message put on one from another thread wakes no one until that loop wakes for some other
reason (measured: up to seconds on a quiet server). This layer hands such sends over to the server's loop.
"""

from __future__ import annotations

import asyncio

from channels.layers import InMemoryChannelLayer

HANDOVER_SECONDS = 5.0


class InProcessChannelLayer(InMemoryChannelLayer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.server_loop: asyncio.AbstractEventLoop | None = None

    async def receive(self, channel: str) -> dict:
        # Consumers receive on the server's loop: that is where the queues live.
        self.server_loop = asyncio.get_running_loop()
        return await super().receive(channel)

    async def send(self, channel: str, message: dict) -> None:
        if self._elsewhere():
            return await self._on_server_loop(super().send(channel, message))
        return await super().send(channel, message)

    async def group_send(self, group: str, message: dict) -> None:
        if self._elsewhere():
            return await self._on_server_loop(super().group_send(group, message))
        return await super().group_send(group, message)

    def _elsewhere(self) -> bool:
        return self.server_loop is not None and self.server_loop is not asyncio.get_running_loop()

    async def _on_server_loop(self, coroutine) -> None:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.server_loop)
        await asyncio.wait_for(asyncio.wrap_future(future), HANDOVER_SECONDS)
