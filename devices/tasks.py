"""Periodic device work: the ends of PTZ control sessions that expired with nobody looking, and PTZ tours' steps."""

from __future__ import annotations

from celery import shared_task

from devices import ptz_control, ptz_tours
from devices.models import Camera


@shared_task(name="devices.tasks.end_expired_ptz_control", ignore_result=True)
def end_expired_ptz_control() -> None:
    """Audit the end of every PTZ control session that expired since the last sweep."""
    for camera in Camera.objects.exclude(ptz_profile=""):
        ptz_control.holder_of(camera)


@shared_task(name="devices.tasks.advance_ptz_tours", ignore_result=True)
def advance_ptz_tours() -> None:
    """Start and stop scheduled PTZ tours, and move the cameras whose tour's next step is due."""
    ptz_tours.tick()
