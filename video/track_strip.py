"""A strip of pictures across a track's span for the investigator's review, so that a track that switches from one
person to another shows the switch: frames picked evenly over its boxes, cropped from the source clip."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import av

from video.geometry import Box
from video.redaction import thumbnail  # the thumbnail's own framing, for pictures that compare

STRIP_LENGTH = 8


def strip_frames(frames: Sequence[int], count: int = STRIP_LENGTH) -> list[int]:
    """Up to `count` of a track's frame indices, evenly spaced over them, its first and last always among them."""
    ordered = sorted(set(frames))
    if len(ordered) <= count:
        return ordered
    return sorted({ordered[round(k * (len(ordered) - 1) / (count - 1))] for k in range(count)})


def crop_strips(source: Path, wanted: Mapping[int, Mapping[int, Box]]) -> dict[int, dict[int, bytes]]:
    """For each track (key of `wanted`) a JPEG of its box at each of its wanted frames (frame index -> box), from
    one pass over the clip `source`. Frames are numbered in presentation order from 0, as the redaction engine
    numbers them, so a track's boxes land on the frames they were found in."""
    by_frame: dict[int, list[tuple[int, Box]]] = {}
    for track, boxes in wanted.items():
        for index, box in boxes.items():
            by_frame.setdefault(index, []).append((track, box))
    strips: dict[int, dict[int, bytes]] = {track: {} for track in wanted}
    if not by_frame:
        return strips
    last = max(by_frame)
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for index, frame in enumerate(container.decode(stream)):
            if index in by_frame:
                image = frame.to_ndarray(format="bgr24")
                for track, box in by_frame[index]:
                    strips[track][index] = thumbnail(image, box)
            if index >= last:
                break
    return strips
