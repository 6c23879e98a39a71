"""Camera tampering: notices when a camera's view is covered, blacked out or turned away from what it watched."""

from __future__ import annotations

import cv2
import numpy as np

from video.motion import small_gray

BLOCKED = "blocked"
BLACKED_OUT = "blacked_out"
MOVED = "moved"


class TamperDetector:
    """Compares each frame with a reference view learnt over the first `learn_seconds`.

    The reference follows the scene slowly (time constant `adapt_seconds`) while the view is normal, so dusk,
    clouds and lights do not count; it stands still while something is wrong, so a slow cover-up does not
    become the new normal. A condition is reported once it has lasted `hold_seconds`, and for as long as it
    lasts. Thresholds: `dark_level` mean luma (0-255) of a blacked-out picture, `blocked_edges` share of the
    reference's edge strength left in a covered view, `moved_correlation` edge-map correlation below which the
    scene is another, `moved_shift` share of the picture by which the scene may move before it counts.
    """

    def __init__(
        self,
        hold_seconds: float = 3.0,
        learn_seconds: float = 2.0,
        adapt_seconds: float = 10.0,
        height: int = 90,
        dark_level: float = 20.0,
        blocked_edges: float = 0.25,
        moved_correlation: float = 0.4,
        moved_shift: float = 0.05,
    ) -> None:
        self.hold_seconds = hold_seconds
        self.learn_seconds = learn_seconds
        self.adapt_seconds = adapt_seconds
        self.height = height
        self.dark_level = dark_level
        self.blocked_edges = blocked_edges
        self.moved_correlation = moved_correlation
        self.moved_shift = moved_shift
        self._window: np.ndarray | None = None
        self.reset()

    def reset(self) -> None:
        """Learn the view afresh from the next frame on, e.g. after the camera was deliberately re-aimed."""
        self._reference: np.ndarray | None = None
        self._learning_since = 0.0
        self._last_t = 0.0
        self._wrong_since: float | None = None

    def update(self, frame: np.ndarray, t: float) -> str | None:
        """The condition ("blocked", "blacked_out" or "moved") once it has lasted `hold_seconds` up to media time
        `t` (seconds), else None. Takes BGR or gray frames."""
        gray = self._small_gray(frame)
        if self._reference is None or self._reference.shape != gray.shape:
            self._reference, self._learning_since, self._last_t, self._wrong_since = gray, t, t, None
            return None
        dt, self._last_t = max(t - self._last_t, 0.0), t

        if t - self._learning_since < self.learn_seconds:
            # Learning follows the scene quickly, so the reference is not just the first frame.
            self._blend(gray, 0.2)
            return None

        condition = self._check(gray)
        if condition is None:
            self._wrong_since = None
            self._blend(gray, min(dt / self.adapt_seconds, 1.0))
            return None
        if self._wrong_since is None:
            self._wrong_since = t
        return condition if t - self._wrong_since >= self.hold_seconds else None

    def _check(self, gray: np.ndarray) -> str | None:
        """What one small gray frame shows against the reference, at once, with no holding time."""
        reference = self._reference
        assert reference is not None
        mean, reference_mean = float(gray.mean()), float(reference.mean())
        if mean < self.dark_level and reference_mean >= 2 * self.dark_level:
            return BLACKED_OUT
        edges, reference_edges = _edges(gray), _edges(reference)
        reference_strength = float(reference_edges.mean())
        # A scene with next to no edges (a blank wall) gives nothing to compare; only darkness tells there.
        if reference_strength < 1.0:
            return None
        if float(edges.mean()) < self.blocked_edges * reference_strength:
            return BLOCKED
        # Copies: OpenCV 5.0's phaseCorrelate multiplies its inputs by the window in place.
        (dx, dy), _ = cv2.phaseCorrelate(reference.copy(), gray.copy(), self._window)
        h, w = gray.shape
        if abs(dx) > self.moved_shift * w or abs(dy) > self.moved_shift * h:
            return MOVED
        # Undo a small shift (a shaking mast) before comparing, so that what is left is a change of scene.
        aligned = cv2.warpAffine(edges, np.float32([[1, 0, -dx], [0, 1, -dy]]), (w, h), borderMode=cv2.BORDER_REFLECT)
        if _correlation(aligned, reference_edges) < self.moved_correlation:
            return MOVED
        return None

    def _blend(self, gray: np.ndarray, weight: float) -> None:
        assert self._reference is not None
        self._reference = cv2.addWeighted(self._reference, 1 - weight, gray, weight, 0)

    def _small_gray(self, frame: np.ndarray) -> np.ndarray:
        small = small_gray(frame, self.height)
        # Blurred so that compression noise and sensor grain at night do not count as edges.
        small = cv2.GaussianBlur(small, (5, 5), 0).astype(np.float32)
        if self._window is None or self._window.shape != small.shape:
            self._window = cv2.createHanningWindow(small.shape[::-1], cv2.CV_32F)
        return small


def _edges(gray: np.ndarray) -> np.ndarray:
    dx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(dx, dy)


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / norm if norm > 0 else 0.0
