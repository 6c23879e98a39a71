"""Scene points of a PTZ camera's picture and back (video/ptz_view): exact for a digital PTZ's crop, generous while
the position is uncertain."""

import math
import random

import cv2
import numpy as np
import pytest

from video.ptz_view import Optics, View, aimed, centre, clip_to_picture, covering, field_of_view, to_picture, to_scene

DIGITAL = Optics(wide_angle=64.0, aspect=16 / 9, zoom_ratio=4.0, digital=True)


def crop_position(source: tuple[float, float], view: View, zoom_ratio: float) -> tuple[float, float]:
    """Where a point of a digital PTZ's source picture (fractions) lands in its output, as ipycam crops it."""
    factor = 1 + view.zoom * (zoom_ratio - 1)
    crop = 1 / factor
    centre_x = 0.5 + view.pan * (1 - crop) / 2
    centre_y = 0.5 - view.tilt * (1 - crop) / 2
    return (source[0] - centre_x) / crop + 0.5, (source[1] - centre_y) / crop + 0.5


@pytest.mark.parametrize("drawn_on,seen_from", [
    (View(0, 0, 0), View(0.6, -0.3, 0.5)),
    (View(-0.8, 0.4, 0.7), View(0.2, 0.1, 0.0)),
    (View(1, 1, 1), View(-1, -1, 0.3)),
])
def test_it_puts_a_mask_where_the_digital_crop_shows_its_scene(drawn_on, seen_from):
    source = [(0.62, 0.41), (0.70, 0.41), (0.70, 0.52)]
    drawn = [crop_position(p, drawn_on, DIGITAL.zoom_ratio) for p in source]
    scene = to_scene(drawn, drawn_on, DIGITAL)
    expected = [crop_position(p, seen_from, DIGITAL.zoom_ratio) for p in source]
    assert np.allclose(to_picture(scene, seen_from, DIGITAL), expected, atol=1e-9)


def test_it_keeps_scene_points_in_degrees_of_the_wide_view():
    # At zoom 0 a digital PTZ shows its whole picture: its edges are half the field of view either side.
    scene = to_scene([(0.0, 0.0), (1.0, 1.0)], View(0, 0, 0), DIGITAL)
    assert np.allclose(scene, [(-32.0, 18.0), (32.0, -18.0)])


def test_it_wraps_pan_on_a_camera_that_turns_all_the_way_round():
    dome = Optics(wide_angle=60, zoom_ratio=20, pan_range=360)
    behind = to_scene([(0.9, 0.5)], View(1.0, 0, 0), dome)  # facing 180 degrees: just right of it is -156
    assert behind[0][0] == pytest.approx(-156.0)
    assert to_picture(behind, View(-0.9, 0, 0), dome)[0] == pytest.approx((0.5 + 6 / 60, 0.5))


def test_it_clips_to_the_picture_and_drops_what_lies_outside():
    clipped = clip_to_picture([(-0.5, 0.2), (0.5, 0.2), (0.5, 0.6), (-0.5, 0.6)])
    assert sorted(clipped) == [(0.0, 0.2), (0.0, 0.6), (0.5, 0.2), (0.5, 0.6)]
    assert clip_to_picture([(1.2, 0.2), (1.5, 0.2), (1.5, 0.6)]) is None
    assert covering(to_scene([(0.1, 0.1), (0.2, 0.1), (0.2, 0.2)], View(-1, 0, 1), DIGITAL), View(1, 0, 1),
                    DIGITAL) is None


def test_a_spread_covers_the_mask_from_every_position_within_it():
    rng = random.Random(3)
    scene = to_scene([(0.4, 0.4), (0.55, 0.35), (0.6, 0.6), (0.45, 0.55)], View(0.1, 0.1, 0.4), DIGITAL)
    view, spread = View(0.2, 0.0, 0.5), View(0.1, 0.1, 0.2)
    hull = np.array(covering(scene, view, DIGITAL, spread), np.float32)
    for _ in range(200):
        near = View(view.pan + rng.uniform(-0.1, 0.1), view.tilt + rng.uniform(-0.1, 0.1),
                    view.zoom + rng.uniform(-0.2, 0.2))
        for x, y in to_picture(scene, near, DIGITAL):
            assert cv2.pointPolygonTest(hull, (x, y), measureDist=True) >= -1e-6


def test_a_margin_grows_the_mask():
    scene = to_scene([(0.4, 0.4), (0.6, 0.4), (0.6, 0.6), (0.4, 0.6)], View(0, 0, 0), DIGITAL)
    grown = covering(scene, View(0, 0, 0), DIGITAL, margin=0.05)
    xs, ys = [p[0] for p in grown], [p[1] for p in grown]
    assert (min(xs), max(xs)) == pytest.approx((0.35, 0.65))
    assert (min(ys), max(ys)) == pytest.approx((0.4 - 0.05 * 16 / 9, 0.6 + 0.05 * 16 / 9))


def test_it_refuses_impossible_optics():
    with pytest.raises(ValueError, match="zoom ratio"):
        Optics(zoom_ratio=0.5)
    with pytest.raises(ValueError, match="field of view"):
        Optics(wide_angle=0)


def test_a_view_is_aimed_at_a_direction_with_a_field_of_view_as_wide_as_asked():
    dome = Optics(wide_angle=60, zoom_ratio=20, pan_range=360)
    pan, zoom = aimed(90.0, 2 * math.degrees(math.atan2(5, 50)), dome)
    assert pan == pytest.approx(0.5) and zoom == pytest.approx((60 / 11.421 - 1) / 19, abs=1e-3)
    assert centre(View(pan, 0, zoom), dome)[0] == pytest.approx(90.0)
    assert field_of_view(View(pan, 0, zoom), dome)[0] == pytest.approx(11.421, abs=1e-3)
    # Behind the camera, the short way round; wider than it sees or narrower than it zooms: as far as it goes.
    assert aimed(270.0, 30.0, dome)[0] == pytest.approx(-0.5)
    assert aimed(0.0, 120.0, dome)[1] == 0.0 and aimed(0.0, 0.5, dome)[1] == 1.0
    # A camera that turns 180 degrees stops at its end.
    assert aimed(120.0, 30.0, Optics(pan_range=180))[0] == 1.0
