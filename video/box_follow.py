"""A box drawn by hand on one frame, followed forward and back through the clip by matching its picture from frame
to frame until the match is lost: the boxes of a manual track, one per frame."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import av
import cv2
import numpy as np

from video.geometry import Box

# Frames are matched at this width at most: enough detail for a face-sized box, and the frames kept for the
# backward pass stay small (about 230 kB each at 16:9).
WORK_WIDTH = 640
# How far from the drawn frame the box is followed each way: bounds the frames kept in memory for the backward
# pass. A longer span is covered by drawing the box again further on.
FOLLOW_SECONDS = 20.0
# Normalised cross-correlation of the box's picture with the best place on the next frame below which the match is
# lost: a textured object moving, or turning slowly, stays well above it; something walking off or behind
# another object falls to near zero.
LOST = 0.6


@dataclass(frozen=True)
class FollowedBox:
    frame: int  # index in presentation order from 0, as the redaction engine numbers frames
    t: float  # seconds from the clip's first frame
    box: Box  # normalised to the frame


def follow_box(source: Path, t: float, box: Box) -> list[FollowedBox]:
    """The box drawn on the frame of `source` shown at `t` (seconds from its first frame), followed forward and
    back, in frame order. It stops each way where the match is lost, where the box would leave the picture, or
    FOLLOW_SECONDS away; a box on a frame with nothing to match (one flat colour) stays on its own frame.
    Raises ValueError for a clip without video, or none near `t`."""
    with closing(_frames(source, since=t - FOLLOW_SECONDS - 1)) as frames:
        earlier: deque[tuple[int, float, np.ndarray]] = deque()
        for frame in frames:
            earlier.append(frame)
            # Kept as far back as the frame before this one could be followed, the drawn frame being one of them.
            while len(earlier) > 2 and earlier[0][1] < earlier[-2][1] - FOLLOW_SECONDS:
                earlier.popleft()
            if frame[1] >= t:
                break
        if not earlier:
            raise ValueError(f"The video has no frame near {t:.2f} s.")
        # The drawn frame is the one shown nearest `t`: the first at or after it, or the one before.
        later = []
        if len(earlier) > 1 and t - earlier[-2][1] < earlier[-1][1] - t:
            later.append(earlier.pop())
        index, seconds, image = earlier.pop()
        size = image.shape[1], image.shape[0]
        rect = _rect(box, size)
        drawn = FollowedBox(index, seconds, box)
        if not _Matcher(image, rect).usable:
            return [drawn]
        after = _follow(_Matcher(image, rect), chain(later, frames), seconds, size)
    before = _follow(_Matcher(image, rect), reversed(earlier), seconds, size)
    return before[::-1] + [drawn] + after


def _follow(matcher: _Matcher, frames: Iterable[tuple[int, float, np.ndarray]], drawn_at: float,
            size: tuple[int, int]) -> list[FollowedBox]:
    """The box on each of `frames` in turn (going away from the drawn frame) until the match is lost."""
    followed = []
    for index, seconds, image in frames:
        if abs(seconds - drawn_at) > FOLLOW_SECONDS or not matcher.step(image):
            break
        followed.append(FollowedBox(index, seconds, _box(matcher.rect, size)))
    return followed


class _Matcher:
    """Finds the box's picture on the next frame near where it was, and takes the match as the picture to look for
    next (a face turning slowly or a car growing as it nears are followed)."""

    def __init__(self, image: np.ndarray, rect: tuple[int, int, int, int]) -> None:
        self.rect = rect
        x, y, w, h = rect
        self.template = image[y : y + h, x : x + w]
        # A flat patch matches everywhere equally: nothing to follow.
        self.usable = w >= 4 and h >= 4 and float(self.template.std()) >= 2.0

    def step(self, image: np.ndarray) -> bool:
        """Move to the best match on `image`; False when it is lost or would leave the picture."""
        x, y, w, h = self.rect
        reach = max(w, h)  # the most an object moves between frames, relative to its size
        x1, y1 = max(0, x - reach), max(0, y - reach)
        x2, y2 = min(image.shape[1], x + w + reach), min(image.shape[0], y + h + reach)
        window = image[y1:y2, x1:x2]
        if window.shape[0] < h or window.shape[1] < w:
            return False
        scores = cv2.matchTemplate(window, self.template, cv2.TM_CCOEFF_NORMED)
        _, best, _, (dx, dy) = cv2.minMaxLoc(scores)
        if not np.isfinite(best) or best < LOST:
            return False
        self.rect = (x1 + dx, y1 + dy, w, h)
        self.template = image[y1 + dy : y1 + dy + h, x1 + dx : x1 + dx + w]
        return True


def _frames(source: Path, since: float) -> Iterator[tuple[int, float, np.ndarray]]:
    """The clip's frames from `since` seconds on, in presentation order: index, seconds from the first frame, grey
    picture at most WORK_WIDTH wide. Earlier frames are decoded (to count them) but not converted."""
    try:
        container = av.open(str(source))
    except (av.error.FFmpegError, OSError) as exc:
        raise ValueError(f"cannot read {source}: {exc}") from exc
    with container:
        if not container.streams.video:
            raise ValueError(f"no video in {source}")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        first_pts = None
        rate = float(stream.average_rate or 25)
        for index, frame in enumerate(container.decode(stream)):
            if frame.pts is None or frame.time_base is None:
                seconds = index / rate
            else:
                first_pts = frame.pts if first_pts is None else first_pts
                seconds = float((frame.pts - first_pts) * frame.time_base)
            if seconds < since:
                continue
            width = min(WORK_WIDTH, frame.width)
            height = max(2, round(frame.height * width / frame.width))
            grey = frame.reformat(width=width, height=height, format="gray", interpolation="AREA").to_ndarray()
            yield index, seconds, grey


def _rect(box: Box, size: tuple[int, int]) -> tuple[int, int, int, int]:
    width, height = size
    seen = box.clipped()
    x, y = round(seen.x * width), round(seen.y * height)
    return x, y, max(1, min(width - x, round(seen.w * width))), max(1, min(height - y, round(seen.h * height)))


def _box(rect: tuple[int, int, int, int], size: tuple[int, int]) -> Box:
    x, y, w, h = rect
    return Box(x / size[0], y / size[1], w / size[0], h / size[1])
