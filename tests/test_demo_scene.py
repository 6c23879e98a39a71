"""The demo camera's scene: the packaged people look like people to the detector, and one stands in the zone."""

from __future__ import annotations

import pytest

from video import demo_scene
from video.detection import PERSON, load_detector
from video.geometry import bottom_center, point_in_polygon


@pytest.fixture(scope="module")
def detector():
    return load_detector(None)  # seconds to load: once for the module


def people_at(detector, seconds: float) -> list:
    frame = demo_scene.frame_at(round(seconds * demo_scene.FPS))
    return [d.box for d in detector.detect(frame) if d.label == PERSON]


def in_the_zone(boxes: list) -> list:
    return [box for box in boxes if point_in_polygon(bottom_center(box), demo_scene.LOITERING_ZONE)]


def test_someone_stands_in_the_loitering_zone_longer_than_the_rule_waits(detector):
    standing = demo_scene.STAND_FROM + 1, demo_scene.STAND_FROM + demo_scene.DWELL_SECONDS + 5
    for seconds in standing:
        assert len(in_the_zone(people_at(detector, seconds))) == 1, f"the person standing in the zone is seen at {seconds} s"
    assert demo_scene.LINGER_SECONDS > demo_scene.DWELL_SECONDS
    assert in_the_zone(people_at(detector, demo_scene.SECONDS - 3)) == [], "and leaves before the loop starts again"


def test_people_walk_across_the_plaza(detector):
    seen = [len(people_at(detector, seconds)) for seconds in range(1, demo_scene.SECONDS, 6)]
    assert sum(seen) >= 15, f"people found at every 6 s: {seen}"
