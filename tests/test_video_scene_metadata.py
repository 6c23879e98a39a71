"""Reading AXIS Scene Metadata frames into tracks: pure, without a camera or a broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.standins.axis_scene_publisher import frame
from video.geometry import Box
from video.scene_metadata import (
    SERVER_TRACK_IDS,
    MalformedMetadata,
    SceneFrame,
    SceneObject,
    SceneTracks,
    merged_tracks,
    parse_frame,
)
from video.tracking import Track

AT = datetime(2026, 12, 4, 10, 0, 0, 500000, tzinfo=UTC)
BOX = {"left": 0.1, "top": 0.2, "right": 0.3, "bottom": 0.6}


def test_a_frame_v1_reads_as_objects_in_the_vms_classes():
    read = parse_frame(frame(AT, [("7ef2", "Human", BOX, 0.8), ("a1", "Truck", BOX, 0.6), ("b2", "Animal", BOX, 0.5)],
                             ended=["old"]))
    assert read.camera_time == AT and read.channel == 1 and read.ended == ["old"]
    assert [(o.id, o.label, o.score) for o in read.objects] == [("7ef2", "person", 0.8), ("a1", "truck", 0.6),
                                                                ("b2", "unknown", 0.5)]
    box = read.objects[0].box
    assert (box.x, box.y, box.w, box.h) == pytest.approx((0.1, 0.2, 0.2, 0.4))


def test_the_beta_frame_reads_the_same():
    beta = {"frame": {"timestamp": "2024-02-14T15:37:20.940582Z", "operations": [{"type": "DeleteOperation",
                                                                                   "id": "35"}],
                      "observations": [{"bounding_box": BOX, "class": {"score": 0.75, "type": "Human"},
                                        "timestamp": "2024-02-14T15:37:20.940582Z", "track_id": "37"},
                                       {"bounding_box": BOX, "track_id": "26"}]}}
    read = parse_frame(json.dumps(beta))
    assert [(o.id, o.label) for o in read.objects] == [("37", "person"), ("26", "unknown")]
    assert read.ended == ["35"]
    assert parse_frame(json.dumps({"data": beta})).objects == read.objects  # the message broker's envelope


@pytest.mark.parametrize(("payload", "why"), [
    (b"{", "not JSON"),
    (b"[]", "not a JSON object"),
    (json.dumps({"detections": []}), "no timestamp"),
    (json.dumps({"timestamp": "soon"}), "not a time"),
    (json.dumps({"timestamp": "2026-12-04T10:00:00Z", "detections": {}}), "not a list"),
    (json.dumps({"timestamp": "2026-12-04T10:00:00Z", "detections": [{"object_track_id": "1"}]}), "no bounding_box"),
    (json.dumps({"timestamp": "2026-12-04T10:00:00Z", "detections": [
        {"object_track_id": "1", "bounding_box": {**BOX, "left": "x"}}]}), "left, top, right and bottom"),
    (json.dumps({"timestamp": "2026-12-04T10:00:00Z", "detections": [
        {"object_track_id": "1", "bounding_box": {**BOX, "right": 0.05}}]}), "empty or upside down"),
    (json.dumps({"timestamp": "2026-12-04T10:00:00Z", "detections": [
        {"bounding_box": BOX, "class": {"type": "Human"}}]}), "no id"),
    (json.dumps({"timestamp": "2026-12-04T10:00:00Z", "detections": [
        {"object_track_id": "1", "bounding_box": BOX, "class": {"score": 7}}]}), "score"),
    (json.dumps({"timestamp": "2026-12-04T10:00:00Z", "channel_id": "one"}), "channel_id"),
    (b" " * 1_000_001, "over"),
])
def test_a_malformed_payload_is_refused_with_the_reason(payload, why):
    with pytest.raises(MalformedMetadata, match=why):
        parse_frame(payload)


def seen(*objects: tuple[str, float], ended: tuple[str, ...] = (), renamed=()) -> SceneFrame:
    return SceneFrame(AT, [SceneObject(i, "person", 0.9, Box(x, 0.2, 0.1, 0.3)) for i, x in objects],
                      list(ended), list(renamed))


def test_camera_tracks_keep_their_number_and_path_until_ended_renamed_or_gone_quiet():
    tracks = SceneTracks(max_missing_seconds=1.0)
    first = tracks.update(seen(("uuid-a", 0.1), ("uuid-b", 0.5)), 10.0)
    assert [t.id for t in first] == [1, 2]
    later = tracks.update(seen(("uuid-a", 0.2), ("uuid-c", 0.5), renamed=[("uuid-b", "uuid-c")]), 10.1)
    assert [(t.id, t.box.x) for t in later] == [(1, 0.2), (2, 0.5)], "a renamed track keeps its number"
    assert [p[1].x for p in later[0].path] == [0.1, 0.2] and later[0].first_seen == 10.0
    quiet = tracks.update(seen(("uuid-a", 0.3), ended=("uuid-c",)), 10.2)
    assert [t.id for t in quiet] == [1]
    assert tracks.current(11.0)[0].missing is False
    assert tracks.current(11.5) == [], "not reported for over a second: gone"
    assert [t.id for t in tracks.update(seen(("uuid-d", 0.5)), 12.0)] == [3]


def test_the_servers_tracks_fill_in_only_where_the_camera_reports_nothing():
    def track(number: int, x: float) -> Track:
        return Track(number, "person", 0.9, Box(x, 0.2, 0.1, 0.3), 0.0, 0.0, False, ())

    merged = merged_tracks([track(1, 0.1)], [track(1, 0.11), track(2, 0.6)])
    assert [t.id for t in merged] == [1, SERVER_TRACK_IDS + 2]
