"""A camera's (or radar's) summary of one object's track, sent once when the track ends: its class, when it began
and ended, how fast it went, and where it went. Pure code: JSON in, a TrackSummary out.

Two formats are read, as Axis documents them (developer.axis.com, "AXIS Scene Metadata", Analytics Data Format):
- ObjectTrack v1 (data source `axis.scene.object_track_v1`, AXIS OS 12.8 on): {"channel_id", "id", "classes":
  [{"type", "score"}], "start_time", "end_time", "duration", "maximum_speed", "minimum_speed" (m/s), "path":
  [TimeAndPosition], "parts", "image"};
- the beta Consolidated track it replaced (`com.axis.consolidated_track.v1.beta`): {"id", "classes", "start_time",
  "end_time", "end_reason", "duration", "observations": [{"timestamp", "bounding_box", ...}], "image"}, also inside
  the message broker's {"data": ...} envelope.
Of a path sample (TimeAndPosition, or an observation) the VMS reads the time and the picture's box (`timestamp`,
`bounding_box`: ADF's normalised box, y down); a sample without a box (a radar's position in metres) adds no point.
The snapshot (`image`) is never read: a picture of a person is personal data the VMS has no use for here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from video.geometry import Box
from video.scene_metadata import (
    MalformedMetadata,
    box_of,
    channel_of,
    frame_time,
    json_object,
    label_of,
    object_list,
    track_id,
)

# A path longer than this is thinned to this many samples, evenly: enough to draw and search it.
MAX_PATH_POINTS = 200
_MAX_SPEED_MPS = 150.0  # faster than any object a security radar or camera reports


@dataclass(frozen=True)
class PathPoint:
    at: datetime
    box: Box


@dataclass(frozen=True)
class TrackSummary:
    """One ended track: the device's id for it, its best class in the VMS's words, that class's score, its start and
    end on the device's clock, its top speed in m/s (None if not told) and its path (boxes on the picture)."""

    id: str
    label: str
    score: float
    started_at: datetime
    ended_at: datetime
    max_speed: float | None
    path: list[PathPoint]
    channel: int | None = None


def parse_track_summary(payload: bytes | str) -> TrackSummary:
    """Read one MQTT payload of a track summary (ObjectTrack v1 or the beta Consolidated track). Raises
    MalformedMetadata."""
    document = json_object(payload)
    if isinstance(document.get("data"), dict):
        document = document["data"]
    if "id" not in document or "start_time" not in document:
        raise MalformedMetadata("not a track summary: it needs an id and a start_time")
    label, score = _best_class(document.get("classes"))
    samples = document.get("path") if "path" in document else document.get("observations")
    path = _path(samples)
    started_at = frame_time(document.get("start_time"))
    ended_at = frame_time(document["end_time"]) if document.get("end_time") is not None else (
        path[-1].at if path else started_at)
    if ended_at < started_at:
        raise MalformedMetadata("the track ends before it starts")
    return TrackSummary(track_id(document.get("id")), label, score, started_at, ended_at,
                        _speed(document.get("maximum_speed")), path, channel_of(document))


def _best_class(items: object) -> tuple[str, float]:
    """The candidate class with the highest score, in the VMS's words; ("unknown", 0) when there is none."""
    best = ("unknown", 0.0)
    for item in object_list(items, "classes"):
        if not isinstance(item, dict):
            raise MalformedMetadata("a class is not an object")
        score = item.get("score", 1.0)
        if not isinstance(score, int | float) or isinstance(score, bool) or not 0 <= score <= 1:
            raise MalformedMetadata("a class score is not between 0 and 1")
        if score > best[1]:
            best = (label_of(str(item.get("type", ""))), float(score))
    return best


def _path(samples: object) -> list[PathPoint]:
    if samples is None:
        return []
    if not isinstance(samples, list):
        raise MalformedMetadata("the path is not a list")
    step = max(1, math.ceil(len(samples) / MAX_PATH_POINTS))
    points = []
    for sample in samples[::step]:
        if not isinstance(sample, dict):
            raise MalformedMetadata("a path sample is not an object")
        if sample.get("bounding_box") is not None:
            points.append(PathPoint(frame_time(sample.get("timestamp")), box_of(sample["bounding_box"])))
    return sorted(points, key=lambda point: point.at)


def _speed(value: object) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= _MAX_SPEED_MPS:
        raise MalformedMetadata(f"maximum_speed is not a speed from 0 to {_MAX_SPEED_MPS:.0f} m/s")
    return float(value)
