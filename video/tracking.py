"""Multi-object tracking for one camera: gives each detected person or vehicle an id that lasts while it is seen."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from video.detection import Detection
from video.geometry import Box, center, iou


@dataclass(frozen=True)
class Track:
    """One tracked object as of the latest frame. `box` is smoothed, or predicted while `missing`;
    `path` holds its recent (media time, box) positions where it was detected, oldest first."""

    id: int
    label: str
    score: float
    box: Box
    first_seen: float
    last_seen: float
    missing: bool
    path: tuple[tuple[float, Box], ...]


@dataclass
class _State:
    label: str
    score: float
    cx: float
    cy: float
    w: float
    h: float
    t: float  # media time of the last detection, which the prediction starts from
    first_seen: float
    vx: float = 0.0
    vy: float = 0.0
    hits: int = 1
    id: int | None = None  # given when confirmed, so reported ids have no gaps
    path: deque[tuple[float, Box]] = field(default_factory=deque)

    def predict(self, t: float) -> Box:
        dt = t - self.t
        cx, cy = self.cx + self.vx * dt, self.cy + self.vy * dt
        return Box(cx - self.w / 2, cy - self.h / 2, self.w, self.h)

    @property
    def box(self) -> Box:
        return self.predict(self.t)


class Tracker:
    """Tracks one camera's detections from frame to frame.

    A detection continues the track of the same label whose predicted box it overlaps most (IoU at least
    `min_iou`); failing that, the nearest whose centre is within `max_distance` times the track's longer side,
    which keeps ids at low frame rates where a walking person's boxes do not overlap. Tracks move at constant
    velocity while undetected, for up to `max_missing_seconds`; a track is reported from its `min_hits`-th
    detection on. `alpha` and `beta` weigh a new detection against the prediction, for position and velocity.
    """

    def __init__(
        self,
        max_missing_seconds: float = 1.5,
        min_hits: int = 2,
        min_iou: float = 0.2,
        max_distance: float = 1.0,
        path_length: int = 50,
        alpha: float = 0.7,
        beta: float = 0.3,
    ) -> None:
        self.max_missing_seconds = max_missing_seconds
        self.min_hits = min_hits
        self.min_iou = min_iou
        self.max_distance = max_distance
        self.path_length = path_length
        self.alpha = alpha
        self.beta = beta
        self._states: list[_State] = []
        self._next_id = 1

    def update(self, detections: list[Detection], t: float) -> list[Track]:
        """Take the detections of the frame at media time `t` (seconds) and return the confirmed tracks that
        are seen in it or missing for less than `max_missing_seconds`."""
        matched: dict[int, Detection] = {}
        used: set[int] = set()
        for _, si, di in sorted(self._candidates(detections, t), reverse=True):
            if si not in matched and di not in used:
                matched[si] = detections[di]
                used.add(di)

        kept = []
        for si, state in enumerate(self._states):
            if si in matched:
                self._correct(state, matched[si], t)
                kept.append(state)
            elif state.id is not None and t - state.t <= self.max_missing_seconds:
                kept.append(state)
            # An unconfirmed track that is not seen again was most likely a false detection: dropped at once.
        for di, detection in enumerate(detections):
            if di not in used:
                kept.append(self._start(detection, t))
        self._states = kept

        for state in self._states:
            if state.id is None and state.hits >= self.min_hits:
                state.id = self._next_id
                self._next_id += 1
        return [self._snapshot(s, s.id, t) for s in self._states if s.id is not None]

    def predict(self, t: float) -> list[Track]:
        """The confirmed tracks where they should be at `t`, for a frame nobody looked for objects in; this
        changes nothing, so tracks are only confirmed or dropped on frames with detections."""
        return [self._snapshot(s, s.id, t) for s in self._states
                if s.id is not None and t - s.t <= self.max_missing_seconds]

    def _candidates(self, detections: list[Detection], t: float) -> list[tuple[float, int, int]]:
        """(priority, track index, detection index) for every plausible pair: overlapping pairs first, by IoU,
        then the others by how near they are."""
        pairs = []
        for si, state in enumerate(self._states):
            predicted = state.predict(t)
            px, py = center(predicted)
            reach = self.max_distance * max(predicted.w, predicted.h)
            for di, d in enumerate(detections):
                if d.label != state.label:
                    continue
                overlap = iou(predicted, d.box)
                if overlap >= self.min_iou:
                    pairs.append((1.0 + overlap, si, di))
                    continue
                dx, dy = center(d.box)
                distance = math.hypot(dx - px, dy - py)
                # Far-apart pairs must also be of about the same size, so a person is not handed to another.
                if distance <= reach and _similar_size(predicted, d.box):
                    pairs.append((1.0 - distance / reach, si, di))
        return pairs

    def _correct(self, state: _State, detection: Detection, t: float) -> None:
        dt = t - state.t
        zx, zy = center(detection.box)
        predicted = state.predict(t)
        px, py = center(predicted)
        if dt > 0:
            if state.hits == 1:
                # The second sighting gives the first velocity; blending it with 0 would lag for many frames.
                state.vx, state.vy = (zx - state.cx) / dt, (zy - state.cy) / dt
            else:
                state.vx += self.beta * (zx - px) / dt
                state.vy += self.beta * (zy - py) / dt
        state.cx, state.cy = px + self.alpha * (zx - px), py + self.alpha * (zy - py)
        state.w += self.alpha * (detection.box.w - state.w)
        state.h += self.alpha * (detection.box.h - state.h)
        state.t = t
        state.hits += 1
        state.score = detection.score
        self._remember(state, t)

    def _start(self, detection: Detection, t: float) -> _State:
        cx, cy = center(detection.box)
        state = _State(detection.label, detection.score, cx, cy, detection.box.w, detection.box.h, t, t,
                       path=deque(maxlen=self.path_length))
        self._remember(state, t)
        return state

    @staticmethod
    def _remember(state: _State, t: float) -> None:
        state.path.append((t, state.box))

    @staticmethod
    def _snapshot(state: _State, track_id: int, t: float) -> Track:
        missing = state.t != t
        return Track(
            id=track_id, label=state.label, score=state.score,
            box=state.predict(t) if missing else state.box,
            first_seen=state.first_seen, last_seen=state.t, missing=missing, path=tuple(state.path),
        )


def _similar_size(a: Box, b: Box, max_ratio: float = 2.0) -> bool:
    return a.area > 0 and b.area > 0 and 1 / max_ratio**2 <= a.area / b.area <= max_ratio**2
