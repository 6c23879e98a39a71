"""A camera's own analytics metadata kept with its recording: the tracks of each frame gathered into a row every few
seconds, read back for a span, and deleted once no footage of their time is left."""

from __future__ import annotations

import json
import logging
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.db.models import Exists, OuterRef

from recordings.models import SceneMetadata, Segment
from video.geometry import Box
from video.tracking import Track

log = logging.getLogger(__name__)

# A row holds this much of the camera's metadata (or less, when the analytics stop).
ROW_SECONDS = 10.0
# What one request may read back.
MAX_SPAN = timedelta(hours=1)


@dataclass(frozen=True)
class StoredObject:
    track: int
    label: str
    score: float
    box: Box


@dataclass(frozen=True)
class StoredFrame:
    at: datetime
    objects: list[StoredObject]


class SceneMetadataWriter:
    """Gathers one camera's frames of tracks and writes them a row at a time. A database that cannot take a row
    loses that row, not the analytics."""

    def __init__(self, camera_id: int) -> None:
        self.camera_id = camera_id
        self._frames: list[tuple[datetime, list[list]]] = []

    def add(self, at: datetime, tracks: list[Track]) -> None:
        """The tracks the camera reported in the frame of `at` (those it did not are left out)."""
        boxes = [[track.id, track.label, round(track.score, 3), round(track.box.x, 4), round(track.box.y, 4),
                  round(track.box.w, 4), round(track.box.h, 4)] for track in tracks if not track.missing]
        self._frames.append((at, boxes))
        if (at - self._frames[0][0]).total_seconds() >= ROW_SECONDS:
            self.flush()

    def flush(self) -> None:
        frames, self._frames = sorted(self._frames, key=lambda frame: frame[0]), []
        if not frames:
            return
        start = frames[0][0]
        packed = [[round((at - start).total_seconds() * 1000), boxes] for at, boxes in frames]
        try:
            SceneMetadata.objects.create(
                camera_id=self.camera_id, started_at=start, ended_at=frames[-1][0], frame_count=len(frames),
                frames=zlib.compress(json.dumps(packed, separators=(",", ":")).encode()))
        except DatabaseError as exc:
            log.warning("camera %s: %d frames of its metadata were not kept: %s", self.camera_id, len(frames), exc)


def frames_between(camera_id: int, start: datetime, end: datetime) -> list[StoredFrame]:
    """The camera's stored frames from `start` to `end`, oldest first."""
    frames = []
    rows = SceneMetadata.objects.filter(camera_id=camera_id, started_at__lte=end, ended_at__gte=start)
    for row in rows.order_by("started_at"):
        for offset, boxes in json.loads(zlib.decompress(bytes(row.frames))):
            at = row.started_at + timedelta(milliseconds=offset)
            if start <= at <= end:
                frames.append(StoredFrame(at, [StoredObject(track, label, score, Box(x, y, w, h))
                                               for track, label, score, x, y, w, h in boxes]))
    return frames


def delete_without_footage(before: datetime) -> int:
    """Delete the rows, of before `before`, whose time no footage of the camera covers any more (retention took it,
    or the camera recorded only events). Returns how many."""
    footage = Segment.objects.filter(camera=OuterRef("camera"), start__lte=OuterRef("ended_at"),
                                     end__gte=OuterRef("started_at"))
    deleted, _ = SceneMetadata.objects.filter(ended_at__lt=before).exclude(Exists(footage)).delete()
    return deleted
