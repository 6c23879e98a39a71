"""Rule logic over tracked objects: which rules fire and end on each analysed frame, and what to count.

Pure: it sees zones, rules, tracks, motion and the camera's state with the frame's media time, and keeps
per-object timers itself. Objects are placed by the bottom centre of their box (where they stand).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

from video.geometry import Box, bottom_center, point_in_polygon, segment_crosses
from video.tracking import Track

# Share of a zone that must move for "motion in the zone", and how long motion may pause within one event.
MOTION_FRACTION = 0.01
MOTION_GRACE_SECONDS = 2.0
# A box stays in the alarm colour this long after its object crossed a line (a crossing has no duration).
CROSSING_SHOWN_SECONDS = 2.0


@dataclass(frozen=True)
class ZoneSpec:
    id: int
    kind: str  # "area" or "line"
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class RuleSpec:
    id: int
    condition: str  # enter, dwell, cross, count, motion, offline, tamper; a radar's: enter, speed, heading
    zone: ZoneSpec | None = None
    classes: frozenset[str] = frozenset()  # empty: any class
    dwell_seconds: float = 0.0
    direction: str = "any"
    count_threshold: int = 0
    min_duration: float = 0.0
    # A radar's rules (video.radar): faster than (speed), moving which way within a tolerance (heading).
    speed_kmh: float = 0.0
    heading_deg: float = 0.0
    tolerance_deg: float = 45.0

    def wants(self, label: str) -> bool:
        return not self.classes or label in self.classes


@dataclass
class Firing:
    """A rule that fired, on one object (`track` set) or on the camera or zone as a whole."""

    rule_id: int
    track: int | None
    label: str
    started: float
    box: Box | None = None
    ended: float | None = None


@dataclass(frozen=True)
class Crossing:
    """One object counted: across a line ("a_to_b", "b_to_a") or into an area ("in")."""

    zone_id: int
    direction: str
    label: str


@dataclass
class SceneUpdate:
    started: list[Firing] = field(default_factory=list)
    ended: list[Firing] = field(default_factory=list)
    # Track id -> (state, label text): "dwelling" while a dwell rule's timer runs, "alarm" once a rule fired.
    box_states: dict[int, tuple[str, str]] = field(default_factory=dict)
    counted: list[Crossing] = field(default_factory=list)


@dataclass(frozen=True)
class Schedule:
    """When a rule is active: windows of days (0 Monday) and local times; no windows means always.

    A window whose end is not after its start runs over midnight into the next day."""

    windows: tuple[tuple[frozenset[int], time, time], ...] = ()

    @classmethod
    def parse(cls, rows: Iterable[dict]) -> Schedule:
        windows = []
        for row in rows:
            start, end = time.fromisoformat(row["start"]), time.fromisoformat(row["end"])
            windows.append((frozenset(int(day) for day in row["days"]), start, end))
        return cls(tuple(windows))

    def active_at(self, moment: datetime) -> bool:
        if not self.windows:
            return True
        now, today, yesterday = moment.time(), moment.weekday(), (moment.weekday() - 1) % 7
        for days, start, end in self.windows:
            if start < end:
                if today in days and start <= now < end:
                    return True
            elif (today in days and now >= start) or (yesterday in days and now < end):
                return True
        return False


class RuleEngine:
    """Feed it each analysed frame with `update`; it says which rules started and ended firing."""

    def __init__(self, zones: Iterable[ZoneSpec], rules: Iterable[RuleSpec]) -> None:
        self.zones = list(zones)
        self.rules = list(rules)
        self._inside: dict[tuple[int, int], float] = {}  # (zone, track) -> since when
        self._anchors: dict[int, tuple[float, float]] = {}  # track -> last anchor point
        self._labels: dict[int, str] = {}
        self._pending: dict[tuple[int, int | None], float] = {}  # (rule, key) -> condition holds since
        self._firing: dict[tuple[int, int | None], Firing] = {}
        self._motion_seen: dict[int, float] = {}  # rule -> last time its zone moved
        self._crossed: dict[int, float] = {}  # track -> when it last crossed a watched line

    @property
    def firing(self) -> list[Firing]:
        return list(self._firing.values())

    def update(self, t: float, tracks: list[Track], *, motion=None, tamper: str | None = None,
               offline: bool = False, active: set[int] | None = None) -> SceneUpdate:
        """`motion` is the frame's MotionResult (or None), `active` the ids of rules in their schedule."""
        update = SceneUpdate()
        seen = {track.id: track for track in tracks}
        self._forget_gone(seen, t, update)
        moves = self._move(t, tracks, update)
        for rule in self.rules:
            if active is not None and rule.id not in active:
                self._end_rule(rule.id, t, update)
                continue
            self._evaluate(rule, t, seen, moves, motion, tamper, offline, update)
        for _rule, key in self._firing:
            if key is not None and key in seen:
                update.box_states[key] = ("alarm", self._text(seen[key], t))
        for track_id, when in list(self._crossed.items()):
            if t - when > CROSSING_SHOWN_SECONDS:
                del self._crossed[track_id]
            elif track_id in seen:
                update.box_states[track_id] = ("alarm", self._text(seen[track_id], t))
        return update

    def _forget_gone(self, seen: dict[int, Track], t: float, update: SceneUpdate) -> None:
        for key in [key for key in self._firing if key[1] is not None and key[1] not in seen]:
            self._end(key, t, update)
        for key in [key for key in self._pending if key[1] is not None and key[1] not in seen]:
            del self._pending[key]
        for key in [key for key in self._inside if key[1] not in seen]:
            del self._inside[key]
        for track_id in [track_id for track_id in self._anchors if track_id not in seen]:
            del self._anchors[track_id]
            self._labels.pop(track_id, None)

    def _move(self, t: float, tracks: list[Track], update: SceneUpdate) -> dict[int, dict[int, str]]:
        """Update who is inside which area; return {line zone: {track: direction}} for this frame's crossings."""
        moves: dict[int, dict[int, str]] = {}
        for track in tracks:
            anchor = bottom_center(track.box)
            before = self._anchors.get(track.id)
            self._anchors[track.id] = anchor
            self._labels[track.id] = track.label
            for zone in self.zones:
                if zone.kind == "line":
                    direction = before and segment_crosses(before, anchor, zone.points[0], zone.points[1])
                    if direction:
                        moves.setdefault(zone.id, {})[track.id] = direction
                        update.counted.append(Crossing(zone.id, direction, track.label))
                elif point_in_polygon(anchor, zone.points):
                    if (zone.id, track.id) not in self._inside:
                        self._inside[(zone.id, track.id)] = t
                        update.counted.append(Crossing(zone.id, "in", track.label))
                else:
                    self._inside.pop((zone.id, track.id), None)
        return moves

    def _evaluate(self, rule: RuleSpec, t: float, seen: dict[int, Track], moves: dict[int, dict[int, str]],
                  motion, tamper: str | None, offline: bool, update: SceneUpdate) -> None:
        condition, zone = rule.condition, rule.zone
        if condition in ("enter", "dwell") and zone is not None:
            hold = rule.min_duration + (rule.dwell_seconds if condition == "dwell" else 0.0)
            for track in seen.values():
                since = self._inside.get((zone.id, track.id))
                key = (rule.id, track.id)
                if since is None or not rule.wants(track.label):
                    self._end(key, t, update)
                    continue
                if condition == "dwell" and key not in self._firing:
                    update.box_states[track.id] = ("dwelling", self._text(track, t))
                if t - since >= hold:
                    self._fire(key, track.label, since + hold, track.box, update)
        elif condition == "cross" and zone is not None:
            for track_id, direction in moves.get(zone.id, {}).items():
                track = seen[track_id]
                if rule.wants(track.label) and rule.direction in ("any", direction):
                    self._fire((rule.id, track_id), track.label, t, track.box, update)
                    self._end((rule.id, track_id), t, update)
                    self._crossed[track_id] = t
        elif condition == "count" and zone is not None:
            inside = [track for track in seen.values()
                      if (zone.id, track.id) in self._inside and rule.wants(track.label)]
            label = inside[0].label if inside else ""
            self._hold((rule.id, None), len(inside) > rule.count_threshold, rule.min_duration, t, label, update)
        elif condition == "motion" and zone is not None:
            if motion is not None and motion.fraction_in(zone.points) >= MOTION_FRACTION:
                self._motion_seen[rule.id] = t
            moving = t - self._motion_seen.get(rule.id, float("-inf")) <= MOTION_GRACE_SECONDS
            self._hold((rule.id, None), moving, rule.min_duration, t, "motion", update)
        elif condition == "tamper":
            self._hold((rule.id, None), tamper is not None, rule.min_duration, t, tamper or "", update)
        elif condition == "offline":
            self._hold((rule.id, None), offline, rule.min_duration, t, "offline", update)

    def _hold(self, key: tuple[int, int | None], holds: bool, min_duration: float, t: float, label: str,
              update: SceneUpdate) -> None:
        """Fire once the condition has held for min_duration; end when it stops holding."""
        if not holds:
            self._pending.pop(key, None)
            self._end(key, t, update)
            return
        since = self._pending.setdefault(key, t)
        if t - since >= min_duration:
            self._fire(key, label, since + min_duration, None, update)

    def _fire(self, key: tuple[int, int | None], label: str, started: float, box: Box | None,
              update: SceneUpdate) -> None:
        if key in self._firing:
            return
        firing = Firing(key[0], key[1], label, started, box)
        self._firing[key] = firing
        update.started.append(firing)

    def _end(self, key: tuple[int, int | None], t: float, update: SceneUpdate) -> None:
        firing = self._firing.pop(key, None)
        if firing is not None:
            firing.ended = t
            update.ended.append(firing)

    def _end_rule(self, rule_id: int, t: float, update: SceneUpdate) -> None:
        for key in [key for key in self._firing if key[0] == rule_id]:
            self._end(key, t, update)
        for key in [key for key in self._pending if key[0] == rule_id]:
            del self._pending[key]

    def end_all(self, t: float) -> SceneUpdate:
        """The camera stops being analysed: end what fires."""
        update = SceneUpdate()
        for key in list(self._firing):
            self._end(key, t, update)
        return update

    def _text(self, track: Track, t: float) -> str:
        since = min((when for (_zone, track_id), when in self._inside.items() if track_id == track.id), default=None)
        return track.label if since is None else f"{track.label} {t - since:.0f}s"
