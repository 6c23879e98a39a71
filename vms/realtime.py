"""The one place that publishes to Channels groups: camera.<id>, user.<id>, access.<user id> and system."""

from __future__ import annotations

import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

log = logging.getLogger(__name__)


def camera_group(camera_id: int) -> str:
    return f"camera.{camera_id}"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def access_group(user_id: int) -> str:
    """Every open websocket of one user, told to check again when the user's access changed. Apart from
    user.<id>, whose job progress only the jobs socket wants."""
    return f"access.{user_id}"


def publish(group: str, message_type: str, data: dict) -> None:
    """Send {"type", "v", "ts", "data"} to a group; a channel layer outage is logged, never raised."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = {"type": message_type, "v": 1, "ts": time.time(), "data": data}
    try:
        # The channel-layer type is the message type: each consumer has a handler per type (camera_status...).
        async_to_sync(layer.group_send)(group, {"type": message_type, "message": message})
    except Exception as exc:  # noqa: BLE001  (realtime is best effort; the database holds the truth)
        log.warning("could not publish %s to %s: %s", message_type, group, exc)
