"""Track summaries as Axis devices send them when a track ends (ObjectTrack v1, and the beta Consolidated track):
read into one TrackSummary, with the snapshot left out, long paths thinned, and malformed payloads refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from video.scene_metadata import MalformedMetadata, SceneFrame, SceneObject, SceneTracks
from video.track_summaries import MAX_PATH_POINTS, parse_track_summary

START = datetime(2026, 12, 5, 10, 0, 0, tzinfo=UTC)
BOX = {"left": 0.1, "top": 0.2, "right": 0.3, "bottom": 0.6}


def stamp(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def object_track(**fields) -> bytes:
    document = {"channel_id": 1, "id": "8e653185-8e54", "classes": [{"type": "Vehicle", "score": 0.2},
                                                                     {"type": "Human", "score": 0.8}],
                "start_time": stamp(0), "end_time": stamp(4), "duration": 4.0, "maximum_speed": 1.5,
                "path": [{"timestamp": stamp(t), "bounding_box": BOX} for t in (0, 2, 4)],
                "image": {"data": "/9j/4AAQ", "type": "image/jpeg"}}
    document.update(fields)
    return json.dumps(document).encode()


def test_an_object_track_is_read_with_its_best_class_times_speed_and_path():
    summary = parse_track_summary(object_track())
    assert (summary.id, summary.label, summary.score, summary.channel) == ("8e653185-8e54", "person", 0.8, 1)
    assert summary.started_at == START and summary.ended_at == START + timedelta(seconds=4)
    assert summary.max_speed == 1.5
    assert [point.at for point in summary.path] == [START + timedelta(seconds=t) for t in (0, 2, 4)]
    assert summary.path[0].box.x == pytest.approx(0.1) and summary.path[0].box.h == pytest.approx(0.4)
    assert not hasattr(summary, "image")


def test_the_beta_consolidated_track_in_its_envelope_is_read_too():
    beta = {"data": {"id": 42, "classes": [{"type": "Car", "score": 0.9}], "start_time": stamp(0),
                     "duration": 1.0, "observations": [{"timestamp": stamp(1), "bounding_box": BOX}]}}
    summary = parse_track_summary(json.dumps(beta))
    assert (summary.id, summary.label, summary.max_speed) == ("42", "car", None)
    assert summary.ended_at == START + timedelta(seconds=1), "no end_time: the last observation's"


def test_a_radar_track_without_boxes_has_an_empty_path_and_a_long_path_is_thinned():
    radar = parse_track_summary(object_track(path=[{"timestamp": stamp(1), "position": {"x": 3.0, "y": 9.0}}]))
    assert radar.path == [] and radar.label == "person"
    long = parse_track_summary(object_track(path=[{"timestamp": stamp(t / 100), "bounding_box": BOX}
                                                  for t in range(1000)]))
    assert len(long.path) <= MAX_PATH_POINTS and long.path[0].at == START


@pytest.mark.parametrize("fields, why", [
    ({"id": None}, "no id"),
    ({"start_time": "yesterday"}, "is not a time"),
    ({"end_time": stamp(-5)}, "ends before it starts"),
    ({"maximum_speed": -1}, "maximum_speed"),
    ({"maximum_speed": float("nan")}, "maximum_speed"),
    ({"classes": [{"type": "Human", "score": 7}]}, "between 0 and 1"),
    ({"classes": "Human"}, "classes"),
    ({"path": [{"timestamp": stamp(1), "bounding_box": {"left": 0.5, "top": 0, "right": 0.1, "bottom": 1}}]},
     "upside down"),
    ({"path": {"a": 1}}, "not a list"),
])
def test_malformed_summaries_are_refused_with_the_reason(fields, why):
    with pytest.raises(MalformedMetadata, match=why):
        parse_track_summary(object_track(**fields))


def test_a_frame_payload_is_not_taken_for_a_summary():
    with pytest.raises(MalformedMetadata, match="not a track summary"):
        parse_track_summary(json.dumps({"timestamp": stamp(0), "detections": []}))


def test_a_summed_up_track_leaves_the_scene_at_once_and_gives_its_number():
    tracks = SceneTracks(max_missing_seconds=10)
    box = parse_track_summary(object_track()).path[0].box
    tracks.update(SceneFrame(START, [SceneObject("a", "person", 0.9, box), SceneObject("b", "car", 0.9, box)]), 0.0)
    assert tracks.end("b") == 2 and tracks.end("unknown") is None
    assert [track.id for track in tracks.current(0.1)] == [1]
    # A summary that comes after the track ended (in a frame, or by silence) still finds its number.
    assert tracks.end("b") == 2
    tracks.update(SceneFrame(START, [], ended=["a"]), 0.2)
    assert tracks.end("a") == 1


def test_a_track_gone_silent_still_gives_its_number_to_its_summary():
    tracks = SceneTracks(max_missing_seconds=1.0)
    box = parse_track_summary(object_track()).path[0].box
    tracks.update(SceneFrame(START, [SceneObject("c", "person", 0.9, box)]), 0.0)
    assert tracks.current(5.0) == []
    assert tracks.end("c") == 1
