"""Websocket consumers relaying camera groups: /ws/cameras/<id>/ for one camera, /ws/cameras/ for all a user sees:
camera status and alarms."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts.access import cameras_visible_to, can_access_camera
from vms.realtime import camera_group
from vms.ws_auth import FORBIDDEN, AccessWatchingConsumer


class CameraListConsumer(AccessWatchingConsumer, AsyncJsonWebsocketConsumer):
    """Status of every camera the user may see (the cameras page); cameras added later need a reconnect.

    Authorised in connect(): the user must be logged in and may view cameras; checked again whenever the user's
    access changes, which closes the socket or follows the cameras granted and revoked."""

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

    async def still_allowed(self, user) -> bool:
        camera_ids = await database_sync_to_async(self._visible)(user)
        if camera_ids is None:
            return False
        wanted = {camera_group(camera_id) for camera_id in camera_ids}
        for group in set(self.groups_joined) - wanted:
            await self.channel_layer.group_discard(group, self.channel_name)
        for group in wanted - set(self.groups_joined):
            await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined = sorted(wanted)
        return True

    def _visible(self, user) -> list[int] | None:
        if not user.has_perm("devices.view_camera"):
            return None
        return list(cameras_visible_to(user).values_list("pk", flat=True))

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def relay(self, event: dict) -> None:
        await self.send_json(event["message"])

    camera_status = alarm_raised = alarm_cleared = device_event = relay

    async def overlay_boxes(self, event: dict) -> None:
        """Boxes are for the live view of their camera (its own socket), not for every page."""


class CameraConsumer(CameraListConsumer):
    """The same for one camera (/ws/cameras/<id>/), which the user must be allowed to access."""

    def _visible(self, user) -> list[int] | None:
        camera_id = int(self.scope["url_route"]["kwargs"]["camera_id"])
        if not (user.has_perm("devices.view_camera") and can_access_camera(user, camera_id)):
            return None
        return [camera_id]
