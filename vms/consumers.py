"""Websocket consumers relaying camera groups: /ws/cameras/<id>/ for one camera, /ws/cameras/ for all a user sees."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.access import cameras_visible_to, can_access_camera
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


class CameraListConsumer(AsyncJsonWebsocketConsumer):
    """Status of every camera the user may see (the cameras page); cameras added later need a reconnect."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.groups_joined: list[str] = []
        if not (user and user.is_authenticated):
            await self.close(code=FORBIDDEN)
            return
        camera_ids = await database_sync_to_async(self._visible)(user)
        if camera_ids is None:
            await self.close(code=FORBIDDEN)
            return
        for camera_id in camera_ids:
            group = camera_group(camera_id)
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()

    def _visible(self, user) -> list[int] | None:
        if not user.has_perm("devices.view_camera"):
            return None
        return list(cameras_visible_to(user).values_list("pk", flat=True))

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def relay(self, event: dict) -> None:
        await self.send_json(event["message"])
