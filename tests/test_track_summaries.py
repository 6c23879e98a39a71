"""Track summaries over MQTT: an Axis camera sums up each track as it ends (ObjectTrack v1 on a topic of its own,
tests/standins/axis_scene_publisher.py on Mosquitto); the analytics worker ends the track at once and keeps the
summary on the VMS's clock, without the parts of its path under a privacy mask and without the device's snapshot;
investigators search the summaries by span and class; retention deletes them with the footage of their time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from analytics.models import Event, Rule, Zone
from analytics.worker import AnalyticsWorker
from devices.models import Camera, PrivacyMask
from recordings.models import ObjectTrack
from recordings.retention import apply_retention
from tests.factories import record_run
from tests.recording_checks import running, wait_for
from tests.standins.axis_scene_publisher import AxisScenePublisher, Walker

pytestmark = pytest.mark.django_db(transaction=True)
HOUR = 3600.0


@pytest.fixture
def publisher():
    # The camera's clock is an hour ahead of ours: the summaries are kept on ours.
    with AxisScenePublisher(clock_offset=HOUR, track_topic="axis/B8A44F000001/scene/object_track") as axis:
        yield axis


@pytest.fixture
def camera(settings, publisher) -> Camera:
    settings.RECORDER_LEASE_SECONDS = 3.0
    camera = Camera.objects.create(name="Yard", main_url="rtsp://127.0.0.1:9/nothing-here", analytics_enabled=True,
                                   analysis_source="camera", metadata_transport="mqtt",
                                   metadata_broker="mqtt://127.0.0.1:1883", metadata_topic=publisher.topic,
                                   track_topic=publisher.track_topic)
    # The right half of the picture may not be watched.
    PrivacyMask.objects.create(camera=camera, name="Neighbour", points=[[0.5, 0], [1, 0], [1, 1], [0.5, 1]])
    return camera


def test_an_ended_track_is_kept_on_our_clock_without_its_masked_part_and_found_by_investigators(
        camera, publisher, investigator_client, operator_client):
    from tests.conftest import grant

    zone = Zone.objects.create(camera=camera, name="All", kind="area", points=[[0, 0], [1, 0], [1, 1], [0, 1]])
    Rule.objects.create(camera=camera, name="Anyone", condition="enter", zone=zone, raise_alarm=False)
    before = timezone.now()
    with running(AnalyticsWorker(tick_seconds=0.5)):
        publisher.play([
            Walker("walker-1", "Human", (0.1, 0.5), (0.9, 0.5), seconds=2.0),  # into the masked half
            Walker("hidden-2", "Human", (0.7, 0.5), (0.9, 0.5), seconds=1.0),  # only ever in the masked half
            Walker("car-3", "Car", (0.1, 0.8), (0.4, 0.8), seconds=1.0, size=(0.2, 0.15)),
        ])
        wait_for(lambda: ObjectTrack.objects.filter(camera=camera).count() == 2, 60, "two summaries kept")
    after = timezone.now()

    person = ObjectTrack.objects.get(camera=camera, device_track="walker-1")
    assert person.object_class == "person" and person.score == pytest.approx(0.9)
    assert before <= person.started_at < person.ended_at <= after, "on our clock, not the camera's hour ahead"
    start, end = publisher.summaries["walker-1"]
    # The camera's timestamps are kept to the microsecond (as its stamps are written), shifted to our clock.
    assert abs((person.ended_at - person.started_at) - (end - start)) < timedelta(milliseconds=1), \
        "the walk as long as the camera timed it"
    assert person.path and all(x + w / 2 < 0.5 for _, x, _, w, _ in person.path), "nothing under the mask"
    assert not ObjectTrack.objects.filter(device_track="hidden-2").exists(), "seen only under the mask: not kept"
    event = Event.objects.get(rule__name="Anyone", track_id=person.track)
    assert event.object_class == "person"

    url = f"/api/v1/cameras/{camera.pk}/object-tracks/"
    span = {"start": (before - timedelta(minutes=1)).isoformat(), "end": (after + timedelta(minutes=1)).isoformat()}
    assert investigator_client.get(url, span).status_code == 404, "no access to the camera: as if it did not exist"
    grant(camera, group="Investigator")
    found = investigator_client.get(url, span)
    assert found.status_code == 200, found.json()
    # Both started in the same frame; each summary is placed on our clock by its own arrival, so either may be first.
    assert sorted(t["object_class"] for t in found.json()["tracks"]) == ["car", "person"]
    assert all(t["path"][0].keys() == {"ms", "x", "y", "w", "h"} for t in found.json()["tracks"])
    assert "image" not in str(found.json())
    cars = investigator_client.get(url, {**span, "object_class": "car"}).json()["tracks"]
    assert [t["device_track"] for t in cars] == ["car-3"]
    too_long = investigator_client.get(url, {**span, "end": (before + timedelta(days=2)).isoformat()})
    assert too_long.status_code == 400 and "a day" in too_long.json()["errors"]["end"][0]
    assert investigator_client.get(url, {**span, "object_class": "dragon"}).status_code == 400


def test_summaries_go_with_the_footage_of_their_time(camera):
    now = timezone.now()
    old = now - timedelta(days=3)
    record_run(camera, old - timedelta(seconds=5), 3)
    kept = ObjectTrack.objects.create(camera=camera, device_track="a", object_class="person", score=0.9,
                                      started_at=old, ended_at=old + timedelta(seconds=10))
    orphan = ObjectTrack.objects.create(camera=camera, device_track="b", object_class="person", score=0.9,
                                        started_at=old - timedelta(hours=1), ended_at=old - timedelta(minutes=59))
    radar = Camera.objects.create(name="Radar", kind="radar", retention_days=2)
    expired = ObjectTrack.objects.create(camera=radar, device_track="r", object_class="vehicle", score=0.9,
                                         started_at=old, ended_at=old)
    fresh = ObjectTrack.objects.create(camera=radar, device_track="s", object_class="vehicle", score=0.9,
                                       started_at=now - timedelta(days=1), ended_at=now - timedelta(days=1))
    report = apply_retention(now)
    assert report.tracks_deleted == 2
    assert set(ObjectTrack.objects.values_list("pk", flat=True)) == {kept.pk, fresh.pk}
    assert not ObjectTrack.objects.filter(pk__in=[orphan.pk, expired.pk]).exists()


def test_the_track_topic_is_its_own(admin_client, camera):
    response = admin_client.patch(f"/api/v1/cameras/{camera.pk}/", {"track_topic": camera.metadata_topic},
                                  content_type="application/json")
    assert response.status_code == 400 and "topic of their own" in response.json()["errors"]["track_topic"][0]
