"""Cheap motion detection on decoded frames: where in the picture something moved, and how much of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from video.geometry import Box, Point


@dataclass(frozen=True)
class MotionResult:
    """What moved in one frame. `mask` is the small motion picture (255 = moved) the regions were taken from."""

    regions: list[Box]
    fraction: float
    mask: np.ndarray

    def fraction_in(self, points: Sequence[Point]) -> float:
        """The share of the polygon (normalised vertices) that moved, 0 for a polygon too small to measure."""
        h, w = self.mask.shape
        area = np.zeros_like(self.mask)
        pixels = np.array([[round(x * w), round(y * h)] for x, y in points], dtype=np.int32)
        cv2.fillPoly(area, [pixels], 255)
        inside = cv2.countNonZero(area)
        if inside == 0:
            return 0.0
        return cv2.countNonZero(cv2.bitwise_and(area, self.mask)) / inside


class MotionDetector:
    """Frigate-style motion: luma only, downscaled to `height` pixels, compared with a running average.

    `threshold` is the luma difference (0-255) that counts as change; `min_area` the smallest moving blob that
    counts, as a share of the picture; `alpha` how fast the average follows the scene (per frame); when more
    than `reset_fraction` of the picture changes at once (lights switched on, the camera's day/night switch)
    the average starts afresh from that frame and no motion is reported.
    """

    def __init__(
        self,
        height: int = 100,
        threshold: int = 25,
        min_area: float = 0.002,
        alpha: float = 0.05,
        reset_fraction: float = 0.8,
    ) -> None:
        self.height = height
        self.threshold = threshold
        self.min_area = min_area
        self.alpha = alpha
        self.reset_fraction = reset_fraction
        self._average: np.ndarray | None = None
        self._kernel = np.ones((3, 3), np.uint8)

    def reset(self) -> None:
        """Forget the scene: the next frame starts the average afresh and shows no motion."""
        self._average = None

    def update(self, frame: np.ndarray) -> MotionResult:
        """Motion in this frame (BGR or gray) against the frames before it; none in the first frame."""
        gray = self._small_gray(frame)
        if self._average is None or self._average.shape != gray.shape:
            self._average = gray.astype(np.float32)
            return self._still(gray.shape)

        diff = cv2.absdiff(gray, cv2.convertScaleAbs(self._average))
        cv2.accumulateWeighted(gray, self._average, self.alpha)
        _, changed = cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)
        changed = cv2.dilate(changed, self._kernel, iterations=2)

        h, w = changed.shape
        contours, _ = cv2.findContours(changed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_pixels = self.min_area * h * w
        kept = [c for c in contours if cv2.contourArea(c) >= min_pixels]
        # The mask keeps only the blobs that count, so noise does not add to `fraction` or `fraction_in`.
        mask = np.zeros_like(changed)
        if kept:
            cv2.drawContours(mask, kept, -1, 255, thickness=cv2.FILLED)
        fraction = cv2.countNonZero(mask) / mask.size
        if fraction > self.reset_fraction:
            self._average = gray.astype(np.float32)
            return self._still(gray.shape)

        regions = []
        for contour in kept:
            x, y, cw, ch = cv2.boundingRect(contour)
            regions.append(Box(x / w, y / h, cw / w, ch / h))
        return MotionResult(regions=regions, fraction=fraction, mask=mask)

    def _small_gray(self, frame: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(small_gray(frame, self.height), (3, 3), 0)

    @staticmethod
    def _still(shape: tuple[int, ...]) -> MotionResult:
        return MotionResult(regions=[], fraction=0.0, mask=np.zeros(shape, np.uint8))


def small_gray(frame: np.ndarray, height: int) -> np.ndarray:
    """The luma of a BGR or gray frame, shrunk by a whole factor to about `height` pixels high.

    A whole factor lets OpenCV average blocks of pixels, four times faster than any other ratio; the last rows and
    columns that do not fill a block are left out, less than one pixel of the result, so boxes stay normalised.
    """
    h, w = frame.shape[:2]
    step = max(1, round(h / height))
    frame = frame[: h - h % step, : w - w % step]
    # Shrink before converting: colour conversion at full size costs more than the whole rest.
    small = cv2.resize(frame, (frame.shape[1] // step, frame.shape[0] // step), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
