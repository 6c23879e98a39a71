"""Where the people are in a frame, as silhouettes: the packaged detector finds them, MediaPipe's selfie
segmentation model outlines each one in a crop around it.

The selfie model is made for a person near the camera: on a whole CCTV frame it found under a fifth of the
people in OpenCV's vtest.avi (measured), so it only ever sees a crop around a detected person.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from video.detection import PERSON, Detector, load_detector, load_net, model_file

# The packaged model: MediaPipe's selfie segmentation (Apache-2.0), carried by the mediapipe wheel, installed
# with --no-deps (its dependencies pull in GUI OpenCV and an old numpy) and never downloaded at run time.
SELFIE_PACKAGE = "mediapipe"
SELFIE_REQUIREMENT = "mediapipe==0.10.21"
SELFIE_MODEL = "modules/selfie_segmentation/selfie_segmentation.tflite"
SELFIE_MODEL_SHA256 = "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c"
SELFIE_INPUT = 256  # the square model's input side; it outputs a 256x256 person probability
_WHAT = "person segmentation model"


@dataclass(frozen=True)
class Person:
    """One person: the detector's box in pixels (x1, y1, x2, y2; x2, y2 exclusive) and the silhouette inside
    `window` (the crop it was outlined in, same form) as a uint8 mask of the window's size, 255 = person."""

    box: tuple[int, int, int, int]
    score: float
    window: tuple[int, int, int, int]
    silhouette: np.ndarray

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


class PeopleFinder(Protocol):
    def find(self, frame: np.ndarray) -> list[Person]: ...


class PersonSegmenter:
    """Finds people in BGR frames and outlines them. Thread-safe: cameras may share one (calls queue up).

    `max_outlined` caps the crops segmented per frame (about 18 ms each on one core): beyond it the biggest
    people are outlined and the rest keep their whole box as silhouette, which masks more, never less.
    """

    crop_margin = 0.15  # of the box's longer side, added all round: the selfie model wants the whole person
    threshold = 0.5

    def __init__(
        self,
        detector: Detector | None = None,
        *,
        score_threshold: float = 0.3,
        max_outlined: int = 8,
        model_path: Path | None = None,
    ) -> None:
        self.detector = detector if detector is not None else load_detector(None, score_threshold)
        self.score_threshold = score_threshold
        self.max_outlined = max_outlined
        path = model_file(SELFIE_PACKAGE, SELFIE_MODEL, SELFIE_MODEL_SHA256, SELFIE_REQUIREMENT, _WHAT, model_path)
        self.net = load_net(lambda: cv2.dnn.readNetFromTFLite(str(path)), path)
        self._lock = threading.Lock()  # a cv2.dnn.Net must not run two inferences at once

    def find(self, frame: np.ndarray) -> list[Person]:
        """The people in a BGR frame, biggest first."""
        height, width = frame.shape[:2]
        found = [d for d in self.detector.detect(frame) if d.label == PERSON and d.score >= self.score_threshold]
        boxes = []
        for d in found:
            box = (round(d.box.x * width), round(d.box.y * height), round(d.box.x2 * width), round(d.box.y2 * height))
            if box[2] > box[0] and box[3] > box[1]:
                boxes.append((box, d.score))
        boxes.sort(key=lambda item: (item[0][2] - item[0][0]) * (item[0][3] - item[0][1]), reverse=True)
        people = []
        for rank, (box, score) in enumerate(boxes):
            if rank < self.max_outlined:
                window = _square_window(box, self.crop_margin, width, height)
                silhouette = self._outline(frame, window)
            else:
                window = box
                silhouette = np.full((box[3] - box[1], box[2] - box[0]), 255, np.uint8)
            people.append(Person(box, score, window, silhouette))
        return people

    def _outline(self, frame: np.ndarray, window: tuple[int, int, int, int]) -> np.ndarray:
        x1, y1, x2, y2 = window
        crop = frame[y1:y2, x1:x2]
        blob = cv2.dnn.blobFromImage(crop, 1 / 255, (SELFIE_INPUT, SELFIE_INPUT), swapRB=True)
        with self._lock:
            self.net.setInput(blob)
            probability = self.net.forward()[0, 0]
        probability = cv2.resize(probability, (x2 - x1, y2 - y1), interpolation=cv2.INTER_LINEAR)
        return np.where(probability > self.threshold, np.uint8(255), np.uint8(0))


def _square_window(
    box: tuple[int, int, int, int], margin: float, width: int, height: int
) -> tuple[int, int, int, int]:
    """A square around `box` grown by `margin` of its longer side all round, moved (and if need be cut) to fit
    the frame, so the model sees the person undistorted."""
    x1, y1, x2, y2 = box
    side = round(max(x2 - x1, y2 - y1) * (1 + 2 * margin))
    side_w, side_h = min(side, width), min(side, height)
    left = min(max((x1 + x2 - side_w) // 2, 0), width - side_w)
    top = min(max((y1 + y2 - side_h) // 2, 0), height - side_h)
    return left, top, left + side_w, top + side_h
