"""Face detection's decoding of CenterFace's outputs: a face split in two by a post is one face."""

from __future__ import annotations

import numpy as np
import pytest

from video.faces import decode_centerface

IN_W, IN_H = 320, 192


def outputs(faces: list[tuple[float, float, float, float, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CenterFace's heatmap, scale and offset with a centre for each (score, x, y, width, height) in input pixels."""
    rows, cols = IN_H // 4, IN_W // 4
    heatmap = np.zeros((1, 1, rows, cols), np.float32)
    scale = np.zeros((1, 2, rows, cols), np.float32)
    offset = np.zeros((1, 2, rows, cols), np.float32)
    for score, x, y, w, h in faces:
        cx, cy = x + w / 2, y + h / 2
        r, c = int(cy // 4), int(cx // 4)
        heatmap[0, 0, r, c] = score
        scale[0, :, r, c] = np.log(h / 4), np.log(w / 4)
        offset[0, :, r, c] = cy / 4 - r - 0.5, cx / 4 - c - 0.5
    return heatmap, scale, offset


def boxes(faces: list[tuple[float, float, float, float, float]]) -> list[tuple[int, int, int, int]]:
    found = decode_centerface(*outputs(faces), (IN_W, IN_H), 0.2)
    return sorted((round(d.box.x * IN_W), round(d.box.y * IN_H), round(d.box.w * IN_W), round(d.box.h * IN_H))
                  for d in found)


def test_the_two_sides_of_a_face_behind_a_post_are_one_face():
    # A post hides the middle of a face 80 px wide: the detector finds a narrow part on each side of it.
    assert boxes([(0.6, 100, 50, 30, 100), (0.3, 126, 52, 54, 98)]) == [(100, 50, 80, 100)]


@pytest.mark.parametrize("faces", [
    [(0.6, 100, 50, 80, 100), (0.5, 170, 50, 80, 100)],  # two whole faces side by side, overlapping a little
    [(0.6, 100, 20, 30, 80), (0.5, 120, 110, 30, 80)],  # narrow parts of two faces, one above the other
    [(0.6, 100, 50, 30, 100), (0.5, 170, 50, 30, 100)],  # two narrow parts too far apart to be one face
])
def test_faces_that_are_not_the_sides_of_one_stay_apart(faces):
    assert len(boxes(faces)) == 2
