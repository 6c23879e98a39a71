"""Text detection for redaction: licence plates and words written over real CCTV footage are found at several sizes
and slants, nothing is found where nothing is written, a moving plate is one track that redaction blurs beyond
detection, and a missing model is a clear error.

The plates are drawn here (black characters on a white plate) and pasted into frames of the footage stand-in
(OpenCV's vtest.avi, or the generated scene without it); the truth is the characters' own pixels.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.standins.footage import PeopleClip, decode_frames
from video.detection import ModelError
from video.geometry import Box
from video.redaction import find_tracks, render
from video.text import TEXT, TextDetector

FONT = cv2.FONT_HERSHEY_SIMPLEX
CAP_HEIGHT = 22  # pixels of a capital letter at font scale 1
# Frames of the footage: lawn, tarmac, brick, windows, parked vans and people, nothing written large enough to read.
BACKGROUNDS = (0, 200, 400, 600)
COVERED = 0.97  # of the characters' pixels inside the boxes found


@pytest.fixture(scope="module")
def detector() -> TextDetector:
    return TextDetector()


@pytest.fixture(scope="module")
def backgrounds(people_clip: PeopleClip) -> dict[int, np.ndarray]:
    return decode_frames(people_clip.path, BACKGROUNDS)


def plate(text: str, char_height: int) -> tuple[np.ndarray, np.ndarray]:
    """A licence plate: black characters `char_height` pixels high on white with a dark rim, and the mask of
    its characters."""
    scale = char_height / CAP_HEIGHT
    thickness = max(1, round(char_height / 8))
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thickness)
    pad = max(3, char_height // 3)
    h, w = th + base + 2 * pad, tw + 2 * pad
    image = np.full((h, w, 3), 255, np.uint8)
    cv2.rectangle(image, (0, 0), (w - 1, h - 1), (40, 40, 40), max(1, char_height // 10))
    ink = np.zeros((h, w), np.uint8)
    cv2.putText(ink, text, (pad, pad + th), FONT, scale, 255, thickness, cv2.LINE_AA)
    image[ink > 127] = 0
    return image, ink


def pasted(frame: np.ndarray, picture: np.ndarray, ink: np.ndarray, centre: tuple[float, float],
           angle: float) -> tuple[np.ndarray, np.ndarray]:
    """`frame` with `picture` turned by `angle` degrees and centred at `centre`, and where its ink now lies."""
    h, w = picture.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    turn[:, 2] += (centre[0] - w / 2, centre[1] - h / 2)
    size = (frame.shape[1], frame.shape[0])
    inside = cv2.warpAffine(np.full((h, w), 255, np.uint8), turn, size) > 127
    out = frame.copy()
    out[inside] = cv2.warpAffine(picture, turn, size)[inside]
    return out, cv2.warpAffine(ink, turn, size) > 127


def covered(ink: np.ndarray, boxes: list[Box]) -> float:
    """The share of the ink's pixels inside at least one of the boxes."""
    height, width = ink.shape
    inside = np.zeros_like(ink)
    for b in boxes:
        inside[math.floor(b.y * height):math.ceil(b.y2 * height), math.floor(b.x * width):math.ceil(b.x2 * width)] = 1
    return float((ink & inside).sum() / ink.sum())


def touches(box: Box, ink: np.ndarray) -> bool:
    return covered(ink, [box]) > 0


@pytest.mark.parametrize(("char_height", "angle"), [(10, 0), (10, 20), (16, -15), (24, 30), (40, 0), (40, -10)])
def test_it_finds_a_licence_plate_at_any_size_and_slant(detector, backgrounds, char_height, angle):
    image, ink = plate("KX62 ABC", char_height)
    for frame in backgrounds.values():
        picture, where = pasted(frame, image, ink, (380, 430), angle)
        found = detector.detect(picture)
        assert found and all(d.label == TEXT for d in found)
        assert covered(where, [d.box for d in found]) >= COVERED
        assert all(touches(d.box, where) for d in found), "a box away from the plate"


def test_it_finds_words_written_on_the_picture(detector, backgrounds):
    for frame in backgrounds.values():
        picture = frame.copy()
        ink = np.zeros(frame.shape[:2], np.uint8)
        for words, origin, scale, colour in [("VISITOR  J. SMITH", (40, 60), 0.9, (255, 255, 255)),
                                             ("EXIT", (600, 300), 1.4, (0, 200, 0))]:
            thickness = max(1, round(2 * scale))
            cv2.putText(picture, words, origin, FONT, scale, colour, thickness, cv2.LINE_AA)
            cv2.putText(ink, words, origin, FONT, scale, 255, thickness, cv2.LINE_AA)
        found = detector.detect(picture)
        assert covered(ink > 127, [d.box for d in found]) >= COVERED
        assert all(touches(d.box, ink > 127) for d in found)


def test_it_finds_nothing_where_nothing_is_written(detector, backgrounds):
    for index, picture in backgrounds.items():
        assert detector.detect(picture) == [], f"frame {index}"


def write_clip(path: Path, frames: list[np.ndarray], fps: int) -> Path:
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        stream.codec_context.options = {"crf": "18"}
        for image in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")))
        container.mux(stream.encode(None))
    return path


def test_a_passing_plate_is_one_text_track_that_redaction_leaves_unreadable(people_clip, detector, tmp_path):
    """Three seconds of the footage with a plate crossing it, as on a car driving past."""
    background = decode_frames(people_clip.path, range(400, 430))
    image, ink = plate("KX62 ABC", 16)
    frames, inks = [], []
    for i, index in enumerate(sorted(background)):
        picture, where = pasted(background[index], image, ink, (150 + 14 * i, 440 - 2 * i), 5)
        frames.append(picture)
        inks.append(where)
    source = write_clip(tmp_path / "plate.mp4", frames, people_clip.fps)

    tracks = find_tracks(source, {"text"})
    assert [t.kind for t in tracks] == [TEXT]
    json.dumps(tracks[0].to_json())  # stored as JSON for the review
    track = tracks[0]
    assert all(i in track.boxes and covered(where, [track.boxes[i]]) >= COVERED for i, where in enumerate(inks))

    render(source, tmp_path / "redacted.mp4", tracks=tracks)
    output = decode_frames(tmp_path / "redacted.mp4", range(len(frames)))
    for i, where in enumerate(inks):
        assert not any(touches(d.box, where) for d in detector.detect(output[i])), f"text still found on frame {i}"


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match=r"not installed .*missing.*pip install --no-deps rapidocr-onnxruntime==1.4.4"):
        TextDetector(model_path=tmp_path / "ch_PP-OCRv4_det_infer.onnx")
