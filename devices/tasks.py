"""Periodic device work: the ends of PTZ control sessions that expired with nobody looking."""

from __future__ import annotations

from celery import shared_task

from devices import ptz_control
from devices.models import Camera


@shared_task(name="devices.tasks.end_expired_ptz_control", ignore_result=True)
def end_expired_ptz_control() -> None:
    """Audit the end of every PTZ control session that expired since the last sweep."""
    for camera in Camera.objects.exclude(ptz_profile=""):
        ptz_control.holder_of(camera)
