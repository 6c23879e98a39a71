"""Recording on events only: footage around events (pre- and post-roll) stays, the rest goes; open events and
footage young enough to become pre-roll are kept; continuous cameras are untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics.footage import drop_footage_without_events
from analytics.models import Event, Rule
from devices.models import Camera
from recordings.models import Segment
from tests.factories import record_run

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def on_events(camera) -> tuple[Camera, Rule]:
    camera.recording_mode = "events"
    camera.save()
    rule = Rule.objects.create(camera=camera, name="Intrusion", condition="offline", record_event=True,
                               pre_roll_seconds=5, post_roll_seconds=10)
    return camera, rule


def event(camera, rule, started: datetime, ended: datetime | None) -> Event:
    return Event.objects.create(camera=camera, rule=rule, rule_name=rule.name, condition=rule.condition,
                                started_at=started, ended_at=ended, keep_footage=True,
                                pre_roll_seconds=rule.pre_roll_seconds, post_roll_seconds=rule.post_roll_seconds)


def starts(camera) -> list[int]:
    """Which 10 s segments are left, as seconds before NOW."""
    return [int((NOW - s.start).total_seconds()) for s in Segment.objects.filter(camera=camera).order_by("start")]


def test_only_footage_around_events_is_kept(on_events):
    camera, rule = on_events
    record_run(camera, NOW - timedelta(seconds=300), 30)  # 300 s of 10 s segments, up to NOW
    event(camera, rule, NOW - timedelta(seconds=200), NOW - timedelta(seconds=185))  # keeps 205 s .. 175 s
    report = drop_footage_without_events(NOW)
    assert starts(camera) == [210, 200, 190, 180, 10]
    assert report.deleted == 25


def test_an_open_event_keeps_everything_from_its_pre_roll_on(on_events):
    camera, rule = on_events
    record_run(camera, NOW - timedelta(seconds=100), 10)
    event(camera, rule, NOW - timedelta(seconds=50), None)
    drop_footage_without_events(NOW)
    assert starts(camera) == [60, 50, 40, 30, 20, 10]


def test_events_of_rules_that_do_not_record_keep_nothing_and_continuous_cameras_keep_all(on_events):
    camera, rule = on_events
    record_run(camera, NOW - timedelta(seconds=100), 10)
    Event.objects.create(camera=camera, rule=rule, rule_name=rule.name, condition=rule.condition,
                         started_at=NOW - timedelta(seconds=50), ended_at=NOW - timedelta(seconds=40))
    continuous = Camera.objects.create(name="Gate", main_url="rtsp://127.0.0.1:1/gate")
    record_run(continuous, NOW - timedelta(seconds=100), 10)
    drop_footage_without_events(NOW)
    assert starts(camera) == [10]
    assert len(starts(continuous)) == 10


def test_recording_on_events_needs_the_analytics_on(admin_client, camera):
    url = f"/api/v1/cameras/{camera.pk}/"
    refused = admin_client.patch(url, {"recording_mode": "events"}, format="json")
    assert refused.status_code == 400 and "needs the analytics or the camera's own events on" in str(
        refused.json()["errors"])
    accepted = admin_client.patch(url, {"recording_mode": "events", "analytics_enabled": True}, format="json")
    assert accepted.status_code == 200 and accepted.json()["recording_mode"] == "events"
