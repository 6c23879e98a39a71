"""The review's video work without a database: a box drawn on one frame followed through a generated clip where a
textured patch moves, and the strip of pictures across a track's span."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from video.box_follow import follow_box
from video.geometry import Box, center
from video.track_strip import crop_strips, strip_frames

WIDTH, HEIGHT, FPS = 320, 240, 10
PATCH = 32
SHOWN = range(0, 40)  # the patch is in the picture on these frames, then gone
FRAMES = 55


def patch_at(index: int) -> tuple[int, int]:
    """Top-left corner of the patch on frame `index`: it crosses the picture diagonally, 5 px per frame."""
    return 20 + 5 * index, 30 + 3 * index


@pytest.fixture(scope="module")
def moving_patch(tmp_path_factory) -> Path:
    rng = np.random.default_rng(7)
    texture = rng.integers(0, 255, (PATCH, PATCH), dtype=np.uint8).repeat(2, 0).repeat(2, 1)[:PATCH, :PATCH]
    background = np.tile(np.linspace(60, 180, WIDTH, dtype=np.uint8), (HEIGHT, 1))
    background[190:, :60] = 100  # a flat corner the patch never crosses
    path = tmp_path_factory.mktemp("follow") / "patch.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(FPS))
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"crf": "18"}
        for index in range(FRAMES):
            grey = background.copy()
            if index in SHOWN:
                x, y = patch_at(index)
                grey[y : y + PATCH, x : x + PATCH] = texture
            frame = av.VideoFrame.from_ndarray(np.dstack([grey] * 3), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return path


def true_box(index: int) -> Box:
    x, y = patch_at(index)
    return Box(x / WIDTH, y / HEIGHT, PATCH / WIDTH, PATCH / HEIGHT)


def test_it_follows_a_moving_patch_forward_and_back_and_stops_where_it_is_gone(moving_patch):
    drawn = 20
    followed = follow_box(moving_patch, drawn / FPS, true_box(drawn))
    frames = [f.frame for f in followed]
    assert frames == sorted(frames) and drawn in frames
    assert frames[0] == SHOWN[0], "followed back to where the patch first shows"
    assert frames[-1] == SHOWN[-1], "followed forward to its last frame, and not onto the empty background"
    for each in followed:
        (cx, cy), (tx, ty) = center(each.box), center(true_box(each.frame))
        assert abs(cx - tx) * WIDTH <= 2 and abs(cy - ty) * HEIGHT <= 2, each
        assert each.t == pytest.approx(each.frame / FPS)


def test_a_box_on_flat_background_stays_on_its_frame(moving_patch):
    followed = follow_box(moving_patch, 4.8, Box(0.02, 0.82, 0.1, 0.1))
    assert [f.frame for f in followed] == [48]


def test_the_strip_spans_the_track_first_to_last():
    assert strip_frames([5, 3, 4]) == [3, 4, 5]
    picked = strip_frames(list(range(10, 101)), count=8)
    assert len(picked) == 8 and picked[0] == 10 and picked[-1] == 100
    gaps = np.diff(picked)
    assert gaps.max() - gaps.min() <= 1, "evenly spaced"


def test_the_strip_crops_each_track_at_its_frames(moving_patch):
    wanted = {1: {i: true_box(i) for i in (0, 20, 39)}, 2: {50: Box(0.4, 0.4, 0.2, 0.2)}}
    strips = crop_strips(moving_patch, wanted)
    assert set(strips[1]) == {0, 20, 39} and set(strips[2]) == {50}
    assert all(picture[:2] == b"\xff\xd8" for strip in strips.values() for picture in strip.values())
