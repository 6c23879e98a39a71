"""A redaction test scene with known truth: real face photos moving along known paths over real CCTV footage.

The background is OpenCV's vtest.avi (pedestrians, via `footage.people_clip()`; generated figures without the
Debian mirror), its middle 16:9 band scaled to 1280x720 at 25 fps. Over it move, along paths computed here:

- "astronaut": scikit-image's portrait of Eileen Collins (NASA, public domain), head and shoulders, face about
  95 px high, walking slowly along the bottom left. She is the person of interest: an investigator keeps her.
- "astronaut-far": the same portrait mirrored and smaller (face about 50 px), crossing the top from right to left,
  entering and leaving through the frame's edges.
- "lfw-woman", "lfw-man", "lfw-older": three faces of scikit-image's Labeled Faces in the Wild subset (real
  photographs, 25 px, shown at 75 px as distant faces), one popping in and out mid-clip on a circle, one crossing
  diagonally, one crossing fast (300 px/s).

Truth is per frame: each subject's face box (hand-marked on the photo, hairline to chin and ear to ear) and,
for the portraits, the whole picture of the person. A face counts on a frame when at least half of it is in
the picture; its box is clipped to the frame. The clip is made once per machine into `var/footage/`.

Whether a face was left recognisable in a redacted copy is judged two independent ways by the tests here (the
benchmark's generated scenes and judges are in bench/redaction/): by pixels (`face_similarity`: does any quarter
of the face still look like the original?) and by another face detector than the redaction's
(`CascadeFaceFinder`, scikit-image's LBP frontal-face cascade; OpenCV 5 dropped its Haar cascades).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tests.standins import footage
from video.geometry import Box, iou

WIDTH, HEIGHT, FPS, SECONDS = 1280, 720, 25, 12
FRAME_COUNT = FPS * SECONDS
GOP = FPS
VERSION = 2  # bump when the scene changes, so a cached clip of the old scene is not reused
# The vtest frames the background starts from: people walk about in the middle of the picture there.
_BACKGROUND_START = 60

# In the astronaut photo (512x512): the head and shoulders shown, and the face within it, in photo pixels.
_ASTRONAUT_CARD = (90, 20, 280, 310)  # x, y, w, h
_ASTRONAUT_FACE = (178, 60, 95, 125)
# Labeled Faces in the Wild crops are the face alone, eyebrows to chin; they are shown in a soft oval.
_LFW_SIZE = 75
_LFW_PICKS = {"lfw-woman": 75, "lfw-man": 92, "lfw-older": 55}

# A face is left recognisable when any quarter of the middle of its box (70% of it each way: the eyes, nose and
# mouth, not the mask's edge) keeps this structural similarity with the original. Measured on this scene: the
# faces untouched but re-encoded score 0.96-0.99; blurred or mosaicked by the renderer at most 0.68; solid 0; a
# face with its top or bottom half left visible 0.95 and up, with 30% left 0.63-0.90.
RECOGNISABLE_SSIM = 0.8
_INNER = 0.15  # of the box's width and height left out on each side


@dataclass(frozen=True)
class Subject:
    """One person in the scene: the face's box on every frame it counts on, the whole person's box (head and
    shoulders) on every frame it is seen, for the portraits only; all normalised and clipped to the frame."""

    name: str
    faces: dict[int, Box]
    person: dict[int, Box]
    of_interest: bool = False


@dataclass(frozen=True)
class RedactionScene:
    path: Path
    width: int
    height: int
    fps: int
    frame_count: int
    subjects: tuple[Subject, ...]
    background: str  # footage.VTEST_SOURCE, or footage.GENERATED_SOURCE

    @property
    def person_of_interest(self) -> Subject:
        return next(s for s in self.subjects if s.of_interest)

    @property
    def bystanders(self) -> tuple[Subject, ...]:
        """Everyone whose face must be redacted."""
        return tuple(s for s in self.subjects if not s.of_interest)

    def pixels(self, box: Box) -> tuple[int, int, int, int]:
        """(x1, y1, x2, y2) pixel bounds of a normalised box in this clip, x2 and y2 exclusive."""
        return (round(box.x * self.width), round(box.y * self.height), round(box.x2 * self.width),
                round(box.y2 * self.height))


@dataclass(frozen=True)
class _Sprite:
    name: str
    image: np.ndarray  # BGR
    alpha: np.ndarray | None  # 0-1 float, None for an opaque card
    face: tuple[int, int, int, int]  # x, y, w, h within the image
    person: bool  # whether the whole image is a person (head and shoulders)
    path: Callable[[float], tuple[float, float] | None]  # seconds -> top-left in frame pixels, None when not shown
    of_interest: bool = False


def redaction_scene(cache_dir: Path = footage.CACHE_DIR) -> RedactionScene:
    """The scene's clip (made on first use, then reused) and its truth."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    people = footage.people_clip(cache_dir)
    source = "vtest" if people.real_people else "generated"
    path = cache_dir / f"redaction_scene_v{VERSION}_{source}_{WIDTH}x{HEIGHT}_{FPS}fps.mp4"
    sprites = _sprites()
    with footage._locked(cache_dir / ".redaction_scene.lock"):
        if not path.exists():
            _write(path, people.path, sprites)
    return RedactionScene(path, WIDTH, HEIGHT, FPS, FRAME_COUNT, _truth(sprites), people.source)


def _sprites() -> list[_Sprite]:
    from skimage import data  # test extra; imported here so the footage module does not need it

    astronaut = data.astronaut()[:, :, ::-1]
    x, y, w, h = _ASTRONAUT_CARD
    card = np.ascontiguousarray(astronaut[y : y + h, x : x + w])
    fx, fy, fw, fh = _ASTRONAUT_FACE
    face = (fx - x, fy - y, fw, fh)
    big, big_face = _scaled(card, face, 0.75)
    small, small_face = _scaled(np.ascontiguousarray(card[:, ::-1]), (w - face[0] - fw, face[1], fw, fh), 0.4)

    lfw = data.lfw_subset()
    oval = _oval(_LFW_SIZE)

    def lfw_face(index: int) -> np.ndarray:
        grey = cv2.resize((lfw[index] * 255).astype(np.uint8), (_LFW_SIZE, _LFW_SIZE), interpolation=cv2.INTER_CUBIC)
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)

    def shown(start: float, end: float, where: Callable[[float], tuple[float, float]]):
        return lambda t: where(t) if start <= t < end else None

    return [
        _Sprite("astronaut", big, face=big_face, person=True, alpha=None, of_interest=True,
                path=lambda t: (60 + 40 * t, 420 + 15 * math.sin(2 * math.pi * t / 3))),
        _Sprite("astronaut-far", small, face=small_face, person=True, alpha=None,
                path=lambda t: (1300 - 125 * t, 120 + 10 * math.sin(2 * math.pi * t / 4))),
        _Sprite("lfw-woman", lfw_face(_LFW_PICKS["lfw-woman"]), face=(0, 0, _LFW_SIZE, _LFW_SIZE), person=False,
                alpha=oval, path=shown(1.6, 10.4, lambda t: (800 + 130 * math.cos(2 * math.pi * t / 6),
                                                              300 + 90 * math.sin(2 * math.pi * t / 6)))),
        _Sprite("lfw-man", lfw_face(_LFW_PICKS["lfw-man"]), face=(0, 0, _LFW_SIZE, _LFW_SIZE), person=False,
                alpha=oval, path=lambda t: (420 + 52 * t, 40 + 22 * t)),
        _Sprite("lfw-older", lfw_face(_LFW_PICKS["lfw-older"]), face=(0, 0, _LFW_SIZE, _LFW_SIZE), person=False,
                alpha=oval, path=shown(5.0, 11.0, lambda t: (1300 - 300 * (t - 5.0), 260 + 10 * (t - 5.0)))),
    ]


def _scaled(
    image: np.ndarray, face: tuple[int, int, int, int], scale: float
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    h, w = image.shape[:2]
    size = (round(w * scale), round(h * scale))
    resized = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return resized, tuple(round(v * scale) for v in face)


def _oval(size: int) -> np.ndarray:
    """A soft-edged oval alpha, so a face crop sits in the scene without a square edge."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    r = np.hypot((xx - size / 2) / (size * 0.47), (yy - size / 2) / (size * 0.53))
    return np.clip((1 - r) * 6, 0, 1).astype(np.float32)


def _placements(sprites: list[_Sprite], index: int) -> list[tuple[_Sprite, float, float]]:
    t = index / FPS
    placed = []
    for sprite in sprites:
        where = sprite.path(t)
        if where is not None:
            placed.append((sprite, *where))
    return placed


def _truth(sprites: list[_Sprite]) -> tuple[Subject, ...]:
    subjects = []
    for sprite in sprites:
        faces: dict[int, Box] = {}
        person: dict[int, Box] = {}
        h, w = sprite.image.shape[:2]
        for index in range(FRAME_COUNT):
            where = sprite.path(index / FPS)
            if where is None:
                continue
            x, y = round(where[0]), round(where[1])  # drawn at whole pixels
            fx, fy, fw, fh = sprite.face
            face = Box((x + fx) / WIDTH, (y + fy) / HEIGHT, fw / WIDTH, fh / HEIGHT)
            seen = face.clipped()
            if seen.area >= 0.5 * face.area:
                faces[index] = seen
            if sprite.person:
                whole = Box(x / WIDTH, y / HEIGHT, w / WIDTH, h / HEIGHT).clipped()
                if whole.area > 0:
                    person[index] = whole
        subjects.append(Subject(sprite.name, faces, person, sprite.of_interest))
    return tuple(subjects)


def _compose(background: np.ndarray, sprites: list[_Sprite], index: int) -> np.ndarray:
    frame = background.copy()
    for sprite, fx, fy in _placements(sprites, index):
        x, y = round(fx), round(fy)
        h, w = sprite.image.shape[:2]
        # The part of the sprite inside the frame.
        x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + w, WIDTH), min(y + h, HEIGHT)
        if x1 >= x2 or y1 >= y2:
            continue
        part = sprite.image[y1 - y : y2 - y, x1 - x : x2 - x]
        if sprite.alpha is None:
            frame[y1:y2, x1:x2] = part
        else:
            a = sprite.alpha[y1 - y : y2 - y, x1 - x : x2 - x, None]
            frame[y1:y2, x1:x2] = (part * a + frame[y1:y2, x1:x2] * (1 - a)).astype(np.uint8)
    return frame


def _backgrounds(people_path: Path) -> list[np.ndarray]:
    """The footage's frames the scene needs, cropped to 16:9 and scaled to the scene's size."""
    wanted = math.ceil(SECONDS * footage.FPS) + 1
    frames = []
    with av.open(str(people_path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index < _BACKGROUND_START:
                continue
            image = frame.to_ndarray(format="bgr24")
            h, w = image.shape[:2]
            band = round(w * HEIGHT / WIDTH)
            top = (h - band) // 2
            frames.append(cv2.resize(image[top : top + band], (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR))
            if len(frames) == wanted:
                break
    if not frames:
        raise RuntimeError(f"no frames in {people_path}")
    return frames


def _write(path: Path, people_path: Path, sprites: list[_Sprite]) -> None:
    backgrounds = _backgrounds(people_path)
    # Encode under a temporary name, so a half-written clip is never reused.
    fd, partial = tempfile.mkstemp(suffix=".mp4.part", dir=path.parent)
    os.close(fd)
    try:
        with av.open(partial, mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=FPS)
            stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
            # CRF 18: the faces stay as sharp as the photos, so what the redaction removes is the face itself.
            stream.codec_context.options = {
                "preset": "veryfast", "crf": "18",
                "x264-params": f"keyint={GOP}:min-keyint={GOP}:scenecut=0:bframes=0",
            }
            for index in range(FRAME_COUNT):
                # The footage is 10 fps: each of its frames is held for 2 or 3 of the scene's, as a camera's
                # repeated frames would be.
                background = backgrounds[min(index * footage.FPS // FPS, len(backgrounds) - 1)]
                frame = av.VideoFrame.from_ndarray(_compose(background, sprites, index), format="bgr24")
                frame.pts, frame.time_base = index, Fraction(1, FPS)
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


@dataclass(frozen=True)
class FaceOutcome:
    """One face on one frame of a redacted copy: its `similarity` (see `face_similarity`) and whether the
    cascade found it there (None when it was not asked)."""

    subject: str
    frame: int
    similarity: float
    found: bool | None

    @property
    def recognisable(self) -> bool:
        return self.similarity >= RECOGNISABLE_SSIM or bool(self.found)


def face_similarity(original: np.ndarray, output: np.ndarray, box: Box) -> float:
    """The highest structural similarity (SSIM) between the original and the output over the four quarters of
    the middle of `box`, on grey frames of the same size: a quarter of a face left as it was scores near 1."""
    from skimage.metrics import structural_similarity

    h, w = original.shape[:2]
    x1, y1, x2, y2 = round(box.x * w), round(box.y * h), round(box.x2 * w), round(box.y2 * h)
    dx, dy = round((x2 - x1) * _INNER), round((y2 - y1) * _INNER)
    x1, y1, x2, y2 = x1 + dx, y1 + dy, x2 - dx, y2 - dy
    if x2 - x1 < 6 or y2 - y1 < 6:
        return 0.0
    mx, my = (x1 + x2) // 2, (y1 + y2) // 2
    best = 0.0
    for ys in (slice(y1, my), slice(my, y2)):
        for xs in (slice(x1, mx), slice(mx, x2)):
            a, b = original[ys, xs], output[ys, xs]
            side = min(a.shape)
            win = min(7, side if side % 2 else side - 1)
            if win < 3:
                continue
            best = max(best, float(structural_similarity(a, b, data_range=255, win_size=win)))
    return best


class CascadeFaceFinder:
    """scikit-image's LBP frontal-face cascade (OpenCV's lbpcascade_frontalface, shipped in scikit-image's data):
    a detector of a different kind from CenterFace, to check the redaction without trusting its own detector."""

    def __init__(self) -> None:
        from skimage import data
        from skimage.feature import Cascade

        self._cascade = Cascade(data.lbp_frontal_face_cascade_filename())

    def finds(self, grey: np.ndarray, box: Box, min_iou: float = 0.25) -> bool:
        """Whether it finds a face overlapping `box` (IoU >= min_iou), searching around it at about its size."""
        h, w = grey.shape[:2]
        x1, y1, x2, y2 = round(box.x * w), round(box.y * h), round(box.x2 * w), round(box.y2 * h)
        bw, bh = x2 - x1, y2 - y1
        side = max(bw, bh)
        if side < 16:
            return False
        left, top = max(0, x1 - bw // 2), max(0, y1 - bh // 2)
        crop = grey[top : min(h, y2 + bh // 2), left : min(w, x2 + bw // 2)]
        found = self._cascade.detect_multi_scale(
            img=crop, scale_factor=1.15, step_ratio=1, min_size=(max(16, side // 2),) * 2,
            max_size=(int(side * 1.6),) * 2,
        )
        for d in found:
            candidate = Box((left + d["c"]) / w, (top + d["r"]) / h, d["width"] / w, d["height"] / h)
            if iou(candidate, box) >= min_iou:
                return True
        return False


def face_outcomes(
    scene: RedactionScene, output: Path, *, subjects: list[Subject] | None = None, cascade_every: int = 0,
    finder: CascadeFaceFinder | None = None,
) -> list[FaceOutcome]:
    """How every face of `subjects` (all of them by default) fares in `output`, a redacted copy of the scene,
    frame by frame; the cascade looks on every `cascade_every`-th frame (never with 0)."""
    subjects = list(scene.subjects if subjects is None else subjects)
    if cascade_every and finder is None:
        finder = CascadeFaceFinder()
    outcomes = []
    with av.open(str(scene.path)) as original, av.open(str(output)) as redacted:
        pairs = zip(original.decode(video=0), redacted.decode(video=0), strict=False)
        for index, (a, b) in enumerate(pairs):
            present = [s for s in subjects if index in s.faces]
            if not present:
                continue
            grey_a, grey_b = a.to_ndarray(format="gray"), b.to_ndarray(format="gray")
            for subject in present:
                box = subject.faces[index]
                found = None
                if cascade_every and index % cascade_every == 0:
                    found = finder.finds(grey_b, box)
                outcomes.append(FaceOutcome(subject.name, index, face_similarity(grey_a, grey_b, box), found))
    return outcomes
