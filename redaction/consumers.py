"""Websocket /ws/jobs/: the progress of the logged-in user's export jobs (group user.<id>)."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from vms.realtime import user_group
from vms.ws_auth import FORBIDDEN, AccessWatchingConsumer


class JobProgressConsumer(AccessWatchingConsumer, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        self.group = None
        if not (user and user.is_authenticated):
            await self.close(code=FORBIDDEN)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def job_progress(self, event: dict) -> None:
        await self.send_json(event["message"])
