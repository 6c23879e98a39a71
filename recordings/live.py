"""Live fan-out: recorders publish each camera's init segment and fragments; live viewers subscribe.

With Redis (several processes or machines) a camera's init segment and the fragments since its last
keyframe are kept in keys, so a new viewer starts at once, and new fragments go out on a pub/sub channel.
On one box without Redis the recorder runs inside the web process and the same happens in memory.
Fragments are numbered so a viewer joining mid-way neither misses nor repeats one.

The documents of a camera's metadata track (ONVIF Profile M), which the recorder reads in its RTSP session, go
out on a channel of their own, whether anyone watches or not: the camera's analytics follow them.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from video.live import LiveChunk
from video.recording import CameraMetadata

# Keys outlive a dead recorder only briefly: a camera nobody publishes for is not live.
KEY_SECONDS = 30
# A viewer says it watches for this long, and renews it; the recorder looks this often.
WATCHED_SECONDS = 10
WATCH_CHECK_SECONDS = 0.25


Fragment = tuple[int, bool, bytes]  # (sequence number, keyframe, fMP4 bytes)
Feed = int | str  # a camera's id, or the name of another feed of it (recordings.unmasked.live_key)


@dataclass(frozen=True)
class LiveStart:
    """The stream (re)starts: reset the player and append `init`, then `fragments` (the current GOP)."""

    meta: dict
    init: bytes
    fragments: list[Fragment]


@dataclass(frozen=True)
class LiveFragment:
    seq: int
    keyframe: bool
    data: bytes


@dataclass(frozen=True)
class LiveEnded:
    """The recorder lost the camera (or stopped)."""


def _item(seq: int, keyframe: bool, data: bytes) -> bytes:
    return seq.to_bytes(8, "big") + (b"\1" if keyframe else b"\0") + data


def _parse_item(item: bytes) -> tuple[int, bool, bytes]:
    return int.from_bytes(item[:8], "big"), item[8] == 1, item[9:]


def _metadata_message(metadata: CameraMetadata) -> bytes:
    """The document as it came (its bytes, whatever encoding it declares), after a line that places it."""
    header = json.dumps({"pts": metadata.pts, "at": metadata.at and metadata.at.timestamp()})
    return header.encode() + b"\n" + metadata.document


def _parse_metadata_message(message: bytes) -> CameraMetadata:
    header, _, document = message.partition(b"\n")
    fields = json.loads(header)
    at = fields["at"]
    return CameraMetadata(fields["pts"], None if at is None else datetime.fromtimestamp(at, UTC), document)


def _metadata_feed(camera_id: int) -> str:
    return f"{camera_id}:metadata"


class RedisHub:
    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        # Pub/sub channels ignore the database number: name them after it so that VMS instances sharing
        # one Redis server (each on its own database) do not see each other's cameras.
        self.prefix = f"vms:{redis.Redis.from_url(url).connection_pool.connection_kwargs.get('db', 0)}:live"

    def _keys(self, camera_id: Feed) -> tuple[str, str, str, str]:
        base = f"{self.prefix}:{camera_id}"
        return base, f"{base}:meta", f"{base}:init", f"{base}:gop"

    def publisher(self, camera_id: Feed) -> LivePublisher:
        import redis

        return LivePublisher(camera_id, redis.Redis.from_url(self.url), self)

    def watched(self, client, camera_id: Feed) -> bool:
        return bool(client.exists(self._watchers_key(camera_id)))

    def _watchers_key(self, camera_id: Feed) -> str:
        return f"{self.prefix}:{camera_id}:watched"

    def publish_start(self, client, camera_id: Feed, meta: dict, init: bytes, gop: list[Fragment]) -> None:
        channel, meta_key, init_key, gop_key = self._keys(camera_id)
        pipe = client.pipeline(transaction=True)
        pipe.set(meta_key, json.dumps(meta), ex=KEY_SECONDS)
        pipe.set(init_key, init, ex=KEY_SECONDS)
        pipe.delete(gop_key)
        if gop:
            pipe.rpush(gop_key, *(_item(*fragment) for fragment in gop))
            pipe.expire(gop_key, KEY_SECONDS)
        pipe.publish(channel, b"I")
        pipe.execute()

    def publish_fragment(self, client, camera_id: Feed, seq: int, keyframe: bool, data: bytes) -> None:
        channel, meta_key, init_key, gop_key = self._keys(camera_id)
        item = _item(seq, keyframe, data)
        pipe = client.pipeline(transaction=False)
        if keyframe:
            pipe.delete(gop_key)
            pipe.expire(meta_key, KEY_SECONDS)
            pipe.expire(init_key, KEY_SECONDS)
            pipe.expire(gop_key, KEY_SECONDS)
        pipe.rpush(gop_key, item)
        pipe.publish(channel, b"F" + item)
        pipe.execute()

    def publish_end(self, client, camera_id: Feed) -> None:
        channel, meta_key, init_key, gop_key = self._keys(camera_id)
        pipe = client.pipeline(transaction=False)
        pipe.delete(meta_key, init_key, gop_key)
        pipe.publish(channel, b"E")
        pipe.execute()

    def publish_metadata(self, client, camera_id: int, metadata: CameraMetadata) -> None:
        client.publish(f"{self.prefix}:{_metadata_feed(camera_id)}", _metadata_message(metadata))

    async def subscribe_metadata(self, camera_id: int) -> AsyncIterator[CameraMetadata]:
        """The documents of the camera's metadata track from now on, as its recorder reads them."""
        import redis.asyncio as aioredis

        client = aioredis.Redis.from_url(self.url)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(f"{self.prefix}:{_metadata_feed(camera_id)}")
            async for message in pubsub.listen():
                if message["type"] == "message":
                    yield _parse_metadata_message(message["data"])
        finally:
            await pubsub.aclose()
            await client.aclose()

    async def _keep_watching(self, client, camera_id: Feed) -> None:
        """Tell the recorder someone watches (it publishes only then), for as long as the viewer stays."""
        while True:
            await client.set(self._watchers_key(camera_id), 1, ex=WATCHED_SECONDS)
            await asyncio.sleep(WATCHED_SECONDS / 3)

    async def subscribe(self, camera_id: Feed,
                        watch: bool = True) -> AsyncIterator[LiveStart | LiveFragment | LiveEnded]:
        """The camera's live feed. Without `watch`, only while someone else watches: the recorder publishes then."""
        import redis.asyncio as aioredis

        channel, meta_key, init_key, gop_key = self._keys(camera_id)
        client = aioredis.Redis.from_url(self.url)
        pubsub = client.pubsub()
        watching = asyncio.create_task(self._keep_watching(client, camera_id)) if watch else None
        try:
            # Subscribe before reading the keys, so nothing published in between is lost.
            await pubsub.subscribe(channel)
            start = await self._start(client, meta_key, init_key, gop_key)
            last_seq = -1
            if start is not None:
                yield start
                last_seq = start.fragments[-1][0] if start.fragments else -1
            async for message in pubsub.listen():
                if message["type"] != "message":
                    continue
                data = message["data"]
                kind = data[:1]
                if kind == b"F":
                    seq, keyframe, fragment = _parse_item(data[1:])
                    if seq > last_seq:
                        last_seq = seq
                        yield LiveFragment(seq, keyframe, fragment)
                elif kind == b"I":
                    start = await self._start(client, meta_key, init_key, gop_key)
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

    @staticmethod
    async def _start(client, meta_key: str, init_key: str, gop_key: str) -> LiveStart | None:
        pipe = client.pipeline(transaction=True)
        pipe.get(meta_key)
        pipe.get(init_key)
        pipe.lrange(gop_key, 0, -1)
        meta, init, gop = await pipe.execute()
        if meta is None or init is None:
            return None
        return LiveStart(json.loads(meta), init, [_parse_item(item) for item in gop])


class LocalHub:
    """One process: the recorder threads and the websocket consumers share this object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._starts: dict[int, LiveStart] = {}
        self._viewers: dict[int, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}

    def publisher(self, camera_id: Feed) -> LivePublisher:
        return LivePublisher(camera_id, None, self)

    def watched(self, _client, camera_id: Feed) -> bool:
        return True  # keeping the current GOP in memory costs next to nothing

    def publish_start(self, _client, camera_id: Feed, meta: dict, init: bytes, gop: list) -> None:
        with self._lock:
            start = self._starts[camera_id] = LiveStart(meta, init, list(gop))
        self._tell(camera_id, start)

    def publish_fragment(self, _client, camera_id: Feed, seq: int, keyframe: bool, data: bytes) -> None:
        with self._lock:
            start = self._starts.get(camera_id)
            if start is None:
                return
            if keyframe:
                start.fragments.clear()
            start.fragments.append((seq, keyframe, data))
        self._tell(camera_id, LiveFragment(seq, keyframe, data))

    def publish_end(self, _client, camera_id: Feed) -> None:
        with self._lock:
            self._starts.pop(camera_id, None)
        self._tell(camera_id, LiveEnded())

    def publish_metadata(self, _client, camera_id: int, metadata: CameraMetadata) -> None:
        self._tell(_metadata_feed(camera_id), metadata)

    async def subscribe_metadata(self, camera_id: int) -> AsyncIterator[CameraMetadata]:
        """The documents of the camera's metadata track from now on, as its recorder reads them."""
        viewer = (asyncio.get_running_loop(), asyncio.Queue())
        feed = _metadata_feed(camera_id)
        with self._lock:
            self._viewers.setdefault(feed, set()).add(viewer)
        try:
            while True:
                yield await viewer[1].get()
        finally:
            with self._lock:
                self._viewers[feed].discard(viewer)

    def _tell(self, camera_id: Feed, event: LiveStart | LiveFragment | LiveEnded | CameraMetadata) -> None:
        with self._lock:
            viewers = list(self._viewers.get(camera_id, ()))
        for loop, queue in viewers:
            loop.call_soon_threadsafe(queue.put_nowait, event)

    async def subscribe(self, camera_id: Feed,
                        watch: bool = True) -> AsyncIterator[LiveStart | LiveFragment | LiveEnded]:
        """The camera's live feed (`watch` changes nothing: in memory every camera is published)."""
        viewer = (asyncio.get_running_loop(), asyncio.Queue())
        with self._lock:
            self._viewers.setdefault(camera_id, set()).add(viewer)
            start = self._starts.get(camera_id)
            start = start and LiveStart(start.meta, start.init, list(start.fragments))
        try:
            last_seq = -1
            if start is not None:
                last_seq = start.fragments[-1][0] if start.fragments else -1
                yield start
            while True:
                event = await viewer[1].get()
                if isinstance(event, LiveFragment):
                    if event.seq <= last_seq:
                        continue
                    last_seq = event.seq
                elif isinstance(event, LiveStart):
                    event = LiveStart(event.meta, event.init, list(event.fragments))
                yield event
        finally:
            with self._lock:
                self._viewers[camera_id].discard(viewer)


class LivePublisher:
    """A recorder thread's handle: call it with each LiveChunk, and `ended()` when the stream stops.

    It keeps the init segment and the current GOP itself and publishes only while someone watches
    (checked every WATCH_CHECK_SECONDS), so unwatched cameras cost the fan-out nothing; a new viewer gets
    the init segment and GOP at once when publishing starts. `wanted` tells the recorder whether to make
    live fragments at all (see video.live.LiveMuxer)."""

    def __init__(self, camera_id: Feed, client, hub: RedisHub | LocalHub) -> None:
        self.camera_id = camera_id
        self.client = client
        self.hub = hub
        self.seq = 0
        self.meta: dict = {}
        self.init = b""
        self.gop: list[Fragment] = []
        self.watched = False
        self.published = False  # whether viewers have the current init segment
        self.next_check = 0.0

    def __call__(self, chunk: LiveChunk) -> None:
        if chunk.init:
            self.meta = {**self.meta, "mime": chunk.mime, "audio": chunk.audio}
            self.init, self.gop, self.published = chunk.data, [], False
            return
        self.seq += 1
        if chunk.keyframe:
            self.gop = []
        self.gop.append((self.seq, chunk.keyframe, chunk.data))
        if chunk.backlog:
            return  # it goes out with the init segment, at the first live fragment
        if not self.wanted():
            self.published = False  # a viewer who comes later gets the init segment and the GOP anew
            return
        if not self.published:
            self.hub.publish_start(self.client, self.camera_id, self.meta, self.init, self.gop)
            self.published = True
            return
        self.hub.publish_fragment(self.client, self.camera_id, self.seq, chunk.keyframe, chunk.data)

    def wanted(self) -> bool:
        """Whether someone watches, as the hub said at most WATCH_CHECK_SECONDS ago."""
        now = time.monotonic()
        if now >= self.next_check:
            self.next_check = now + WATCH_CHECK_SECONDS
            self.watched = self.hub.watched(self.client, self.camera_id)
        return self.watched

    def metadata(self, metadata: CameraMetadata) -> None:
        """Send on a document of the camera's metadata track: always, for the camera's analytics follow them."""
        self.hub.publish_metadata(self.client, self.camera_id, metadata)

    def describe(self, **meta) -> None:
        """Facts the viewer shows with the stream (codec, width, height, rotation)."""
        self.meta = {**self.meta, **meta}

    def ended(self) -> None:
        self.init, self.gop, self.watched, self.published, self.next_check = b"", [], False, False, 0.0
        self.hub.publish_end(self.client, self.camera_id)


_local_hub = LocalHub()


def hub() -> RedisHub | LocalHub:
    return RedisHub(settings.REDIS_URL) if settings.REDIS_URL else _local_hub
