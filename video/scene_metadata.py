"""What a camera's own analytics see, frame by frame: AXIS Scene Metadata (JSON, as Axis devices publish it over
MQTT) read into the same tracks the server's detector and tracker make, so rules, overlays and events work on them
unchanged. Pure code: JSON in, tracks out.

Two formats are read, as Axis documents them (developer.axis.com, "AXIS Scene Metadata", Analytics Data Format):
- Frame v1 (data source `axis.scene.frame_v1`, AXIS OS 12.8 on): {"channel_id", "timestamp", "detections":
  [{"object_track_id", "bounding_box": {"left", "top", "right", "bottom"}, "class": {"type", "score"}}],
  "track_events": [{"type": "TrackEnded", "object_track_id"} | {"type": "Rename", "from_id", "to_id"}]};
- the beta frame it replaced (`com.axis.analytics_scene_description.v0.beta`): {"frame": {"timestamp",
  "observations": [{"track_id", "bounding_box", "class"}], "operations": [{"type": "DeleteOperation", "id"}]}}.
Boxes are fractions of the picture, y down, as the VMS's own.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from video.geometry import Box, Point, center, iou, point_in_polygon
from video.tracking import Track

MAX_PAYLOAD_BYTES = 1_000_000
MAX_OBJECTS = 500
_MAX_ID = 100
# Axis's and ONVIF's class types, in the VMS's object classes (those of its own detector); anything else is
# "unknown". ONVIF's schema before version 2 spelled Vehicle "Vehical".
_CLASSES = {
    "human": "person", "face": "person", "car": "car", "bus": "bus", "truck": "truck", "bike": "bicycle",
    "bicycle": "bicycle", "motorcycle": "motorcycle", "motorcyclebicycle": "motorcycle",
    "vehicle": "car", "vehicleother": "car", "vehical": "car",
}
UNKNOWN = "unknown"


def label_of(class_type: str) -> str:
    """A camera's class type (Human, Vehicle, ...) in the VMS's object classes."""
    return _CLASSES.get(class_type.strip().lower(), UNKNOWN)


class MalformedMetadata(ValueError):
    """A payload that is not AXIS Scene Metadata; str() says why, for the log."""


@dataclass(frozen=True)
class SceneObject:
    """One object the camera sees in a frame: its track id (the camera's), class in the VMS's words, score, box."""

    id: str
    label: str
    score: float
    box: Box


@dataclass(frozen=True)
class SceneFrame:
    """One frame's metadata: when the camera saw it (its clock), what it saw, the tracks it ended, and the tracks it
    renamed (a track found to be the same object as an earlier one: (from, to))."""

    camera_time: datetime
    objects: list[SceneObject]
    ended: list[str] = field(default_factory=list)
    renamed: list[tuple[str, str]] = field(default_factory=list)
    channel: int | None = None


def json_object(payload: bytes | str) -> dict:
    """An MQTT payload read as the JSON object it must be. Raises MalformedMetadata."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise MalformedMetadata(f"the payload is over {MAX_PAYLOAD_BYTES} bytes")
    try:
        document = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedMetadata(f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise MalformedMetadata("not a JSON object")
    return document


def parse_frame(payload: bytes | str) -> SceneFrame:
    """Read one MQTT payload of frame metadata (Frame v1 or the beta frame). Raises MalformedMetadata."""
    document = json_object(payload)
    if isinstance(document.get("data"), dict):  # the message broker's envelope around the beta frame
        document = document["data"]
    if isinstance(document.get("frame"), dict):
        beta = document["frame"]
        objects = _objects(beta.get("observations"), "track_id")
        ended = [track_id(op.get("id")) for op in object_list(beta.get("operations"), "operations")
                 if isinstance(op, dict) and op.get("type") == "DeleteOperation"]
        return SceneFrame(frame_time(beta.get("timestamp")), objects, ended)
    objects = _objects(document.get("detections"), "object_track_id")
    ended, renamed = track_events(document)
    return SceneFrame(frame_time(document.get("timestamp")), objects, ended, renamed, channel_of(document))


def track_events(document: dict) -> tuple[list[str], list[tuple[str, str]]]:
    """A Frame v1's track events: the tracks it ended, and those it renamed ((from, to))."""
    ended, renamed = [], []
    for event in object_list(document.get("track_events"), "track_events"):
        if not isinstance(event, dict):
            raise MalformedMetadata("a track event is not an object")
        if event.get("type") == "TrackEnded":
            ended.append(track_id(event.get("object_track_id")))
        elif event.get("type") == "Rename":
            renamed.append((track_id(event.get("from_id")), track_id(event.get("to_id"))))
    return ended, renamed


def channel_of(document: dict) -> int | None:
    """A Frame v1's channel: the video channel, or the radar sensor, it describes."""
    channel = document.get("channel_id")
    if channel is not None and (not isinstance(channel, int) or isinstance(channel, bool)):
        raise MalformedMetadata("channel_id is not a whole number")
    return channel


def _objects(items: object, id_name: str) -> list[SceneObject]:
    objects = []
    for item in object_list(items, "detections"):
        if not isinstance(item, dict):
            raise MalformedMetadata("a detection is not an object")
        kind = item.get("class") if isinstance(item.get("class"), dict) else {}
        score = kind.get("score", 1.0)
        if not isinstance(score, int | float) or not 0 <= score <= 1:
            raise MalformedMetadata("a class score is not between 0 and 1")
        label = label_of(str(kind.get("type", "")))
        objects.append(SceneObject(track_id(item.get(id_name)), label, float(score), box_of(item.get("bounding_box"))))
    return objects


def object_list(items: object, name: str) -> list:
    if items is None:
        return []
    if not isinstance(items, list) or len(items) > MAX_OBJECTS:
        raise MalformedMetadata(f"{name} is not a list of at most {MAX_OBJECTS}")
    return items


def track_id(value: object) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value) or len(str(value)) > _MAX_ID:
        raise MalformedMetadata("a track has no id")
    return str(value)


def box_of(value: object) -> Box:
    if not isinstance(value, dict):
        raise MalformedMetadata("a detection has no bounding_box")
    sides = [value.get(side) for side in ("left", "top", "right", "bottom")]
    if not all(isinstance(s, int | float) and not isinstance(s, bool) and math.isfinite(s) for s in sides):
        raise MalformedMetadata("a bounding_box needs left, top, right and bottom numbers")
    left, top, right, bottom = (min(max(float(s), 0.0), 1.0) for s in sides)
    if right <= left or bottom <= top:
        raise MalformedMetadata("a bounding_box is empty or upside down")
    return Box.from_corners(left, top, right, bottom)


def frame_time(value: object) -> datetime:
    if not isinstance(value, str):
        raise MalformedMetadata("the frame has no timestamp")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MalformedMetadata(f"timestamp {value[:40]!r} is not a time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def outside_masks(frame: SceneFrame, masks: Sequence[Sequence[Point]]) -> SceneFrame:
    """The frame without the objects whose centre lies under a privacy mask (polygons in fractions of the picture):
    the camera analyses the scene before any mask, and a box there would tell who moves where nobody may look."""
    if not masks:
        return frame
    objects = [item for item in frame.objects if not any(point_in_polygon(center(item.box), mask) for mask in masks)]
    return replace(frame, objects=objects)


# How many ended tracks' numbers are remembered, for their summaries that come later.
MAX_ENDED_REMEMBERED = 1000


@dataclass
class Seen:
    """One of a device's tracks as last reported: the object, when first and last seen, and its recent path."""

    item: object
    first: float
    last: float
    path: deque


class NumberedTracks:
    """A device's tracks as the VMS's: each device track id gets a number of the VMS's own (rules and overlays key
    on numbers), a renamed track keeps the number of the one it continues, and a track the device ended, or stopped
    reporting for `max_missing_seconds`, is gone. Cameras' and radars' tracks build on it."""

    def __init__(self, max_missing_seconds: float, path_length: int = 50) -> None:
        self.max_missing_seconds = max_missing_seconds
        self.path_length = path_length
        self._numbers: dict[str, int] = {}
        self._next = 1
        self._seen: dict[int, Seen] = {}
        # The numbers of the tracks that ended lately (the device's summary of a track comes after its end).
        self._ended: dict[str, int] = {}

    def _take(self, renamed: list[tuple[str, str]], objects: Sequence, ended: list[str], t: float,
              point_of: Callable[[object], tuple]) -> None:
        """Take one frame seen at `t` (seconds on the VMS's clock): its renames, objects (each with an `id`; the
        path gets `point_of(object)`) and ended tracks."""
        for old, new in renamed:
            if old in self._numbers:
                self._numbers[new] = self._numbers.pop(old)
        for item in objects:
            number = self._numbers.get(item.id)
            if number is None:
                number = self._numbers[item.id] = self._next
                self._next += 1
            seen = self._seen.get(number)
            if seen is None:
                seen = self._seen[number] = Seen(item, t, t, deque(maxlen=self.path_length))
            seen.item, seen.last = item, t
            seen.path.append(point_of(item))
        for gone in ended:
            self.end(gone)

    def end(self, device_id: str) -> int | None:
        """Forget the device's track `device_id` (it ended); its number, if it had one, now or lately."""
        number = self._numbers.pop(device_id, None)
        if number is None:
            return self._ended.get(device_id)
        self._seen.pop(number, None)
        self._forget_later({device_id: number})
        return number

    def _forget_later(self, ended: dict[str, int]) -> None:
        self._ended.update(ended)
        while len(self._ended) > MAX_ENDED_REMEMBERED:  # the oldest first (dicts keep their order)
            del self._ended[next(iter(self._ended))]

    def _current(self, t: float) -> list[tuple[int, Seen, bool]]:
        """(number, as last seen, missing) of the tracks reported within `max_missing_seconds` of `t`, `missing`
        when not in the latest frame."""
        gone = {number for number, seen in self._seen.items() if t - seen.last > self.max_missing_seconds}
        if gone:
            self._seen = {number: seen for number, seen in self._seen.items() if number not in gone}
            self._forget_later({key: number for key, number in self._numbers.items() if number in gone})
            self._numbers = {key: number for key, number in self._numbers.items() if number not in gone}
        latest = max((seen.last for seen in self._seen.values()), default=t)
        return [(number, seen, seen.last < latest) for number, seen in sorted(self._seen.items())]


class SceneTracks(NumberedTracks):
    """The camera's tracks as the VMS's (see NumberedTracks)."""

    def __init__(self, max_missing_seconds: float = 1.5, path_length: int = 50) -> None:
        super().__init__(max_missing_seconds, path_length)

    def update(self, frame: SceneFrame, t: float) -> list[Track]:
        """Take one frame, seen at `t` (seconds on the VMS's clock), and return the tracks now in the scene."""
        self._take(frame.renamed, frame.objects, frame.ended, t, lambda item: (t, item.box))
        return self.current(t)

    def current(self, t: float) -> list[Track]:
        """The tracks in the scene at `t`: those the camera reported within `max_missing_seconds` (`missing` when
        not in its latest frame)."""
        return [Track(number, seen.item.label, seen.item.score, seen.item.box, seen.first, seen.last, missing,
                      tuple(seen.path)) for number, seen, missing in self._current(t)]


# The server's own tracks are numbered from here when merged with the camera's, so the two never share a number.
SERVER_TRACK_IDS = 1_000_000
# A server track overlapping a camera track this much (IoU) is the same object, already reported by the camera.
SAME_OBJECT_IOU = 0.3


def merged_tracks(camera: list[Track], server: list[Track]) -> list[Track]:
    """The camera's tracks first, and the server's where the camera reports nothing (no camera track over them)."""
    extra = [replace(track, id=SERVER_TRACK_IDS + track.id) for track in server
             if all(iou(track.box, own.box) < SAME_OBJECT_IOU for own in camera)]
    return camera + extra
