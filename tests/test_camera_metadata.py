"""A camera analysed by its own analytics: its scene metadata comes over MQTT (Mosquitto on 127.0.0.1:1883, an
Axis-format publisher, tests/standins/axis_scene_publisher.py), and the analytics worker applies the rules to it,
shows the boxes and records the events without decoding any video (the camera's stream is not even reachable)."""

from __future__ import annotations

import asyncio
import logging

import pytest

from analytics.models import Alarm, Count, Event, Rule, Zone
from analytics.worker import AnalyticsWorker
from devices.models import Camera
from recordings.live import hub
from recordings.recorder import Recorder
from tests.recording_checks import running, wait_for
from tests.standins.axis_scene_publisher import AxisScenePublisher, Walker
from tests.test_analytics_worker import overlay_messages

pytestmark = pytest.mark.django_db(transaction=True)

WALKWAY = [[0.0, 0.3], [1.0, 0.3], [1.0, 1.0], [0.0, 1.0]]


@pytest.fixture
def publisher():
    with AxisScenePublisher() as axis:
        yield axis


@pytest.fixture
def analysed(settings, publisher):
    """A camera whose analytics are its own metadata, with a loitering and a crossing rule, and a worker running."""
    settings.RECORDER_LEASE_SECONDS = 3.0
    camera = Camera.objects.create(name="Entrance", main_url="rtsp://127.0.0.1:9/nothing-here",
                                   analytics_enabled=True, analysis_source="camera", metadata_transport="mqtt",
                                   metadata_broker="mqtt://127.0.0.1:1883", metadata_topic=publisher.topic)
    walkway = Zone.objects.create(camera=camera, name="Walkway", kind="area", points=WALKWAY)
    middle = Zone.objects.create(camera=camera, name="Middle", kind="line", points=[[0.5, 0.0], [0.5, 1.0]])
    rules = {
        "dwell": Rule.objects.create(camera=camera, name="Lingering", condition="dwell", zone=walkway,
                                     object_classes=["person"], dwell_seconds=1.5, severity=3),
        "cross": Rule.objects.create(camera=camera, name="Crossing", condition="cross", zone=middle,
                                     object_classes=["person"], raise_alarm=False),
        "trucks": Rule.objects.create(camera=camera, name="Trucks", condition="enter", zone=walkway,
                                      object_classes=["truck"]),
    }
    worker = AnalyticsWorker(tick_seconds=0.5)
    with running(worker):
        wait_for(lambda: Camera.objects.filter(pk=camera.pk, analyser__isnull=False).exists(), 30, "a lease")
        yield camera, middle, rules, worker


def test_rules_fire_on_the_cameras_own_metadata_without_decoding_video(analysed, publisher):
    camera, middle, rules, worker = analysed
    publisher.play([Walker("3f1c-person", "Human", (0.2, 0.6), (0.8, 0.6), seconds=2.0, stay=2.5)])
    dwell = wait_for(lambda: Event.objects.filter(rule=rules["dwell"]).exclude(ended_at=None).first(), 60,
                     "a lingering event to start and end")
    assert dwell.object_class == "person" and dwell.track_id == 1 and dwell.snapshot is None
    assert len(dwell.boxes) >= 5 and Alarm.objects.filter(event=dwell, severity=3).exists()
    crossing = wait_for(lambda: Event.objects.filter(rule=rules["cross"]).first(), 30, "a crossing")
    assert crossing.track_id == 1
    wait_for(lambda: Count.objects.filter(zone=middle, object_class="person").exists(), 30, "the crossing counted")
    assert not Event.objects.filter(rule=rules["trucks"]).exists()
    assert worker.shared_detector is None, "the camera's metadata alone: no detector, no decoding"
    assert Camera.objects.get(pk=camera.pk).analytics_error == ""


def test_the_cameras_boxes_reach_the_live_overlay(analysed, publisher):
    camera, *_ = analysed
    publisher.play([Walker("track-9", "Car", (0.1, 0.5), (0.9, 0.5), seconds=3.0, size=(0.2, 0.15))])
    messages = asyncio.run(overlay_messages(camera.pk, 3.0))
    boxes = [box for message in messages for box in message["data"]["boxes"]]
    assert boxes and {box["label"] for box in boxes} == {"car"} and {box["track"] for box in boxes} == {1}
    assert boxes[-1]["x"] > boxes[0]["x"], "the box moves with the car"


async def watched_overlay(camera_id: int, seconds: float) -> list[dict]:
    """The overlay messages of `seconds` while a viewer watches the camera live: the analytics time the video only
    then (the recorder publishes it only then)."""

    async def watch() -> None:
        async for _item in hub().subscribe(camera_id):
            pass

    viewer = asyncio.create_task(watch())
    try:
        await asyncio.sleep(1.0)  # the recorder looks for viewers every WATCH_CHECK_SECONDS
        return await overlay_messages(camera_id, seconds)
    finally:
        viewer.cancel()


@pytest.mark.rtsp
def test_the_cameras_boxes_are_stamped_with_the_live_videos_media_time(settings, gst_camera, publisher):
    """Boxes are drawn on the frame whose media time they carry: the camera's metadata comes beside its video, which
    is timed (never decoded) to stamp them."""
    settings.RECORDER_LEASE_SECONDS = 3.0
    gst = gst_camera(path="/door", width=320, height=240)
    camera = Camera.objects.create(name="Door", main_url=gst.url, recording_mode="off", analytics_enabled=True,
                                   analysis_source="camera", metadata_transport="mqtt",
                                   metadata_broker="mqtt://127.0.0.1:1883",
                                   metadata_topic=publisher.topic)
    analytics = AnalyticsWorker(tick_seconds=0.5)
    with running(Recorder(tick_seconds=0.5), analytics):
        wait_for(lambda: Camera.objects.get(pk=camera.pk).status == "online", 30, "the camera to be online")
        publisher.play([Walker("d00r", "Human", (0.1, 0.5), (0.9, 0.5), seconds=6.0)])
        messages = asyncio.run(watched_overlay(camera.pk, 5.0))
    stamped = [m["data"]["pts"] for m in messages if m["data"]["boxes"]]
    assert len(stamped) >= 10 and stamped == sorted(stamped) and stamped[-1] > stamped[0] > 0
    assert analytics.shared_detector is None


def test_malformed_metadata_is_logged_and_the_rest_goes_on(analysed, publisher, caplog):
    camera, _middle, rules, _worker = analysed
    caplog.set_level(logging.WARNING, logger="devices.metadata_feed")
    wait_for(lambda: "following its scene metadata" in caplog.text or Camera.objects.get(
        pk=camera.pk).analytics_error == "", 30, "the subscription")
    publisher.send(b"{not json")
    publisher.send(b'{"timestamp": "2026-12-04T10:00:00Z", "detections": [{"object_track_id": "1"}]}')
    publisher.play([Walker("later", "Human", (0.2, 0.6), (0.8, 0.6), seconds=1.0)])
    wait_for(lambda: Event.objects.filter(rule=rules["cross"]).exists(), 30, "a crossing after the bad payloads")
    refused = [r.getMessage() for r in caplog.records if "ignored metadata" in r.getMessage()]
    assert len(refused) == 2 and "not JSON" in refused[0] and "no bounding_box" in refused[1]


def test_a_broker_that_cannot_be_reached_is_shown_on_the_camera(settings):
    settings.RECORDER_LEASE_SECONDS = 3.0
    camera = Camera.objects.create(name="Far", main_url="rtsp://127.0.0.1:9/none", analytics_enabled=True,
                                   analysis_source="camera", metadata_transport="mqtt",
                                   metadata_broker="mqtt://127.0.0.1:9",
                                   metadata_topic="axis/none/frame")
    with running(AnalyticsWorker(tick_seconds=0.5)):
        error = wait_for(lambda: Camera.objects.get(pk=camera.pk).analytics_error, 30, "the error to show")
    assert "Cannot reach the MQTT broker at mqtt://127.0.0.1:9" in error
