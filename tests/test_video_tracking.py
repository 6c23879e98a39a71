"""Tracker on synthetic detections with known paths: crossings, occlusion, low frame rates, false detections."""

import random

import pytest

from video.detection import Detection
from video.geometry import Box, center
from video.tracking import Tracker

FPS = 5


def person(x: float, y: float = 0.4, w: float = 0.08, h: float = 0.2, label: str = "person") -> Detection:
    return Detection(label, 0.9, Box(x, y, w, h))


def run(tracker: Tracker, frames: list[list[Detection]], fps: float = FPS) -> list[list]:
    return [tracker.update(detections, i / fps) for i, detections in enumerate(frames)]


def nearest_id(tracks, x: float, y: float) -> int:
    return min(tracks, key=lambda t: abs(center(t.box)[0] - x) + abs(center(t.box)[1] - y)).id


def test_a_walking_person_keeps_one_id_and_is_reported_from_the_second_sighting():
    frames = [[person(0.1 + 0.03 * i)] for i in range(10)]
    reported = run(Tracker(), frames)
    assert reported[0] == []
    assert all(len(tracks) == 1 and tracks[0].id == 1 for tracks in reported[1:])
    last = reported[-1][0]
    assert last.label == "person" and not last.missing
    assert last.first_seen == 0.0 and last.last_seen == pytest.approx(9 / FPS)
    assert center(last.box)[0] == pytest.approx(0.1 + 0.03 * 9 + 0.04, abs=0.01)


def test_a_detection_seen_in_one_frame_only_is_never_reported():
    frames = [[person(0.1)], [], [], [person(0.7)], []]
    assert all(tracks == [] for tracks in run(Tracker(), frames))


def test_two_people_crossing_paths_keep_their_ids():
    # A walks right, B walks left on the same line; in frame 5 their boxes coincide exactly.
    frames = [[person(0.1 + 0.05 * i), person(0.6 - 0.05 * i)] for i in range(11)]
    reported = run(Tracker(), frames)
    a = nearest_id(reported[2], 0.1 + 0.05 * 2 + 0.04, 0.5)
    b = nearest_id(reported[2], 0.6 - 0.05 * 2 + 0.04, 0.5)
    assert a != b
    for i in range(6, 11):
        assert nearest_id(reported[i], 0.1 + 0.05 * i + 0.04, 0.5) == a, i
        assert nearest_id(reported[i], 0.6 - 0.05 * i + 0.04, 0.5) == b, i
    assert {t.id for t in reported[-1]} == {a, b}


def test_a_person_behind_an_occluder_for_three_frames_keeps_the_id():
    # A moves fast enough that where it reappears is far from where it vanished: only the prediction finds it.
    # B stands still nearby all along, so the reappearing A must not be taken for B either.
    def a(i):
        return person(0.1 + 0.06 * i)

    b = person(0.7, y=0.1)
    frames = [[a(i), b] for i in range(4)] + [[b]] * 3 + [[a(i), b] for i in range(7, 12)]
    reported = run(Tracker(), frames)
    ids = {nearest_id(reported[3], *center(a(3).box)), nearest_id(reported[3], *center(b.box))}
    a_id = nearest_id(reported[3], *center(a(3).box))
    assert len(ids) == 2
    for i in range(4, 7):
        hidden = next(t for t in reported[i] if t.id == a_id)
        assert hidden.missing
        assert center(hidden.box)[0] == pytest.approx(center(a(i).box)[0], abs=0.02)
    for i in range(7, 12):
        assert nearest_id(reported[i], *center(a(i).box)) == a_id
        assert not next(t for t in reported[i] if t.id == a_id).missing
    assert {t.id for t in reported[-1]} == ids


def test_at_one_frame_a_second_boxes_that_do_not_overlap_are_still_one_person():
    frames = [[person(0.1 + 0.1 * i)] for i in range(6)]  # moves more than its own width every frame
    reported = run(Tracker(), frames, fps=1)
    assert all(len(tracks) == 1 and tracks[0].id == 1 for tracks in reported[1:])


def test_a_car_where_a_person_was_is_not_the_person():
    frames = [[person(0.3)]] * 3 + [[person(0.3, label="car")]] * 3
    reported = run(Tracker(), frames)
    assert [(t.id, t.label) for t in reported[2]] == [(1, "person")]
    assert sorted((t.id, t.label, t.missing) for t in reported[-1]) == [(1, "person", True), (2, "car", False)]


def test_a_track_ends_after_max_missing_seconds_and_a_newcomer_gets_a_new_id():
    tracker = Tracker(max_missing_seconds=1.5)
    for i in range(3):
        tracker.update([person(0.3)], i / FPS)
    assert [t.missing for t in tracker.update([], 0.4 + 1.4)] == [True]
    assert tracker.update([], 0.4 + 1.6) == []
    tracker.update([person(0.3)], 3.0)
    assert [t.id for t in tracker.update([person(0.3)], 3.2)] == [2]


def test_the_box_is_smoothed():
    jitter = random.Random(3)
    truth = Box(0.4, 0.3, 0.1, 0.3)
    tracker = Tracker()
    raw, smoothed = [], []
    for i in range(40):
        dx, dy = jitter.uniform(-0.01, 0.01), jitter.uniform(-0.01, 0.01)
        box = Box(truth.x + dx, truth.y + dy, truth.w, truth.h)
        tracks = tracker.update([Detection("person", 0.8, box)], i / FPS)
        if i >= 10:
            raw.append(abs(center(box)[0] - center(truth)[0]))
            smoothed.append(abs(center(tracks[0].box)[0] - center(truth)[0]))
    assert sum(smoothed) < 0.8 * sum(raw)


def test_the_path_holds_recent_sightings_and_is_bounded():
    tracker = Tracker(path_length=5)
    for i in range(12):
        tracks = tracker.update([person(0.1 + 0.02 * i)], i / FPS)
    path = tracks[0].path
    assert [t for t, _ in path] == pytest.approx([i / FPS for i in range(7, 12)])
    xs = [center(box)[0] for _, box in path]
    assert xs == sorted(xs) and xs[-1] == pytest.approx(0.1 + 0.02 * 11 + 0.04, abs=0.01)
