"""A stand-in for an Axis camera's (or radar's) scene metadata over MQTT: it publishes frames in AXIS Scene Metadata's
Frame v1 format (data source `axis.scene.frame_v1`) to a real broker, Mosquitto on 127.0.0.1:1883.

Written by us from Axis's published description of the format (developer.axis.com, "AXIS Scene Metadata" >
"Analytics Data Format" > "Frame", and the topic definition com.axis.scene.frame.v1): a frame is {"channel_id",
"timestamp" (YYYY-MM-DDTHH:MM:SS.MMMMMMZ), "detections": [{"object_track_id", "bounding_box": {"left", "top",
"right", "bottom"} (fractions of the picture), "class": {"type", "score"}}], "track_events": [{"type":
"TrackEnded", "object_track_id"}]}. Axis documents no public broker of its own: the device publishes to the site's
broker on a topic its admin chooses.

With `track_topic`, it also sums up each track as it ends, in ObjectTrack v1 (data source `axis.scene.object_track_v1`;
"Analytics Data Format" > "Object Track"): {"channel_id", "id", "classes": [{"type", "score"}], "start_time",
"end_time", "duration", "path": [{"timestamp", "bounding_box"}], "image"}. The path samples are the frames' boxes;
Axis names the samples TimeAndPosition without giving their fields on the pages we read, so these are our guess from
the Frame's. The "image" is a placeholder snapshot, for the VMS to leave out."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tests.standins.mqtt_publisher import MqttPublisher


@dataclass(frozen=True)
class Walker:
    """An object moving in a straight line from `start` to `end` (box centres, fractions) over `seconds`, then
    staying at `end` for `stay` seconds; its box is `size` (w, h)."""

    track_id: str
    kind: str  # Axis's class type: Human, Car, Truck, Bus, Bike, ...
    start: tuple[float, float]
    end: tuple[float, float]
    seconds: float
    stay: float = 0.0
    size: tuple[float, float] = (0.08, 0.25)
    score: float = 0.9

    def box_at(self, t: float) -> dict[str, float] | None:
        if t > self.seconds + self.stay:
            return None
        u = min(t / self.seconds, 1.0) if self.seconds > 0 else 1.0
        x = self.start[0] + (self.end[0] - self.start[0]) * u
        y = self.start[1] + (self.end[1] - self.start[1]) * u
        w, h = self.size
        return {"left": round(x - w / 2, 4), "top": round(y - h / 2, 4), "right": round(x + w / 2, 4),
                "bottom": round(y + h / 2, 4)}


def object_track(walker: Walker, path: Sequence[tuple[datetime, dict[str, float]]], channel: int = 1) -> bytes:
    """One ObjectTrack v1 payload summing up `walker`'s track: `path` is (time, box) of each frame it was in."""
    stamp = "%Y-%m-%dT%H:%M:%S.%fZ"
    start, end = path[0][0], path[-1][0]
    return json.dumps({
        "channel_id": channel, "id": walker.track_id,
        "classes": [{"type": walker.kind, "score": walker.score}, {"type": "Vehicle", "score": 0.05}],
        "start_time": start.astimezone(UTC).strftime(stamp), "end_time": end.astimezone(UTC).strftime(stamp),
        "duration": (end - start).total_seconds(),
        "path": [{"timestamp": at.astimezone(UTC).strftime(stamp), "bounding_box": box} for at, box in path],
        "image": {"data": "/9j/4AAQSkZJRgABAQ==", "type": "image/jpeg"},
    }).encode()


def frame(at: datetime, detections: Iterable[tuple[str, str, dict[str, float], float]],
          ended: Sequence[str] = (), channel: int = 1) -> bytes:
    """One Frame v1 payload: detections are (track id, class type, bounding box, score)."""
    return json.dumps({
        "channel_id": channel,
        "timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "detections": [{"object_track_id": track, "bounding_box": box, "class": {"type": kind, "score": score}}
                       for track, kind, box, score in detections],
        "track_events": [{"type": "TrackEnded", "object_track_id": track} for track in ended],
    }).encode()


class AxisScenePublisher(MqttPublisher):
    """Publishes to one topic of the broker; `play` sends walkers' frames at `fps` in a thread of its own."""

    def __init__(self, topic: str | None = None, clock_offset: float = 0.0, track_topic: str | None = None) -> None:
        super().__init__(topic or f"axis/B8A44F{uuid.uuid4().hex[:6].upper()}/scene/frame", clock_offset)
        self.track_topic = track_topic
        self.summaries: dict[str, tuple[datetime, datetime]] = {}  # track id -> (start, end) as sent, device clock

    def play(self, walkers: Sequence[Walker], fps: float = 10.0) -> None:
        """Send the walkers' frames from now on, ending each track when its walker is done (and summing it up on
        `track_topic`, if set)."""

        def run() -> None:
            t, done = 0.0, set()
            paths: dict[str, list] = {w.track_id: [] for w in walkers}
            while not self.stop_event.is_set() and len(done) < len(walkers):
                now = self.now()
                boxes = [(w, w.box_at(t)) for w in walkers if w.track_id not in done]
                ended = [w for w, box in boxes if box is None]
                done.update(w.track_id for w in ended)
                for w, box in boxes:
                    if box:
                        paths[w.track_id].append((now, box))
                self.send(frame(now, [(w.track_id, w.kind, box, w.score) for w, box in boxes if box],
                                [w.track_id for w in ended]))
                for w in ended:
                    if self.track_topic and paths[w.track_id]:
                        self.summaries[w.track_id] = (paths[w.track_id][0][0], paths[w.track_id][-1][0])
                        self.send(object_track(w, paths[w.track_id]), self.track_topic)
                self.stop_event.wait(1 / fps)
                t += 1 / fps

        self.thread = threading.Thread(target=run, name="axis-scene-publisher", daemon=True)
        self.thread.start()
