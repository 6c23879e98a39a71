"""Licence plates and other visible text (name badges, screens, signs) on frames: the PP-OCR text detector that the
pip package `rapidocr-onnxruntime` carries, run by OpenCV's DNN. It finds where text is, never what it says."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from video.detection import Detection, ScaledNet, model_file
from video.geometry import Box

TEXT = "text"

# PP-OCRv4's detection model (Apache-2.0), as shipped inside rapidocr-onnxruntime 1.4.4. The package is installed
# with --no-deps (it declares GUI OpenCV and onnxruntime, neither needed: OpenCV's DNN reads this file) and only
# this file of it is used; it is never downloaded at run time.
PPOCR_PACKAGE = "rapidocr_onnxruntime"
PPOCR_REQUIREMENT = "rapidocr-onnxruntime==1.4.4"
PPOCR_FILE = "models/ch_PP-OCRv4_det_infer.onnx"
PPOCR_SHA256 = "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"
_WHAT = "packaged text detection model"

# PP-OCR's own post-processing values (rapidocr's config.yaml): a pixel is text above 0.3, a region is kept
# when its mean probability reaches the score threshold (0.5 there), and each region grows by its area times
# 1.6 over its perimeter, since the model marks a shrunken core of each line of text.
_PIXEL_THRESHOLD = 0.3
_UNCLIP_RATIO = 1.6
_MIN_SIDE = 3  # map pixels: thinner regions are noise
_MAX_REGIONS = 1000


class TextDetector(ScaledNet):
    """Lines of text in BGR frames, each as one box. The frame is scaled to `input_width` pixels wide (height in
    proportion, rounded to the net's multiple of 32). Measured with plates pasted into CCTV footage: characters
    from 6 px high at that width are found, 5 px ones not. At 640 wide it costs about twice the face detector
    (75 ms of one core here for 640x352)."""

    def __init__(self, score_threshold: float = 0.5, input_width: int = 640, model_path: Path | None = None) -> None:
        super().__init__(model_file(PPOCR_PACKAGE, PPOCR_FILE, PPOCR_SHA256, PPOCR_REQUIREMENT, _WHAT, model_path),
                         input_width)
        self.score_threshold = score_threshold

    def detect(self, frame: np.ndarray) -> list[Detection]:
        """The lines of text in a BGR frame, as Detection("text", score, box normalised to the frame)."""
        height, width = frame.shape[:2]
        in_w, in_h = self.input_size(width, height)
        # PP-OCR was trained on BGR pixels scaled to -1..1.
        blob = cv2.dnn.blobFromImage(frame, 1 / 127.5, (in_w, in_h), (127.5, 127.5, 127.5), swapRB=False)
        probability = self.forward(blob)
        return decode_text_map(probability[0, 0], self.score_threshold)


def decode_text_map(probability: np.ndarray, score_threshold: float) -> list[Detection]:
    """Detections from the model's map of text probability (differentiable binarisation, DB): the connected
    regions above the pixel threshold whose mean probability reaches `score_threshold`, each grown back to the
    whole line of text and boxed; a slanted line gets the upright box around it."""
    map_h, map_w = probability.shape
    # A 2x2 dilation joins the characters of a line that the threshold left apart, as PP-OCR does.
    text = cv2.dilate((probability > _PIXEL_THRESHOLD).astype(np.uint8), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(text, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in contours[:_MAX_REGIONS]:
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        if min(w, h) < _MIN_SIDE:
            continue
        score = _mean_inside(probability, contour)
        if score < score_threshold:
            continue
        grow = w * h * _UNCLIP_RATIO / (2 * (w + h))
        corners = cv2.boxPoints(((cx, cy), (w + 2 * grow, h + 2 * grow), angle))
        # Plain floats: boxes end up in JSON.
        x1, y1 = (float(v) for v in corners.min(axis=0))
        x2, y2 = (float(v) for v in corners.max(axis=0))
        box = Box.from_corners(x1 / map_w, y1 / map_h, x2 / map_w, y2 / map_h).clipped()
        if box.area > 0:
            found.append(Detection(TEXT, score, box))
    return found


def _mean_inside(probability: np.ndarray, contour: np.ndarray) -> float:
    """The mean probability over the region a contour outlines."""
    x, y, w, h = cv2.boundingRect(contour)
    mask = np.zeros((h, w), np.uint8)
    cv2.fillPoly(mask, [contour - (x, y)], 1)
    return float(cv2.mean(probability[y:y + h, x:x + w], mask)[0])
