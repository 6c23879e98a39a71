"""The event listener: a long-lived process that subscribes to the ONVIF events of each camera it leases (a PullPoint
subscription, renewed before it runs out, made again when the camera restarts, a renewal or a pull fails, or the
camera cannot be reached for a while) and hands what the camera reports to CameraEvents. Cameras are shared out
between listener processes by lease, as recorders are.

Run it as `manage.py device_events`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from onvif import ONVIFCamera, ONVIFService
from onvif.util import normalize_url

from devices import onvif
from devices.camera_events import CameraEvents
from devices.choices import CameraStatus
from devices.models import Camera
from devices.status import set_status
from recordings.leases import CameraThread, LeasingProcess
from video.device_events import MalformedEvent, Pulled, PullRefused, parse_pull_response
from vms import outbound

log = logging.getLogger(__name__)
_PULL_POINT = "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription"

# How long one pull waits for news: also how soon a stopped listener notices.
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
        self.listening = False  # subscribed, in the current attempt
        # An I/O module is nothing but its events and outputs: whether they are heard is its health.
        self.tells_health = camera.is_io_module

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        try:
            events = CameraEvents(self.camera_id)
            pause = 1.0
            while not self.stop_event.is_set():
                self.listening = False
                try:
                    asyncio.run(self._listen(events))
                except onvif.OnvifError as exc:
                    self._failed(exc.message)
                except (PullRefused, MalformedEvent) as exc:
                    self._failed(f"The camera's event service answered wrongly: {exc}")
                except Exception as exc:
                    log.exception("camera %s: listening to its events failed", self.camera_id)
                    self._failed(f"Listening to the camera's events failed: {exc}")
                # A subscription that worked and then ended (the camera restarted) is made again at once.
                pause = 1.0 if self.listening else min(pause * 2, MAX_RETRY_SECONDS)
                if self.stop_event.wait(pause):
                    break
        finally:
            connection.close()

    def _failed(self, why: str) -> None:
        if self.listening:
            log.warning("camera %s: its event subscription ended (%s); subscribing again", self.camera_id, why)
        else:
            self._set_error(f"{why} (retrying)")

    async def _listen(self, events: CameraEvents) -> None:
        allow = settings.OUTBOUND_ALLOW
        async with onvif.session(self.host, self.port, self.username, self.password, allow) as camera:
            await onvif.find_services(camera)
            lasts = timedelta(seconds=settings.EVENT_SUBSCRIPTION_SECONDS)
            subscription, pull_point = await _subscribe(camera, lasts)
            try:
                self.listening = True
                await asyncio.to_thread(self._set_error, "")
                log.info("camera %s: listening to its events at %s:%s", self.camera_id, self.host, self.port)
                # Renewed at half its time: a renewal that fails, or a pull the camera no longer knows (it
                # restarted), ends this subscription, and run() makes a new one.
                renew_at = time.monotonic() + lasts.total_seconds() / 2
                while not self.stop_event.is_set():
                    pulled = await _pull(pull_point, min(PULL_SECONDS, lasts.total_seconds() / 4))
                    for why in pulled.refused:
                        log.warning("camera %s: ignored an event it sent: %s", self.camera_id, why)
                    if pulled.events:
                        await asyncio.to_thread(events.take, pulled.events, _clock_offset(pulled.camera_time))
                    if time.monotonic() >= renew_at:
                        await subscription.Renew(camera.get_next_termination_time(lasts))
                        renew_at = time.monotonic() + lasts.total_seconds() / 2
            finally:
                with contextlib.suppress(*onvif.ONVIF_ERRORS):
                    await subscription.Unsubscribe()

    def _set_error(self, error: str) -> None:
        if error != self.error:
            self.error = error[:500]
            Camera.objects.filter(pk=self.camera_id).update(events_error=self.error)
            if error:
                log.warning("camera %s: %s", self.camera_id, error)
        if self.tells_health:
            set_status(self.camera_id, CameraStatus.OFFLINE if error else CameraStatus.ONLINE, self.error)


async def _subscribe(camera: ONVIFCamera, lasts: timedelta) -> tuple[ONVIFService, ONVIFService]:
    """A new PullPoint subscription: its manager (to renew and end it) and its pull point."""
    events = await camera.create_events_service()
    created = await events.CreatePullPointSubscription(
        {"InitialTerminationTime": camera.get_next_termination_time(lasts)})
    # The camera names the subscription's address; it is reached at the address the session checked.
    address = normalize_url(created.SubscriptionReference.Address._value_1)
    if not address:
        raise MalformedEvent("the camera named no address for the subscription")
    camera.xaddrs[_PULL_POINT] = outbound.url_at(address, camera.host)
    subscription = await camera.create_subscription_service("PullPointSubscription")
    if camera.has_broken_relative_time(lasts, created.CurrentTime, created.TerminationTime):
        # A camera that reads "PT60S" wrongly gets absolute times from now on (on its own clock).
        await subscription.Renew(camera.get_next_termination_time(lasts))
    return subscription, await camera.create_pullpoint_service()


async def _pull(pull_point: ONVIFService, seconds: float) -> Pulled:
    """One pull, waiting up to `seconds` for news. The answer is read here rather than by the SOAP client, which
    would fail the whole answer on one notification it cannot read."""
    with pull_point.zeep_client.settings(raw_response=True):
        response = await pull_point.ws_client.PullMessages(MessageLimit=MESSAGES_PER_PULL,
                                                           Timeout=timedelta(seconds=seconds))
    return parse_pull_response(response.content)


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
    epoch_field = "event_lease_epoch"

    def eligible_cameras(self):
        return eligible_cameras()

    def config_of(self, camera: Camera) -> tuple:
        return config_of(camera)

    def start_camera(self, camera: Camera) -> CameraEventListener:
        return CameraEventListener(camera)
