"""What the MQTT stand-ins (an Axis camera's scene metadata, an Axis radar's tracks) share: a client of the test
broker (Mosquitto on 127.0.0.1:1883) publishing to one topic, with a device clock that may run ahead of ours."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Self

import paho.mqtt.client as mqtt

BROKER = ("127.0.0.1", 1883)


class MqttPublisher:
    """Connects on `with`; `send` publishes one payload (QoS 1, waited for); a subclass's `play` runs in `thread`
    until `stop_event` is set, which leaving the `with` does."""

    def __init__(self, topic: str, clock_offset: float = 0.0) -> None:
        self.topic = topic
        self.clock_offset = clock_offset  # seconds the device's clock is ahead of ours
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"standin-{uuid.uuid4().hex[:8]}")
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        self.client.connect(*BROKER)
        self.client.loop_start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        self.client.disconnect()
        self.client.loop_stop()

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    def send(self, payload: bytes | str, topic: str | None = None) -> None:
        self.client.publish(topic or self.topic, payload, qos=1).wait_for_publish(timeout=10)
