"""The demo camera's scene: people walking across a plaza, and one who stops and lingers in the loitering zone.

Everything in it is real footage: the plaza is the median of every fourth frame of OpenCV's `vtest.avi` (CCTV of
pedestrians, 768x576; OpenCV's samples are Apache-2.0 / BSD-3-Clause), so it shows no one, and the people in
`demo_people/` were cut out of its frames (by their difference from the plaza, shadows kept). Here they are moved
along paths over the plaza, scaled for their distance, for a loop of `SECONDS`; the person detector finds them as
it finds the people of the original footage. In each loop one person walks in, stands in `LOITERING_ZONE` for
`LINGER_SECONDS` (longer than `DWELL_SECONDS`, so the loitering rule fires) and walks off. `PRIVACY_MASK` covers
the windows of the building at the back.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from video.pattern_clip import encode_once

WIDTH, HEIGHT, FPS, SECONDS = 768, 576, 10, 60
VERSION = 1  # bump when the scene changes, so a clip of the old scene is not reused
PEOPLE = Path(__file__).resolve().parent / "demo_people"

# Normalised 0-1 polygons over the picture, for the demo camera's zone and privacy mask.
LOITERING_ZONE = ((0.70, 0.62), (0.99, 0.62), (0.99, 0.86), (0.70, 0.86))
PRIVACY_MASK = ((0.42, 0.05), (0.755, 0.05), (0.755, 0.155), (0.42, 0.155))
DWELL_SECONDS = 15.0
LINGER_SECONDS = 30.0
# People in vtest.avi are about 0.31 of their feet's height in the picture tall, and walk about 0.45 of their
# height a second: so are the people here, wherever they are.
HEIGHT_PER_FEET_Y = 0.31
HEIGHTS_A_SECOND = 0.45


@dataclass(frozen=True)
class _Walk:
    """A person walking along `points` (their feet, in pixels) from `at` seconds into the loop."""

    person: str
    points: tuple[tuple[float, float], ...]
    at: float

    def feet(self, t: float) -> tuple[float, float] | None:
        walked = (t - self.at) % SECONDS
        for (x1, y1), (x2, y2) in zip(self.points, self.points[1:], strict=False):
            seconds = math.hypot(x2 - x1, y2 - y1) / _speed((y1 + y2) / 2)
            if walked <= seconds:
                done = walked / seconds
                return x1 + (x2 - x1) * done, y1 + (y2 - y1) * done
            walked -= seconds
        return None

    @property
    def rightwards(self) -> bool:
        return self.points[-1][0] > self.points[0][0]


# The people who pass, on the road and the path at the back, both ways, spread over the loop; while the person
# stands in the zone, only behind them.
_WALKS = (
    _Walk("walker-1", ((820, 330), (-50, 225)), 0),
    _Walk("walker-2", ((-50, 215), (820, 300)), 8),
    _Walk("walker-3", ((760, 480), (330, 290), (-50, 228)), 42),
    _Walk("walker-4", ((300, 88), (-30, 135)), 3),
    _Walk("walker-5", ((-50, 250), (600, 150)), 22),
    _Walk("walker-6", ((640, 140), (-50, 235)), 30),
    _Walk("walker-7", ((-50, 225), (820, 330)), 36),
)
_STANDER = "stander"
_STAND_AT = (660.0, 430.0)  # feet, in the middle of the loitering zone
STAND_FROM = 7.0  # seconds into the loop; before it the person walks in from the right edge


def _height(feet_y: float) -> float:
    return HEIGHT_PER_FEET_Y * max(feet_y, 60.0)


def _speed(feet_y: float) -> float:
    """Pixels a second of a person walking with their feet at this height in the picture."""
    return HEIGHTS_A_SECOND * _height(feet_y)


def demo_clip(directory: Path) -> Path:
    """Return the scene's H.264 MP4 (a keyframe every second, no B-frames, as from a camera) in `directory`,
    encoding it only if it is not there yet."""
    path = Path(directory) / f"demo_scene_v{VERSION}_{WIDTH}x{HEIGHT}_{FPS}fps_{SECONDS}s.mp4"
    return encode_once(path, _encode)


def frames() -> Iterator[np.ndarray]:
    """The BGR pictures of one loop of the scene, in order."""
    plaza, people = _plaza(), _people()
    for index in range(SECONDS * FPS):
        yield frame_at(index, plaza, people)


def frame_at(index: int, plaza: np.ndarray | None = None, people: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """The scene's BGR picture `index` frames into the loop."""
    plaza = _plaza() if plaza is None else plaza
    people = _people() if people is None else people
    t = index / FPS
    image = plaza.copy()
    placed = [(feet, walk.person, walk.rightwards) for walk in _WALKS if (feet := walk.feet(t))]
    placed.append((_stander_feet(t), _STANDER, t > STAND_FROM))
    # Farthest (highest in the picture) first, so nearer people pass in front of them.
    for (x, y), name, rightwards in sorted((p for p in placed if p[0] is not None), key=lambda p: p[0][1]):
        sprite = people[name][:, ::-1] if rightwards else people[name]  # the cut-outs face left
        # A step every half second lifts the body a little, as walking does.
        walking = name != _STANDER or _stander_walking(t)
        bob = abs(math.sin(2 * math.pi * t)) * _height(y) / 60 if walking else 0.0
        _paste(image, sprite, x, y - bob, _height(y) / sprite.shape[0])
    return image


def _stander_feet(t: float) -> tuple[float, float] | None:
    """Walks in from the right edge, stands in the zone for LINGER_SECONDS, walks back out and is gone."""
    x, y = _STAND_AT
    walk = (WIDTH + 60 - x) / _speed(y)
    if STAND_FROM <= t < STAND_FROM + LINGER_SECONDS:
        return x, y
    away = STAND_FROM - t if t < STAND_FROM else t - STAND_FROM - LINGER_SECONDS
    return (x + away * _speed(y), y) if away < walk else None


def _stander_walking(t: float) -> bool:
    return not STAND_FROM <= t < STAND_FROM + LINGER_SECONDS


def _paste(image: np.ndarray, sprite: np.ndarray, x: float, feet_y: float, scale: float) -> None:
    """Blend a BGRA cut-out onto the picture, scaled, its feet's middle at (x, feet_y)."""
    h, w = sprite.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    scaled = cv2.resize(sprite, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    left, top = round(x - size[0] / 2), round(feet_y - size[1])
    x1, y1, x2, y2 = max(left, 0), max(top, 0), min(left + size[0], WIDTH), min(top + size[1], HEIGHT)
    if x1 >= x2 or y1 >= y2:
        return
    part = scaled[y1 - top : y2 - top, x1 - left : x2 - left]
    alpha = part[:, :, 3:4].astype(np.float32) / 255
    region = image[y1:y2, x1:x2]
    region[:] = (part[:, :, :3] * alpha + region * (1 - alpha)).astype(np.uint8)


def _plaza() -> np.ndarray:
    return cv2.imread(str(PEOPLE / "plaza.jpg"), cv2.IMREAD_COLOR)


def _people() -> dict[str, np.ndarray]:
    return {path.stem: cv2.imread(str(path), cv2.IMREAD_UNCHANGED) for path in sorted(PEOPLE.glob("*.png"))}


def _encode(path: Path) -> None:
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.options = {
            "preset": "veryfast", "crf": "23", "profile": "baseline",
            "x264-params": f"keyint={FPS}:min-keyint={FPS}:scenecut=0:bframes=0",
        }
        for index, picture in enumerate(frames()):
            frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
