"""Generated MP4 clips of a moving test pattern, cached by their parameters, for the tests; and the encoding of a
generated clip once, which the demo scene shares."""

import os
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import cv2
import numpy as np

Codec = Literal["h264", "hevc"]


def make_clip(
    directory: Path,
    *,
    codec: Codec = "h264",
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    seconds: float = 10,
    gop_seconds: float = 1.0,
    bitrate: int = 2_000_000,
) -> Path:
    """Return an MP4 of a moving test pattern in `directory`, encoding it only if it is not there yet.

    Every frame shows its number and a bar that crosses the picture every two seconds. Keyframes come
    every `gop_seconds` and there are no B-frames, as from a live camera.
    """
    if codec not in ("h264", "hevc"):
        raise ValueError(f"unsupported codec {codec!r}: use 'h264' or 'hevc'")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    gop = max(1, round(gop_seconds * fps))
    path = directory / f"{codec}_{width}x{height}_{fps}fps_{seconds}s_gop{gop}_{bitrate // 1000}k.mp4"
    return encode_once(path, lambda partial: _encode(partial, codec, width, height, fps, round(seconds * fps), gop,
                                                     bitrate))


def encode_once(path: Path, encode: Callable[[Path], None]) -> Path:
    """Return `path`, having `encode` write it first unless it is there already."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    # Encode under a temporary name, so a half-written clip is never served or reused.
    fd, partial = tempfile.mkstemp(suffix=".mp4.part", dir=path.parent)
    os.close(fd)
    try:
        encode(Path(partial))
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return path


def _encode(
    path: Path, codec: Codec, width: int, height: int, fps: int, frames: int, gop: int, bitrate: int
) -> None:
    keyframes = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0"
    if codec == "h264":
        encoder, options = "libx264", {"profile": "baseline", "x264-params": keyframes}
    else:
        # Closed GOPs, so every keyframe is an IDR a viewer can start from.
        encoder, options = "libx265", {"x265-params": f"{keyframes}:open-gop=0:log-level=error"}
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream(encoder, rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = bitrate
        stream.codec_context.options = {"preset": "ultrafast", **options}
        background = _background(width, height)
        for index in range(frames):
            frame = av.VideoFrame.from_ndarray(_pattern(background, index, fps), format="bgr24")
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def _background(width: int, height: int) -> np.ndarray:
    ramp = np.linspace(40, 200, width, dtype=np.uint8)
    background = np.empty((height, width, 3), dtype=np.uint8)
    background[:, :, 0] = ramp
    background[:, :, 1] = ramp[::-1]
    background[:, :, 2] = 90
    return background


def _pattern(background: np.ndarray, index: int, fps: int) -> np.ndarray:
    height, width = background.shape[:2]
    image = background.copy()
    bar_width = max(8, width // 20)
    x = index * (width + bar_width) // (2 * fps) % (width + bar_width) - bar_width
    image[:, max(0, x) : max(0, x + bar_width)] = 255
    scale = height / 240
    origin = (width // 20, height - height // 10)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(image, f"{index:06d}", origin, font, scale, (0, 0, 0), max(1, round(2 * scale)), cv2.LINE_AA)
    return image
