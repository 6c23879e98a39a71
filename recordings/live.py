"""Live fan-out: recorders publish each camera's init segment and fragments; live viewers subscribe.

With Redis (several processes or machines) a camera's init segment and the fragments since its last
keyframe are kept in keys, so a new viewer starts at once, and new fragments go out on a pub/sub channel.
On one box without Redis the recorder runs inside the web process and the same happens in memory.
Fragments are numbered so a viewer joining mid-way neither misses nor repeats one.

Each web process (each event loop) follows a feed once, however many of its viewers watch it: one pub/sub
connection for all its feeds, and per feed the current start in memory and one queue per viewer (LiveFeeds).

The documents of a camera's metadata track (ONVIF Profile M), which the recorder reads in its RTSP session, go
out on a channel of their own, whether anyone watches or not: the camera's analytics follow them.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from django.conf import settings

from video.live import LiveChunk
from video.recording import CameraMetadata

# Keys outlive a dead recorder only briefly: a camera nobody publishes for is not live.
KEY_SECONDS = 30
# A viewer says it watches for this long, and renews it; the recorder looks this often.
WATCHED_SECONDS = 10
WATCH_CHECK_SECONDS = 0.25
# Fragments a subscriber may leave unread (four seconds at 25 fps) before it misses some, up to a keyframe.
VIEWER_BACKLOG = 100
METADATA_FEED = ":metadata"


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
    return f"{camera_id}{METADATA_FEED}"


class LiveHub:
    """What subscribers call, the same with Redis and in memory."""

    def feeds(self) -> LiveFeeds | LocalHub:
        """Where this event loop's subscribers join and leave feeds."""
        raise NotImplementedError

    def subscribe(self, camera_id: Feed, watch: bool = True) -> AsyncIterator[LiveStart | LiveFragment | LiveEnded]:
        """The camera's live feed. Without `watch`, only while someone else watches: the recorder publishes then
        (in memory every camera is published)."""
        return _follow(self, camera_id, watch)

    def subscribe_metadata(self, camera_id: int) -> AsyncIterator[CameraMetadata]:
        """The documents of the camera's metadata track from now on, as its recorder reads them."""
        return _follow(self, _metadata_feed(camera_id), watch=False)


class RedisHub(LiveHub):
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

    def channel(self, feed: Feed) -> bytes:
        return self._keys(feed)[0].encode()

    async def read_start(self, client, feed: Feed) -> LiveStart | None:
        """The feed's init segment and current GOP as the recorder keeps them in Redis (None: not published)."""
        _channel, meta_key, init_key, gop_key = self._keys(feed)
        pipe = client.pipeline(transaction=True)
        pipe.get(meta_key)
        pipe.get(init_key)
        pipe.lrange(gop_key, 0, -1)
        meta, init, gop = await pipe.execute()
        if meta is None or init is None:
            return None
        return LiveStart(json.loads(meta), init, [_parse_item(item) for item in gop])

    def feeds(self) -> LiveFeeds:
        """This event loop's connection to the fan-out, which all its subscribers share."""
        key = (self.url, asyncio.get_running_loop())
        feeds = _live_feeds.get(key)
        if feeds is None:
            feeds = _live_feeds[key] = LiveFeeds(self, key)
        return feeds


class LiveFeedLost(ConnectionError):
    """The process lost its connection to the fan-out (Redis); subscribe again."""


class Viewer:
    """One subscriber's queue of events. A subscriber that lets VIEWER_BACKLOG fragments pile up misses the next
    ones until a keyframe: it never holds up the others, and its queue stays bounded."""

    def __init__(self, from_other_threads: bool) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.skipping = False
        loop = asyncio.get_running_loop()
        self.tell = partial(loop.call_soon_threadsafe, self._tell) if from_other_threads else self._tell

    def _tell(self, event: LiveStart | LiveFragment | LiveEnded | CameraMetadata | LiveFeedLost) -> None:
        if isinstance(event, LiveFragment):
            self.skipping = self.queue.qsize() >= VIEWER_BACKLOG or (self.skipping and not event.keyframe)
            if self.skipping:
                return
        self.queue.put_nowait(event)

    async def next(self) -> LiveStart | LiveFragment | LiveEnded | CameraMetadata:
        event = await self.queue.get()
        if isinstance(event, LiveFeedLost):
            raise event
        return event


class FeedState:
    """One feed as this process has it: its current start (init segment and GOP) and its subscribers here.

    Every event is told to every subscriber, in order: the fragment bytes are shared, never copied; a subscriber
    joining mid-way gets the current start from memory and then each newer fragment, none missed or repeated."""

    def __init__(self, name: Feed) -> None:
        self.name = name
        self.start: LiveStart | None = None
        self.last_seq = -1
        self.viewers: set[Viewer] = set()

    def _start_for(self, viewer: Viewer) -> None:
        # Each its own list: the feed goes on appending to its GOP while the subscriber sends this one out.
        viewer.tell(LiveStart(self.start.meta, self.start.init, list(self.start.fragments)))

    def join(self, viewer: Viewer) -> None:
        self.viewers.add(viewer)
        if self.start is not None:
            self._start_for(viewer)

    def leave(self, viewer: Viewer) -> bool:
        """Whether subscribers remain."""
        self.viewers.discard(viewer)
        return bool(self.viewers)

    def started(self, start: LiveStart | None) -> None:
        self.start = start
        if start is None:
            return
        self.last_seq = start.fragments[-1][0] if start.fragments else -1
        for viewer in self.viewers:
            self._start_for(viewer)

    def fragment(self, seq: int, keyframe: bool, data: bytes) -> None:
        if self.start is None or seq <= self.last_seq:
            return  # nothing to play it after, or already in the start a subscriber got
        self.last_seq = seq
        if keyframe:
            self.start.fragments.clear()
        self.start.fragments.append((seq, keyframe, data))
        self.tell(LiveFragment(seq, keyframe, data))

    def ended(self) -> None:
        self.start = None
        self.tell(LiveEnded())

    def tell(self, event: LiveFragment | LiveEnded | CameraMetadata | LiveFeedLost) -> None:
        for viewer in self.viewers:
            viewer.tell(event)


class LiveFeeds:
    """One event loop's share of the Redis fan-out: one pub/sub connection for all the feeds its subscribers follow,
    however many they are. The first subscriber of a feed subscribes to its channel, the last to leave unsubscribes;
    while any of them watches, the feed is kept watched (so the recorder publishes it). If Redis fails, every
    subscriber's iteration raises LiveFeedLost, and the next subscription opens a new connection."""

    def __init__(self, hub: RedisHub, key: tuple[str, asyncio.AbstractEventLoop]) -> None:
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self.hub = hub
        self.key = key
        # No silent reconnection: what was published meanwhile would be missing unnoticed.
        self.client = aioredis.Redis.from_url(hub.url, retry=Retry(NoBackoff(), 0), client_name=connection_name())
        self.pubsub = self.client.pubsub()
        self.feeds: dict[bytes, FeedState] = {}  # by channel
        self.watching: dict[Feed, tuple[int, asyncio.Task]] = {}  # by feed: its watching subscribers, the renewal
        self.changes: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()  # (un)subscriptions, sent in order
        self.reading: asyncio.Task | None = None
        self.running = asyncio.create_task(self._run())

    def join(self, name: Feed, watch: bool) -> Viewer:
        viewer = Viewer(from_other_threads=False)
        channel = self.hub.channel(name)
        feed = self.feeds.get(channel)
        if feed is None:
            feed = self.feeds[channel] = FeedState(name)
            self.changes.put_nowait(("subscribe", channel))
        feed.join(viewer)
        if watch:
            count, renewal = self.watching.get(name, (0, None))
            self.watching[name] = (count + 1, renewal or asyncio.create_task(self._keep_watching(name)))
        return viewer

    def leave(self, name: Feed, viewer: Viewer, watch: bool) -> None:
        channel = self.hub.channel(name)
        feed = self.feeds.get(channel)
        if feed is None:
            return  # the connection failed: all is gone already
        if watch:
            count, renewal = self.watching.pop(name)
            if count > 1:
                self.watching[name] = (count - 1, renewal)
            else:
                renewal.cancel()  # the recorder stops publishing when the watched key expires
        if feed.leave(viewer):
            return
        del self.feeds[channel]
        if self.feeds:
            self.changes.put_nowait(("unsubscribe", channel))
        else:
            self.close()

    def close(self) -> None:
        if _live_feeds.get(self.key) is self:
            del _live_feeds[self.key]
        for _count, renewal in self.watching.values():
            renewal.cancel()
        self.watching.clear()
        if self.running is not asyncio.current_task():
            self.running.cancel()

    def _fail(self, error: Exception) -> None:
        self.close()
        lost = f"lost the live fan-out: {error}"
        for feed in self.feeds.values():
            feed.tell(LiveFeedLost(lost))
        self.feeds.clear()

    async def _run(self) -> None:
        """Connect, start reading, then send the (un)subscriptions as subscribers come and go."""
        import redis

        try:
            await self.pubsub.connect()
            self.reading = asyncio.create_task(self._read())
            while True:
                change, channel = await self.changes.get()
                await getattr(self.pubsub, change)(channel)
        except (redis.RedisError, OSError) as exc:
            self._fail(exc)
        finally:
            if self.reading is not None:
                self.reading.cancel()
            await self.pubsub.aclose()
            await self.client.aclose()

    async def _read(self) -> None:
        import redis

        try:
            while True:
                message = await self.pubsub.get_message(timeout=None)
                feed = self.feeds.get(message["channel"]) if message else None
                if feed is not None:
                    await self._handle(feed, message["type"], message["data"])
        except (redis.RedisError, OSError) as exc:
            self._fail(exc)

    async def _handle(self, feed: FeedState, kind: str, data: bytes | int) -> None:
        if isinstance(feed.name, str) and feed.name.endswith(METADATA_FEED):
            if kind == "message":
                feed.tell(_parse_metadata_message(data))
        elif kind == "subscribe" or data == b"I":
            # Read after the subscription is confirmed, so nothing published since is missed; the newer
            # fragments that arrive after are recognised by their numbers.
            feed.started(await self.hub.read_start(self.client, feed.name))
        elif kind != "message":
            return
        elif data[:1] == b"F":
            feed.fragment(*_parse_item(data[1:]))
        else:
            feed.ended()

    async def _keep_watching(self, name: Feed) -> None:
        """Tell the recorders someone here watches the feed (it is published only then), until told to stop."""
        import redis

        try:
            while True:
                await self.client.set(self.hub._watchers_key(name), 1, ex=WATCHED_SECONDS)
                await asyncio.sleep(WATCHED_SECONDS / 3)
        except (redis.RedisError, OSError) as exc:
            self._fail(exc)


_live_feeds: dict[tuple[str, asyncio.AbstractEventLoop], LiveFeeds] = {}


def connection_name() -> str:
    """How this process's connections to the fan-out are named in Redis's CLIENT LIST."""
    return f"vms-live-{os.getpid()}"


async def _follow(hub: LiveHub, name: Feed,
                  watch: bool) -> AsyncIterator[LiveStart | LiveFragment | LiveEnded | CameraMetadata]:
    feeds = hub.feeds()
    viewer = feeds.join(name, watch)
    try:
        while True:
            yield await viewer.next()
    finally:
        feeds.leave(name, viewer, watch)


class LocalHub(LiveHub):
    """One process: the recorder threads and the websocket consumers share this object."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._feeds: dict[Feed, FeedState] = {}

    def publisher(self, camera_id: Feed) -> LivePublisher:
        return LivePublisher(camera_id, None, self)

    def watched(self, _client, camera_id: Feed) -> bool:
        return True  # keeping the current GOP in memory costs next to nothing

    def _feed(self, name: Feed) -> FeedState:
        feed = self._feeds.get(name)
        if feed is None:
            feed = self._feeds[name] = FeedState(name)
        return feed

    def publish_start(self, _client, camera_id: Feed, meta: dict, init: bytes, gop: list) -> None:
        with self._lock:
            self._feed(camera_id).started(LiveStart(meta, init, list(gop)))

    def publish_fragment(self, _client, camera_id: Feed, seq: int, keyframe: bool, data: bytes) -> None:
        with self._lock:
            self._feed(camera_id).fragment(seq, keyframe, data)

    def publish_end(self, _client, camera_id: Feed) -> None:
        with self._lock:
            self._feed(camera_id).ended()

    def publish_metadata(self, _client, camera_id: int, metadata: CameraMetadata) -> None:
        with self._lock:
            self._feed(_metadata_feed(camera_id)).tell(metadata)

    def feeds(self) -> LocalHub:
        return self

    def join(self, name: Feed, _watch: bool) -> Viewer:
        viewer = Viewer(from_other_threads=True)  # the recorder threads publish
        with self._lock:
            self._feed(name).join(viewer)
        return viewer

    def leave(self, name: Feed, viewer: Viewer, _watch: bool) -> None:
        with self._lock:
            self._feeds[name].leave(viewer)


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
