"""Websocket consumers: /ws/cameras/<id>/ relays that camera's group (status now; overlays and alarms later)."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.access import can_access_camera
from vms.realtime import camera_group

FORBIDDEN = 4403


class CameraConsumer(AsyncJsonWebsocketConsumer):
    """Authorised once in connect(): the user must be logged in, may view cameras and access this one."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.camera_id = int(self.scope["url_route"]["kwargs"]["camera_id"])
        allowed = bool(user and user.is_authenticated) and await database_sync_to_async(self._allowed)(user)
        if not allowed:
            await self.close(code=FORBIDDEN)
            return
        self.group = camera_group(self.camera_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    def _allowed(self, user) -> bool:
        return user.has_perm("devices.view_camera") and can_access_camera(user, self.camera_id)

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def relay(self, event: dict) -> None:
        await self.send_json(event["message"])
