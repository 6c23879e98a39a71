"""Multi-object tracking: gives each detected face, person or vehicle an id that lasts while it is seen, by where
it is going and what it looks like. Live analytics follows a camera frame by frame; redaction follows a whole clip
and then re-links the pieces of a track that the detector lost for a while."""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from video.detection import Detection
from video.geometry import Box, between, center, iou, overlap

# Appearance is a histogram of gradient orientations (3x3 cells of 8 directions, over the box scaled to 24 px and
# softened) and a hue-saturation histogram. Measured on scikit-image's Labeled Faces in the Wild subset (100
# people, each seen at 16-60 px on a noisy background, with the box a few pixels off, brightness and noise): the
# same face scores 0.66 or more in 99% of views against the average of four earlier views (0.52 against a single
# one), another face under 0.55 in 95% and under 0.64 in 99%. Below MIN_LIKENESS a detection is another person,
# whatever its position. One face's likeness varies by about 0.08 from view to view, so two explanations closer
# than SPLIT_MARGIN cannot be told apart, and closer than UNSURE_MARGIN are not sure. Under 16 px (in the picture
# the tracker is given) views of one face score anything: appearance is not looked at there.
MIN_LIKENESS = 0.5
SPLIT_MARGIN = 0.1
UNSURE_MARGIN = 0.2
_CELLS, _DIRECTIONS, _SIDE, _MIN_SIDE = 3, 8, 24, 16
_HUES, _SATURATIONS = 8, 4
# After this many sightings a track's appearance is a running average that follows a slowly turning head.
_APPEARANCE_MEMORY = 10
# A box more than a fifth hidden by another detection's shows too much of something else (the other face, in front
# or behind) to say who it is; one at the picture's edge may be cut by it. Position alone decides there.
_MAX_HIDDEN = 0.2
# A detector's box on a face cut by the picture's edge stops short of the edge by up to a twentieth of its size in
# 90% of CenterFace's detections (a seventh in 99%) on the bench scenes; whole faces come that near it far less often
# (under 0.5% of them within a tenth). A look taken nearer the edge than this share of the box's size may be of half
# a face.
_EDGE_SHARE = 0.1
# Faces in one picture differ by about a fifth in their boxes' sides at one distance; one under 2/3 of another's
# area is farther away.
_BEHIND = 2 / 3


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


@dataclass(frozen=True)
class Appearance:
    """What a box looks like: its gradients' directions (unit vector) and its colours (unit vector of the square
    roots of a hue-saturation histogram, so that a dot product is the histograms' Bhattacharyya coefficient).
    `cut`: taken from a box so near the picture's edge that the edge may cut what it shows. Half a face does not
    look like the whole one, nor like more or less of it: a cut look does not tell whether a detection is the
    same person, only that two tracks may not be told apart (see Tracker._confusable)."""

    shape: np.ndarray
    colour: np.ndarray
    cut: bool = False


@dataclass(frozen=True)
class Sighting:
    """A detection a track took: the caller's frame number, media time, box and detection score, and how sure the
    tracker was that it is the same object as the rest of the track (`sure`). Where nothing but other tracks that
    could have taken it made it unsure, their keys (`doubted_by`): should they all turn out to be pieces of this
    track, it was this object's alone, and sure."""

    frame: int
    t: float
    box: Box
    score: float
    sure: bool = True
    doubted_by: frozenset[int] = frozenset()  # the other tracks whose claim on it alone made it unsure


@dataclass
class TrackHistory:
    """A track's whole life, kept for offline use (`Tracker(history=True)`): its sightings in time order, its
    appearance, the keys of the tracks `relink` joined into it (its own first) and the frame spans (inclusive)
    between them that nobody saw or that other pieces filled (`gaps`)."""

    key: int
    label: str
    sightings: list[Sighting]
    appearance: Appearance | None
    pieces: list[int] = field(default_factory=list)
    gaps: list[tuple[int, int]] = field(default_factory=list)

    @property
    def best_score(self) -> float:
        return max(s.score for s in self.sightings)

    @property
    def unsure(self) -> list[tuple[int, int]]:
        """The frame spans (inclusive) where the track is not sure to be the same object throughout: around its
        unsure sightings, and its gaps."""
        return _merged_spans(_unsure_spans(self.sightings) + self.gaps)

    def take(self, sightings: list[Sighting], gaps: list[tuple[int, int]], pieces: list[int]) -> None:
        """Take another track's sightings, pieces and gaps, with the gaps between them; a sighting doubted only by
        tracks that are now its pieces is sure."""
        self.pieces.extend(pieces)
        self.gaps = _merged_spans(self.gaps + gaps)
        own = set(self.pieces)
        self.sightings = sorted(
            (replace(s, sure=True, doubted_by=frozenset()) if s.doubted_by and s.doubted_by <= own else s
             for s in self.sightings + sightings), key=lambda s: s.frame)


def appearance(image: np.ndarray, box: Box, detail: np.ndarray | None = None) -> Appearance | None:
    """The appearance of `box` (normalised) in a BGR or grey picture; its shape is taken from `detail` where
    given, a sharper grey picture of the same frame (its full-size luma, say), in which small faces keep their
    features. None when the box is too small to tell faces apart or touches the picture's edge; `cut` when it is
    nearer the edge than _EDGE_SHARE of its size."""
    h, w = image.shape[:2]
    edge = min(box.x * w, box.y * h, w - box.x2 * w, h - box.y2 * h)
    if edge < 1:
        return None
    sharp = _crop(image if detail is None else detail, box)
    if sharp is None or min(sharp.shape[:2]) < _MIN_SIDE:
        return None
    grey = cv2.resize(sharp, (_SIDE, _SIDE), interpolation=cv2.INTER_AREA)
    grey = cv2.cvtColor(grey, cv2.COLOR_BGR2GRAY) if grey.ndim == 3 else grey
    # Softened, so that the gradients are the face's and not the sensor's noise.
    g = cv2.GaussianBlur(grey.astype(np.float32), (0, 0), 1.0)
    magnitude, angle = cv2.cartToPolar(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=1), cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=1))
    # Directions modulo 180 degrees: a face's edges stay where they are when the lighting flips their contrast.
    direction = np.minimum((angle % np.pi) * (_DIRECTIONS / np.pi), _DIRECTIONS - 1).astype(np.intp)
    cell = np.arange(_SIDE) * _CELLS // _SIDE
    index = (cell[:, None] * _CELLS + cell[None, :]) * _DIRECTIONS + direction
    shape = np.sqrt(np.bincount(index.ravel(), magnitude.ravel(), _CELLS * _CELLS * _DIRECTIONS))
    colour = np.ones(1, np.float32)
    if image.ndim == 3:
        crop = _crop(image, box)
        if crop is not None:
            hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
            colour = cv2.calcHist([hsv], [0, 1], None, [_HUES, _SATURATIONS], [0, 180, 0, 256]).ravel()
    return Appearance(_unit(shape - shape.mean()), _unit(np.sqrt(colour)),
                      cut=edge < _EDGE_SHARE * max(box.w * w, box.h * h))


def _crop(image: np.ndarray, box: Box) -> np.ndarray | None:
    h, w = image.shape[:2]
    x1, y1 = max(0, math.floor(box.x * w)), max(0, math.floor(box.y * h))
    x2, y2 = min(w, math.ceil(box.x2 * w)), min(h, math.ceil(box.y2 * h))
    return image[y1:y2, x1:x2] if x2 > x1 and y2 > y1 else None


def likeness(a: Appearance, b: Appearance) -> float:
    """How alike two appearances are, up to 1: the lower of shape and colour, as either can tell two people apart.
    What one of them cannot show counts as alike: colour in grey footage, shape in a flat, featureless box."""
    colour = float(a.colour @ b.colour) if a.colour.shape == b.colour.shape else 1.0
    shape = float(a.shape @ b.shape) if a.shape.any() and b.shape.any() else 1.0
    return min(shape, colour)


def _likeness(a: Appearance | None, b: Appearance | None) -> float | None:
    """Their likeness where both looks are known and neither may be cut by the picture's edge."""
    return likeness(a, b) if a is not None and b is not None and not (a.cut or b.cut) else None


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return (v / norm if norm > 0 else v).astype(np.float32)


def _blend(model: Appearance, new: Appearance, rate: float) -> Appearance:
    if model.colour.shape != new.colour.shape:
        return new
    return Appearance(_unit(model.shape + rate * (new.shape - model.shape)),
                      _unit(model.colour + rate * (new.colour - model.colour)), model.cut)


@dataclass
class _State:
    key: int
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
    best_score: float = 0.0
    id: int | None = None  # given when confirmed, so reported ids have no gaps
    path: deque[tuple[float, Box]] = field(default_factory=deque)
    look: Appearance | None = None
    looks: int = 0  # sightings averaged into `look`
    sightings: list[Sighting] = field(default_factory=list)
    heir: bool = False  # started where a confirmed track ended at a crossing: a person, not a false detection

    def predict(self, t: float) -> Box:
        dt = t - self.t
        cx, cy = self.cx + self.vx * dt, self.cy + self.vy * dt
        return Box(cx - self.w / 2, cy - self.h / 2, self.w, self.h)

    @property
    def box(self) -> Box:
        return self.predict(self.t)


@dataclass(frozen=True)
class _Pair:
    priority: float
    state: int
    detection: int
    likeness: float | None


class Tracker:
    """Tracks one camera's or one clip's detections from frame to frame.

    A detection continues the track of the same label whose predicted box it overlaps most (IoU at least
    `min_iou`); failing that, the nearest whose centre is within `max_distance` times the track's longer side,
    which keeps ids at low frame rates where a walking person's boxes do not overlap. Given the picture, what the
    boxes look like counts too: a detection that does not look like a track (likeness under MIN_LIKENESS) does
    not continue it, and where two people cross and neither position nor appearance tells which is which, both
    tracks end and new ones start (a track that switched people is worse than two tracks). A face hidden in part
    by another is followed by position alone, and unsure; so is one whose pairing was not clearly the best. Without
    pictures, position alone decides, as it always did. Tracks move at constant
    velocity while undetected, for up to `max_missing_seconds`; a track is reported from its `min_hits`-th
    detection on, or its first scoring `sure_score`. An unconfirmed track not seen for `tentative_seconds` is
    dropped: most likely a false detection. `alpha` and `beta` weigh a new detection against the prediction, for
    position and velocity. With `history`, every sighting is kept for `finish`.
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
        *,
        sure_score: float = math.inf,
        tentative_seconds: float = 0.0,
        history: bool = False,
    ) -> None:
        self.max_missing_seconds = max_missing_seconds
        self.min_hits = min_hits
        self.min_iou = min_iou
        self.max_distance = max_distance
        self.path_length = path_length
        self.alpha = alpha
        self.beta = beta
        self.sure_score = sure_score
        self.tentative_seconds = tentative_seconds
        self.history = history
        self._states: list[_State] = []
        self._ended: list[_State] = []
        self._next_id = 1
        self._next_key = 1

    def update(self, detections: list[Detection], t: float, image: np.ndarray | None = None) -> list[Track]:
        """Take the detections of the frame at media time `t` (seconds), and the frame itself (BGR or grey) for
        their appearance, and return the confirmed tracks that are seen in it or missing for less than
        `max_missing_seconds`."""
        self.link(detections, t, image)
        return [self._snapshot(s, s.id, t) for s in self._states if s.id is not None]

    def predict(self, t: float) -> list[Track]:
        """The confirmed tracks where they should be at `t`, for a frame nobody looked for objects in; this
        changes nothing, so tracks are only confirmed or dropped on frames with detections."""
        return [self._snapshot(s, s.id, t) for s in self._states
                if s.id is not None and t - s.t <= self.max_missing_seconds]

    def link(self, detections: list[Detection], t: float, image: np.ndarray | None = None,
             frame: int = 0, detail: np.ndarray | None = None) -> list[int]:
        """As `update`, returning for each detection the key of the track it now belongs to (keys, unlike ids,
        are given to unconfirmed tracks too); `frame` numbers the frame in the sightings kept for `finish`, and
        `detail` is a sharper grey picture of the frame for the shapes of small faces (see `appearance`)."""
        hidden = [_hidden(d.box, [o.box for o in detections if o is not d]) for d in detections]
        looks = [appearance(image, d.box, detail) if image is not None and not hidden[di] else None
                 for di, d in enumerate(detections)]
        # Where appearance was looked at but could not be seen, nothing confirms who this is.
        unseen = {di for di in range(len(detections)) if image is not None and hidden[di]}
        pairs = self._candidates(detections, looks, t)
        matched: dict[int, _Pair] = {}
        used: set[int] = set()
        for pair in sorted(pairs, key=lambda p: p.priority, reverse=True):
            if pair.state not in matched and pair.detection not in used:
                matched[pair.state] = pair
                used.add(pair.detection)

        kept, keys = [], [0] * len(detections)
        born_unsure: set[int] = set()
        for si, state in enumerate(self._states):
            pair = matched.get(si)
            if pair is not None:
                margin = self._margin(pair, pairs)
                if margin < SPLIT_MARGIN or (pair.detection in unseen and self._confusable(si, pairs)):
                    # Two people cross and nothing tells them apart, now or (alike as they look) after: end the
                    # track rather than guess.
                    used.discard(pair.detection)
                    born_unsure.add(pair.detection)
                    self._end(state)
                    continue
                # Sure: clearly better than any other pairing, seen, and not just scraping past the likeness gate
                # where someone else could have taken the place (alone, with the face where it was heading, a change
                # of look is a turn, a hand or a post, not another person).
                alone = margin == math.inf
                seen = pair.detection not in unseen or _recognised(state.look, detections[pair.detection].box,
                                                                  image, detail)
                sure = (margin >= UNSURE_MARGIN
                        and (pair.likeness is None or alone or pair.likeness >= MIN_LIKENESS + SPLIT_MARGIN) and seen)
                doubted_by = frozenset() if sure or not seen else self._claims(pair, pairs)
                self._correct(state, detections[pair.detection], looks[pair.detection], t, frame, sure=sure,
                              doubted_by=doubted_by)
                keys[pair.detection] = state.key
                kept.append(state)
            elif t - state.t <= (self.max_missing_seconds if state.id is not None else self.tentative_seconds):
                kept.append(state)
            else:
                self._end(state)
        for di, detection in enumerate(detections):
            if di not in used:
                state = self._start(detection, looks[di], t, frame, heir=di in born_unsure,
                                    sure=di not in born_unsure and di not in unseen)
                keys[di] = state.key
                kept.append(state)
        self._states = kept

        for state in self._states:
            if state.id is None and (state.hits >= self.min_hits or state.best_score >= self.sure_score or state.heir):
                state.id = self._next_id
                self._next_id += 1
        return keys

    def finish(self) -> list[TrackHistory]:
        """End every track and return the confirmed ones' histories (with `history`), by their first sighting."""
        for state in self._states:
            self._end(state)
        self._states = []
        ended = sorted(self._ended, key=lambda s: (s.first_seen, s.key))
        return [TrackHistory(s.key, s.label, list(s.sightings), s.look, [s.key]) for s in ended]

    def _end(self, state: _State) -> None:
        if self.history and state.id is not None:
            self._ended.append(state)

    def _candidates(self, detections: list[Detection], looks: list[Appearance | None], t: float) -> list[_Pair]:
        """Every plausible (track, detection) pair with its priority: overlapping pairs first, by IoU, then the
        others by how near they are; plus how alike they look, where both appearances are known."""
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
                    priority = 1.0 + overlap
                else:
                    distance = math.hypot(center(d.box)[0] - px, center(d.box)[1] - py)
                    # Far-apart pairs must also be of about the same size, so a person is not handed to another.
                    if not (reach > 0 and distance <= reach and _similar_size(predicted, d.box)):
                        continue
                    priority = 1.0 - distance / reach
                alike = _likeness(state.look, looks[di])
                if alike is not None:
                    if alike < MIN_LIKENESS:
                        continue  # where it should be, but someone else
                    priority += alike
                pairs.append(_Pair(priority, si, di, alike))
        return pairs

    def _confusable(self, si: int, pairs: list[_Pair]) -> bool:
        """Whether another track that looks alike (or of unknown looks) and is about as large (a face under _BEHIND
        of another's area is farther away: not the same person) could take a detection this one could."""
        mine = {p.detection for p in pairs if p.state == si}
        state = self._states[si]
        for p in pairs:
            if p.state != si and p.detection in mine:
                other = self._states[p.state]
                if not _similar_size(state.box, other.box, max_ratio=math.sqrt(1 / _BEHIND)):
                    continue
                if state.look is None or other.look is None or likeness(state.look, other.look) >= MIN_LIKENESS:
                    return True
        return False

    def _claims(self, chosen: _Pair, pairs: list[_Pair]) -> frozenset[int]:
        """The keys of the other tracks that could take the chosen pair's detection, where nothing else stands
        against the pair (no other detection its track could take): empty otherwise."""
        if any(p.state == chosen.state and p.detection != chosen.detection and p.likeness is not None for p in pairs):
            return frozenset()
        return frozenset(self._states[p.state].key for p in pairs
                         if p.detection == chosen.detection and p.state != chosen.state and p.likeness is not None)

    @staticmethod
    def _margin(chosen: _Pair, pairs: list[_Pair]) -> float:
        """How much better the chosen pair explains its track and detection than the next best explanation: the
        same track taking another detection, or another track taking this detection. Without appearance there is
        nothing to weigh position against, and position alone decides as it always did."""
        if chosen.likeness is None:
            return math.inf
        rivals = [p.priority for p in pairs if p is not chosen and p.likeness is not None
                  and (p.state == chosen.state or p.detection == chosen.detection)]
        return chosen.priority - max(rivals, default=-math.inf)

    def _correct(self, state: _State, detection: Detection, look: Appearance | None, t: float, frame: int,
                 *, sure: bool, doubted_by: frozenset[int]) -> None:
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
        self._observe(state, detection, look, frame, sure, doubted_by)

    def _start(self, detection: Detection, look: Appearance | None, t: float, frame: int, *, heir: bool,
               sure: bool) -> _State:
        cx, cy = center(detection.box)
        state = _State(self._next_key, detection.label, detection.score, cx, cy, detection.box.w, detection.box.h,
                       t, t, path=deque(maxlen=self.path_length))
        self._next_key += 1
        state.heir = heir
        self._observe(state, detection, look, frame, sure)
        return state

    def _observe(self, state: _State, detection: Detection, look: Appearance | None, frame: int, sure: bool,
                 doubted_by: frozenset[int] = frozenset()) -> None:
        state.score = detection.score
        state.best_score = max(state.best_score, detection.score)
        state.path.append((state.t, state.box))
        if look is not None and (state.look is None or (state.look.cut and not look.cut)):
            state.look, state.looks = look, 1  # the whole of it replaces what the picture's edge showed of it
        elif look is not None and look.cut == state.look.cut:
            state.looks += 1
            state.look = _blend(state.look, look, 1.0 / min(state.looks, _APPEARANCE_MEMORY))
        if self.history:
            state.sightings.append(Sighting(frame, state.t, detection.box, detection.score, sure, doubted_by))

    @staticmethod
    def _snapshot(state: _State, track_id: int, t: float) -> Track:
        missing = state.t != t
        return Track(
            id=track_id, label=state.label, score=state.score,
            box=state.predict(t) if missing else state.box,
            first_seen=state.first_seen, last_seen=state.t, missing=missing, path=tuple(state.path),
        )


def _hidden(box: Box, others: list[Box]) -> bool:
    """Whether another box covers more than _MAX_HIDDEN of this one, unless it is clearly smaller (under
    _BEHIND of its area: a face farther away, behind this one, which shows all of itself). Faces of about one size
    may be either in front."""
    covered = max((overlap(box, other) for other in others if other.area >= _BEHIND * box.area), default=0.0)
    return box.area > 0 and covered > _MAX_HIDDEN * box.area


def _recognised(look: Appearance | None, box: Box, image: np.ndarray | None, detail: np.ndarray | None) -> bool:
    """Whether a box overlapped by another (its look pairs nothing: it shows some of the other face) still looks
    clearly like the track's face, by UNSURE_MARGIN more than MIN_LIKENESS, where other faces score under it in
    99 % of views: all of that face is in view, in front. Looked at only for a track's chosen detection."""
    alike = _likeness(look, appearance(image, box, detail)) if look is not None and image is not None else None
    return alike is not None and alike >= MIN_LIKENESS + UNSURE_MARGIN


def relink(tracks: list[TrackHistory], max_gap: float, max_distance: float = 1.0) -> list[TrackHistory]:
    """The tracks of a whole clip with the pieces of one object's track joined: a track that starts at most
    `max_gap` seconds after another of its label ended, near where that one was heading (within `max_distance`
    times its longer side, plus one side per second lost: it may have turned), about as large and alike in
    appearance, continues it, when no other pairing of either is nearly as likely (within UNSURE_MARGIN). Another
    pairing that goes the same way is no rival: one with a track that continues the later piece, that the earlier
    piece continues, or that lies between them on their way (one object lost three times). Where a track was
    heading is judged from its sure sightings: a half-hidden face's last boxes jump about. The frames between two
    joined pieces, which nobody saw, are unsure, and pieces found between them are taken in; a sighting that was
    unsure only because another piece of the joined track could have taken it is sure. Tracks without appearance
    are left as they are.
    """
    tracks = _absorb_pieces_in_gaps(list(tracks), max_distance)
    any_joined = False
    while True:
        by_key = {t.key: t for t in tracks}
        seen = [t for t in tracks if t.appearance is not None]
        pairs = {}
        for a in seen:
            for b in seen:
                priority = _continuation(a, b, max_gap, max_distance)
                if priority is not None:
                    pairs[a.key, b.key] = priority
        joined = False
        for (a_key, b_key), priority in sorted(pairs.items(), key=lambda item: item[1], reverse=True):
            a, b = by_key[a_key], by_key[b_key]
            rivals = [p for (x, y), p in pairs.items() if (x == a_key) != (y == b_key)
                      and not _same_way(a, b, by_key[y if x == a_key else x], pairs, max_distance)]
            if priority - max(rivals, default=-math.inf) >= UNSURE_MARGIN:
                tracks.remove(b)
                gap = (a.sightings[-1].frame, b.sightings[0].frame)
                share = len(b.sightings) / (len(a.sightings) + len(b.sightings))
                a.appearance = _blend(a.appearance, b.appearance, share)
                a.take(b.sightings, [gap, *b.gaps], b.pieces)
                joined = any_joined = True
                break  # the joined track's end has moved: pair again
        if not joined:
            return _absorb_pieces_in_gaps(tracks, max_distance) if any_joined else tracks


def _same_way(a: TrackHistory, b: TrackHistory, other: TrackHistory, pairs: dict[tuple[int, int], float],
              max_distance: float) -> bool:
    """Whether `other`, paired with `a` or `b`, goes the way that `b` continuing `a` does: it continues `b`, `a`
    continues it, or it lies between them, on the way from one to the other."""
    if (b.key, other.key) in pairs or (other.key, a.key) in pairs:
        return True
    return _fit_between(a.sightings[-1], b.sightings[0], other, max_distance)


def _absorb_pieces_in_gaps(tracks: list[TrackHistory], max_distance: float) -> list[TrackHistory]:
    """The tracks with each piece that lies wholly inside another track's gaps (frames where the tracker did not
    find that track, within its span), on its way and of its size, taken into it: where two people cross, the one
    in front is often followed by a new piece while its own track waits, unsure, and takes it up again after; a face
    half hidden by something passing in front of it looks unlike itself on some frames, which the tracker gives a
    piece of their own. Each gap a piece fills is unsure, and so are the piece's sightings (it does not tell where
    the track was heading), so a piece taken wrongly is masked all the same. A piece that could be in two tracks'
    gaps about as well stays apart."""
    absorbed = True
    while absorbed:
        absorbed = False
        # A host's span holds the piece's; taking a piece in does not change it.
        spans = {t.key: (t.sightings[0].frame, t.sightings[-1].frame) for t in tracks}
        gone: set[int] = set()
        for piece in sorted(tracks, key=lambda t: len(t.sightings)):
            if piece.key in gone:
                continue
            first, last = spans[piece.key]
            hosts = []
            for host in tracks:
                start, end = spans[host.key]
                if start < first and last < end and host.key not in gone:
                    fit = _fit_in_gaps(host, piece, max_distance)
                    if fit is not None:
                        hosts.append((fit, host))
            hosts.sort(key=lambda h: h[0], reverse=True)
            if hosts and (len(hosts) == 1 or hosts[0][0] - hosts[1][0] >= UNSURE_MARGIN):
                host = hosts[0][1]
                frames = [s.frame for s in host.sightings]
                gaps = []
                for s in piece.sightings:
                    at = bisect.bisect_left(frames, s.frame)
                    gaps.append((frames[at - 1], frames[at]))
                host.take([replace(s, sure=False, doubted_by=frozenset()) for s in piece.sightings],
                          piece.gaps + gaps, piece.pieces)
                gone.add(piece.key)
                absorbed = True
        tracks = [t for t in tracks if t.key not in gone]
    return tracks


def _fit_in_gaps(host: TrackHistory, piece: TrackHistory, max_distance: float) -> float | None:
    """How well `piece` fits into `host`'s gaps: each of its sightings on the way between the host's sightings
    either side of it, of the size, with appearance weighing in (its worst sighting counts; see `_off_the_way`);
    None if it does not lie wholly in the host's gaps. The piece lies within the host's span."""
    if host.label != piece.label:
        return None
    frames = [s.frame for s in host.sightings]
    worst = 0.0
    for s in piece.sightings:
        at = bisect.bisect_left(frames, s.frame)
        off = None if frames[at] == s.frame else _off_the_way(host.sightings[at - 1], host.sightings[at], s,
                                                              max_distance)
        if off is None:
            return None
        worst = max(worst, off)
    return 1.0 - worst + _alike(host.appearance, piece.appearance)


def _fit_between(a: Sighting, b: Sighting, piece: TrackHistory, max_distance: float) -> bool:
    """Whether all of `piece` lies between the sightings `a` and `b` of a track, on its way and of its size."""
    return all(a.t < s.t < b.t and _off_the_way(a, b, s, max_distance) is not None for s in piece.sightings)


def _off_the_way(a: Sighting, b: Sighting, s: Sighting, max_distance: float) -> float | None:
    """How far the sighting `s` is off the way from `a` to `b`, in reach (`max_distance` sides of the box expected
    there) plus how much its size differs from that box's; None if out of reach or of another size."""
    u = (s.t - a.t) / (b.t - a.t) if b.t > a.t else 0.0
    expected = between(a.box, b.box, u)
    reach = max_distance * max(expected.w, expected.h)
    distance = math.hypot(center(s.box)[0] - center(expected)[0], center(s.box)[1] - center(expected)[1])
    if distance > reach or not _similar_size(expected, s.box):
        return None
    # A face keeps its size over a short gap: a box a third larger or smaller than expected fits 0.3 worse.
    return distance / reach + abs(math.log(s.box.area / expected.area)) / 2


def _alike(a: Appearance | None, b: Appearance | None) -> float:
    """Likeness where both looks are known and whole; MIN_LIKENESS where not. Where two faces overlap, a piece's
    appearance is partly the other face's (or unknown, when hidden): place and size decide, likeness only weighs
    in, and the gap is unsure."""
    alike = _likeness(a, b)
    return MIN_LIKENESS if alike is None else alike


def _continuation(a: TrackHistory, b: TrackHistory, max_gap: float, max_distance: float) -> float | None:
    """How likely `b` continues `a` (position and appearance, as the tracker weighs a detection), None if not."""
    if a is b or a.label != b.label or a.appearance is None or b.appearance is None:
        return None
    if not 0 < b.sightings[0].t - a.sightings[-1].t <= max_gap:
        return None  # checked first: relink asks this of every pair of tracks
    # Where `a` was heading is judged from where it surely was: a half-hidden face's last boxes jump about.
    sure = [s for s in a.sightings if s.sure] or a.sightings
    last, first = sure[-1], b.sightings[0]
    gap = first.t - last.t
    if gap > max_gap or not _similar_size(last.box, first.box, max_ratio=math.sqrt(2)):
        return None
    expected = shifted(last.box, end_velocity([(s.t, s.box) for s in sure], at_start=False), gap)
    reach = max_distance * max(expected.w, expected.h) * (1 + gap)
    distance = math.hypot(center(first.box)[0] - center(expected)[0], center(first.box)[1] - center(expected)[1])
    alike = _likeness(a.appearance, b.appearance)
    if distance > reach or alike is None or alike < MIN_LIKENESS:
        return None
    return 1.0 - distance / reach + alike


def _unsure_spans(sightings: Sequence[Sighting]) -> list[tuple[int, int]]:
    """The frames from the sighting before an unsure one to the sighting after it: the boxes between them were
    drawn from it."""
    spans = []
    for i, s in enumerate(sightings):
        if not s.sure:
            spans.append((sightings[max(i - 1, 0)].frame, sightings[min(i + 1, len(sightings) - 1)].frame))
    return _merged_spans(spans)


def _merged_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def end_velocity(positions: Sequence[tuple[float, Box]], *, at_start: bool) -> tuple[float, float]:
    """The speed of a track's centre at one end, from its (time, box) positions in time order: over the half
    second nearest that end (or its two nearest positions), which follows a turn better than the whole track and
    jitters less than two positions."""
    if len(positions) < 2:
        return (0.0, 0.0)
    ordered = positions if at_start else positions[::-1]
    near = [p for p in ordered if abs(p[0] - ordered[0][0]) <= 0.5]
    far_end = near[-1] if len(near) >= 2 else ordered[1]
    (t0, b0), (t1, b1) = (ordered[0], far_end) if at_start else (far_end, ordered[0])
    if t1 <= t0:
        return (0.0, 0.0)
    (x0, y0), (x1, y1) = center(b0), center(b1)
    return ((x1 - x0) / (t1 - t0), (y1 - y0) / (t1 - t0))


def shifted(box: Box, velocity: tuple[float, float], dt: float) -> Box:
    """`box` moved on at `velocity` (frame fractions per second) for `dt` seconds."""
    return Box(box.x + velocity[0] * dt, box.y + velocity[1] * dt, box.w, box.h)


def _similar_size(a: Box, b: Box, max_ratio: float = 2.0) -> bool:
    """Whether two boxes' areas are within `max_ratio` squared of each other."""
    return a.area > 0 and b.area > 0 and 1 / max_ratio**2 <= a.area / b.area <= max_ratio**2
