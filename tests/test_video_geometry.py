"""Boxes, zones and lines in normalised coordinates, with answers worked out by hand."""

import pytest

from video.geometry import (
    Box,
    between,
    bottom_center,
    center,
    iou,
    point_in_polygon,
    polygons_overlap,
    segment_crosses,
    side_of_line,
)

SQUARE = [(0.2, 0.2), (0.6, 0.2), (0.6, 0.6), (0.2, 0.6)]
# An L shape: the square (0,0)-(1,1) with its top-right quarter cut away.
ELL = [(0, 0), (0.5, 0), (0.5, 0.5), (1, 0.5), (1, 1), (0, 1)]


def test_iou_of_boxes_that_overlap_by_half_a_box():
    a, b = Box(0, 0, 0.2, 0.2), Box(0.1, 0, 0.2, 0.2)
    assert iou(a, b) == pytest.approx(0.02 / 0.06)
    assert iou(a, a) == pytest.approx(1.0)


def test_iou_of_boxes_that_only_touch_or_are_apart_is_zero():
    assert iou(Box(0, 0, 0.2, 0.2), Box(0.2, 0, 0.2, 0.2)) == 0
    assert iou(Box(0, 0, 0.1, 0.1), Box(0.5, 0.5, 0.1, 0.1)) == 0


def test_the_feet_are_at_the_bottom_middle_of_the_box():
    box = Box(0.2, 0.1, 0.2, 0.6)
    assert center(box) == pytest.approx((0.3, 0.4))
    assert bottom_center(box) == pytest.approx((0.3, 0.7))


def test_a_box_between_two_moves_and_grows_in_step():
    a, b = Box(0.1, 0.2, 0.1, 0.1), Box(0.5, 0.2, 0.3, 0.2)
    assert between(a, b, 0.5) == Box(pytest.approx(0.3), 0.2, pytest.approx(0.2), pytest.approx(0.15))
    assert between(a, b, 0) == a and between(a, b, 1) == b


def test_a_box_is_clipped_to_the_frame():
    assert Box(-0.1, 0.9, 0.3, 0.3).clipped() == Box(0.0, 0.9, pytest.approx(0.2), pytest.approx(0.1))


@pytest.mark.parametrize(("pt", "inside"), [
    ((0.4, 0.4), True), ((0.1, 0.4), False), ((0.7, 0.4), False), ((0.4, 0.1), False), ((0.4, 0.7), False),
])
def test_point_in_a_square_zone(pt, inside):
    assert point_in_polygon(pt, SQUARE) is inside
    assert point_in_polygon(pt, SQUARE[::-1]) is inside


def test_point_in_the_notch_of_a_concave_zone_is_outside():
    assert point_in_polygon((0.75, 0.25), ELL) is False
    assert point_in_polygon((0.25, 0.25), ELL) is True
    assert point_in_polygon((0.75, 0.75), ELL) is True


def test_right_hand_side_is_positive_with_y_pointing_down():
    # Walking east (left to right across the picture), your right hand points down the picture.
    a, b = (0.0, 0.5), (1.0, 0.5)
    assert side_of_line((0.5, 0.9), a, b) > 0
    assert side_of_line((0.5, 0.1), a, b) < 0
    assert side_of_line((0.5, 0.5), a, b) == 0
    # Walking down the picture, your right hand points to the left of it.
    assert side_of_line((0.1, 0.5), (0.5, 0.0), (0.5, 1.0)) > 0


def test_crossing_a_line_in_both_directions():
    a, b = (0.5, 0.0), (0.5, 1.0)  # a vertical line walked downwards: its right side is the left of the picture
    assert segment_crosses((0.6, 0.5), (0.4, 0.5), a, b) == "a_to_b"
    assert segment_crosses((0.4, 0.5), (0.6, 0.5), a, b) == "b_to_a"


def test_a_movement_that_stays_on_one_side_does_not_cross():
    a, b = (0.5, 0.0), (0.5, 1.0)
    assert segment_crosses((0.1, 0.5), (0.4, 0.6), a, b) is None
    assert segment_crosses((0.6, 0.5), (0.6, 0.5), a, b) is None


def test_passing_beside_the_end_of_the_segment_is_not_a_crossing():
    # The movement crosses the infinite line through A and B, but below B.
    a, b = (0.5, 0.2), (0.5, 0.6)
    assert segment_crosses((0.4, 0.8), (0.6, 0.8), a, b) is None
    assert segment_crosses((0.4, 0.5), (0.6, 0.5), a, b) == "b_to_a"


def test_stopping_on_the_line_and_going_on_counts_once():
    a, b = (0.0, 0.5), (1.0, 0.5)
    steps = [(0.5, 0.3), (0.5, 0.5), (0.5, 0.7)]
    crossings = [segment_crosses(p0, p1, a, b) for p0, p1 in zip(steps, steps[1:], strict=False)]
    assert [c for c in crossings if c] == ["a_to_b"]


def test_polygons_overlap_when_one_has_a_corner_in_the_other_or_their_edges_cross():
    square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    assert polygons_overlap(square, [(0.5, 0.5), (2, 0.5), (2, 2)]), "a corner inside"
    assert polygons_overlap(square, [(0.2, 0.2), (0.8, 0.2), (0.5, 0.8)]), "wholly inside"
    assert polygons_overlap(square, [(-1, 0.4), (2, 0.4), (2, 0.6), (-1, 0.6)]), "a band across: edges cross"
    assert not polygons_overlap(square, [(2, 2), (3, 2), (3, 3)]), "apart"
