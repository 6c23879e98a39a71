"""A camera analysed by its own analytics, whose metadata comes in its RTSP stream (ONVIF Profile M): the recorder
reads the metadata track in its one session with the camera, the analytics worker applies the rules to it without
decoding any video, the boxes go to the live overlay stamped with their frame's media time, and the camera's boxes
are kept with the recording (never those under a privacy mask)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from analytics import worker as analytics_worker
from analytics.models import Event, Rule, Zone
from analytics.worker import AnalyticsWorker
from devices.models import Camera, PrivacyMask
from recordings.models import SceneMetadata, Segment
from recordings.recorder import Recorder
from recordings.scene_metadata import frames_between
from tests.conftest import grant
from tests.recording_checks import running, wait_for
from tests.test_analytics_worker import overlay_messages
from video.geometry import center, point_in_polygon

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp, pytest.mark.slow]

EVERYWHERE = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]
# Over the top left: the stand-in's second object (a vehicle) drives through it.
MASK = [(0.0, 0.0), (0.5, 0.0), (0.5, 0.45), (0.0, 0.45)]


@pytest.fixture
def porch(settings, onvif_metadata_camera):
    """A Profile M camera recorded and analysed by its own metadata, with a privacy mask and two rules."""
    settings.RECORDER_LEASE_SECONDS = 3.0
    settings.SEGMENT_SECONDS = 2.0
    stand_in = onvif_metadata_camera(fps=10, pixel_coordinates=True)
    camera = Camera.objects.create(name="Porch", main_url=stand_in.url, analytics_enabled=True,
                                   analysis_source="camera")
    PrivacyMask.objects.create(camera=camera, name="Neighbour", points=[list(p) for p in MASK])
    everywhere = Zone.objects.create(camera=camera, name="Everywhere", kind="area", points=EVERYWHERE)
    rules = {
        "people": Rule.objects.create(camera=camera, name="Someone", condition="enter", zone=everywhere,
                                      object_classes=["person"]),
        "cars": Rule.objects.create(camera=camera, name="A car", condition="enter", zone=everywhere,
                                    object_classes=["car"], raise_alarm=False),
    }
    analytics = AnalyticsWorker(tick_seconds=0.5)
    with running(Recorder(tick_seconds=0.5), analytics):
        wait_for(lambda: Camera.objects.filter(pk=camera.pk, status="online", analyser__isnull=False).exists(), 30,
                 "the camera to be online and analysed")
        yield camera, rules, analytics


def test_rules_fire_on_the_metadata_track_and_boxes_carry_their_frames_media_time(porch):
    camera, rules, analytics = porch
    person = wait_for(lambda: Event.objects.filter(rule=rules["people"]).first(), 60, "someone to come in")
    assert person.object_class == "person" and person.track_id is not None and person.snapshot is None
    wait_for(lambda: Event.objects.filter(rule=rules["cars"]).exists(), 60, "a car to come in")
    # Nobody watches the camera live: the boxes are stamped all the same, each with the media time of its frame
    # (the stand-in's frames are 0.1 s apart; once RTCP reports come, FFmpeg re-times each track by NTP, which puts a
    # document within one 90 kHz tick of its frame: see the stand-in's docstring).
    messages = asyncio.run(overlay_messages(camera.pk, 3.0))
    stamped = [m["data"]["pts"] for m in messages if m["data"]["boxes"]]
    assert len(stamped) >= 15 and stamped == sorted(stamped)
    assert all(abs(pts - round(pts, 1)) <= 1.5 / 90_000 for pts in stamped), stamped
    assert analytics.shared_detector is None, "the camera's metadata alone: no detector, no decoding"
    assert Camera.objects.get(pk=camera.pk).analytics_error == ""


def test_the_cameras_boxes_are_kept_with_the_recording_but_never_under_a_privacy_mask(porch, investigator_user,
                                                                                      investigator_client):
    camera, _rules, _analytics = porch
    wait_for(lambda: SceneMetadata.objects.filter(camera=camera).count() >= 2, 60, "two rows of metadata kept")
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    assert segments
    start, end = segments[0].start, segments[-1].end
    frames = frames_between(camera.pk, start - timedelta(minutes=1), end + timedelta(minutes=1))
    objects = [item for frame in frames for item in frame.objects]
    assert len(frames) >= 20 and objects
    assert not [item for item in objects if point_in_polygon(center(item.box), MASK)], "a box under the mask"
    # Each frame kept falls on a recorded frame: a whole number of frames into its segment.
    for frame in frames:
        inside = [s for s in segments if s.start <= frame.at < s.end]
        if inside:
            steps = (frame.at - inside[0].start).total_seconds() * 10
            assert abs(steps - round(steps)) < 0.01
    grant(camera, user=investigator_user)
    body = investigator_client.get(f"/api/v1/cameras/{camera.pk}/scene-metadata/", {
        "start": start.isoformat(), "end": end.isoformat()}).json()
    assert body["frames"] and {o["label"] for f in body["frames"] for o in f["objects"]} <= {"person", "car"}


def test_a_camera_whose_stream_carries_no_metadata_is_told_so(settings, gst_camera, monkeypatch):
    settings.RECORDER_LEASE_SECONDS = 3.0
    monkeypatch.setattr(analytics_worker, "METADATA_WAIT_SECONDS", 3.0)
    gst = gst_camera(path="/plain", width=320, height=240)
    camera = Camera.objects.create(name="Plain", main_url=gst.url, recording_mode="off", analytics_enabled=True,
                                   analysis_source="camera")
    with running(Recorder(tick_seconds=0.5), AnalyticsWorker(tick_seconds=0.5)):
        error = wait_for(lambda: Camera.objects.get(pk=camera.pk).analytics_error, 30, "the problem to show")
    assert "No analytics metadata has come in the camera's stream" in error and "MQTT" in error
