"""Privacy masks burned into a camera's pictures: static privacy masks (polygons filled solid, as a mosaic or
blurred) and dynamic masking (of everything that moves, of people, or of everything but people).

Works on BGR arrays and, without any colour conversion, on the YUV 4:2:0 pictures a camera's decoder gives
(`Masker.mask_frame`), which is what the recorder's masking transcode uses. Its pixel operations (`Region`,
`paint`) are also what video.redaction masks faces, boxes and areas with.
"""

from __future__ import annotations

import functools
import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

import av
import cv2
import numpy as np

from video.motion import MotionDetector
from video.person_segmentation import PeopleFinder, Person, PersonSegmenter

logger = logging.getLogger(__name__)

Style = Literal["solid", "mosaic", "blur"]
DynamicMode = Literal["motion", "people", "background"]
STYLES: tuple[str, ...] = get_args(Style)
DYNAMIC_MODES: tuple[str, ...] = get_args(DynamicMode)

# A mosaic block is 1/40 of the picture's width (32 px at 1280): movement stays visible, faces and number
# plates do not.
MOSAIC_BLOCKS_ACROSS = 40
# Blur shrinks the area to 1/64 of the width (20 px at 1280) before smoothing it: a face a hundred pixels wide
# comes out as a few smooth blobs, and the blur costs a fraction of an equally strong Gaussian at full size.
BLUR_SHRINK_ACROSS = 64
BLUR_SIGMA = 1.5  # in shrunk pixels

# Motion masking: the motion picture is MotionDetector's (luma, about 100 px high); each moving blob is grown by
# this share of the picture's height, so the edges of a moving person are covered too.
MOTION_GROWTH = 0.03
# How fast the scene's running average forgets, as a time constant whatever the frame rate: a longer one leaves
# long trails behind walkers, a shorter one lets someone who stops for a moment show.
MOTION_MEMORY_SECONDS = 1.0
# People masking: the packaged detector and person segmentation run on the newest frame at most this often
# (each run takes about 100 ms + 18 ms per person on one core), in a thread of their own.
PEOPLE_ANALYSES_PER_SECOND = 2.0
# Between runs a person may have walked on: in "people" mode each silhouette is grown by this many of the
# person's heights per second since the frame it was found in (a brisk walk covers about 0.8), plus a margin.
PEOPLE_SPEED = 0.8
PEOPLE_MARGIN = 0.05
# A result older than this (the analysis fell behind or stopped) no longer says where people are: the whole
# picture is masked until a fresh one arrives, as it is before the first one.
PEOPLE_MAX_AGE = 3.0
# The analysis keeps its distance maps this many pixels high: enough for silhouettes, cheap per frame.
_PEOPLE_MAP_HEIGHT = 180
# A silhouette covering less of its person's box than this is the model failing on that person (too small,
# hidden): in "people" mode the whole box is masked instead.
_MIN_SILHOUETTE_SHARE = 0.1


@dataclass(frozen=True)
class PrivacyMask:
    """A static privacy mask: a polygon with normalised vertices (0-1, x right, y down), its style, and for
    "solid" its colour as (blue, green, red)."""

    points: tuple[tuple[float, float], ...]
    style: Style = "solid"
    color: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self) -> None:
        points = tuple((float(x), float(y)) for x, y in self.points)
        if len(points) < 3:
            raise ValueError("a privacy mask needs at least 3 points")
        if not all(0.0 <= v <= 1.0 for point in points for v in point):
            raise ValueError("privacy mask points must be between 0 and 1")
        if self.style not in STYLES:
            raise ValueError(f"unknown privacy mask style {self.style!r}: use one of {', '.join(STYLES)}")
        color = tuple(int(c) for c in self.color)
        if len(color) != 3 or not all(0 <= c <= 255 for c in color):
            raise ValueError("a privacy mask colour is three values from 0 to 255 (blue, green, red)")
        object.__setattr__(self, "points", points)
        object.__setattr__(self, "color", color)


def color_from_hex(value: str) -> tuple[int, int, int]:
    """The BGR colour of "#rrggbb" (as the API gives it)."""
    text = value.removeprefix("#")
    if len(text) != 6:
        raise ValueError(f"{value!r} is not a colour like #1a2b3c")
    red, green, blue = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return blue, green, red


@dataclass(frozen=True)
class _Settings:
    """What Masker.set gave: swapped in whole, so a frame is masked with one consistent setting."""

    masks: tuple[PrivacyMask, ...]
    dynamic: DynamicMode | None
    dynamic_style: Style
    # Rasterised static masks per picture size; filled by the masking thread only.
    regions: dict[tuple[int, int], list[Region]] = field(default_factory=dict, compare=False)


@dataclass
class Region:
    """Where one mask applies in a picture: a box (x0, y0, x1, y1 in full-size pixels, even, aligned to `align`)
    and how much of each pixel in it is masked, at full size and at half size (4:2:0 chroma; a chroma sample is
    masked as much as the most masked of its four pixels, so no colour leaks out). `inside` is boolean for a
    hard edge, or float32 from 0 (shown) to 1 (masked) for a feathered one."""

    x0: int
    y0: int
    x1: int
    y1: int
    inside: np.ndarray
    inside_half: np.ndarray | None

    @classmethod
    def from_mask(cls, full: np.ndarray, align: int, half: bool) -> Region | None:
        """The region of a full-size uint8 mask (non-zero = inside), None when it is empty."""
        x, y, w, h = cv2.boundingRect(full)
        if w == 0 or h == 0:
            return None
        x0, y0, x1, y1 = _aligned(x, y, x + w, y + h, align, full.shape[1], full.shape[0])
        return cls._of(x0, y0, full[y0:y1, x0:x1] > 0, half)

    @classmethod
    def from_polygon(
        cls, points: Sequence[tuple[float, float]], width: int, height: int, align: int, half: bool
    ) -> Region | None:
        """The region inside a polygon of normalised points (0-1, x right, y down)."""
        shift = 4  # sub-pixel vertices, so a mask drawn on a small preview lands where it was drawn
        vertices = np.array([[round(x * width * 16), round(y * height * 16)] for x, y in points], np.int32)
        full = np.zeros((height, width), np.uint8)
        cv2.fillPoly(full, [vertices], 255, lineType=cv2.LINE_8, shift=shift)
        return cls.from_mask(full, align, half)

    @classmethod
    def from_rect(
        cls, x0: float, y0: float, x1: float, y1: float, width: int, height: int, half: bool
    ) -> Region | None:
        """The pixels a rectangle (in pixels, may reach beyond the picture) touches, None when none is inside."""
        x0, y0, x1, y1 = _aligned(math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1), 2, width, height)
        if x1 <= x0 or y1 <= y0:
            return None
        return cls._of(x0, y0, np.ones((y1 - y0, x1 - x0), bool), half)

    @classmethod
    def from_oval(
        cls, oval: Oval, feather: float, width: int, height: int, half: bool, holes: Sequence[Oval | Rectangle] = (),
        over_holes: Sequence[Oval | Rectangle] = (),
    ) -> Region | None:
        """The inside of an oval fully masked, and around it an edge fading out over `feather` (> 0) of its radii
        (outside it, so the inside is never masked less); the insides of `holes` are left as they are, except
        where they overlap the oval's part inside `over_holes`, which stays masked."""
        reach = 1 + feather
        x0, y0, x1, y1 = _aligned(
            math.floor(oval.x - oval.rx * reach), math.floor(oval.y - oval.ry * reach),
            math.ceil(oval.x + oval.rx * reach), math.ceil(oval.y + oval.ry * reach), 2, width, height,
        )
        if x1 <= x0 or y1 <= y0:
            return None
        alpha = np.clip((reach - oval.radius(x0, y0, x1, y1)) / feather, 0.0, 1.0)
        kept = alpha.copy() if over_holes else None
        for hole in holes:
            alpha[hole.radius(x0, y0, x1, y1) <= 1] = 0.0
        for cover in over_holes:
            inside = cover.radius(x0, y0, x1, y1) <= 1
            alpha[inside] = kept[inside]
        if not alpha.any():
            return None
        return cls._of(x0, y0, alpha.astype(np.float32), half)

    @classmethod
    def _of(cls, x0: int, y0: int, inside: np.ndarray, half: bool) -> Region:
        inside_half = None
        if half:
            h, w = inside.shape
            even = inside[: h - h % 2, : w - w % 2]
            inside_half = np.maximum(np.maximum(even[0::2, 0::2], even[0::2, 1::2]),
                                     np.maximum(even[1::2, 0::2], even[1::2, 1::2]))
        return cls(x0, y0, x0 + inside.shape[1], y0 + inside.shape[0], inside, inside_half)


@dataclass(frozen=True)
class Oval:
    """An axis-aligned ellipse in pixels: its centre and its radii across and down."""

    x: float
    y: float
    rx: float
    ry: float

    def radius(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """For each pixel of the box, how far its centre is from the oval's, in the oval's radii (1 on its edge)."""
        dx = ((np.arange(x0, x1, dtype=np.float32) + 0.5 - self.x) / max(self.rx, 1e-6)) ** 2
        dy = ((np.arange(y0, y1, dtype=np.float32) + 0.5 - self.y) / max(self.ry, 1e-6)) ** 2
        return np.sqrt(dy[:, None] + dx[None, :])


@dataclass(frozen=True)
class Rectangle:
    """An axis-aligned rectangle in pixels, by its centre and half sizes; a hole in a Region as an Oval is."""

    x: float
    y: float
    rx: float
    ry: float

    def radius(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """For each pixel of the box, how far its centre is from the rectangle's, in its half sizes (1 on its
        edge)."""
        dx = np.abs((np.arange(x0, x1, dtype=np.float32) + 0.5 - self.x) / max(self.rx, 1e-6))
        dy = np.abs((np.arange(y0, y1, dtype=np.float32) + 0.5 - self.y) / max(self.ry, 1e-6))
        return np.maximum(dy[:, None], dx[None, :])


def _aligned(x0: int, y0: int, x1: int, y1: int, align: int, width: int, height: int) -> tuple[int, int, int, int]:
    """The box widened to multiples of `align` (at least 2, so the half-size chroma planes cover exactly the same
    part of the picture) and clipped to it."""
    x0, y0 = max(0, x0) // align * align, max(0, y0) // align * align
    x1, y1 = min(width, -(-x1 // align) * align), min(height, -(-y1 // align) * align)
    return x0, y0, x1, y1


@dataclass
class Plane:
    """One plane of a picture being masked, changed in place: BGR (3 channels) or Y, U or V of YUV 4:2:0."""

    pixels: np.ndarray
    kind: Literal["bgr", "y", "u", "v"]

    @property
    def half(self) -> bool:
        return self.kind in ("u", "v")


def yuv_planes(data: np.ndarray, width: int, height: int) -> list[Plane]:
    """The Y, U and V planes (views) of a YUV 4:2:0 picture as PyAV's `to_ndarray` gives it: Y rows, then U and
    V each as height/4 rows of full width."""
    u = data[height : height * 5 // 4].reshape(height // 2, width // 2)
    v = data[height * 5 // 4 :].reshape(height // 2, width // 2)
    return [Plane(data[:height], "y"), Plane(u, "u"), Plane(v, "v")]


class Masker:
    """The privacy masks of one camera, applied to each of its frames.

    `set` may be called from any thread at any time; the next frame masked uses the new setting. `follow` adds
    masks asked for at each frame (a PTZ camera's, where its position puts them). `apply` and `mask_frame` are
    called from one thread (the camera's). Static masks are applied last, so a person shown
    by "background" mode inside a static mask stays masked. `close` when done (it stops the people analysis).

    Dynamic modes: "motion" masks what moves (for stable, well-lit scenes: someone who stands still long enough
    becomes background and is shown; a sudden change of light masks the whole picture for a few seconds);
    "people" masks people, "background" everything but people, both from the packaged person detector and
    segmentation running in a thread of their own (see PEOPLE_* above); until their first result, and when
    they cannot run (`error` says why), the whole picture is masked. `segmenter` replaces the packaged models
    (one shared by the process's cameras, loaded on first use), `people_analyses_per_second` their rate.
    """

    def __init__(
        self,
        masks: Sequence[PrivacyMask] = (),
        dynamic: DynamicMode | None = None,
        dynamic_style: Style = "blur",
        *,
        segmenter: PeopleFinder | None = None,
        people_analyses_per_second: float = PEOPLE_ANALYSES_PER_SECOND,
    ) -> None:
        self._lock = threading.Lock()
        self._settings = _Settings((), None, "blur")
        self._segmenter = segmenter
        self._people_rate = people_analyses_per_second
        self._motion: MotionDetector | None = None
        self._last_at: float | None = None
        self._people: _PeopleWatcher | None = None
        self._stopped_analysis_cpu = 0.0  # of people analysis threads stopped so far
        self._moving_masks: Callable[[], Sequence[PrivacyMask]] | None = None
        self._moving_regions: tuple[tuple, list[Region | None]] = ((), [])  # the last ones rasterised, by masks + size
        # Every camera masks in its own thread; OpenCV's process-wide pool would make them fight over the cores
        # (as in video.detection), and the recorder could not tell each camera's cost.
        cv2.setNumThreads(1)
        self.set(masks, dynamic, dynamic_style)

    def set(
        self, masks: Sequence[PrivacyMask], dynamic: DynamicMode | None = None, dynamic_style: Style = "blur"
    ) -> None:
        """Replace the static masks and the dynamic mode; takes effect from the next frame."""
        if dynamic not in (None, *DYNAMIC_MODES):
            raise ValueError(f"unknown dynamic masking {dynamic!r}: use one of {', '.join(DYNAMIC_MODES)}")
        if dynamic_style not in STYLES:
            raise ValueError(f"unknown style {dynamic_style!r}: use one of {', '.join(STYLES)}")
        settings = _Settings(tuple(masks), dynamic or None, dynamic_style)
        with self._lock:
            self._settings = settings

    def follow(self, masks: Callable[[], Sequence[PrivacyMask]] | None) -> None:
        """Mask each frame also with what `masks()` gives at that moment (called from the masking thread, once a
        frame): masks that move with a PTZ camera's position. None stops it."""
        self._moving_masks = masks

    @property
    def active(self) -> bool:
        """Whether anything is masked at all."""
        settings = self._settings
        return bool(settings.masks) or settings.dynamic is not None or self._moving_masks is not None

    @property
    def error(self) -> str | None:
        """Why people masking cannot run (the whole picture is masked meanwhile), else None."""
        return self._people.error if self._people is not None else None

    @property
    def people_seen_at(self) -> float | None:
        """The media time of the frame the newest people analysis is of; None before the first one (or when
        neither "people" nor "background" mode is on)."""
        result = self._people.result if self._people is not None else None
        return result.at if result is not None else None

    @property
    def analysis_cpu_seconds(self) -> float:
        """CPU time the people analysis threads have used so far (it is not in the masking thread's)."""
        running = self._people.cpu_seconds if self._people is not None else 0.0
        return self._stopped_analysis_cpu + running

    def apply(self, frame: av.VideoFrame | np.ndarray, at: float | None = None) -> np.ndarray:
        """A masked BGR copy of `frame` (BGR array or decoded frame). `at` is its media time in seconds (a
        VideoFrame's own time by default, else the clock): how old a people analysis is, is measured in it."""
        if isinstance(frame, av.VideoFrame):
            at = frame.time if at is None else at
            image = frame.to_ndarray(format="bgr24")
        else:
            image = np.array(frame, dtype=np.uint8, copy=True)
        self._mask([Plane(image, "bgr")], image, at, yuv=None)
        return image

    def mask_frame(self, frame: av.VideoFrame, at: float | None = None) -> av.VideoFrame:
        """The frame masked, as a new frame with the same timestamps. A YUV 4:2:0 frame is masked in its own
        planes: 0.6 (solid) to 2.8 ms (blur) for two masks at 720p, against 6.5 to 8.2 ms through BGR and back
        (measured). Other formats go through BGR."""
        width, height = frame.width, frame.height
        at = frame.time if at is None else at
        if frame.format.name not in ("yuv420p", "yuvj420p") or width % 2 or height % 2:
            out = av.VideoFrame.from_ndarray(self.apply(frame, at), format="bgr24")
        else:
            data = frame.to_ndarray()  # a copy
            planes = yuv_planes(data, width, height)
            full_range = frame.format.name == "yuvj420p" or frame.color_range == 2  # AVCOL_RANGE_JPEG
            bt709 = frame.colorspace == 1  # AVCOL_SPC_BT709; FFmpeg reads untagged video as BT.601 too
            self._mask(planes, planes[0].pixels, at, yuv=(bt709, full_range))
            out = av.VideoFrame.from_ndarray(data, format=frame.format.name)
            out.colorspace = frame.colorspace
            out.color_range = frame.color_range
        out.pts = frame.pts
        if frame.time_base is not None:
            out.time_base = frame.time_base
        return out

    def close(self) -> None:
        """Stop the people analysis thread, if one runs."""
        if self._people is not None:
            self._people.close()
            self._stopped_analysis_cpu += self._people.cpu_seconds
            self._people = None

    def _mask(self, planes: list[Plane], picture: np.ndarray, at: float | None, yuv: tuple[bool, bool] | None) -> None:
        settings = self._settings
        height, width = picture.shape[:2]
        if at is None:
            at = time.monotonic()
        half = yuv is not None
        self._follow(settings.dynamic)
        if settings.dynamic is not None:
            dynamic = self._dynamic_mask(settings.dynamic, picture, planes, at, yuv)
            if dynamic is not None:
                full = cv2.resize(dynamic, (width, height), interpolation=cv2.INTER_LINEAR)
                region = Region.from_mask(full, _alignment(settings.dynamic_style, width), half)
                if region is not None:
                    paint(planes, region, settings.dynamic_style, (0, 0, 0), _cell(settings.dynamic_style, width), yuv)
        if settings.masks:
            regions = settings.regions.get((width, height))
            if regions is None:
                regions = settings.regions[(width, height)] = [
                    _rasterise(mask, width, height, half) for mask in settings.masks
                ]
            for mask, region in zip(settings.masks, regions, strict=True):
                if region is not None:
                    paint(planes, region, mask.style, mask.color, _cell(mask.style, width), yuv)
        moving = self._moving_masks
        if moving is not None:
            masks = tuple(moving())
            key = (masks, width, height)
            if self._moving_regions[0] != key:
                self._moving_regions = (key, [_rasterise(mask, width, height, half) for mask in masks])
            for mask, region in zip(masks, self._moving_regions[1], strict=True):
                if region is not None:
                    paint(planes, region, mask.style, mask.color, _cell(mask.style, width), yuv)

    def _follow(self, dynamic: DynamicMode | None) -> None:
        """Start or stop the dynamic mode's own state when the setting changed."""
        if dynamic == "motion":
            if self._motion is None:
                # Never reset on a big change: a light switched on then masks the whole picture until the
                # running average has caught up, rather than nothing. Small blobs count: a hand is private too.
                self._motion = MotionDetector(threshold=20, min_area=0.0005, reset_fraction=2.0)
        else:
            self._motion = None
        if dynamic in ("people", "background"):
            if self._people is None:
                self._people = _PeopleWatcher(self._segmenter, self._people_rate)
        elif self._people is not None:
            self._people.close(timeout=0)  # the camera's frames must not wait for an analysis to finish
            self._stopped_analysis_cpu += self._people.cpu_seconds
            self._people = None

    def _dynamic_mask(
        self, dynamic: DynamicMode, picture: np.ndarray, planes: list[Plane], at: float,
        yuv: tuple[bool, bool] | None,
    ) -> np.ndarray | None:
        """The small uint8 mask (255 = mask) of the dynamic mode for this frame, None when nothing is masked."""
        if dynamic == "motion":
            step = 0.04 if self._last_at is None or not 0 < at - self._last_at < 1 else at - self._last_at
            self._last_at = at
            self._motion.alpha = 1 - math.exp(-step / MOTION_MEMORY_SECONDS)
            moved = self._motion.update(picture).mask
            if not moved.any():
                return None
            grow = max(1, round(MOTION_GROWTH * moved.shape[0]))
            return cv2.dilate(moved, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
        watcher = self._people
        watcher.offer(planes, yuv, at)
        result = watcher.result
        if result is None or not 0.0 <= at - result.at <= PEOPLE_MAX_AGE:
            return np.full((2, 2), 255, np.uint8)
        if dynamic == "people":
            reach = PEOPLE_MARGIN + PEOPLE_SPEED * (at - result.at)
            masked = result.reach <= reach
        else:
            masked = result.reach > PEOPLE_MARGIN
        return masked.astype(np.uint8) * 255 if masked.any() else None


def _alignment(style: Style, width: int) -> int:
    # Mosaic blocks sit on a grid from the picture's corner, so overlapping masks and chroma agree on them.
    return _mosaic_block(width) if style == "mosaic" else 2


def _mosaic_block(width: int) -> int:
    return max(2, round(width / MOSAIC_BLOCKS_ACROSS / 2) * 2)


def _blur_shrink(width: int) -> int:
    return max(2, round(width / BLUR_SHRINK_ACROSS / 2) * 2)


def _rasterise(mask: PrivacyMask, width: int, height: int, half: bool) -> Region | None:
    return Region.from_polygon(mask.points, width, height, _alignment(mask.style, width), half)


def _cell(style: Style, width: int) -> int:
    return _mosaic_block(width) if style == "mosaic" else _blur_shrink(width)


def paint(
    planes: list[Plane], region: Region, style: Style, color: tuple[int, int, int], cell: int,
    yuv: tuple[bool, bool] | None,
) -> None:
    """Mask `region` of the picture's planes in place: filled with `color` (BGR), as a mosaic of `cell`-pixel
    blocks (from the region's corner), or blurred down to `cell`-pixel cells (even, so chroma follows luma).
    `yuv` is (BT.709, full range) for YUV planes, None for BGR."""
    fills = (color,) if yuv is None else _yuv_of(color, *yuv)
    for plane, fill in zip(planes, fills, strict=True):
        scale = 2 if plane.half else 1
        inside = region.inside_half if plane.half else region.inside
        x0, y0, x1, y1 = region.x0 // scale, region.y0 // scale, region.x1 // scale, region.y1 // scale
        pixels = plane.pixels
        roi = pixels[y0:y1, x0:x1]
        if style == "solid":
            masked = np.array(fill, np.uint8)  # broadcast over the region
        elif style == "mosaic":
            masked = _mosaic(roi, max(1, cell // scale))
        else:
            masked = _blurred(pixels, (x0, y0, x1, y1), max(1, cell // scale))
        where = inside[..., None] if pixels.ndim == 3 else inside
        if inside.dtype == bool:
            np.copyto(roi, masked, where=where)
        else:
            original = roi.astype(np.float32)
            roi[...] = np.rint(original + (masked.astype(np.float32) - original) * where)


def _mosaic(pixels: np.ndarray, block: int) -> np.ndarray:
    """Each block x block square replaced by its mean; squares cut by the picture's edge use what they hold."""
    h, w = pixels.shape[:2]
    rows, cols = -(-h // block), -(-w // block)
    padded = pixels
    if rows * block != h or cols * block != w:
        padded = cv2.copyMakeBorder(pixels, 0, rows * block - h, 0, cols * block - w, cv2.BORDER_REPLICATE)
    means = cv2.resize(padded, (cols, rows), interpolation=cv2.INTER_AREA)
    return cv2.resize(means, (cols * block, rows * block), interpolation=cv2.INTER_NEAREST)[:h, :w]


def _blurred(pixels: np.ndarray, box: tuple[int, int, int, int], shrink: int) -> np.ndarray:
    """The box blurred: shrunk by `shrink`, smoothed, grown back. The picture around the box takes part (within
    two shrunk pixels), so the blur's edge blends into what is shown next to it."""
    x0, y0, x1, y1 = box
    height, width = pixels.shape[:2]
    pad = 2 * shrink
    ex0, ey0, ex1, ey1 = max(0, x0 - pad), max(0, y0 - pad), min(width, x1 + pad), min(height, y1 + pad)
    around = pixels[ey0:ey1, ex0:ex1]
    small = cv2.resize(
        around, (max(1, -(-(ex1 - ex0) // shrink)), max(1, -(-(ey1 - ey0) // shrink))), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), BLUR_SIGMA, borderType=cv2.BORDER_REPLICATE)
    blurred = cv2.resize(small, (ex1 - ex0, ey1 - ey0), interpolation=cv2.INTER_LINEAR)
    return blurred[y0 - ey0 : y1 - ey0, x0 - ex0 : x1 - ex0]


@functools.lru_cache(maxsize=256)
def _yuv_of(color: tuple[int, int, int], bt709: bool, full_range: bool) -> tuple[int, int, int]:
    """The Y, U and V values that show as this BGR colour, as the decoder's picture has them.

    Rounding Y, U and V each on its own can land two levels off in BGR (not every colour has an exact YUV);
    of the neighbouring values, the one that converts back closest is taken.
    """
    kr, kb = (0.2126, 0.0722) if bt709 else (0.299, 0.114)
    kg = 1 - kr - kb
    y_range, c_range, y_black = (255, 255, 0) if full_range else (219, 224, 16)

    def to_yuv(bgr: tuple[float, float, float]) -> tuple[float, float, float]:
        blue, green, red = (c / 255 for c in bgr)
        luma = kr * red + kg * green + kb * blue
        pb, pr = (blue - luma) / (2 * (1 - kb)), (red - luma) / (2 * (1 - kr))
        return y_black + y_range * luma, 128 + c_range * pb, 128 + c_range * pr

    def to_bgr(yuv: tuple[int, int, int]) -> np.ndarray:
        luma, pb, pr = (yuv[0] - y_black) / y_range, (yuv[1] - 128) / c_range, (yuv[2] - 128) / c_range
        red, blue = luma + 2 * (1 - kr) * pr, luma + 2 * (1 - kb) * pb
        green = (luma - kr * red - kb * blue) / kg
        return np.clip(np.round(np.array([blue, green, red]) * 255), 0, 255)

    base = [round(v) for v in to_yuv(color)]
    # Limited range keeps to 16-235 (Y) and 16-240 (U, V): some players clip what lies outside.
    limits = [(0, 255)] * 3 if full_range else [(16, 235), (16, 240), (16, 240)]
    candidates = [
        tuple(min(high, max(low, v + d)) for v, d, (low, high) in zip(base, deltas, limits, strict=True))
        for deltas in itertools.product((-1, 0, 1), repeat=3)
    ]

    def error(yuv: tuple[int, int, int]) -> tuple[float, float, int]:
        off = np.abs(to_bgr(yuv) - color)
        return off.max(), off.sum(), sum(abs(a - b) for a, b in zip(yuv, base, strict=True))

    return min(candidates, key=error)


@dataclass(frozen=True)
class _PeopleResult:
    """One analysis: `at` is the media time of the frame analysed; `reach` is, for each pixel of a small map of
    the picture, its distance to the nearest person's silhouette in that person's heights (0 on a person)."""

    at: float
    reach: np.ndarray


class _PeopleWatcher:
    """Runs person segmentation in a thread of its own on the newest frame offered, at most `rate` times a
    second of media time, so the camera's thread never waits for the model."""

    def __init__(self, segmenter: PeopleFinder | None, rate: float) -> None:
        self.result: _PeopleResult | None = None
        self.error: str | None = None
        self.cpu_seconds = 0.0
        self._segmenter = segmenter
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._last_at: float | None = None
        self._waiting: tuple[np.ndarray, float, bool] | None = None  # picture, media time, YUV or BGR
        self._wake = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="people-masking", daemon=True)
        self._thread.start()

    def offer(self, planes: list[Plane], yuv: tuple[bool, bool] | None, at: float) -> None:
        """Hand over this frame (before it is masked) when an analysis is due; the thread converts it to BGR."""
        if self.error is not None:
            return
        # A clock gone back is a new stream (the camera reconnected): due at once.
        if self._last_at is not None and self._last_at <= at < self._last_at + self._interval:
            return
        self._last_at = at
        if yuv is None:
            copy = planes[0].pixels.copy()
        else:
            height, width = planes[0].pixels.shape
            copy = np.concatenate([p.pixels.reshape(-1) for p in planes]).reshape(height * 3 // 2, width)
        with self._wake:
            self._waiting = (copy, at, yuv is not None)  # a frame still waiting is replaced by the newer one
            self._wake.notify()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread, waiting for an analysis under way (a process must not exit in the middle of one:
        OpenCV's inference then aborts it)."""
        with self._wake:
            self._closed = True
            self._wake.notify()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._waiting is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                (image, at, is_yuv), self._waiting = self._waiting, None
            started = time.thread_time()
            try:
                if self._segmenter is None:
                    self._segmenter = _shared_segmenter()
                if is_yuv:
                    image = cv2.cvtColor(image, cv2.COLOR_YUV2BGR_I420)
                people = self._segmenter.find(image)
                self.result = _PeopleResult(at, _reach_map(people, image.shape[1], image.shape[0]))
            except Exception as exc:  # a missing model or a broken one: mask everything, say why once
                self.error = str(exc) or type(exc).__name__
                logger.error("people masking cannot run, the whole picture is masked: %s", self.error)
                return
            finally:
                self.cpu_seconds += time.thread_time() - started


def _reach_map(people: list[Person], width: int, height: int) -> np.ndarray:
    scale = _PEOPLE_MAP_HEIGHT / height
    size = (max(1, round(width * scale)), _PEOPLE_MAP_HEIGHT)
    reach = np.full((size[1], size[0]), np.inf, np.float32)
    for person in people:
        canvas = np.full((size[1], size[0]), 255, np.uint8)  # 0 on the person, for distanceTransform
        silhouette = person.silhouette
        bx1, by1, bx2, by2 = person.box
        wx1, wy1, wx2, wy2 = person.window
        box_in_window = silhouette[by1 - wy1 : by2 - wy1, bx1 - wx1 : bx2 - wx1]  # the window holds the box
        if np.count_nonzero(box_in_window) < _MIN_SILHOUETTE_SHARE * box_in_window.size:
            silhouette, (wx1, wy1, wx2, wy2) = np.full((by2 - by1, bx2 - bx1), 255, np.uint8), person.box
        sx1, sy1 = min(size[0] - 1, math.floor(wx1 * scale)), min(size[1] - 1, math.floor(wy1 * scale))
        sx2 = min(size[0], max(sx1 + 1, math.ceil(wx2 * scale)))
        sy2 = min(size[1], max(sy1 + 1, math.ceil(wy2 * scale)))
        small = cv2.resize(silhouette, (sx2 - sx1, sy2 - sy1), interpolation=cv2.INTER_AREA)
        canvas[sy1:sy2, sx1:sx2][small > 0] = 0
        distance = cv2.distanceTransform(canvas, cv2.DIST_L2, 3)
        np.minimum(reach, distance / max(1.0, person.height * scale), out=reach)
    return reach


_segmenter_lock = threading.Lock()
_segmenter: PersonSegmenter | None = None


def _shared_segmenter() -> PersonSegmenter:
    """One packaged detector and segmentation model per process, shared by its cameras (70 MB each)."""
    global _segmenter
    with _segmenter_lock:
        if _segmenter is None:
            _segmenter = PersonSegmenter()
        return _segmenter
