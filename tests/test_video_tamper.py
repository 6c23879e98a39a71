"""TamperDetector on a synthetic street of grey blocks at 5 fps: covered, blacked out, turned away, dusk."""

import cv2
import numpy as np

from video.tamper import TamperDetector

H, W = 360, 640
FPS = 5
RNG = np.random.default_rng(11)


def make_world() -> np.ndarray:
    """A scene wider than the view, with blocks of many sizes and greys, so that turning the camera shows it."""
    world = np.full((H, int(W * 1.5), 3), 110, np.uint8)
    for _ in range(150):
        x, y = int(RNG.integers(0, world.shape[1])), int(RNG.integers(0, H))
        w, h = int(RNG.integers(10, 120)), int(RNG.integers(10, 120))
        cv2.rectangle(world, (x, y), (x + w, y + h), tuple(int(v) for v in RNG.integers(20, 235, 3)), -1)
    return world


WORLD = make_world()
NOISE = [RNG.normal(0, 2, (H, W, 3)).astype(np.float32) for _ in range(5)]


def view(shift: float = 0.0, gain: float = 1.0) -> np.ndarray:
    """The camera's picture: the world from `shift` (share of the width) to the right, with sensor noise."""
    x = int(shift * W)
    picture = WORLD[:, x:x + W].astype(np.float32) * gain + NOISE[int(RNG.integers(len(NOISE)))]
    return np.clip(picture, 0, 255).astype(np.uint8)


def feed(detector: TamperDetector, frames, start: float = 0.0) -> list:
    return [detector.update(f, start + i / FPS) for i, f in enumerate(frames)]


def settled() -> TamperDetector:
    """A detector that has learnt the normal view for 5 s."""
    detector = TamperDetector()
    assert feed(detector, [view() for _ in range(5 * FPS)]) == [None] * 5 * FPS
    return detector


def first_report(results: list, start: float = 5.0) -> tuple[float, str] | None:
    return next(((start + i / FPS, r) for i, r in enumerate(results) if r), None)


def test_a_normal_view_is_never_reported():
    detector = settled()
    assert set(feed(detector, [view() for _ in range(20 * FPS)], start=5.0)) == {None}


def test_a_view_covered_with_uniform_grey_is_blocked_after_hold_seconds():
    detector = settled()
    grey = np.full((H, W, 3), 128, np.uint8)
    results = feed(detector, [grey] * (5 * FPS), start=5.0)
    assert first_report(results) == (8.0, "blocked")
    assert results[-1] == "blocked"


def test_a_black_picture_is_blacked_out():
    detector = settled()
    black = np.zeros((H, W, 3), np.uint8)
    results = feed(detector, [black] * (5 * FPS), start=5.0)
    assert first_report(results) == (8.0, "blacked_out")


def test_a_camera_turned_by_15_percent_has_moved():
    detector = settled()
    results = feed(detector, [view(shift=0.15) for _ in range(5 * FPS)], start=5.0)
    assert first_report(results) == (8.0, "moved")


def test_a_camera_turned_by_3_percent_has_not_moved():
    detector = settled()
    assert set(feed(detector, [view(shift=0.03) for _ in range(5 * FPS)], start=5.0)) == {None}


def test_passers_by_covering_the_view_for_two_seconds_each_are_not_reported():
    detector = settled()
    grey = np.full((H, W, 3), 128, np.uint8)
    passer_by = [grey] * (2 * FPS) + [view() for _ in range(3 * FPS)]
    frames = passer_by + passer_by
    assert set(feed(detector, frames, start=5.0)) == {None}


def test_dusk_over_two_minutes_is_not_reported():
    # The light falls to 15% of day: darker than a covered view's edges allow, compared with the morning.
    detector = settled()
    frames = [view(gain=1.0 - 0.85 * i / (120 * FPS)) for i in range(120 * FPS)]
    assert set(feed(detector, frames, start=5.0)) == {None}
    assert view(gain=0.15).mean() < detector.dark_level


def test_after_a_reset_the_new_view_is_learnt():
    detector = settled()
    assert feed(detector, [view(shift=0.15) for _ in range(4 * FPS)], start=5.0)[-1] == "moved"
    detector.reset()
    assert set(feed(detector, [view(shift=0.15) for _ in range(10 * FPS)], start=9.0)) == {None}
