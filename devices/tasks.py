"""Device work: the ends of PTZ control sessions that expired with nobody looking, PTZ tours' steps, and whether a
camera has a speaker, asked when it is added or its stream changes."""

from __future__ import annotations

import logging
import socket

from celery import shared_task

from devices import ptz_control, ptz_tours, talk
from devices.models import Camera
from video.backchannel import BackChannelError
from vms.outbound import DestinationDenied

log = logging.getLogger(__name__)


@shared_task(name="devices.tasks.end_expired_ptz_control", ignore_result=True)
def end_expired_ptz_control() -> None:
    """Audit the end of every PTZ control session that expired since the last sweep."""
    for camera in Camera.objects.exclude(ptz_profile=""):
        ptz_control.holder_of(camera)


@shared_task(name="devices.tasks.advance_ptz_tours", ignore_result=True)
def advance_ptz_tours() -> None:
    """Start and stop scheduled PTZ tours, and move the cameras whose tour's next step is due."""
    ptz_tours.tick()


@shared_task(name="devices.tasks.detect_speaker", ignore_result=True)
def detect_speaker(camera_id: int) -> None:
    """Ask the camera whether it has a speaker (ONVIF audio back channel) and keep what it says."""
    camera = Camera.objects.filter(pk=camera_id).exclude(main_url="").first()
    if camera is None:
        return
    try:
        talk.detect_speaker(camera)
    except (BackChannelError, DestinationDenied, socket.gaierror) as exc:
        log.info("camera %s: whether it has a speaker is unknown: %s", camera_id, exc)
