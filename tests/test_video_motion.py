"""MotionDetector on synthetic 720p frames: a bright rectangle moving over a textured, slightly noisy scene."""

import cv2
import numpy as np
import pytest

from video.geometry import Box
from video.motion import MotionDetector

H, W = 720, 1280
RNG = np.random.default_rng(7)
# A scene with texture at several scales, like a real one, so that a detector comparing edges would see it.
SCENE = cv2.GaussianBlur(RNG.integers(40, 200, (H, W, 3), dtype=np.uint8), (0, 0), 3)


def frame(rect: tuple[int, int, int, int] | None = None, brightness: int = 0) -> np.ndarray:
    """The scene with sensor noise, a white rectangle (x, y, w, h in pixels) and a global brightness offset."""
    noisy = SCENE.astype(np.int16) + RNG.integers(-3, 4, SCENE.shape) + brightness
    image = np.clip(noisy, 0, 255).astype(np.uint8)
    if rect:
        x, y, w, h = rect
        image[y:y + h, x:x + w] = 250
    return image


def contains(region: Box, rect: tuple[int, int, int, int]) -> bool:
    x, y, w, h = rect
    slack = 0.01  # one pixel of the 100-pixel-high motion picture
    return (region.x - slack <= x / W and region.y - slack <= y / H
            and (x + w) / W <= region.x2 + slack and (y + h) / H <= region.y2 + slack)


def test_the_first_frame_has_no_motion():
    result = MotionDetector().update(frame((100, 100, 200, 200)))
    assert result.regions == [] and result.fraction == 0.0


def test_a_still_scene_with_sensor_noise_has_no_motion():
    detector = MotionDetector()
    results = [detector.update(frame()) for _ in range(10)]
    assert all(r.regions == [] and r.fraction == 0.0 for r in results)


def test_a_moving_rectangle_is_inside_a_motion_region():
    detector = MotionDetector()
    for _ in range(3):
        detector.update(frame())
    for step in range(5):
        rect = (200 + 60 * step, 300, 80, 160)
        result = detector.update(frame(rect))
        assert any(contains(r, rect) for r in result.regions), (step, result.regions)
        # The rectangle covers 1.4% of the picture; what moved is about that, with its trail and dilation.
        assert 0.01 < result.fraction < 0.06
        assert all(r.x2 < 0.5 and r.y > 0.3 and r.y2 < 0.7 for r in result.regions)


def test_two_movers_far_apart_give_two_regions():
    detector = MotionDetector()
    detector.update(frame())
    result = detector.update(frame((100, 100, 80, 80)))
    assert len(result.regions) == 1
    still = frame()
    still[500:600, 1000:1100] = 255
    still[100:180, 100:180] = 250
    result = detector.update(still)
    assert len(result.regions) == 2


def test_the_motion_in_a_zone():
    detector = MotionDetector()
    detector.update(frame())
    result = detector.update(frame((640, 360, 320, 180)))  # the third quarter of the picture, exactly
    around = [(0.5, 0.5), (0.75, 0.5), (0.75, 0.75), (0.5, 0.75)]
    elsewhere = [(0.0, 0.0), (0.4, 0.0), (0.4, 0.4), (0.0, 0.4)]
    assert result.fraction_in(around) > 0.9
    assert result.fraction_in(elsewhere) == 0.0
    left_half_of_it = [(0.5, 0.5), (0.625, 0.5), (0.625, 0.75), (0.5, 0.75)]
    assert result.fraction_in(left_half_of_it) > 0.9
    # A sixteenth of the picture, and the rim that dilation adds to join the parts of a moving thing.
    assert 1 / 16 <= result.fraction < 1.5 / 16


@pytest.mark.parametrize(("min_area", "found"), [(0.0, True), (0.002, False)])
def test_a_speck_is_ignored(min_area, found):
    detector = MotionDetector(min_area=min_area)
    detector.update(frame())
    result = detector.update(frame((600, 300, 8, 8)))
    assert bool(result.regions) is found


def test_lights_switched_on_start_the_average_afresh():
    detector = MotionDetector()
    detector.update(frame())
    assert detector.update(frame(brightness=60)).regions == []
    # The new light is the scene now: a plain running average would still see all of it as moving.
    after = detector.update(frame(brightness=60))
    assert after.regions == [] and after.fraction == 0.0


def test_gray_frames_work_as_well():
    detector = MotionDetector()
    detector.update(cv2.cvtColor(frame(), cv2.COLOR_BGR2GRAY))
    result = detector.update(cv2.cvtColor(frame((200, 200, 100, 100)), cv2.COLOR_BGR2GRAY))
    assert any(contains(r, (200, 200, 100, 100)) for r in result.regions)
