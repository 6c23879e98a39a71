"""Tells a camera's watchers (its websockets) its live status, whoever changed it: the recorder or the analytics."""

from __future__ import annotations

from devices.api.serializers import status_message
from devices.models import Camera
from vms import realtime


def publish_status(camera_id: int) -> None:
    """Tell the camera's watchers its live status, in the shape the REST API gives it."""
    camera = Camera.objects.select_related("recorder").filter(pk=camera_id).first()
    if camera is not None:
        realtime.publish(realtime.camera_group(camera_id), "camera.status", status_message(camera))
