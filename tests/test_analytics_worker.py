"""Live analytics end to end: a real RTSP camera streaming CCTV footage of pedestrians (OpenCV's vtest.avi),
the recorder's live feed through Redis, the analytics worker, rules firing into events, alarms and counts,
and overlay boxes on the camera's Channels group."""

from __future__ import annotations

import asyncio
import queue
import random
import threading
import time
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.utils import timezone

from analytics.models import Alarm, Count, Event, Rule, Zone
from analytics.worker import IDLE_SECONDS, AnalyticsWorker, CameraAnalytics, LiveFeed
from devices.models import Camera
from recordings.live import LiveFragment, LiveStart, hub
from recordings.models import Segment
from recordings.recorder import Recorder
from tests.recording_checks import wait_for
from tests.standins.rtsp_servers import free_port
from video.live import LiveChunk
from vms.realtime import camera_group

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp, pytest.mark.slow]

WALKWAY = [[0.02, 0.25], [0.98, 0.25], [0.98, 0.99], [0.02, 0.99]]
MIDDLE = [[0.5, 0.0], [0.5, 1.0]]


@pytest.fixture
def campus(settings, real_people_clip, footage_rtsp_server):
    """The footage camera with its zones and rules, recorded and analysed by a recorder and a worker."""
    settings.RECORDER_LEASE_SECONDS = 4.0
    settings.CAMERA_READ_TIMEOUT = 3.0
    settings.RECONNECT_MAX_SECONDS = 1.0
    camera = Camera.objects.create(name="Campus", main_url=footage_rtsp_server.url_for(real_people_clip.path),
                                   analytics_enabled=True, analytics_fps=5, recording_mode="off")
    walkway = Zone.objects.create(camera=camera, name="Walkway", kind="area", points=WALKWAY)
    middle = Zone.objects.create(camera=camera, name="Middle", kind="line", points=MIDDLE)
    later = timezone.localtime() + timedelta(hours=2)
    rules = {
        "dwell": Rule.objects.create(camera=camera, name="Lingering", condition="dwell", zone=walkway,
                                     object_classes=["person"], dwell_seconds=3, severity=3),
        "cross": Rule.objects.create(camera=camera, name="Crossing", condition="cross", zone=middle,
                                     object_classes=["person"], raise_alarm=False),
        "asleep": Rule.objects.create(camera=camera, name="Night watch", condition="enter", zone=walkway,
                                      schedule=[{"days": list(range(7)), "start": f"{later:%H}:00",
                                                 "end": f"{(later + timedelta(hours=1)):%H}:00"}]),
    }
    stop = threading.Event()
    workers = [threading.Thread(target=worker(tick_seconds=0.5).run, args=(stop,), daemon=True)
               for worker in (Recorder, AnalyticsWorker)]
    for worker in workers:
        worker.start()
    yield camera, middle, rules
    stop.set()
    for worker in workers:
        worker.join(timeout=30)


async def overlay_messages(camera_id: int, seconds: float) -> list[dict]:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(camera_group(camera_id), channel)
    messages = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    try:
        while loop.time() < deadline:
            try:
                event = await asyncio.wait_for(layer.receive(channel), timeout=max(0.1, deadline - loop.time()))
            except TimeoutError:
                break
            if event["message"]["type"] == "overlay.boxes":
                messages.append(event["message"])
    finally:
        await layer.group_discard(camera_group(camera_id), channel)
    return messages


def test_rules_fire_on_real_footage_of_people(campus):
    camera, middle, rules = campus
    wait_for(lambda: Event.objects.filter(rule=rules["dwell"]).exists(), 120, "someone to linger 3 s")
    dwell = wait_for(lambda: Event.objects.filter(rule=rules["dwell"]).exclude(ended_at=None).first(), 120,
                     "a lingering event to end")
    assert dwell.object_class == "person" and dwell.track_id is not None
    assert bytes(dwell.snapshot)[:2] == b"\xff\xd8"
    # One track id over the whole stay: its path (where it was detected) starts where the 3 s of lingering began,
    # at or before the event's start less the 3 s (to the microsecond both times were rounded to). How many points
    # the path has depends on how many frames a loaded machine could analyse, so only its span is checked.
    times = [datetime.fromisoformat(box["t"]) for box in dwell.boxes]
    assert len(times) >= 2 and min(times) <= dwell.started_at - timedelta(seconds=3) + timedelta(microseconds=1)
    assert Alarm.objects.filter(event=dwell, severity=3).exists()
    wait_for(lambda: {c.direction for c in Count.objects.filter(zone=middle)} == {"a_to_b", "b_to_a"}, 120,
             "people counted crossing the middle both ways")
    assert Event.objects.filter(rule=rules["cross"], alarm=None).exists()
    assert not Event.objects.filter(rule=rules["asleep"]).exists(), "a rule outside its schedule fired"
    assert not Segment.objects.filter(camera=camera).exists(), "recording is off: analysed, not recorded"


@pytest.mark.asyncio
async def test_overlay_boxes_keep_their_track_ids_and_carry_the_frame_media_time(campus):
    camera, _middle, _rules = campus
    await database_sync_to_async(wait_for)(
        lambda: Camera.objects.get(pk=camera.pk).status == "online", 30, "the camera to be online")
    messages = await overlay_messages(camera.pk, 20)
    with_boxes = [m["data"] for m in messages if m["data"]["boxes"]]
    assert len(with_boxes) >= 20, "boxes at about 5 a second while people walk by"
    times = [m["pts"] for m in with_boxes]
    assert times == sorted(times) and all(isinstance(t, float) for t in times)
    labels = {box["label"] for m in with_boxes for box in m["boxes"]}
    assert "person" in labels
    box = with_boxes[0]["boxes"][0]
    assert 0 <= box["x"] <= 1 and 0 < box["w"] <= 1 and box["state"] in ("tracked", "dwelling", "alarm")
    # Ids persist: some track is in many consecutive messages.
    seen: dict[int, int] = {}
    for message in with_boxes:
        for box in message["boxes"]:
            seen[box["track"]] = seen.get(box["track"], 0) + 1
    assert max(seen.values()) >= 10


def test_a_camera_that_goes_offline_fires_its_offline_rule(settings):
    settings.RECORDER_LEASE_SECONDS = 4.0
    settings.CAMERA_READ_TIMEOUT = 2.0
    settings.RECONNECT_MAX_SECONDS = 1.0
    camera = Camera.objects.create(name="Away", main_url=f"rtsp://127.0.0.1:{free_port()}/gone",
                                   analytics_enabled=True)
    rule = Rule.objects.create(camera=camera, name="Camera lost", condition="offline", severity=3)
    stop = threading.Event()
    workers = [threading.Thread(target=worker(tick_seconds=0.5).run, args=(stop,), daemon=True)
               for worker in (Recorder, AnalyticsWorker)]
    for worker in workers:
        worker.start()
    try:
        event = wait_for(lambda: Event.objects.filter(rule=rule).first(), 60, "the offline rule to fire")
        assert event.condition == "offline" and Alarm.objects.filter(event=event, severity=3).exists()
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)


def test_the_live_feed_waits_quietly_for_a_camera_that_sends_nothing_for_a_while():
    """A quiet spell is not a failure: the same subscription then carries the camera's first frames."""
    camera_id = random.randrange(10**6, 10**9)  # Redis keys outlive a test run briefly
    stop = threading.Event()
    feed = LiveFeed(camera_id, stop)
    feed.start()
    try:
        time.sleep(3 * IDLE_SECONDS)  # several idle periods with nothing published
        publisher = hub().publisher(camera_id)
        publisher(LiveChunk(b"INIT", init=True, keyframe=False, mime="video/mp4"))
        wait_for(lambda: publisher(LiveChunk(b"K", init=False, keyframe=True)) or feed.items.qsize(), 10,
                 "the first frames to come through")
        first = feed.items.get(timeout=5)[1]
        assert isinstance(first, LiveStart | LiveFragment), f"got {first!r} before any frame"
    finally:
        stop.set()
        feed.join(timeout=10)


def test_falling_behind_keeps_the_start_of_the_stream():
    """When loading the detector takes long, the stream's start is the first item of the backlog, read before the
    backlog is seen: skipping ahead must still take it, or no decoder is ever made and nothing is analysed."""
    camera = Camera.objects.create(name="Slow start", main_url="rtsp://127.0.0.1:9/none", analytics_enabled=True)
    analytics = CameraAnalytics(camera, detector=lambda: None)
    taken = []
    analytics._take = lambda item, arrived: taken.append(item)
    start = LiveStart({"mime": "video/mp4"}, b"INIT", [])
    backlog = queue.Queue()
    for seq in range(3):
        backlog.put((time.time(), LiveFragment(seq, False, b"P")))
    analytics._skip_backlog((time.time(), start), backlog)
    assert taken == [start] and backlog.empty()
