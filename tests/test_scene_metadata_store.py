"""A camera's own analytics metadata kept with its recording: written a row every few seconds, read back for a span
through the API (with the same permission and camera access as playback), and deleted with the footage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recordings.models import SceneMetadata
from recordings.retention import apply_retention
from recordings.scene_metadata import ROW_SECONDS, SceneMetadataWriter, frames_between
from tests.conftest import grant
from tests.factories import record_run
from video.geometry import Box
from video.scene_metadata import SceneFrame, SceneObject, outside_masks
from video.tracking import Track

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def track(number: int, x: float, missing: bool = False) -> Track:
    return Track(number, "person", 0.9, Box(x, 0.2, 0.1, 0.3), 0.0, 0.0, missing, ())


def write(camera, start: datetime, seconds: float, fps: float = 10.0) -> None:
    writer = SceneMetadataWriter(camera.pk)
    for i in range(round(seconds * fps)):
        writer.add(start + timedelta(seconds=i / fps), [track(1, i / 1000), track(2, 0.5, missing=True)])
    writer.flush()


def test_frames_are_kept_a_row_every_few_seconds_and_read_back_in_order(camera):
    write(camera, NOW, 25)
    rows = list(SceneMetadata.objects.filter(camera=camera).order_by("started_at"))
    assert len(rows) == 3 and all((r.ended_at - r.started_at).total_seconds() <= ROW_SECONDS for r in rows)
    assert sum(r.frame_count for r in rows) == 250
    frames = frames_between(camera.pk, NOW + timedelta(seconds=5), NOW + timedelta(seconds=15))
    assert len(frames) == 101 and frames[0].at == NOW + timedelta(seconds=5)
    assert [f.at for f in frames] == sorted(f.at for f in frames)
    # Only the objects the camera reported in that frame: a track kept alive while missing is not stored.
    assert {o.track for f in frames for o in f.objects} == {1}
    assert frames[10].objects[0].box == Box(0.06, 0.2, 0.1, 0.3)
    # Compact: a few bytes a frame.
    assert sum(len(bytes(r.frames)) for r in rows) / 250 < 40


def test_metadata_goes_when_no_footage_of_its_time_is_left(camera):
    camera.retention_days = 1
    camera.save()
    old, recent = NOW - timedelta(days=2), NOW - timedelta(hours=1)
    record_run(camera, old, 3)
    record_run(camera, recent, 3)
    write(camera, old, 20)
    write(camera, recent, 20)
    write(camera, NOW - timedelta(hours=3), 5)  # recorded nothing then (events only, say)
    write(camera, NOW - timedelta(minutes=1), 5)  # its segment may not be indexed yet
    report = apply_retention(NOW)
    assert report.deleted == 3 and report.metadata_deleted == 3
    kept = sorted(r.started_at for r in SceneMetadata.objects.filter(camera=camera))
    assert len(kept) == 3 and kept[0] == recent and kept[1] < recent + timedelta(seconds=30)
    assert kept[2] == NOW - timedelta(minutes=1)


def test_the_api_gives_a_spans_frames_to_who_may_play_the_footage_back(camera, investigator_client,
                                                                        investigator_user, operator_client):
    write(camera, NOW, 3)
    url = f"/api/v1/cameras/{camera.pk}/scene-metadata/"
    span = {"start": NOW.isoformat(), "end": (NOW + timedelta(seconds=1)).isoformat()}
    assert investigator_client.get(url, span).status_code == 404  # no access to this camera
    grant(camera, user=investigator_user)
    answer = investigator_client.get(url, span)
    assert answer.status_code == 200
    body = answer.json()
    assert body["camera"] == camera.pk and len(body["frames"]) == 11
    first = body["frames"][0]
    assert datetime.fromisoformat(first["at"]) == NOW
    assert first["objects"] == [{"track": 1, "label": "person", "score": 0.9, "x": 0.0, "y": 0.2, "w": 0.1,
                                 "h": 0.3}]
    too_long = {"start": NOW.isoformat(), "end": (NOW + timedelta(hours=2)).isoformat()}
    assert "end" in investigator_client.get(url, too_long).json()["errors"]
    assert investigator_client.get(url, {"start": "yesterday"}).status_code == 400
    assert operator_client.get(url, span).status_code in (403, 404)


def test_objects_under_a_privacy_mask_are_left_out_of_the_cameras_frames():
    frame = SceneFrame(NOW, [SceneObject("a", "person", 0.9, Box(0.1, 0.1, 0.1, 0.1)),
                             SceneObject("b", "person", 0.9, Box(0.6, 0.6, 0.2, 0.2)),
                             SceneObject("c", "person", 0.9, Box(0.25, 0.0, 0.2, 0.2))])
    window = [(0.0, 0.0), (0.3, 0.0), (0.3, 0.3), (0.0, 0.3)]
    assert [o.id for o in outside_masks(frame, [window]).objects] == ["b", "c"]
    assert outside_masks(frame, []) is frame
