"""Site plans' pictures: what an admin uploads is checked to be a PNG or JPEG of a sensible size before it is kept."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import cv2
import numpy as np

MAX_BYTES = 10 * 2**20
MAX_SIDE = 6000
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
# JPEG markers that start a frame and say its size (SOF0-SOF15 but DHT, JPG and DAC).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str
    width: int
    height: int


def read_picture(text: str) -> Picture:
    """A plan's picture from base64 (or a data: URL). Raises ValueError saying what is wrong, in the admin's words."""
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > MAX_BYTES * 4 // 3 + 4:
        raise ValueError(f"The picture is over {MAX_BYTES // 2**20} MB.")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("The picture is not base64.") from None
    if data.startswith(_PNG):
        content_type, size = "image/png", _png_size(data)
    elif data.startswith(_JPEG):
        content_type, size = "image/jpeg", _jpeg_size(data)
    else:
        raise ValueError("The picture must be a PNG or a JPEG.")
    # The size its header claims is checked before anything is decoded: a small file may claim a huge picture.
    if size is None or not (0 < size[0] <= MAX_SIDE and 0 < size[1] <= MAX_SIDE):
        raise ValueError(f"The picture must be at most {MAX_SIDE} pixels a side (and readable).")
    if cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_8) is None:
        raise ValueError("The picture cannot be read: the file is damaged.")
    return Picture(data, content_type, *size)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker in _SOF:
            return int.from_bytes(data[at + 7:at + 9], "big"), int.from_bytes(data[at + 5:at + 7], "big")
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        at += 2 + int.from_bytes(data[at + 2:at + 4], "big")
    return None
