"""Tells a camera's watchers (its websockets) its live status, whoever changed it: the recorder, the analytics (of a
radar) or the event listener (of an I/O module)."""

from __future__ import annotations

from django.utils import timezone

from devices.api.serializers import status_message
from devices.models import Camera
from vms import realtime


def publish_status(camera_id: int) -> None:
    """Tell the camera's watchers its live status, in the shape the REST API gives it."""
    camera = Camera.objects.select_related("recorder", "standby").filter(pk=camera_id).first()
    if camera is not None:
        realtime.publish(realtime.camera_group(camera_id), "camera.status", status_message(camera))


def set_status(camera_id: int, status: str, error: str) -> None:
    """Set a device's status and why (empty when well), and tell its watchers if that changed."""
    changed = Camera.objects.filter(pk=camera_id).exclude(status=status, last_error=error).update(
        status=status, last_error=error, status_changed_at=timezone.now())
    if changed:
        publish_status(camera_id)
