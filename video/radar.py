"""What a radar detector sees, on the site plan: the radar's tracks over MQTT read into objects in metres around the
radar, placed on the site plan, followed from frame to frame (speed, direction of travel) and checked against zones
drawn on the plan (intrusion, speed, direction). Pure code: JSON in, objects, tracks and firings out.

Two formats are read.

1. AXIS Scene Metadata, Frame v1 (data source `axis.scene.frame_v1`, `com.axis.scene.frame.v1`), as published over
   MQTT for a radar sensor's channel (AXIS D2110-VE, D2210-VE, the radar channel of Q1656-DLE). What Axis documents
   (developer.axis.com/analytics/axis-scene-metadata/reference/...):
   - data-formats/analytics-data-format/frame: {"channel_id" (a video or a radar sensor), "timestamp",
     "detections": [{"object_track_id", "class": {"type", "score"}, ...}], "track_events": [{"type": "TrackEnded",
     "object_track_id"} | {"type": "Rename", "from_id", "to_id"}]};
   - modules/radar-motion-tracker: the radar estimates for each object its class (Human, Vehicle, Unknown), its
     position in spherical and polar coordinates relative to the device, its velocity, speed and direction;
   - data-formats/analytics-data-format/beta/changelog: a detection's `world_position` is a SphericalCoordinate whose
     distance member is `distance` (it was `r`), and its `world_velocity` a GeoDirection, relative to the device;
   - data-formats/analytics-data-format/object-track: speeds are in m/s.
   NOT confirmed from Axis's pages (the stored copies were cut short), and chosen here: the angle member is `azimuth`
   (degrees, 0 along the boresight, positive to the right, clockwise seen from above), `world_position` may instead be
   {"x", "y"} in metres (x to the right of the boresight, y along it), and the detection's own `speed` (m/s) and
   `direction` (degrees, the way it travels, 0 straight away from the radar, clockwise) carry its motion. Check these
   against a real device's payload: `_place` and `_motion` are the only places that read them.
2. "Radar Me" (acapshare.wordpress.com/2019/06/28/radar-me-mqtt/, an ACAP by Axis's integration team publishing an
   AXIS D2050-VE radar's objects on `object/<client id>`), one object a message: {"id", "timestamp" (ms since 1970),
   "speed" (m/s), "direction" (degrees -180..180, 0 the radar's direction), "distance" (m), "angle" (degrees -180..180
   from the radar's direction), "class" (2 undefined, 3 human, 4 vehicle), "x", "y" (screen units, not read),
   "active"}; "active": false ends the object. The page does not say which way a positive angle turns: read as
   clockwise, like Axis's radar.

On the plan, positions are fractions of the plan image (0-1, y down, as the VMS's zones) and directions compass
degrees clockwise from the plan's up.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from video.geometry import Box, Point, point_in_polygon
from video.rules import Firing, RuleSpec, SceneUpdate
from video.scene_metadata import (
    MalformedMetadata,
    NumberedTracks,
    Seen,
    channel_of,
    frame_time,
    json_object,
    object_list,
    track_events,
    track_id,
)
from video.tracking import Track

PERSON, VEHICLE, UNKNOWN = "person", "vehicle", "unknown"
LABELS = (PERSON, VEHICLE, UNKNOWN)
# Axis's class types in the radar's words (a fusion device may name the kind of vehicle); anything else is unknown.
_CLASSES = {
    "human": PERSON, "vehicle": VEHICLE, "car": VEHICLE, "bus": VEHICLE, "truck": VEHICLE, "bike": VEHICLE,
    "bicycle": VEHICLE, "motorcycle": VEHICLE, "motorcyclebicycle": VEHICLE, "vehicleother": VEHICLE,
}
_RADAR_ME_CLASSES = {3: PERSON, 4: VEHICLE}
# Radars see up to a few hundred metres and things slower than an aeroplane: beyond these a value is not a reading.
MAX_RANGE_M = 5_000.0
MAX_SPEED_MPS = 150.0
MPS_TO_KMH = 3.6


@dataclass(frozen=True)
class RadarObject:
    """One object the radar sees: its track id (the radar's), class in the VMS's words, position in metres around
    the radar (x to the right of the boresight, y along it), and its speed and direction of travel (degrees
    clockwise from the boresight) when the radar reports them."""

    id: str
    label: str
    x_m: float
    y_m: float
    speed_mps: float | None = None
    heading_deg: float | None = None


@dataclass(frozen=True)
class RadarFrame:
    """One message's objects: when the radar saw them (its clock), what it saw, the tracks it ended, and the tracks it
    renamed ((from, to): the same object as an earlier track)."""

    radar_time: datetime
    objects: list[RadarObject]
    ended: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    channel: int | None = None


def parse_frame(payload: bytes | str) -> RadarFrame:
    """Read one MQTT payload of radar metadata (Frame v1 or Radar Me). Raises MalformedMetadata saying why."""
    document = json_object(payload)
    if "detections" not in document and "distance" in document:
        return _radar_me(document)
    objects = []
    for item in object_list(document.get("detections"), "detections"):
        if not isinstance(item, dict):
            raise MalformedMetadata("a detection is not an object")
        kind = item.get("class") if isinstance(item.get("class"), dict) else {}
        label = _CLASSES.get(str(kind.get("type", "")).lower(), UNKNOWN)
        x, y = _place(item.get("world_position"))
        speed, heading = _motion(item.get("speed"), item.get("direction"))
        objects.append(RadarObject(track_id(item.get("object_track_id")), label, x, y, speed, heading))
    ended, renamed = track_events(document)
    return RadarFrame(frame_time(document.get("timestamp")), objects, ended, renamed, channel_of(document))


def _radar_me(document: dict) -> RadarFrame:
    stamp = _number(document.get("timestamp"), "timestamp")
    try:
        moment = datetime.fromtimestamp(stamp / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedMetadata("timestamp is not a time in milliseconds") from None
    kind = document.get("class")
    label = _RADAR_ME_CLASSES.get(kind, UNKNOWN) if isinstance(kind, int) and not isinstance(kind, bool) else UNKNOWN
    x, y = _place({"distance": document.get("distance"), "azimuth": document.get("angle")})
    speed, heading = _motion(document.get("speed"), document.get("direction"))
    item = RadarObject(track_id(document.get("id")), label, x, y, speed, heading)
    if document.get("active") is False:
        return RadarFrame(moment, [], [item.id])
    return RadarFrame(moment, [item])


def _number(value: object, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise MalformedMetadata(f"{name} is not a finite number")
    return float(value)


def _place(value: object) -> tuple[float, float]:
    """(x, y) in metres from a position given as distance and azimuth, or as x and y."""
    if not isinstance(value, dict):
        raise MalformedMetadata("a detection has no world_position")
    if "distance" in value:
        distance, azimuth = _number(value.get("distance"), "distance"), _number(value.get("azimuth"), "azimuth")
        if not 0 <= distance <= MAX_RANGE_M or abs(azimuth) > 360:
            raise MalformedMetadata(f"a distance over {MAX_RANGE_M:.0f} m, below 0, or an azimuth over 360 degrees")
        return polar_to_xy(distance, azimuth)
    x, y = _number(value.get("x"), "x"), _number(value.get("y"), "y")
    if math.hypot(x, y) > MAX_RANGE_M:
        raise MalformedMetadata(f"a position over {MAX_RANGE_M:.0f} m from the radar")
    return x, y


def _motion(speed: object, direction: object) -> tuple[float | None, float | None]:
    """Speed in m/s and direction of travel in degrees clockwise from the boresight, each None when not reported."""
    if speed is not None:
        speed = _number(speed, "speed")
        if not 0 <= speed <= MAX_SPEED_MPS:
            raise MalformedMetadata(f"a speed below 0 or over {MAX_SPEED_MPS:.0f} m/s")
    if direction is not None:
        direction = _number(direction, "direction") % 360.0
    return speed, direction


def polar_to_xy(distance_m: float, azimuth_deg: float) -> tuple[float, float]:
    """Metres right of and along the boresight of a point at this distance and azimuth (clockwise from it)."""
    angle = math.radians(azimuth_deg)
    return distance_m * math.sin(angle), distance_m * math.cos(angle)


def bearing(dx: float, dy: float) -> float:
    """The direction of a movement (dx right, dy ahead), degrees clockwise from ahead, in [0, 360)."""
    return math.degrees(math.atan2(dx, dy)) % 360.0


def angle_between(a: float, b: float) -> float:
    """How far apart two directions are, in degrees (0-180)."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


@dataclass(frozen=True)
class PlanPlacement:
    """Where the admin put the radar on the site plan: its position (fractions of the plan image, y down), the
    direction its boresight points (degrees clockwise from the plan's up), how many metres the plan image's width
    spans, and the image's height over its width."""

    x: float
    y: float
    heading_deg: float
    plan_width_m: float
    plan_aspect: float

    def __post_init__(self) -> None:
        values = (self.x, self.y, self.heading_deg, self.plan_width_m, self.plan_aspect)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise ValueError("a radar placement needs finite numbers")
        if self.plan_width_m <= 0 or self.plan_aspect <= 0:
            raise ValueError("the plan's width in metres and its aspect must be above 0")


def to_plan(placement: PlanPlacement, x_m: float, y_m: float) -> Point:
    """The point on the plan (fractions, y down) of a position in metres around the radar."""
    heading = math.radians(placement.heading_deg)
    right = x_m * math.cos(heading) + y_m * math.sin(heading)
    down = x_m * math.sin(heading) - y_m * math.cos(heading)
    return (placement.x + right / placement.plan_width_m,
            placement.y + down / (placement.plan_width_m * placement.plan_aspect))


def from_plan(placement: PlanPlacement, px: float, py: float) -> tuple[float, float]:
    """The position in metres around the radar (x right of the boresight, y along it) of a point on the plan."""
    heading = math.radians(placement.heading_deg)
    right = (px - placement.x) * placement.plan_width_m
    down = (py - placement.y) * placement.plan_width_m * placement.plan_aspect
    # Radar to plan is a rotation and a flip (y ahead, plan y down); the same matrix undoes it.
    return right * math.cos(heading) + down * math.sin(heading), right * math.sin(heading) - down * math.cos(heading)


def plan_heading(placement: PlanPlacement, heading_deg: float) -> float:
    """A direction clockwise from the radar's boresight as a compass direction on the plan (clockwise from up)."""
    return (placement.heading_deg + heading_deg) % 360.0


def coverage(placement: PlanPlacement, range_m: float, field_of_view_deg: float, steps: int = 16) -> list[Point]:
    """The wedge the radar (or a camera) covers on the plan: its position and an arc at `range_m`, for drawing."""
    half = field_of_view_deg / 2
    arc = [to_plan(placement, *polar_to_xy(range_m, -half + field_of_view_deg * i / steps)) for i in range(steps + 1)]
    return [(placement.x, placement.y), *arc]


@dataclass(frozen=True)
class RadarTrack:
    """One radar object as the VMS follows it: a number of the VMS's own, class, position around the radar and on
    the plan, speed (km/h) and direction of travel on the plan (compass degrees) as reported or derived from its path
    (None until it has moved enough to tell), and its recent (time, plan point) positions, oldest first."""

    id: int
    label: str
    x_m: float
    y_m: float
    point: Point
    speed_kmh: float | None
    heading_deg: float | None
    first_seen: float
    last_seen: float
    missing: bool
    path: tuple[tuple[float, Point], ...]


def as_track(track: RadarTrack, placement: PlanPlacement, size_m: float = 1.0) -> Track:
    """A radar track in the shape of the VMS's tracks, to draw, to keep in events and to send as overlay boxes: a box
    `size_m` wide around its point on the plan (fractions of the plan, like the radar's zones)."""
    width = size_m / placement.plan_width_m
    height = width / placement.plan_aspect

    def box(point: Point) -> Box:
        return Box(point[0] - width / 2, point[1] - height / 2, width, height)

    return Track(track.id, track.label, 1.0, box(track.point), track.first_seen, track.last_seen, track.missing,
                 tuple((t, box(point)) for t, point in track.path))


# Speed and direction are derived over about this long a stretch of path, never a shorter one than the minimum
# (radar positions jitter by a few decimetres); a movement under MIN_MOVE_M has no direction.
SPEED_WINDOW_SECONDS = 1.0
MIN_SPAN_SECONDS = 0.3
MIN_MOVE_M = 0.5


class RadarTracks(NumberedTracks):
    """The radar's objects as the VMS's tracks (see NumberedTracks), placed on the site plan."""

    def __init__(self, placement: PlanPlacement, max_missing_seconds: float = 2.0, path_length: int = 50) -> None:
        super().__init__(max_missing_seconds, path_length)
        self.placement = placement

    def update(self, frame: RadarFrame, t: float) -> list[RadarTrack]:
        """Take one frame, seen at `t` (seconds on the VMS's clock), and return the tracks now on the plan."""
        radar_t = frame.radar_time.timestamp()
        # The path: (VMS time, radar time in seconds, x_m, y_m).
        self._take(frame.renamed, frame.objects, frame.ended, t, lambda item: (t, radar_t, item.x_m, item.y_m))
        return self.current(t)

    def current(self, t: float) -> list[RadarTrack]:
        """The tracks at `t`: those reported within `max_missing_seconds` (`missing` when not in the latest frame)."""
        return [self._track(number, seen, missing) for number, seen, missing in self._current(t)]

    def _track(self, number: int, seen: Seen, missing: bool) -> RadarTrack:
        item = seen.item
        derived_speed, derived_heading = derive_motion([(radar_t, x, y) for _, radar_t, x, y in seen.path])
        speed = item.speed_mps * MPS_TO_KMH if item.speed_mps is not None else derived_speed
        heading = item.heading_deg if item.heading_deg is not None else derived_heading
        path = tuple((t, to_plan(self.placement, x, y)) for t, _, x, y in seen.path)
        return RadarTrack(number, item.label, item.x_m, item.y_m, to_plan(self.placement, item.x_m, item.y_m),
                          speed, None if heading is None else plan_heading(self.placement, heading),
                          seen.first, seen.last, missing, path)


def derive_motion(path: Sequence[tuple[float, float, float]]) -> tuple[float | None, float | None]:
    """Speed (km/h) and direction of travel (degrees clockwise from the boresight) from (time, x_m, y_m) positions,
    oldest first: over the last SPEED_WINDOW_SECONDS or so; None where the path is too short to tell."""
    if len(path) < 2:
        return None, None
    t1, x1, y1 = path[-1]
    start = path[0]
    for sample in reversed(path[:-1]):
        start = sample
        if t1 - sample[0] >= SPEED_WINDOW_SECONDS:
            break
    t0, x0, y0 = start
    if t1 - t0 < MIN_SPAN_SECONDS:
        return None, None
    moved = math.hypot(x1 - x0, y1 - y0)
    heading = bearing(x1 - x0, y1 - y0) if moved >= MIN_MOVE_M else None
    return moved / (t1 - t0) * MPS_TO_KMH, heading


INTRUSION, SPEED, DIRECTION = "intrusion", "speed", "direction"
KINDS = (INTRUSION, SPEED, DIRECTION)


@dataclass(frozen=True)
class RadarRule:
    """A rule on a radar zone drawn on the plan (fractions, y down): an object of the rule's classes (empty: any)
    inside it (intrusion), inside it faster than `speed_kmh` (speed), or inside it moving within `tolerance_deg` of
    `heading_deg` (compass on the plan; direction). It fires once that has held for `min_duration` seconds."""

    id: int
    kind: str
    zone: tuple[Point, ...]
    classes: frozenset[str] = frozenset()
    speed_kmh: float = 0.0
    heading_deg: float = 0.0
    tolerance_deg: float = 45.0
    min_duration: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"a radar rule is one of {', '.join(KINDS)}, not {self.kind!r}")
        if len(self.zone) < 3:
            raise ValueError("a radar zone needs at least three points")
        if not 0 <= self.tolerance_deg <= 180 or self.speed_kmh < 0 or self.min_duration < 0:
            raise ValueError("tolerance is 0-180 degrees; speed and minimum duration are not negative")

    def wants(self, label: str) -> bool:
        return not self.classes or label in self.classes

    def holds(self, track: RadarTrack) -> bool:
        if not self.wants(track.label) or not point_in_polygon(track.point, self.zone):
            return False
        if self.kind == SPEED:
            return track.speed_kmh is not None and track.speed_kmh > self.speed_kmh
        if self.kind == DIRECTION:
            heading = track.heading_deg
            return heading is not None and angle_between(heading, self.heading_deg) <= self.tolerance_deg
        return True


# The VMS's rule conditions that a radar applies, as its rule kinds.
_KIND_OF_CONDITION = {"enter": INTRUSION, "speed": SPEED, "heading": DIRECTION}


def radar_rules(specs: Iterable[RuleSpec]) -> list[RadarRule]:
    """The VMS's rules of a radar (an area zone drawn on its site plan each) as radar rules; others are left out."""
    return [RadarRule(spec.id, _KIND_OF_CONDITION[spec.condition], spec.zone.points, spec.classes, spec.speed_kmh,
                      spec.heading_deg, spec.tolerance_deg, spec.min_duration)
            for spec in specs
            if spec.condition in _KIND_OF_CONDITION and spec.zone is not None and len(spec.zone.points) >= 3]


# A firing rule ends only once its condition has not held for this long: a radar's position and speed jitter,
# and an object on a zone's edge or at the speed limit would otherwise start and end an alarm every few frames.
RELEASE_SECONDS = 1.0


class RadarRuleEngine:
    """Feed it the tracks of each radar frame with `update`; it says which rules started and ended firing, per
    (rule, track), in the shapes of video.rules (Firing with no box; `box_states` marks the tracks in alarm)."""

    def __init__(self, rules: Iterable[RadarRule], release_seconds: float = RELEASE_SECONDS) -> None:
        self.rules = list(rules)
        self.release_seconds = release_seconds
        self._pending: dict[tuple[int, int], float] = {}  # (rule, track) -> condition holds since
        self._held: dict[tuple[int, int], float] = {}  # (rule, track) -> condition last held
        self._firing: dict[tuple[int, int], Firing] = {}

    @property
    def firing(self) -> list[Firing]:
        return list(self._firing.values())

    def update(self, now: float, tracks: Iterable[RadarTrack], active: set[int] | None = None) -> SceneUpdate:
        """`now` on the VMS's clock; `active` the ids of rules in their schedule (None: all)."""
        update = SceneUpdate()
        seen = {track.id: track for track in tracks}
        keys = set(self._pending) | set(self._held) | set(self._firing)
        for key in [key for key in keys if key[1] not in seen or (active is not None and key[0] not in active)]:
            self._end(key, now, update)
        for rule in self.rules:
            if active is not None and rule.id not in active:
                continue
            for track in seen.values():
                self._evaluate(rule, track, now, update)
        for (_rule, number) in self._firing:
            track = seen[number]
            text = track.label if track.speed_kmh is None else f"{track.label} {track.speed_kmh:.0f} km/h"
            update.box_states[number] = ("alarm", text)
        return update

    def _evaluate(self, rule: RadarRule, track: RadarTrack, now: float, update: SceneUpdate) -> None:
        key = (rule.id, track.id)
        if rule.holds(track):
            self._held[key] = now
            since = self._pending.setdefault(key, now)
            if key not in self._firing and now - since >= rule.min_duration:
                self._firing[key] = firing = Firing(rule.id, track.id, track.label, since + rule.min_duration)
                update.started.append(firing)
            return
        self._pending.pop(key, None)
        if key not in self._firing:
            self._held.pop(key, None)
        elif now - self._held[key] >= self.release_seconds:
            self._end(key, now, update)

    def _end(self, key: tuple[int, int], now: float, update: SceneUpdate) -> None:
        self._pending.pop(key, None)
        self._held.pop(key, None)
        firing = self._firing.pop(key, None)
        if firing is not None:
            firing.ended = now
            update.ended.append(firing)

    def end_all(self, now: float) -> SceneUpdate:
        """The radar stops being watched (offline, disabled): end what fires."""
        update = SceneUpdate()
        for key in list(self._firing):
            self._end(key, now, update)
        return update
