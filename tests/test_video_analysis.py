"""FrameAnalyser on synthetic frames: the detector runs where something moves, at most at its budget, and
tracks carry the boxes forward on the frames in between."""

import numpy as np
import pytest

from video.analysis import FrameAnalyser, snapshot
from video.detection import Detection
from video.geometry import Box


class FollowingDetector:
    """Finds a 'person' wherever the white square is; counts its runs."""

    def __init__(self) -> None:
        self.runs = 0

    def detect(self, frame, regions=None):
        self.runs += 1
        ys, xs = np.nonzero(frame[:, :, 0] > 200)
        if not len(xs):
            return []
        h, w = frame.shape[:2]
        return [Detection("person", 0.9, Box(xs.min() / w, ys.min() / h, (xs.max() - xs.min()) / w,
                                             (ys.max() - ys.min()) / h))]


def scene(x: int) -> np.ndarray:
    frame = np.full((180, 320, 3), 60, np.uint8)
    frame[60:120, x : x + 30] = 255
    return frame


def test_the_detector_runs_at_its_budget_and_tracks_move_on_between_runs():
    detector = FollowingDetector()
    analyser = FrameAnalyser(detector, detections_per_second=2.5)
    results = [analyser.analyse(scene(20 + 8 * i), i / 5) for i in range(11)]  # 2 s at 5 fps, moving right
    detected_at = [r.t for r in results if r.detections]
    assert detector.runs == len(detected_at)
    assert detected_at == pytest.approx([0.2, 0.6, 1.0, 1.4, 1.8]), "no motion on the first frame; 2.5 runs a second"
    tracked = [r for r in results if r.tracks]
    assert tracked and len({track.id for r in tracked for track in r.tracks}) == 1
    between = [r for r in tracked if not r.detections]
    assert between, "frames without a detector run still have the track"
    for r in between:
        expected = (20 + 8 * round(r.t * 5)) / 320
        assert abs(r.tracks[0].box.x - expected) < 0.03, "the box moved on with the object"


def test_a_still_scene_costs_no_detection():
    detector = FollowingDetector()
    analyser = FrameAnalyser(detector)
    for i in range(10):
        analyser.analyse(np.full((180, 320, 3), 60, np.uint8), i / 5)
    assert detector.runs == 0


def test_snapshots_are_jpegs_of_the_object_with_some_surroundings():
    picture = scene(100)
    whole, crop = snapshot(picture, None), snapshot(picture, Box(100 / 320, 60 / 180, 30 / 320, 60 / 180))
    assert whole[:2] == crop[:2] == b"\xff\xd8"
    assert len(crop) < len(whole)


def textured(shift: int = 0) -> np.ndarray:
    rng = np.random.default_rng(7)
    scene = (rng.random((200, 360)) * 255).astype(np.uint8)
    scene = np.repeat(np.repeat(scene[::8, ::8], 8, axis=0), 8, axis=1)[:180, :320]
    return np.dstack([np.roll(scene, shift, axis=1)] * 3)


def test_a_moved_camera_is_reported_then_its_new_view_is_accepted():
    analyser = FrameAnalyser(FollowingDetector())
    states = [analyser.analyse(textured(), i / 5).tamper for i in range(25)]
    moved = [analyser.analyse(textured(shift=60), 5 + i / 5).tamper for i in range(5 * 70)]
    assert set(states) == {None}
    assert "moved" in moved[:50], "the shifted view is reported within seconds"
    assert moved[-1] is None, "after a minute the new view is the reference"
    assert moved.count("moved") < 5 * 62
