"""Where a PTZ camera looks, as pure geometry: picture points to scene points and back, for privacy masks fixed to
the scene (drawn on one view, masked on every other).

Scene coordinates are angles in degrees, (pan, tilt), right and up positive, from the camera's home direction. A view
is an ONVIF generic position: pan and tilt -1 to 1, zoom 0 (wide) to 1 (tele). `Optics` says how one maps to the
other. The model is linear: the picture spans its field of view evenly (no lens distortion, no perspective), and the
field of view shrinks as 1 / magnification, the magnification growing linearly from 1 at zoom 0 to `zoom_ratio` at 1.
That is exact for a digital PTZ (a crop of a larger picture) and close enough for an optical one away from the
poles, where masks are grown by `margin` to make up for it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]
WHOLE_PICTURE: tuple[Point, ...] = ((0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0))


@dataclass(frozen=True)
class Optics:
    """A PTZ camera's field of view and reach.

    `wide_angle`: horizontal field of view at zoom 0, degrees; the vertical one follows the picture's `aspect`
    (width / height). `zoom_ratio`: magnification at zoom 1 (optical zoom, e.g. 30 for a "30x" dome).
    `pan_range`, `tilt_range`: degrees the camera turns from pan -1 to 1 and tilt -1 to 1 (360 for a dome that
    turns all the way: pan then wraps). `digital`: a digital PTZ, whose view is a crop of its wide picture and so
    reaches only as far as that picture's edge (its ranges are then unused).
    """

    wide_angle: float = 60.0
    aspect: float = 16 / 9
    zoom_ratio: float = 20.0
    pan_range: float = 360.0
    tilt_range: float = 180.0
    digital: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.wide_angle <= 180:
            raise ValueError("the field of view at zoom 0 is between 0 and 180 degrees")
        if self.zoom_ratio < 1:
            raise ValueError("the zoom ratio is 1 (no zoom) or more")
        if self.aspect <= 0 or not 0 <= self.pan_range <= 360 or not 0 <= self.tilt_range <= 360:
            raise ValueError("the picture's aspect is positive and the ranges are 0 to 360 degrees")


@dataclass(frozen=True)
class View:
    """An ONVIF generic position: pan and tilt -1 to 1 (right and up positive), zoom 0 (wide) to 1 (tele)."""

    pan: float
    tilt: float
    zoom: float

    def clamped(self) -> View:
        return View(_clamp(self.pan, -1, 1), _clamp(self.tilt, -1, 1), _clamp(self.zoom, 0, 1))


def field_of_view(view: View, optics: Optics) -> tuple[float, float]:
    """The view's width and height in degrees."""
    width = optics.wide_angle / (1 + _clamp(view.zoom, 0, 1) * (optics.zoom_ratio - 1))
    return width, width / optics.aspect


def centre(view: View, optics: Optics) -> Point:
    """Where the middle of the view points, (pan, tilt) in degrees."""
    width, height = field_of_view(view, optics)
    if optics.digital:
        reach_x, reach_y = (optics.wide_angle - width) / 2, (optics.wide_angle / optics.aspect - height) / 2
    else:
        reach_x, reach_y = optics.pan_range / 2, optics.tilt_range / 2
    return _clamp(view.pan, -1, 1) * reach_x, _clamp(view.tilt, -1, 1) * reach_y


def aimed(pan_deg: float, width_deg: float, optics: Optics) -> tuple[float, float]:
    """The pan and zoom (ONVIF generic) that turn the view's middle to `pan_deg` degrees from home with a field of
    view `width_deg` wide, as near as the camera's zoom and reach allow."""
    width = min(max(width_deg, optics.wide_angle / optics.zoom_ratio), optics.wide_angle)
    zoom = (optics.wide_angle / width - 1) / (optics.zoom_ratio - 1) if optics.zoom_ratio > 1 else 0.0
    if optics.digital:
        reach = (optics.wide_angle - width) / 2
    else:
        reach = optics.pan_range / 2
        pan_deg = (pan_deg + 180) % 360 - 180 if optics.pan_range >= 360 else pan_deg
    return (_clamp(pan_deg / reach, -1, 1) if reach > 0 else 0.0), _clamp(zoom, 0, 1)


def to_scene(points: Sequence[Point], view: View, optics: Optics) -> list[Point]:
    """Points of the view's picture (0-1, x right, y down) as scene points (pan, tilt in degrees)."""
    (pan, tilt), (width, height) = centre(view, optics), field_of_view(view, optics)
    return [(_wrapped(pan + (x - 0.5) * width, optics), tilt + (0.5 - y) * height) for x, y in points]


def to_picture(scene: Sequence[Point], view: View, optics: Optics) -> list[Point]:
    """Scene points as points of the view's picture (0-1 inside it; outside it they go below 0 or above 1)."""
    (pan, tilt), (width, height) = centre(view, optics), field_of_view(view, optics)
    return [(0.5 + _wrapped(p - pan, optics) / width, 0.5 - (t - tilt) / height) for p, t in scene]


def covering(scene: Sequence[Point], view: View, optics: Optics, spread: View = View(0, 0, 0),
             margin: float = 0.0) -> tuple[Point, ...] | None:
    """The part of the picture a scene polygon covers, seen from the view, as a polygon clipped to the picture; None
    when it is all outside.

    `spread` says how far (in the position's own units) the camera may be from `view` at the moment the picture was
    taken: the polygon is then the convex hull of where it lands from every view that far (the projection is, for each
    point, linear in pan and tilt and in the magnification, so the views at the corners of that range bound all the
    others). `margin` grows the result by that share of the picture's width on every side."""
    if not any((spread.pan, spread.tilt, spread.zoom)):
        landed = to_picture(scene, view, optics)
    else:
        corners = [View(view.pan + dp, view.tilt + dt, view.zoom + dz).clamped()
                   for dp, dt, dz in itertools.product(*((-s, s) for s in (spread.pan, spread.tilt, spread.zoom)))]
        landed = _hull([point for corner in corners for point in to_picture(scene, corner, optics)])
    if margin > 0:
        landed = _grown(landed, margin, optics.aspect)
    return clip_to_picture(landed)


def clip_to_picture(polygon: Sequence[Point]) -> tuple[Point, ...] | None:
    """The polygon cut to the picture (0-1 both ways), by Sutherland-Hodgman; None when nothing of it is inside."""
    edges = ((0, 0.0, 1), (0, 1.0, -1), (1, 0.0, 1), (1, 1.0, -1))  # axis, limit, which side is inside
    points = list(polygon)
    for axis, limit, side in edges:
        if not points:
            break
        kept: list[Point] = []
        for index, current in enumerate(points):
            previous = points[index - 1]
            current_in = (current[axis] - limit) * side >= 0
            previous_in = (previous[axis] - limit) * side >= 0
            if current_in != previous_in:
                share = (limit - previous[axis]) / (current[axis] - previous[axis])
                kept.append((previous[0] + share * (current[0] - previous[0]),
                             previous[1] + share * (current[1] - previous[1])))
            if current_in:
                kept.append(current)
        points = kept
    points = [(_clamp(x, 0, 1), _clamp(y, 0, 1)) for x, y in points]
    if len(points) < 3 or _area(points) <= 0:
        return None
    return tuple(points)


def _hull(points: list[Point]) -> list[Point]:
    """The convex hull (Andrew's monotone chain), anticlockwise in x right, y down."""
    unique = sorted(set(points))
    if len(unique) < 3:
        return unique

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    upper: list[Point] = []
    for chain, ordered in ((lower, unique), (upper, reversed(unique))):
        for point in ordered:
            while len(chain) >= 2 and cross(chain[-2], chain[-1], point) <= 0:
                chain.pop()
            chain.append(point)
    return lower[:-1] + upper[:-1]


def _grown(polygon: list[Point], margin: float, aspect: float) -> list[Point]:
    """The convex hull of the polygon's points each moved `margin` (of the width, the same length down) every way."""
    down = margin * aspect
    return _hull([(x + dx, y + dy) for x, y in polygon for dx in (-margin, margin) for dy in (-down, down)])


def _area(points: Sequence[Point]) -> float:
    following = [*points[1:], points[0]]
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, following, strict=True))) / 2


def _wrapped(pan: float, optics: Optics) -> float:
    """A pan difference or angle brought within -180 to 180 on a camera that turns all the way round."""
    if optics.digital or optics.pan_range < 360:
        return pan
    return (pan + 180.0) % 360.0 - 180.0


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))
