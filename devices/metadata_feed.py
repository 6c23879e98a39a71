"""A camera's scene metadata as it arrives over MQTT: a client of the camera's broker (or the site's) subscribed to
the camera's topic, handing each frame it can read to a queue with its arrival time, as LiveFeed hands video."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from django.conf import settings

from devices.choices import MetadataTransport
from devices.models import Camera
from video.scene_metadata import MalformedMetadata, parse_frame
from video.track_summaries import parse_track_summary
from vms import outbound

log = logging.getLogger(__name__)
KEEPALIVE_SECONDS = 30
_PORTS = {"mqtt": 1883, "mqtts": 8883}


@dataclass(frozen=True)
class BrokerState:
    """Whether the broker can be used, as an item of the feed: `problem` in plain words, "" once it can."""

    problem: str


@dataclass(frozen=True)
class Broker:
    """Where a camera's metadata is: the broker's address, its login, and the topic."""

    url: str
    username: str
    password: str
    topic: str
    track_topic: str = ""  # where the device sums up each track that ended; "" for none


def broker_of(camera: Camera) -> Broker | None:
    """The camera's own broker, or the site's; None when neither is set, or the camera names no topic or takes its
    metadata from its stream."""
    if camera.metadata_transport != MetadataTransport.MQTT or not camera.metadata_topic:
        return None
    if camera.metadata_broker:
        return Broker(camera.metadata_broker, camera.metadata_username, camera.metadata_password,
                      camera.metadata_topic, camera.track_topic)
    if settings.MQTT_URL:
        return Broker(settings.MQTT_URL, settings.MQTT_USERNAME, settings.MQTT_PASSWORD, camera.metadata_topic,
                      camera.track_topic)
    return None


def check_broker_url(url: str) -> None:
    """Raise ValueError, in words for the admin, unless `url` is mqtt://host[:port] or mqtts://host[:port]."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise ValueError("The port must be a number from 1 to 65535.") from None
    if parts.scheme not in _PORTS or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ValueError("A broker address looks like mqtt://host:1883 or mqtts://host:8883.")
    if parts.username or parts.password:
        raise ValueError("Give the broker's username and password in their own fields, not in the address.")
    if port == 0:
        raise ValueError("The port must be a number from 1 to 65535.")


class MetadataFeed(threading.Thread):
    """Subscribes to one device's metadata until stopped; `items` (another feed's queue, say the video's) receives
    (arrival time, what `parse` makes of each payload of frame metadata: a SceneFrame, or a radar's RadarFrame),
    (arrival time, TrackSummary) for each summary of an ended track, and (arrival time, BrokerState) when the broker
    can or cannot be used."""

    def __init__(self, camera_id: int, broker: Broker, stop: threading.Event, items: queue.Queue,
                 parse: Callable[[bytes], object] = parse_frame) -> None:
        super().__init__(name=f"camera-{camera_id}-metadata", daemon=True)
        self.camera_id = camera_id
        self.broker = broker
        self.stop_event = stop
        self.items = items
        self.parse = parse

    def run(self) -> None:
        parts = urlsplit(self.broker.url)
        port = parts.port or _PORTS[parts.scheme]
        try:
            target = outbound.destination(parts.hostname, port, "camera", settings.OUTBOUND_ALLOW)
        except (outbound.DestinationDenied, OSError) as exc:
            self._problem(f"The camera's metadata broker cannot be used: {exc}")
            return
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"vms-{self.camera_id}-{uuid.uuid4().hex[:8]}")
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password)
        if parts.scheme == "mqtts":
            client.tls_set()
        client.on_connect = self._connected
        client.on_connect_fail = self._unreachable
        client.on_disconnect = self._disconnected
        client.on_message = self._received
        client.reconnect_delay_set(1, 30)
        # The checked address, not the name (as for cameras); TLS checks the certificate against the name.
        address = parts.hostname if parts.scheme == "mqtts" else target.addresses[0]
        client.connect_async(address, port, keepalive=KEEPALIVE_SECONDS)
        client.loop_start()
        try:
            self.stop_event.wait()
        finally:
            client.disconnect()
            client.loop_stop()

    def _connected(self, client: mqtt.Client, _userdata, _flags, reason, _properties) -> None:
        if reason.is_failure:
            self._problem(f"The MQTT broker at {self.broker.url} refused the connection: {reason}.")
            return
        client.subscribe([(topic, 0) for topic in (self.broker.topic, self.broker.track_topic) if topic])
        self._problem("")
        log.info("camera %s: following its scene metadata on %s", self.camera_id, self.broker.topic)

    def _unreachable(self, _client, _userdata) -> None:
        self._problem(f"Cannot reach the MQTT broker at {self.broker.url}; trying again.")

    def _disconnected(self, _client, _userdata, _flags, reason, _properties) -> None:
        if not self.stop_event.is_set():
            self._problem(f"Lost the MQTT broker at {self.broker.url} ({reason}); reconnecting.")

    def _problem(self, problem: str) -> None:
        self.items.put((time.time(), BrokerState(problem)))

    def _received(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        arrived = time.time()
        summary = self.broker.track_topic and mqtt.topic_matches_sub(self.broker.track_topic, message.topic)
        try:
            self.items.put((arrived, (parse_track_summary if summary else self.parse)(message.payload)))
        except MalformedMetadata as exc:
            log.warning("camera %s: ignored metadata on %s: %s", self.camera_id, message.topic, exc)
