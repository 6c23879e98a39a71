"""Live video: the recorder's fan-out through Redis to /ws/live/<id>/, on a real RTSP camera."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import random
import threading
import time
from datetime import UTC, datetime

import av
import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from accounts.models import AuditAction, AuditEntry
from devices.models import Camera
from recordings import live
from recordings.live import (
    VIEWER_BACKLOG,
    WATCH_CHECK_SECONDS,
    LiveFeedLost,
    LiveFragment,
    LiveStart,
    LocalHub,
    RedisHub,
    connection_name,
)
from recordings.recorder import Recorder
from tests.conftest import api_key_for, grant
from tests.recording_checks import ffprobe, wait_for
from tests.standins.rtsp_servers import GstCamera, free_port
from video.live import LiveChunk
from video.recording import CameraMetadata
from vms.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def next_event(subscription):
    return await asyncio.wait_for(anext(subscription), 5)


async def until(condition, what: str, timeout: float = 20.0):
    """Await `condition()` (a coroutine function) until it is truthy; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (result := await condition()):
        assert time.monotonic() < deadline, f"gave up after {timeout} s waiting for {what}"
        await asyncio.sleep(0.1)
    return result


async def fan_out_connections(client, kind: str = "pubsub") -> list[dict]:
    """This process's connections to the live fan-out, as Redis lists them."""
    return [entry for entry in await client.client_list(_type=kind) if entry["name"] == connection_name()]


async def subscribers(client, live_hub: RedisHub, camera_id) -> int:
    channel = live_hub.channel(camera_id)
    return dict(await client.pubsub_numsub(channel))[channel]


@pytest.fixture
async def redis_client():
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(settings.REDIS_URL)
    yield client
    await client.aclose()


async def started_feed(live_hub, camera_id):
    """A publisher of `camera_id` that has published its init segment and a keyframe, and a first subscriber
    that has its start; return the publisher, a function that publishes a fragment, and the subscription."""
    publisher = live_hub.publisher(camera_id)
    publish = database_sync_to_async(lambda data, key: publisher(LiveChunk(data, init=False, keyframe=key)))
    await database_sync_to_async(publisher)(LiveChunk(b"INIT", init=True, keyframe=False, mime="video/mp4"))
    subscription = live_hub.subscribe(camera_id)
    first = asyncio.ensure_future(anext(subscription))
    await asyncio.sleep(WATCH_CHECK_SECONDS + 0.2)  # the recorder notices the viewer at its next look
    await publish(b"k0", True)
    start = await asyncio.wait_for(first, 5)
    assert start.init == b"INIT" and [data for _seq, _key, data in start.fragments] == [b"k0"]
    return publisher, publish, subscription


@pytest.mark.parametrize("make_hub", [LocalHub, lambda: RedisHub(settings.REDIS_URL)])
async def test_a_late_viewer_gets_init_and_the_current_gop_then_every_new_fragment_once(make_hub):
    live_hub = make_hub()
    camera_id = random.randrange(10**6, 10**9)  # Redis keys outlive a test run by KEY_SECONDS
    publisher = live_hub.publisher(camera_id)
    publish = database_sync_to_async(lambda data, key: publisher(LiveChunk(data, init=False, keyframe=key)))
    publisher.describe(codec="h264", width=640, height=360, rotation=0)
    await database_sync_to_async(publisher)(LiveChunk(b"INIT", init=True, keyframe=False, mime="video/mp4"))
    for data, key in ((b"k1", True), (b"p1", False), (b"k2", True), (b"p2", False)):
        await publish(data, key)
    subscription = live_hub.subscribe(camera_id)
    first = asyncio.ensure_future(anext(subscription))
    await asyncio.sleep(WATCH_CHECK_SECONDS + 0.2)  # the recorder notices the viewer at its next look
    await publish(b"p3", False)
    start = await asyncio.wait_for(first, 5)
    assert isinstance(start, LiveStart) and start.init == b"INIT" and start.meta["width"] == 640
    got = [data for _seq, _key, data in start.fragments]
    while got[-1] != b"p3":
        got.append((await next_event(subscription)).data)
    assert got == [b"k2", b"p2", b"p3"], "the current GOP from its keyframe, each fragment once"
    await publish(b"p4", False)
    fragment = await next_event(subscription)
    assert isinstance(fragment, LiveFragment) and fragment.data == b"p4"
    await subscription.aclose()
    await database_sync_to_async(publisher.ended)()


@pytest.mark.parametrize("make_hub", [LocalHub, lambda: RedisHub(settings.REDIS_URL)])
async def test_the_metadata_tracks_documents_reach_their_cameras_analytics_whether_watched_or_not(make_hub):
    live_hub = make_hub()
    camera_id = random.randrange(10**6, 10**9)
    publisher = live_hub.publisher(camera_id)
    subscription = live_hub.subscribe_metadata(camera_id)
    first = asyncio.ensure_future(anext(subscription))
    await asyncio.sleep(0.3)  # subscribed before anything is published
    at = datetime(2026, 12, 4, 22, 0, 0, 100000, tzinfo=UTC)
    # The document's own bytes go through as they are (any encoding its declaration names).
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><tt:MetadataStream/>\n'.encode("latin-1") + b"\xe9"
    sent = [CameraMetadata(1.5, at, b"<tt:MetadataStream/>"), CameraMetadata(None, None, latin)]
    for document in sent:
        await database_sync_to_async(publisher.metadata)(document)
    received = [await asyncio.wait_for(first, 5), await next_event(subscription)]
    assert received == sent
    await subscription.aclose()


async def test_nothing_goes_through_redis_for_a_camera_nobody_watches():
    import redis.asyncio as aioredis

    live_hub = RedisHub(settings.REDIS_URL)
    publisher = live_hub.publisher(992)
    await database_sync_to_async(publisher)(LiveChunk(b"INIT", init=True, keyframe=False, mime="video/mp4"))
    for index in range(20):
        await database_sync_to_async(publisher)(LiveChunk(b"f", init=False, keyframe=index == 0))
        await asyncio.sleep(0.02)
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    assert await client.keys(f"{live_hub.prefix}:992*") == []
    await client.aclose()


@pytest.fixture
def live_camera(settings, tmp_path, operator_user):
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    settings.RECORDER_LEASE_SECONDS = 4.0
    settings.CAMERA_READ_TIMEOUT = 3.0
    settings.RECONNECT_MAX_SECONDS = 1.0
    stop = threading.Event()
    with GstCamera("/lobby", width=640, height=360) as gst:
        camera = Camera.objects.create(name="Lobby", main_url=gst.url, rotation=90)
        grant(camera, group="Operator")
        recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
        recorder.start()
        wait_for(lambda: Camera.objects.get(pk=camera.pk).status == "online", 30, "the camera to be online")
        yield camera, gst
        stop.set()
        recorder.join(timeout=30)


async def open_live(camera_id: int, user) -> WebsocketCommunicator:
    key = await database_sync_to_async(api_key_for)(user)
    communicator = WebsocketCommunicator(application, f"/ws/live/{camera_id}/",
                                         headers=[(b"origin", b"http://127.0.0.1"),
                                                  (b"authorization", f"Token {key}".encode())])
    return communicator


async def receive_live(communicator, fragments: int, ack: bool = True) -> tuple[dict, bytes, list[bytes]]:
    start = json.loads(await communicator.receive_from(timeout=10))
    init = (await communicator.receive_output(timeout=10))["bytes"]
    received = []
    while len(received) < fragments:
        received.append((await communicator.receive_output(timeout=10))["bytes"])
        if ack:
            await communicator.send_to(text_data=json.dumps({"type": "ack", "received": len(received)}))
    return start, init, received


def decoded_frames(data: bytes) -> int:
    with av.open(io.BytesIO(data)) as container:
        return sum(1 for _ in container.decode(video=0))


async def test_an_operator_watches_live_video_that_decodes_and_is_audited(live_camera, operator_user):
    camera, _gst = live_camera
    communicator = await open_live(camera.pk, operator_user)
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    start, init, fragments = await receive_live(communicator, 40)
    assert start["type"] == "live.start"
    assert start["data"]["mime"].startswith('video/mp4; codecs="avc1.')
    assert (start["data"]["width"], start["data"]["rotation"]) == (640, 90)
    assert init[4:8] == b"ftyp" and all(f[4:8] == b"moof" for f in fragments)
    # The viewer starts at a keyframe: init and the fragments alone make a playable video.
    assert decoded_frames(init + b"".join(fragments)) == 40
    await communicator.disconnect()
    assert await database_sync_to_async(
        AuditEntry.objects.filter(action=AuditAction.LIVE_VIEW, user=operator_user, camera=camera).count)() == 1


async def test_a_viewer_that_does_not_keep_up_is_skipped_to_a_keyframe(live_camera, operator_user):
    camera, _gst = live_camera
    communicator = await open_live(camera.pk, operator_user)
    await communicator.connect(timeout=10)
    _start, init, backlog = await receive_live(communicator, 51, ack=False)
    assert await communicator.receive_nothing(timeout=1.5), "a viewer 50 fragments behind gets nothing more"
    await communicator.send_to(text_data=json.dumps({"type": "ack", "received": 51}))
    resumed = (await communicator.receive_output(timeout=10))["bytes"]
    assert decoded_frames(init + resumed) == 1, "it resumes at a keyframe, which decodes on its own"
    await communicator.disconnect()


async def test_the_tile_is_told_when_the_camera_goes_offline(live_camera, operator_user):
    camera, gst = live_camera
    communicator = await open_live(camera.pk, operator_user)
    await communicator.connect(timeout=10)
    await receive_live(communicator, 5)
    gst.stop()
    while True:
        message = await communicator.receive_output(timeout=15)
        if "text" in message and json.loads(message["text"])["type"] == "camera.status":
            break
    status = json.loads(message["text"])["data"]
    assert status["live_status"]["state"] == "offline" and "127.0.0.1" in status["live_status"]["last_error"]
    gst.start()
    restarted = await communicator.receive_from(timeout=30)
    while json.loads(restarted)["type"] != "live.start":
        restarted = await communicator.receive_from(timeout=30)
    await communicator.disconnect()


async def test_only_those_who_may_watch_live_get_video(live_camera, investigator_user, admin_user):
    camera, _gst = live_camera
    await database_sync_to_async(grant)(camera, user=investigator_user)
    communicator = await open_live(camera.pk, investigator_user)  # investigators play back, not live
    connected, code = await communicator.connect(timeout=10)
    assert not connected and code == 4403
    anonymous = WebsocketCommunicator(application, f"/ws/live/{camera.pk}/", headers=[(b"origin", b"http://127.0.0.1")])
    connected, code = await anonymous.connect(timeout=10)
    assert not connected and code == 4403
    communicator = await open_live(camera.pk, admin_user)
    assert (await communicator.connect(timeout=10))[0]
    start, _init, _fragments = await receive_live(communicator, 1)
    assert start["type"] == "live.start"
    await communicator.disconnect()


def start_recorder(stop: threading.Event) -> threading.Thread:
    recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
    recorder.start()
    return recorder


@pytest.fixture
def h265_cameras(settings, tmp_path, operator_user):
    """An H.265 camera with an H.264 sub-stream, and one without."""
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    settings.RECORDER_LEASE_SECONDS = 4.0
    settings.SEGMENT_SECONDS = 1.0
    stop = threading.Event()
    with GstCamera("/main", codec="h265", width=640, height=360) as main, \
            GstCamera("/sub", width=320, height=180) as sub:
        with_sub = Camera.objects.create(name="Gate H.265", main_url=main.url, sub_url=sub.url)
        without_sub = Camera.objects.create(name="Yard H.265", main_url=main.url)
        for camera in (with_sub, without_sub):
            grant(camera, group="Operator")
        recorder = start_recorder(stop)
        wait_for(lambda: with_sub.segments.exists(), 30, "a recorded segment of the H.265 main stream")
        yield with_sub, without_sub
        stop.set()
        recorder.join(timeout=30)


async def test_an_h265_camera_is_watched_through_its_h264_sub_stream(h265_cameras, operator_user):
    with_sub, without_sub = h265_cameras
    communicator = await open_live(with_sub.pk, operator_user)
    await communicator.connect(timeout=10)
    start, init, fragments = await receive_live(communicator, 10)
    assert start["data"]["mime"].startswith('video/mp4; codecs="avc1.') and start["data"]["width"] == 320
    assert decoded_frames(init + b"".join(fragments)) == 10
    await communicator.disconnect()
    communicator = await open_live(without_sub.pk, operator_user)
    await communicator.connect(timeout=10)
    message = json.loads(await communicator.receive_from(timeout=10))
    assert message["type"] == "live.unsupported" and "H.264 sub-stream" in message["data"]["detail"]
    await communicator.disconnect()
    recorded = await database_sync_to_async(lambda: with_sub.segments.first())()
    assert ffprobe(recorded.file)["streams"][0]["codec_name"] == "hevc", "the main stream is recorded as it is"


async def test_instances_on_other_redis_databases_do_not_see_each_others_cameras():
    url = settings.REDIS_URL.rsplit("/", 1)[0]
    ours, theirs = RedisHub(f"{url}/5"), RedisHub(f"{url}/6")
    subscription = ours.subscribe(991)
    waiting = asyncio.ensure_future(anext(subscription))
    await asyncio.sleep(0.3)
    publisher = theirs.publisher(991)
    await database_sync_to_async(publisher)(LiveChunk(b"INIT", init=True, keyframe=False, mime="x"))
    await database_sync_to_async(publisher)(LiveChunk(b"k1", init=False, keyframe=True))
    await asyncio.sleep(0.5)
    assert not waiting.done()
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    await subscription.aclose()


async def test_viewers_in_one_process_share_one_subscription_and_a_late_one_starts_from_memory(redis_client):
    live_hub = RedisHub(settings.REDIS_URL)
    camera_id = random.randrange(10**6, 10**9)
    publisher, publish, first = await started_feed(live_hub, camera_id)
    await publish(b"p1", False)
    assert (await next_event(first)).data == b"p1"
    # The feed's keys are gone: a viewer joining now can only get its start from the process's memory.
    await redis_client.delete(*live_hub._keys(camera_id)[1:])
    late = live_hub.subscribe(camera_id)
    start = await next_event(late)
    assert start.init == b"INIT" and [data for _seq, _key, data in start.fragments] == [b"k0", b"p1"]
    more = [b"p2", b"k1", b"p3"]
    for data in more:
        await publish(data, data.startswith(b"k"))
    for subscription in (first, late):
        assert [(await next_event(subscription)).data for _ in more] == more, "every fragment once, in order"
    assert await subscribers(redis_client, live_hub, camera_id) == 1
    assert len(await fan_out_connections(redis_client)) == 1
    await first.aclose()
    await late.aclose()
    await database_sync_to_async(publisher.ended)()


async def test_the_last_viewer_to_leave_unsubscribes_and_the_recorder_stops_publishing(redis_client, monkeypatch):
    monkeypatch.setattr(live, "WATCHED_SECONDS", 2)
    live_hub = RedisHub(settings.REDIS_URL)
    camera_id = random.randrange(10**6, 10**9)
    publisher, publish, first = await started_feed(live_hub, camera_id)
    second = live_hub.subscribe(camera_id)
    assert isinstance(await next_event(second), LiveStart)
    await first.aclose()
    await publish(b"p1", False)
    assert (await next_event(second)).data == b"p1", "one viewer leaving leaves the feed to the others"
    assert await subscribers(redis_client, live_hub, camera_id) == 1
    await second.aclose()

    async def unsubscribed() -> bool:
        return await subscribers(redis_client, live_hub, camera_id) == 0

    async def unwatched() -> bool:
        return not await redis_client.exists(live_hub._watchers_key(camera_id))

    async def not_published() -> bool:
        await asyncio.sleep(WATCH_CHECK_SECONDS)
        await publish(b"p", False)
        return not publisher.watched

    await until(unsubscribed, "the channel to be unsubscribed")
    await until(unwatched, "the watched key to expire")
    await until(not_published, "the recorder to stop publishing")
    assert await fan_out_connections(redis_client) == [], "the process's only feed gone, its connection too"


@pytest.mark.parametrize("make_hub", [LocalHub, lambda: RedisHub(settings.REDIS_URL)])
async def test_a_viewer_that_does_not_read_misses_fragments_up_to_a_keyframe_and_holds_up_no_other(make_hub):
    live_hub = make_hub()
    camera_id = random.randrange(10**6, 10**9)
    publisher, publish, slow = await started_feed(live_hub, camera_id)
    fast = live_hub.subscribe(camera_id)
    assert isinstance(await next_event(fast), LiveStart)
    fast_got = []

    async def send(fragments: list[tuple[bytes, bool]]) -> None:
        """Publish `fragments` while the fast viewer reads each."""
        wanted = len(fast_got) + len(fragments)

        async def read_fast() -> None:
            while len(fast_got) < wanted:
                fast_got.append((await next_event(fast)).data)

        reading = asyncio.ensure_future(read_fast())
        for data, key in fragments:
            await publish(data, key)
        await asyncio.wait_for(reading, 30)

    await send([(f"p{index}".encode(), False) for index in range(VIEWER_BACKLOG + 10)])
    slow_got = [(await next_event(slow)).data for _ in range(VIEWER_BACKLOG)]
    assert slow_got == fast_got[:VIEWER_BACKLOG], "a full backlog, and then it misses fragments"
    await send([(b"q", False), (b"k1", True), (b"p", False)])
    assert fast_got[VIEWER_BACKLOG + 10:] == [b"q", b"k1", b"p"], "the fast viewer got every fragment"
    assert [(await next_event(slow)).data for _ in range(2)] == [b"k1", b"p"], "the slow one goes on from a keyframe"
    await slow.aclose()
    await fast.aclose()
    await database_sync_to_async(publisher.ended)()


async def test_viewers_are_fed_again_after_the_fan_out_connection_is_killed(live_camera, operator_user, redis_client):
    camera, _gst = live_camera
    viewers = [await open_live(camera.pk, operator_user) for _ in range(3)]
    for communicator in viewers:
        assert (await communicator.connect(timeout=10))[0]
        await receive_live(communicator, 3)
    live_hub = RedisHub(settings.REDIS_URL)
    assert await subscribers(redis_client, live_hub, camera.pk) == 1, "three viewers, one subscription"
    [connection] = await fan_out_connections(redis_client)
    await redis_client.client_kill_filter(_id=connection["id"])
    for communicator in viewers:
        while True:
            message = await communicator.receive_output(timeout=30)
            if "text" in message and json.loads(message["text"])["type"] == "live.start":
                break
        init = (await communicator.receive_output(timeout=10))["bytes"]
        fragment = (await communicator.receive_output(timeout=10))["bytes"]
        assert init[4:8] == b"ftyp" and decoded_frames(init + fragment) == 1, "fed again from a keyframe"
    assert await subscribers(redis_client, live_hub, camera.pk) == 1
    assert len(await fan_out_connections(redis_client)) == 1
    for communicator in viewers:
        await communicator.disconnect()


async def test_a_subscription_while_redis_is_down_fails_at_once_and_leaves_nothing_behind():
    down = RedisHub(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(LiveFeedLost):
        await next_event(down.subscribe(1))
    assert not [url for url, _loop in live._live_feeds if url == down.url], "the next subscription connects anew"
