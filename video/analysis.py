"""One camera's picture analysis: motion, then people and vehicles where it moved, tracked, and tampering.

The detector runs only where something moved or a tracked object was (the costly step), so still scenes
cost the motion check alone and an object that stops moving (someone loitering) is still followed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from video.detection import Detection
from video.geometry import Box
from video.motion import MotionDetector, MotionResult
from video.tamper import TamperDetector
from video.tracking import Track, Tracker

SNAPSHOT_MARGIN = 0.5  # of the box's size, on each side
# A camera that stays moved this long was re-aimed on purpose, or will not be put back soon: its new view
# becomes the reference (the tamper event ends) and objects are looked for in it as before.
ACCEPT_NEW_VIEW_SECONDS = 60.0
SNAPSHOT_QUALITY = 85


@dataclass
class Analysis:
    t: float
    picture: np.ndarray | None  # BGR; None for what a camera's own analytics reported
    motion: MotionResult | None
    detections: list[Detection]
    tracks: list[Track]
    tamper: str | None


class FrameAnalyser:
    """Analyses the frames of one camera; the detector runs at most `detections_per_second` times a second
    (its cost dominates), and tracks are carried forward by their motion on the frames in between."""

    def __init__(self, detector, detections_per_second: float | None = None) -> None:
        self.detector = detector
        self.detect_every = 1.0 / detections_per_second if detections_per_second else 0.0
        self.next_detection = float("-inf")
        self.motion = MotionDetector()
        self.tracker = Tracker()
        self.tamper = TamperDetector()
        self.tracks: list[Track] = []
        self.moved_since: float | None = None

    def analyse(self, picture: np.ndarray, t: float) -> Analysis:
        motion = self.motion.update(picture)
        tamper = self._tamper(picture, t)
        regions = motion.regions + [track.box for track in self.tracks]
        detections: list[Detection] = []
        # A quarter of the period as slack: frames do not come exactly on the schedule, and one a hair early
        # would otherwise put the run off to the frame after.
        if t < self.next_detection - self.detect_every / 4:
            self.tracks = self.tracker.predict(t)
        else:
            if regions and tamper in (None, "moved"):  # a moved camera still sees a scene
                detections = self.detector.detect(picture, regions)
                self.next_detection = t + self.detect_every
            # By position alone, as detections come here (about 2 a second, fewer on a busy machine): the looks
            # of a walking person change too much between them for the likeness redaction uses at frame rate.
            self.tracks = self.tracker.update(detections, t)
        return Analysis(t, picture, motion, detections, self.tracks, tamper)

    def _tamper(self, picture: np.ndarray, t: float) -> str | None:
        tamper = self.tamper.update(picture, t)
        if tamper != "moved":
            self.moved_since = None
        elif self.moved_since is None:
            self.moved_since = t
        elif t - self.moved_since >= ACCEPT_NEW_VIEW_SECONDS:
            self.tamper.reset()
            self.moved_since = None
            return None
        return tamper


def snapshot(picture: np.ndarray, box: Box | None) -> bytes:
    """A JPEG of the object with some of its surroundings (the whole picture when there is no object)."""
    height, width = picture.shape[:2]
    if box is not None:
        margin_x, margin_y = box.w * SNAPSHOT_MARGIN, box.h * SNAPSHOT_MARGIN
        left, top = max(0, int((box.x - margin_x) * width)), max(0, int((box.y - margin_y) * height))
        right = min(width, int((box.x + box.w + margin_x) * width))
        bottom = min(height, int((box.y + box.h + margin_y) * height))
        if right - left >= 8 and bottom - top >= 8:
            picture = picture[top:bottom, left:right]
    ok, jpeg = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, SNAPSHOT_QUALITY])
    return jpeg.tobytes() if ok else b""
