"""Two independent judges of whether a face is left in a redacted copy, both looking only inside the true face.

`FaceFinder` is a face detector that is not the redactor's CenterFace: scikit-image's LBP frontal-face cascade
(OpenCV 5's cv2.data ships no Haar cascades). Its score is the number of raw cascade windows overlapping the true
face box (IoU >= 0.3); `FINDER_LEAK_SCORE` is set where solid-masked (black) faces score zero. `identity_detail` is
detector-free: the correlation of the output's and the original's difference of Gaussians at 2-13 cycles per
face width, the band that carries who someone is; `IDENTITY_LEAK` or more is a leak.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from video.geometry import Box, iou

MATCH_IOU = 0.3  # a detection this much over the true face box is a finding of that face
# Calibrated on 460 bystander face-frames of four 360p test scenes (seeds 3-6), masked on their true boxes: solid
# (black) faces score 0 windows, every one. Unmasked, 72 % score 1 or more and 66 % 2 or more (median 8, up to 45;
# the rest are too small or turned for a frontal cascade). Blurred, 4.3 % still score 1 and 2.6 % 2 or more (up to
# 13) while the identity judge sees nothing there (median 0.07); mosaicked, 1.1 % score 1 and none 2. A single
# window is the cascade's noise on a soft blob, so two are the least that counts as finding a face.
FINDER_LEAK_SCORE = 2
# On the same faces: unmasked (re-encoded) 0.87-1.0, median 0.99; blurred on the true box -0.19-0.39, median
# 0.07; mosaicked up to 0.5, median 0.14; solid at most 0.23 (the mask's edge inside the face box).
IDENTITY_LEAK = 0.4
IDENTITY_BAND = (2.0, 13.0)  # cycles per face width
_FINDER_SIDE = 48  # faces smaller than this are scaled up first: the cascade's window is 24 px


class FaceFinder:
    """scikit-image's LBP frontal-face cascade, searched around a known face at about its size."""

    def __init__(self) -> None:
        from skimage import data
        from skimage.feature import Cascade

        self._cascade = Cascade(data.lbp_frontal_face_cascade_filename())

    def score(self, grey: np.ndarray, box: Box, others: Sequence[Box] = ()) -> int:
        """How many of the cascade's raw windows overlap `box` (normalised; clipped to the frame here) by IoU
        >= MATCH_IOU, and more than they overlap any of `others` (the frame's other faces, so a face kept beside
        it is not taken for it): 0 where nothing face-like is left."""
        h, w = grey.shape[:2]
        box = box.clipped()
        x1, y1, x2, y2 = round(box.x * w), round(box.y * h), round(box.x2 * w), round(box.y2 * h)
        bw, bh = x2 - x1, y2 - y1
        if min(bw, bh) < 4:
            return 0
        left, top = max(0, x1 - bw // 2), max(0, y1 - bh // 2)
        crop = grey[top : min(h, y2 + bh // 2), left : min(w, x2 + bw // 2)]
        zoom = max(1.0, _FINDER_SIDE / max(bw, bh))
        if zoom > 1:
            crop = cv2.resize(crop, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
        side = max(bw, bh) * zoom
        # A threshold above 1 merges nothing, so every window that passed the cascade is returned.
        windows = self._cascade.detect_multi_scale(
            img=crop, scale_factor=1.1, step_ratio=1, min_size=(max(24, round(side * 0.5)),) * 2,
            max_size=(round(side * 1.6),) * 2, min_neighbor_number=1, intersection_score_threshold=1.01,
        )
        target = Box(x1, y1, bw, bh)
        rivals = [Box(o.x * w, o.y * h, o.w * w, o.h * h) for o in others]
        count = 0
        for d in windows:
            window = Box(left + d["c"] / zoom, top + d["r"] / zoom, d["width"] / zoom, d["height"] / zoom)
            overlap = iou(window, target)
            count += overlap >= MATCH_IOU and all(iou(window, rival) < overlap for rival in rivals)
        return count


def identity_detail(original: np.ndarray, output: np.ndarray, face_width: float, visible: Box) -> float:
    """Correlation (-1 to 1) of original and output grey frames inside `visible` (normalised), band-passed by a
    difference of Gaussians at IDENTITY_BAND cycles per `face_width` (the whole face's width in pixels, so a face
    cut by the edge is judged at its own scale): 1 is the face's detail intact, about 0 none of it left."""
    h, w = original.shape[:2]
    x1, y1 = max(0, round(visible.x * w)), max(0, round(visible.y * h))
    x2, y2 = min(w, round(visible.x2 * w)), min(h, round(visible.y2 * h))
    if x2 - x1 < 3 or y2 - y1 < 3:
        return 0.0
    # A Gaussian of sigma s keeps frequencies below about 1/(2 pi s) cycles per pixel.
    fine, coarse = (face_width / (2 * math.pi * c) for c in reversed(IDENTITY_BAND))
    pad = math.ceil(3 * coarse)
    px1, py1, px2, py2 = max(0, x1 - pad), max(0, y1 - pad), min(w, x2 + pad), min(h, y2 + pad)
    inner = (slice(y1 - py1, y2 - py1), slice(x1 - px1, x2 - px1))
    bands = []
    for frame in (original, output):
        crop = frame[py1:py2, px1:px2].astype(np.float32)
        sharp = cv2.GaussianBlur(crop, (0, 0), fine) if fine >= 0.3 else crop
        bands.append((sharp - cv2.GaussianBlur(crop, (0, 0), coarse))[inner].ravel())
    a, b = (band - band.mean() for band in bands)
    norm = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / norm if norm > 1e-6 else 0.0
