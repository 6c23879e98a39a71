"""The live bench's baseline web server: the VMS's ASGI app, except that each live viewer follows the fan-out on
its own (its own Redis connection, pub/sub and watch renewal, its own reads of the start), as every viewer did
before a process shared one subscription per camera (recordings.live.LiveFeeds). Run by bench/live.py as
`daphne bench.live_per_viewer:application`; nothing in the product uses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from recordings.live import WATCHED_SECONDS, Feed, LiveEnded, LiveFragment, LiveStart, RedisHub, _parse_item
from vms.asgi import application

__all__ = ["application"]


async def _keep_watching(client: aioredis.Redis, key: str) -> None:
    while True:
        await client.set(key, 1, ex=WATCHED_SECONDS)
        await asyncio.sleep(WATCHED_SECONDS / 3)


async def subscribe_per_viewer(self: RedisHub, camera_id: Feed,
                               watch: bool = True) -> AsyncIterator[LiveStart | LiveFragment | LiveEnded]:
    client = aioredis.Redis.from_url(self.url)
    pubsub = client.pubsub()
    watching = asyncio.create_task(_keep_watching(client, self._watchers_key(camera_id))) if watch else None
    try:
        await pubsub.subscribe(self.channel(camera_id))
        start = await self.read_start(client, camera_id)
        last_seq = -1
        if start is not None:
            last_seq = start.fragments[-1][0] if start.fragments else -1
            yield start
        async for message in pubsub.listen():
            if message["type"] != "message":
                continue
            data = message["data"]
            if data[:1] == b"F":
                seq, keyframe, fragment = _parse_item(data[1:])
                if seq > last_seq:
                    last_seq = seq
                    yield LiveFragment(seq, keyframe, fragment)
            elif data == b"I":
                start = await self.read_start(client, camera_id)
                if start is not None:
                    last_seq = start.fragments[-1][0] if start.fragments else last_seq
                    yield start
            else:
                yield LiveEnded()
    finally:
        if watching is not None:
            watching.cancel()
        await pubsub.aclose()
        await client.aclose()


RedisHub.subscribe = subscribe_per_viewer
