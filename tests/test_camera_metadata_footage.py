"""A camera analysed by its own metadata track (ONVIF Profile M) while it shows real footage of people: the rules
fire on the boxes the camera reports with no detector loaded, and a camera that sends malformed documents now and
then has those refused, each with a log line, while the others still drive the rules and the overlay."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from analytics.models import Event, Rule, Zone
from analytics.worker import AnalyticsWorker
from devices.models import Camera
from recordings.recorder import Recorder
from tests.recording_checks import running, wait_for
from tests.test_analytics_worker import WALKWAY, overlay_messages

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp, pytest.mark.slow]

IGNORED = "ignored a document of its metadata track"


@pytest.fixture
def plaza(settings, onvif_metadata_camera, real_people_clip, people_scene):
    """A factory: a Profile M camera showing the footage, analysed by its own metadata with a dwell rule on the
    walkway, recorded and analysed by a recorder and a worker until the test ends."""
    settings.RECORDER_LEASE_SECONDS = 3.0
    settings.SEGMENT_SECONDS = 2.0
    with contextlib.ExitStack() as processes:

        def start(**options):
            # Half the footage's size, in its aspect: the camera's boxes are fractions of the picture all the same.
            stand_in = onvif_metadata_camera(fps=real_people_clip.fps, width=384, height=288,
                                             clip=real_people_clip.path, scene=people_scene, **options)
            camera = Camera.objects.create(name="Plaza", main_url=stand_in.url, analytics_enabled=True,
                                           analysis_source="camera")
            walkway = Zone.objects.create(camera=camera, name="Walkway", kind="area", points=WALKWAY)
            dwell = Rule.objects.create(camera=camera, name="Lingering", condition="dwell", zone=walkway,
                                        object_classes=["person"], dwell_seconds=3, severity=3)
            analytics = AnalyticsWorker(tick_seconds=0.5)
            processes.enter_context(running(Recorder(tick_seconds=0.5), analytics))
            wait_for(lambda: Camera.objects.filter(pk=camera.pk, status="online", analyser__isnull=False).exists(),
                     30, "the camera to be online and analysed")
            return camera, dwell, analytics

        yield start


def assert_lingered(dwell: Event, scene: Path) -> None:
    """The event is a person's stay of 3 s, with the path the camera reported for it: boxes of the footage's people
    as the scene has them (within the stand-in's rounding to its pixels)."""
    assert dwell.object_class == "person" and dwell.track_id is not None
    assert dwell.snapshot is None, "no decoding, so no snapshot"
    times = [datetime.fromisoformat(box["t"]) for box in dwell.boxes]
    assert len(times) >= 2 and min(times) <= dwell.started_at - timedelta(seconds=3) + timedelta(microseconds=1)
    people = [box for _t, tracks in json.loads(scene.read_text()) for _id, label, _score, box in tracks
              if label == "person"]
    for box in dwell.boxes:
        corners = (box["x"], box["y"], box["x"] + box["w"], box["y"] + box["h"])
        assert any(all(abs(a - b) < 0.005 for a, b in zip(corners, person, strict=True)) for person in people), (
            f"{corners} is not a box of the footage's people")


def test_a_dwell_rule_fires_on_the_cameras_own_boxes_of_real_footage(plaza, people_scene):
    camera, rule, analytics = plaza()
    dwell = wait_for(lambda: Event.objects.filter(rule=rule).exclude(ended_at=None).first(), 40,
                     "someone to linger 3 s on the walkway and move on")
    assert_lingered(dwell, people_scene)
    assert analytics.shared_detector is None, "the camera's metadata alone: no detector, no decoding"
    assert Camera.objects.get(pk=camera.pk).analytics_error == ""


def test_malformed_documents_are_refused_with_a_log_line_and_the_others_still_count(plaza, people_scene, caplog):
    caplog.set_level(logging.WARNING, logger="analytics.worker")
    camera, rule, analytics = plaza(garbage_every=7)

    def ignored() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "analytics.worker" and IGNORED in r.getMessage()]

    # Both kinds the camera sends: documents that are not well-formed XML, and boxes with a "nan" side.
    wait_for(lambda: any("not XML" in m for m in ignored()) and any("not finite" in m for m in ignored()), 40,
             "both kinds of malformed document to be refused")
    dwell = wait_for(lambda: Event.objects.filter(rule=rule).exclude(ended_at=None).first(), 40,
                     "someone to linger 3 s on the walkway and move on")
    assert_lingered(dwell, people_scene)
    messages = asyncio.run(overlay_messages(camera.pk, 3.0))
    assert [m for m in messages if m["data"]["boxes"]], "the camera's boxes still reach the overlay"
    assert analytics.shared_detector is None
    assert Camera.objects.get(pk=camera.pk).status == "online"
    assert Camera.objects.get(pk=camera.pk).analytics_error == ""
