"""A stand-in for an Axis radar (AXIS D2110-VE, D2210-VE, the radar channel of a Q1656-DLE) publishing its tracks over
MQTT to a real broker, Mosquitto on 127.0.0.1:1883, along scripted paths.

The format is AXIS Scene Metadata's Frame v1 (data source `axis.scene.frame_v1`), as Axis documents it
(developer.axis.com, "AXIS Scene Metadata" > "Analytics Data Format" > "Frame"; the radar's side in "Modules" > "Radar
motion tracker" and the ADF v1 change log): {"channel_id", "timestamp" (YYYY-MM-DDTHH:MM:SS.MMMMMMZ), "detections":
[{"object_track_id", "class": {"type": Human | Vehicle | Unknown, "score"}, "world_position": {"distance" (m),
"azimuth" (degrees, clockwise from the boresight), "elevation"}, "speed" (m/s), "direction" (degrees of travel,
clockwise from the boresight)}], "track_events": [{"type": "TrackEnded", "object_track_id"}]}. The envelope, the
classes, `world_position.distance` and speeds in m/s are Axis's; the names `azimuth`, `elevation`, `speed` and
`direction` are our reading of what the radar motion tracker reports (see video/radar.py), not copied from a device.
Written by us; the device publishes to the site's broker on a topic its admin chooses."""

from __future__ import annotations

import json
import math
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.standins.mqtt_publisher import MqttPublisher


@dataclass(frozen=True)
class Mover:
    """An object moving at constant speed along `waypoints` (metres: x right of the radar's boresight, y along it)
    over `seconds`, then standing at the last one for `stay` seconds. `reports_motion`: whether the radar gives its
    speed and direction (it does not for a fresh track)."""

    track_id: str
    kind: str  # Axis's class type: Human, Vehicle, Unknown
    waypoints: tuple[tuple[float, float], ...]
    seconds: float
    stay: float = 0.0
    score: float = 0.8
    reports_motion: bool = True

    def state_at(self, t: float) -> tuple[float, float, float, float] | None:
        """(x, y, speed m/s, direction) at `t` seconds from the start, None once done; standing still, the direction
        is that of the last leg."""
        if t > self.seconds + self.stay:
            return None
        legs = [(a, b) for a, b in zip(self.waypoints, self.waypoints[1:], strict=False) if a != b]
        if not legs:
            return *self.waypoints[-1], 0.0, 0.0
        total = sum(math.dist(a, b) for a, b in legs)
        moving = 0 <= t <= self.seconds and self.seconds > 0
        travelled = total * t / self.seconds if moving else total
        for a, b in legs:
            length = math.dist(a, b)
            if travelled <= length or (a, b) == legs[-1]:
                u = min(travelled / length, 1.0)
                direction = math.degrees(math.atan2(b[0] - a[0], b[1] - a[1])) % 360
                speed = total / self.seconds if moving else 0.0
                return a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u, speed, direction
            travelled -= length
        raise AssertionError("unreachable: the last leg always answers")


# The scripted site, seen from a radar looking along y: a person walks in from the left and loiters by the door
# (about 5 km/h), a car crosses the car park fast (72 km/h), and something drives down the exit lane towards the
# radar, against the way out (the lane runs away from it).
LOITERER = Mover("6b1d-person", "Human", ((-20.0, 30.0), (-2.0, 22.0)), seconds=14.0, stay=10.0, score=0.9)
SPEEDER = Mover("a2c4-car", "Vehicle", ((-40.0, 45.0), (40.0, 45.0)), seconds=4.0, score=0.95)
WRONG_WAY = Mover("f07e-thing", "Unknown", ((8.0, 60.0), (8.0, 15.0)), seconds=9.0, reports_motion=False)
SITE = (LOITERER, SPEEDER, WRONG_WAY)


def detection(track_id: str, kind: str, x: float, y: float, speed: float | None = None,
              direction: float | None = None, score: float = 0.8) -> dict:
    """One radar detection in Frame v1, its position as distance and azimuth."""
    item = {"object_track_id": track_id, "class": {"type": kind, "score": score},
            "world_position": {"distance": round(math.hypot(x, y), 3),
                               "azimuth": round(math.degrees(math.atan2(x, y)), 3), "elevation": 0.0}}
    if speed is not None:
        item["speed"] = round(speed, 3)
    if direction is not None:
        item["direction"] = round(direction, 2)
    return item


def frame(at: datetime, detections: Iterable[dict], ended: Sequence[str] = (), channel: int = 1) -> bytes:
    """One Frame v1 payload."""
    return json.dumps({
        "channel_id": channel,
        "timestamp": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "detections": list(detections),
        "track_events": [{"type": "TrackEnded", "object_track_id": track} for track in ended],
    }).encode()


def frame_at(movers: Sequence[Mover], t: float, at: datetime, done: set[str], channel: int = 1) -> bytes:
    """The frame `t` seconds into the script: the movers still going, and a TrackEnded for each just finished
    (added to `done`)."""
    items, ended = [], []
    for mover in movers:
        if mover.track_id in done:
            continue
        state = mover.state_at(t)
        if state is None:
            ended.append(mover.track_id)
            continue
        x, y, speed, direction = state
        motion = (speed, direction) if mover.reports_motion else (None, None)
        items.append(detection(mover.track_id, mover.kind, x, y, *motion, score=mover.score))
    done.update(ended)
    return frame(at, items, ended, channel)


class AxisRadarPublisher(MqttPublisher):
    """Publishes to one topic of the broker; `play` sends the movers' frames at `rate` a second in a thread of its
    own, ending each track when its mover is done."""

    def __init__(self, topic: str | None = None, channel: int = 1, clock_offset: float = 0.0) -> None:
        super().__init__(topic or f"axis/B8A44F{uuid.uuid4().hex[:6].upper()}/radar/frame", clock_offset)
        self.channel = channel

    def play(self, movers: Sequence[Mover] = SITE, rate: float = 10.0, speedup: float = 1.0) -> None:
        """Send the movers' frames from now on; `speedup` plays the script that many times faster (the reported
        speeds and the timestamps stay those of the script, so a fast test still sees a 72 km/h car)."""

        def run() -> None:
            t, done, start = 0.0, set(), self.now()
            while not self.stop_event.is_set() and len(done) < len(movers):
                self.send(frame_at(movers, t, start + timedelta(seconds=t), done, self.channel))
                self.stop_event.wait(1 / rate / speedup)
                t += 1 / rate

        self.thread = threading.Thread(target=run, name="axis-radar-publisher", daemon=True)
        self.thread.start()
