"""Boxes, points, zones and lines in normalised frame coordinates (0-1, origin top-left, y pointing down)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]

A_TO_B = "a_to_b"
B_TO_A = "b_to_a"


@dataclass(frozen=True)
class Box:
    """An axis-aligned box: (x, y) is its top-left corner; all four values are fractions of the frame."""

    x: float
    y: float
    w: float
    h: float

    @classmethod
    def from_corners(cls, x1: float, y1: float, x2: float, y2: float) -> Box:
        return cls(x1, y1, x2 - x1, y2 - y1)

    @property
    def x2(self) -> float:
        return self.x + self.w

    @property
    def y2(self) -> float:
        return self.y + self.h

    @property
    def area(self) -> float:
        return max(self.w, 0.0) * max(self.h, 0.0)

    def clipped(self) -> Box:
        """The part of the box inside the frame."""
        x1, y1 = min(max(self.x, 0.0), 1.0), min(max(self.y, 0.0), 1.0)
        x2, y2 = min(max(self.x2, 0.0), 1.0), min(max(self.y2, 0.0), 1.0)
        return Box.from_corners(x1, y1, max(x1, x2), max(y1, y2))


def overlap(a: Box, b: Box) -> float:
    """The area the two boxes share, 0 when they do not overlap."""
    w = min(a.x2, b.x2) - max(a.x, b.x)
    h = min(a.y2, b.y2) - max(a.y, b.y)
    return w * h if w > 0 and h > 0 else 0.0


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes, 0 when they do not overlap."""
    inter = overlap(a, b)
    if inter <= 0:
        return 0.0
    union = a.area + b.area - inter
    return inter / union if union > 0 else 0.0


def between(a: Box, b: Box, u: float) -> Box:
    """The box a share `u` of the way from `a` to `b` (0: `a`, 1: `b`), position and size alike."""
    return Box(a.x + (b.x - a.x) * u, a.y + (b.y - a.y) * u, a.w + (b.w - a.w) * u, a.h + (b.h - a.h) * u)


def center(box: Box) -> Point:
    return (box.x + box.w / 2, box.y + box.h / 2)


def bottom_center(box: Box) -> Point:
    """Where a person or vehicle stands on the ground: the point used for zone membership and line crossing."""
    return (box.x + box.w / 2, box.y + box.h)


def point_in_polygon(pt: Point, points: Sequence[Point]) -> bool:
    """Whether `pt` lies inside the polygon with these vertices (even-odd rule, so any vertex order works)."""
    x, y = pt
    inside = False
    n = len(points)
    for i in range(n):
        (x1, y1), (x2, y2) = points[i], points[(i + 1) % n]
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                inside = not inside
    return inside


def side_of_line(pt: Point, a: Point, b: Point) -> float:
    """Positive when `pt` is on the right-hand side of someone walking from A to B on the picture (y down),
    negative on the left, 0 on the line. The magnitude is twice the area of the triangle A, B, pt."""
    return (b[0] - a[0]) * (pt[1] - a[1]) - (b[1] - a[1]) * (pt[0] - a[0])


def segment_crosses(p0: Point, p1: Point, a: Point, b: Point) -> str | None:
    """The direction in which a movement from p0 to p1 crosses the line segment A-B: "a_to_b" from its left
    side to its right side, "b_to_a" the other way, None when the movement does not cross the segment itself.

    A point exactly on the line counts as on the right side, so a movement that stops on the line and goes
    on is counted once, and one that touches the line and turns back is counted both ways.
    """
    s0, s1 = side_of_line(p0, a, b), side_of_line(p1, a, b)
    right0, right1 = s0 >= 0, s1 >= 0
    if right0 == right1:
        return None
    # Where the movement meets the infinite line, as a fraction u along A->B: it must fall within the segment.
    t = s0 / (s0 - s1)
    cross = (p0[0] + t * (p1[0] - p0[0]), p0[1] + t * (p1[1] - p0[1]))
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return None
    u = ((cross[0] - a[0]) * dx + (cross[1] - a[1]) * dy) / length2
    if not 0.0 <= u <= 1.0:
        return None
    return A_TO_B if right1 else B_TO_A


def polygons_overlap(a: Sequence[Point], b: Sequence[Point]) -> bool:
    """Whether two polygons share any part: one has a corner inside the other, or their edges cross."""
    if any(point_in_polygon(p, b) for p in a) or any(point_in_polygon(p, a) for p in b):
        return True
    edges_a = list(zip(a, [*a[1:], a[0]], strict=True))
    edges_b = list(zip(b, [*b[1:], b[0]], strict=True))
    return any(segment_crosses(p0, p1, q0, q1) is not None for p0, p1 in edges_a for q0, q1 in edges_b)
