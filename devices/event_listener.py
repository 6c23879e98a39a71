"""The event listener: a long-lived process that subscribes to the ONVIF events of each camera it leases (a PullPoint
subscription, renewed before it runs out, made again when the camera restarts or a renewal fails) and hands what
the camera reports to CameraEvents. Cameras are shared out between listener processes by lease, as recorders are.

Run it as `manage.py device_events`."""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from lxml import etree

from devices import onvif
from devices.camera_events import CameraEvents
from devices.models import Camera
from recordings.leases import CameraThread, LeasingProcess
from video.device_events import DeviceEvent, MalformedEvent, parse_notification

log = logging.getLogger(__name__)

# How long a subscription lasts unless renewed (the client renews it well before), and how long one pull waits
# for news: also how soon a stopped listener notices.
SUBSCRIPTION = timedelta(seconds=60)
PULL_SECONDS = 5
MESSAGES_PER_PULL = 100
# The longest pause between attempts to reach a camera that does not answer.
MAX_RETRY_SECONDS = 60.0


def eligible_cameras():
    return Camera.objects.filter(enabled=True, listen_events=True).exclude(onvif_host="")


def config_of(camera: Camera) -> tuple:
    """What, when changed, makes the listener subscribe again (rules are read again for each batch of events)."""
    return (camera.onvif_host, camera.onvif_port, camera.username, camera.password_encrypted)


class CameraEventListener(CameraThread):
    """Listens to one camera's events until stopped, subscribing again after each failure with a growing pause."""

    def __init__(self, camera: Camera) -> None:
        super().__init__(name=f"events-{camera.pk}", daemon=True)
        self.camera_id = camera.pk
        self.config = config_of(camera)
        self.host, self.port = camera.onvif_host, camera.onvif_port
        self.username, self.password = camera.username, camera.password
        self.stop_event = threading.Event()
        self.error = camera.events_error

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        try:
            events = CameraEvents(self.camera_id)
            pause = 1.0
            while not self.stop_event.is_set():
                try:
                    asyncio.run(self._listen(events))
                    pause = 1.0
                except onvif.OnvifError as exc:
                    self._set_error(f"{exc.message} (retrying)")
                except Exception as exc:
                    log.exception("camera %s: listening to its events failed", self.camera_id)
                    self._set_error(f"Listening to the camera's events failed: {exc} (retrying)")
                if self.stop_event.wait(pause):
                    break
                pause = min(pause * 2, MAX_RETRY_SECONDS)
        finally:
            connection.close()

    async def _listen(self, events: CameraEvents) -> None:
        allow = settings.OUTBOUND_ALLOW
        async with onvif.session(self.host, self.port, self.username, self.password, allow) as camera:
            await camera.update_xaddrs()
            manager = await camera.create_pullpoint_manager(SUBSCRIPTION, self._renewal_failed)
            try:
                await asyncio.to_thread(self._set_error, "")
                log.info("camera %s: listening to its events at %s:%s", self.camera_id, self.host, self.port)
                while not self.stop_event.is_set():
                    # The manager makes a new subscription when a renewal fails: ask it for the current one.
                    result = await manager.get_service().PullMessages(
                        {"MessageLimit": MESSAGES_PER_PULL, "Timeout": timedelta(seconds=PULL_SECONDS)})
                    reported = self._read(result.NotificationMessage or [])
                    if reported:
                        await asyncio.to_thread(events.take, reported, _clock_offset(result.CurrentTime))
            finally:
                await manager.shutdown()

    def _read(self, messages: list) -> list[DeviceEvent]:
        reported = []
        for message in messages:
            try:
                topic = message.Topic._value_1 if message.Topic is not None else ""
                content = message.Message._value_1 if message.Message is not None else None
                if not isinstance(topic, str) or content is None or not hasattr(content, "tag"):
                    raise MalformedEvent("the notification holds no topic or no message")
                reported.append(parse_notification(topic, etree.tostring(content)))
            except MalformedEvent as exc:
                log.warning("camera %s: ignored an event it sent: %s", self.camera_id, exc)
        return reported

    def _renewal_failed(self) -> None:
        log.warning("camera %s: renewing its event subscription failed; subscribing again", self.camera_id)

    def _set_error(self, error: str) -> None:
        if error != self.error:
            self.error = error[:500]
            Camera.objects.filter(pk=self.camera_id).update(events_error=self.error)
            if error:
                log.warning("camera %s: %s", self.camera_id, error)


def _clock_offset(camera_now: datetime | None) -> timedelta:
    """How far ahead of ours the camera's clock is, from the time it gave with its answer."""
    if camera_now is None:
        return timedelta(0)
    if camera_now.tzinfo is None:
        camera_now = camera_now.replace(tzinfo=UTC)
    return camera_now - datetime.now(UTC)


class EventListener(LeasingProcess):
    kind = "events"
    holder_field = "event_listener"
    expires_field = "event_lease_expires_at"

    def eligible_cameras(self):
        return eligible_cameras()

    def config_of(self, camera: Camera) -> tuple:
        return config_of(camera)

    def start_camera(self, camera: Camera) -> CameraEventListener:
        return CameraEventListener(camera)
