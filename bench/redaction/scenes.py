"""Redaction scenes with known truth: packaged face photos moving along seeded paths over real CCTV footage.

A scene is made from a `SceneSpec` (seed, size, frame rate, length, people, camera pan) and cached as an H.264 MP4
under var/footage/redaction-scenes/; its truth is recomputed from the same seed. The background is OpenCV's
vtest.avi (via tests/standins/footage.py; the generated plaza without the Debian mirror). Faces are scikit-image's
astronaut (the person of interest, head and shoulders) and its Labeled Faces in the Wild subset (100 real faces),
shown 24-200 px high, some mirrored, squashed (a turned face) or half-cut (a profile). Every scene has: a
bystander crossing behind the person of interest, faces entering and leaving through every edge, a post and a
moving box in front of faces, and a face dimmed for a few frames (a weak detection).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from tests.standins import footage
from video.faces import FACE
from video.geometry import Box
from video.pattern_clip import encode_once
from video.redaction import RedactionTrack

VERSION = 3  # bump when what a spec draws changes, so an old cached clip is not reused
CACHE_DIR = footage.CACHE_DIR / "redaction-scenes"
# A face counts on a frame (is judged for leaks) when at least this share of it is in view.
COUNTED_SHARE = 0.5
_BACKGROUND_START = 60  # vtest frames from here on have people walking in the middle
_PAN_WORLD = 1.4  # a panning camera's world is this many frames wide
_EDGES = ("left", "right", "top", "bottom")
# In the astronaut photo (512x512): head and shoulders, and the face within it (hairline to chin), photo pixels.
_ASTRONAUT_CARD = (90, 20, 280, 310)
_ASTRONAUT_FACE = (178, 60, 95, 125)
_LFW_FACES = 100  # the subset's first 100 images are faces, the rest are not
_DIM = 0.35  # a dimmed face keeps this much of its contrast


@dataclass(frozen=True)
class SceneSpec:
    """What to make: `people` counts everyone, the person of interest included (at least 4); `pan` is how far a
    panning camera moves over the clip, as a share of the frame's width (0: a fixed camera)."""

    seed: int = 0
    width: int = 1280
    height: int = 720
    fps: float = 25.0
    seconds: float = 12.0
    people: int = 8
    pan: float = 0.0

    @property
    def frame_count(self) -> int:
        return round(self.seconds * self.fps)

    @property
    def name(self) -> str:
        pan = f"_pan{self.pan:g}" if self.pan else ""
        return f"{self.height}p{self.fps:g}_{self.seconds:g}s_{self.people}p{pan}_s{self.seed}"


@dataclass(frozen=True)
class Person:
    id: int
    photo: str  # which packaged still, and how it was turned
    of_interest: bool


@dataclass(frozen=True)
class FaceTruth:
    """One face on one frame: `box` is the whole face where it is (not clipped to the frame, normalised),
    `visible` the bounding box of its part in view (clipped, not behind an occluder), `shown` that part's share;
    `dimmed` when its contrast is turned down on this frame (a detector's weak moment)."""

    person: int
    box: Box
    visible: Box
    shown: float
    dimmed: bool = False

    @property
    def counted(self) -> bool:
        return self.shown >= COUNTED_SHARE


@dataclass(frozen=True)
class Scene:
    spec: SceneSpec
    path: Path
    people: tuple[Person, ...]
    faces: tuple[tuple[FaceTruth, ...], ...]  # per frame
    background: str

    @property
    def person_of_interest(self) -> Person:
        return next(p for p in self.people if p.of_interest)

    def counted(self, frame: int) -> list[FaceTruth]:
        """The faces judged on this frame: those at least half in view."""
        return [f for f in self.faces[frame] if f.counted]

    def face_of(self, person: int, frame: int) -> FaceTruth | None:
        return next((f for f in self.faces[frame] if f.person == person), None)

    def true_track(self, person: int) -> RedactionTrack:
        """A track that follows this person's face exactly (clipped to the frame) on every frame it is in view:
        what a perfect tracker would give, to judge the masker apart from detection."""
        boxes = {i: f.box.clipped() for i, frame in enumerate(self.faces) for f in frame
                 if f.person == person and f.shown > 0}
        times = {i: i / self.spec.fps for i in boxes}
        return RedactionTrack(person, FACE, boxes, min(times.values()), max(times.values()), times=times)


@dataclass(frozen=True)
class _Sprite:
    person: Person
    image: np.ndarray  # BGR
    alpha: np.ndarray  # 0-1 float32, same size
    face: tuple[int, int, int, int]  # x, y, w, h within the image
    path: tuple[tuple[float, float, float], ...]  # (seconds, x, y) of the image's top-left, straight between
    depth: int  # drawn in increasing depth order: a higher one is in front
    dim: tuple[int, ...] = ()  # frames on which the face is dimmed

    def where(self, t: float) -> tuple[int, int] | None:
        """The image's top-left in whole frame pixels at `t`, None when it is not shown then."""
        if not self.path[0][0] <= t <= self.path[-1][0]:
            return None
        for (t0, x0, y0), (t1, x1, y1) in zip(self.path, self.path[1:], strict=False):
            if t <= t1:
                u = (t - t0) / max(t1 - t0, 1e-9)
                return round(x0 + u * (x1 - x0)), round(y0 + u * (y1 - y0))
        return round(self.path[-1][1]), round(self.path[-1][2])


@dataclass(frozen=True)
class _Occluder:
    """A post fixed in the world (it pans with the background) or a box sliding across, drawn over everyone."""

    x: float
    y: float
    w: int
    h: int
    speed: float  # frame pixels per second; 0 for the post
    colour: tuple[int, int, int]

    def rect(self, t: float, pan_x: float) -> tuple[int, int, int, int]:
        x = round(self.x + self.speed * t - (pan_x if self.speed == 0 else 0))
        return x, round(self.y), x + self.w, round(self.y) + self.h


def make_scene(spec: SceneSpec, cache_dir: Path = CACHE_DIR) -> Scene:
    """The scene's clip (encoded on first use, then reused) and its truth."""
    if spec.people < 4:
        raise ValueError("a scene needs at least 4 people: the person of interest, a crosser, an edge face, a dim one")
    cache_dir = Path(cache_dir)
    people_clip = footage.people_clip()
    source = "vtest" if people_clip.real_people else "generated"
    sprites, occluders = _layout(spec)
    path = cache_dir / f"v{VERSION}_{source}_{spec.width}x{spec.height}_{spec.name}.mp4"
    with footage._locked(footage.CACHE_DIR / ".redaction_scenes.lock"):
        encode_once(path, lambda partial: _encode(partial, spec, people_clip.path, sprites, occluders))
    faces = tuple(_truth(spec, sprites, occluders, i) for i in range(spec.frame_count))
    return Scene(spec, path, tuple(s.person for s in sprites), faces, people_clip.source)


def _pan_x(spec: SceneSpec, t: float) -> float:
    return spec.pan * spec.width * t / spec.seconds


def _layout(spec: SceneSpec) -> tuple[list[_Sprite], list[_Occluder]]:
    from skimage import data  # a test and bench extra

    rng = np.random.default_rng(spec.seed)
    w, h, T = spec.width, spec.height, spec.seconds
    scale = h / 720  # face sizes are given for 720p
    lfw = data.lfw_subset()[:_LFW_FACES]
    picks = rng.permutation(_LFW_FACES)
    sprites: list[_Sprite] = []

    # The person of interest: head and shoulders, face 90-150 px at 720p, walking slowly along the lower middle.
    photo = data.astronaut()[:, :, ::-1]
    x, y, cw, ch = _ASTRONAUT_CARD
    card = np.ascontiguousarray(photo[y : y + ch, x : x + cw])
    fx, fy, fw, fh = _ASTRONAUT_FACE
    poi_face_h = rng.uniform(90, 150) * scale
    k = poi_face_h / fh
    card = cv2.resize(card, (round(cw * k), round(ch * k)), interpolation=cv2.INTER_AREA)
    face = (round((fx - x) * k), round((fy - y) * k), round(fw * k), round(fh * k))
    poi_y = h * rng.uniform(0.35, 0.5)
    leftwards = bool(rng.integers(2))
    xs = (w * 0.1, w * 0.9 - card.shape[1])
    start_x, end_x = (xs[1], xs[0]) if leftwards else xs
    poi = _Sprite(Person(1, "astronaut", True), card, np.ones(card.shape[:2], np.float32), face,
                  ((0.0, start_x, poi_y), (T, end_x, poi_y)), depth=10)
    sprites.append(poi)

    def lfw_sprite(index: int, face_h: float, turn: str) -> tuple[np.ndarray, np.ndarray, tuple, str]:
        grey = (lfw[index] * 255).astype(np.uint8)
        fw = face_h
        if turn == "mirrored":
            grey = np.ascontiguousarray(grey[:, ::-1])
        elif turn == "squashed":
            fw = face_h * 0.6
        elif turn == "half":
            grey = np.ascontiguousarray(grey[:, : grey.shape[1] * 3 // 5])
            fw = face_h * 0.6
        size = (max(8, round(fw)), max(8, round(face_h)))
        image = cv2.cvtColor(cv2.resize(grey, size, interpolation=cv2.INTER_CUBIC), cv2.COLOR_GRAY2BGR)
        # A warm tint, so the face is not grey against the footage.
        image = np.clip(image * np.array([0.85, 0.95, 1.1]), 0, 255).astype(np.uint8)
        return image, _oval(size), (0, 0, *size), f"lfw{index}-{turn}"

    turns = ("plain", "mirrored", "squashed", "half")
    # The crosser: a taller person behind, their face about the person of interest's size and level with the top
    # of their head, passing the other way: half of it shows above the person of interest as they cross.
    index = int(picks[0])
    image, alpha, face, photo_name = lfw_sprite(index, poi_face_h * rng.uniform(0.8, 1.0), "plain")
    poi_face_y = poi_y - face[3] / 2
    mid = T / 2
    at = poi.where(mid)
    cross_speed = w * rng.uniform(0.08, 0.12)  # frame widths per second
    centre_x = at[0] + poi.face[0] + (poi.face[2] - face[2]) / 2
    direction = 1 if leftwards else -1
    start, end = max(0.0, mid - T * 0.4), min(T, mid + T * 0.4)
    sprites.append(_Sprite(Person(2, photo_name, False), image, alpha, face,
                           ((start, centre_x - direction * cross_speed * (mid - start), poi_face_y),
                            (end, centre_x + direction * cross_speed * (end - mid), poi_face_y)), depth=5))

    # Person 3 crosses the upper frame in a V, dimmed on two frames at the turn and two as it leaves through the
    # edge: a weak or missing detection there must not leave it bare.
    image, alpha, face, photo_name = lfw_sprite(int(picks[3]), rng.uniform(60, 90) * scale, "plain")
    sw, sh = image.shape[1], image.shape[0]
    start, duration = rng.uniform(0, T * 0.2), T * rng.uniform(0.55, 0.75)
    xs = (-sw - 1.0, w / 2 - sw / 2, w + 1.0) if spec.seed % 2 else (w + 1.0, w / 2 - sw / 2, -sw - 1.0)
    path = ((start, xs[0], h * 0.05), (start + duration / 2, xs[1], h * 0.3), (start + duration, xs[2], h * 0.05))
    turn = round((start + duration / 2) * spec.fps)
    leaving = [i for i in range(turn, round((start + duration) * spec.fps)) if _share_in_view(
        _Sprite(Person(3, photo_name, False), image, alpha, face, path, 0), i / spec.fps, w, h) >= COUNTED_SHARE]
    sprites.append(_Sprite(Person(3, photo_name, False), image, alpha, face, path,
                           depth=int(rng.integers(0, 20)), dim=(turn, turn + 1, *leaving[-2:])))

    # Person 4 peeks in through an edge: it comes a little over half in, stays a while, and goes back out.
    edge = _EDGES[spec.seed % 4]
    image, alpha, face, photo_name = lfw_sprite(int(picks[4]), rng.uniform(50, 100) * scale, "plain")
    sw, sh = image.shape[1], image.shape[0]
    start, duration = rng.uniform(0, T * 0.4), T * rng.uniform(0.4, 0.6)
    out_x, out_y = {"left": (-sw - 1.0, None), "right": (w + 1.0, None), "top": (None, -sh - 1.0),
                    "bottom": (None, h + 1.0)}[edge]
    peek_x, peek_y = {"left": (-0.4 * sw, None), "right": (w - 0.6 * sw, None), "top": (None, -0.4 * sh),
                      "bottom": (None, h - 0.6 * sh)}[edge]
    along = rng.uniform(0.1, 0.7)
    x = (out_x, peek_x, peek_x, out_x) if out_x is not None else (w * along,) * 4
    y = (out_y, peek_y, peek_y, out_y) if out_y is not None else (h * along,) * 4
    times = (start, start + duration * 0.25, start + duration * 0.75, start + duration)
    sprites.append(_Sprite(Person(4, photo_name, False), image, alpha, face, tuple(zip(times, x, y, strict=True)),
                           depth=int(rng.integers(0, 20))))

    # The others enter through one edge and leave through the opposite one, each edge in turn, at random times.
    for n in range(5, spec.people + 1):
        edge = _EDGES[(n + spec.seed) % 4]
        # Sizes in pixels whatever the frame's size (24 px is a face still worth redacting), at most 30 % of it high.
        face_h = float(np.exp(rng.uniform(np.log(24), np.log(min(200.0, h * 0.3)))))
        image, alpha, face, photo_name = lfw_sprite(int(picks[n]), face_h, turns[n % 4])
        sw, sh = image.shape[1], image.shape[0]
        duration = rng.uniform(0.35, 0.7) * T
        start = rng.uniform(0, T - duration)
        if edge in ("left", "right"):
            y0, y1 = rng.uniform(0, h - sh, 2)
            xa, xb = -sw - 1.0, w + 1.0
            a, b = ((xa, y0), (xb, y1)) if edge == "left" else ((xb, y0), (xa, y1))
        else:
            x0, x1 = rng.uniform(0, w - sw, 2)
            ya, yb = -sh - 1.0, h + 1.0
            a, b = ((x0, ya), (x1, yb)) if edge == "top" else ((x0, yb), (x1, ya))
        sprites.append(_Sprite(Person(n, photo_name, False), image, alpha, face,
                               ((start, *a), (start + duration, *b)), depth=int(rng.integers(0, 20))))

    post_w = max(6, round(w * 0.035))
    occluders = [
        _Occluder(w * rng.uniform(0.55, 0.8), 0, post_w, h, 0.0, (70, 80, 90)),
        _Occluder(-w * 0.2, h * rng.uniform(0.05, 0.3), round(w * 0.12), round(h * 0.15), w * 1.4 / T,
                  (40, 110, 160)),
    ]
    return sprites, occluders


def _share_in_view(sprite: _Sprite, t: float, w: int, h: int) -> float:
    """How much of the sprite's face is inside the frame at `t` (occluders aside)."""
    where = sprite.where(t)
    if where is None:
        return 0.0
    fx, fy, fw, fh = sprite.face
    x1, y1 = where[0] + fx, where[1] + fy
    return max(0, min(x1 + fw, w) - max(x1, 0)) * max(0, min(y1 + fh, h) - max(y1, 0)) / (fw * fh)


def _oval(size: tuple[int, int]) -> np.ndarray:
    """A soft-edged oval alpha, so a face crop sits in the scene without a square edge."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32) + 0.5
    r = np.hypot((xx - w / 2) / (w * 0.5), (yy - h / 2) / (h * 0.56))
    return np.clip((1 - r) * 6, 0, 1).astype(np.float32)


def _placed(spec: SceneSpec, sprites: list[_Sprite], index: int) -> list[tuple[_Sprite, int, int]]:
    t = index / spec.fps
    shown = [(s, *where) for s in sprites if (where := s.where(t)) is not None]
    return sorted(shown, key=lambda item: item[0].depth)


def _truth(spec: SceneSpec, sprites: list[_Sprite], occluders: list[_Occluder], index: int) -> tuple[FaceTruth, ...]:
    w, h = spec.width, spec.height
    t = index / spec.fps
    placed = _placed(spec, sprites, index)
    faces = []
    for order, (sprite, x, y) in enumerate(placed):
        fx, fy, fw, fh = sprite.face
        x1, y1 = x + fx, y + fy
        seen = np.zeros((fh, fw), bool)
        cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x1 + fw, w), min(y1 + fh, h)
        if cx1 < cx2 and cy1 < cy2:
            seen[cy1 - y1 : cy2 - y1, cx1 - x1 : cx2 - x1] = True
        for front, ox, oy in placed[order + 1 :]:
            _hide(seen, x1, y1, front.alpha > 0.5, ox, oy)
        for occluder in occluders:
            ox1, oy1, ox2, oy2 = occluder.rect(t, _pan_x(spec, t))
            _hide(seen, x1, y1, np.ones((oy2 - oy1, ox2 - ox1), bool), ox1, oy1)
        box = Box(x1 / w, y1 / h, fw / w, fh / h)
        rows, cols = np.flatnonzero(seen.any(axis=1)), np.flatnonzero(seen.any(axis=0))
        visible = (Box(float(x1 + cols[0]) / w, float(y1 + rows[0]) / h, float(cols[-1] + 1 - cols[0]) / w,
                       float(rows[-1] + 1 - rows[0]) / h) if len(rows) else Box(box.x, box.y, 0.0, 0.0))
        faces.append(FaceTruth(sprite.person.id, box, visible, float(seen.mean()), index in sprite.dim))
    return tuple(faces)


def _hide(seen: np.ndarray, x1: int, y1: int, cover: np.ndarray, ox: int, oy: int) -> None:
    """Clear from `seen` (a face's mask at x1, y1) what `cover` (a mask at ox, oy) hides."""
    fh, fw = seen.shape
    ch, cw = cover.shape
    ax1, ay1, ax2, ay2 = max(x1, ox), max(y1, oy), min(x1 + fw, ox + cw), min(y1 + fh, oy + ch)
    if ax1 < ax2 and ay1 < ay2:
        seen[ay1 - y1 : ay2 - y1, ax1 - x1 : ax2 - x1] &= ~cover[ay1 - oy : ay2 - oy, ax1 - ox : ax2 - ox]


def _backgrounds(spec: SceneSpec, people_path: Path) -> list[np.ndarray]:
    """The footage's frames the scene needs, a band of them scaled to the scene's height (wider when panning)."""
    world_w = round(spec.width * (_PAN_WORLD if spec.pan else 1.0))
    wanted = math.ceil(spec.seconds * footage.FPS) + 1
    frames: list[np.ndarray] = []
    with av.open(str(people_path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index < _BACKGROUND_START:
                continue
            image = frame.to_ndarray(format="bgr24")
            ih, iw = image.shape[:2]
            band = round(iw * spec.height / world_w)
            top = max(0, (ih - band) // 2)
            frames.append(cv2.resize(image[top : top + band], (world_w, spec.height), interpolation=cv2.INTER_LINEAR))
            if len(frames) == wanted:
                break
    if not frames:
        raise RuntimeError(f"no frames in {people_path}")
    return frames


def _compose(spec: SceneSpec, background: np.ndarray, sprites: list[_Sprite], occluders: list[_Occluder],
             index: int) -> np.ndarray:
    w = spec.width
    t = index / spec.fps
    pan = _pan_x(spec, t)
    left = min(round(pan), background.shape[1] - w)
    frame = np.ascontiguousarray(background[:, left : left + w])
    for sprite, x, y in _placed(spec, sprites, index):
        image = sprite.image
        if index in sprite.dim:
            mean = image.mean()
            image = (mean + (image - mean) * _DIM).astype(np.uint8)
        _paste(frame, image, sprite.alpha, x, y)
    for occluder in occluders:
        x1, y1, x2, y2 = occluder.rect(t, pan)
        frame[max(y1, 0) : max(y2, 0), max(x1, 0) : max(x2, 0)] = occluder.colour
    return frame


def _paste(frame: np.ndarray, image: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    h, w = frame.shape[:2]
    ih, iw = image.shape[:2]
    x1, y1, x2, y2 = max(x, 0), max(y, 0), min(x + iw, w), min(y + ih, h)
    if x1 >= x2 or y1 >= y2:
        return
    part = image[y1 - y : y2 - y, x1 - x : x2 - x]
    a = alpha[y1 - y : y2 - y, x1 - x : x2 - x, None]
    frame[y1:y2, x1:x2] = (part * a + frame[y1:y2, x1:x2] * (1 - a)).astype(np.uint8)


def _encode(path: Path, spec: SceneSpec, people_path: Path, sprites: list[_Sprite],
            occluders: list[_Occluder]) -> None:
    backgrounds = _backgrounds(spec, people_path)
    rate = Fraction(spec.fps).limit_denominator(1000)
    gop = max(1, round(spec.fps))
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        # CRF 18: the faces stay as sharp as the photos, so what a redaction removes is the face itself.
        stream.codec_context.options = {
            "preset": "veryfast", "crf": "18", "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0",
        }
        for index in range(spec.frame_count):
            # The footage is 10 fps: each of its frames is held as long as a camera would repeat it.
            background = backgrounds[min(int(index / spec.fps * footage.FPS), len(backgrounds) - 1)]
            frame = av.VideoFrame.from_ndarray(_compose(spec, background, sprites, occluders, index), format="bgr24")
            frame.pts, frame.time_base = index, 1 / rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
