"""Live video websocket /ws/live/<camera_id>/: fMP4 for Media Source Extensions, from the live fan-out.

Text frames are JSON ({"type": "live.start"|"camera.status"|"overlay.boxes"|"live.unsupported", "v": 1, "data": ...});
binary frames are the init segment (right after live.start) and then one fragment per frame. The browser
acknowledges what it received ({"type": "ack", "received": n}); a viewer that falls more than
MAX_LAG_FRAGMENTS behind is skipped ahead to the next keyframe instead of growing a backlog.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from accounts import audit
from accounts.access import cameras_visible_to
from accounts.models import AuditAction
from devices.api.serializers import status_message
from recordings import unmasked
from recordings.live import LiveEnded, LiveFragment, LiveStart, hub
from vms.realtime import camera_group
from vms.ws_auth import FORBIDDEN, AccessWatchingConsumer

log = logging.getLogger(__name__)
RESUBSCRIBE_SECONDS = 1.0
MAX_LAG_FRAGMENTS = 50  # two seconds at 25 fps
BROWSER_CODECS = ("avc1",)


def _text(message_type: str, data: dict) -> str:
    return json.dumps({"type": message_type, "v": 1, "ts": time.time(), "data": data})


class LiveConsumer(AccessWatchingConsumer, AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.camera_id = int(self.scope["url_route"]["kwargs"]["camera_id"])
        self.streaming: asyncio.Task | None = None
        user = self.scope.get("user")
        self.unmasked_token = parse_qs(self.scope.get("query_string", b"").decode()).get("unmasked", [""])[0]
        camera = await self._camera(user) if user and user.is_authenticated else None
        if camera is None:
            await self.close(code=FORBIDDEN)
            return
        # The unmasked stream is its own feed, published only for cameras that keep one.
        self.feed = unmasked.live_key(self.camera_id) if self.unmasked_token else self.camera_id
        await self.accept()
        await database_sync_to_async(audit.record)(AuditAction.LIVE_VIEW, request=self.scope, user=user, camera=camera,
                                                   **({"unmasked": True} if self.unmasked_token else {}))
        self.sent = self.acked = 0
        self.skipping = False
        self.playable = False
        await self.channel_layer.group_add(camera_group(self.camera_id), self.channel_name)
        if camera.status not in ("online", "unknown"):
            await self.send(text_data=_text("camera.status", status_message(camera)))
        self.streaming = asyncio.create_task(self.stream())

    @database_sync_to_async
    def _camera(self, user):
        """The camera if `user` may watch it live (and unmasked, when asked with an unmasked access)."""
        if not user.has_perm("devices.view_live"):
            return None
        if self.unmasked_token and not unmasked.allows(self.unmasked_token, user, self.camera_id):
            return None
        return cameras_visible_to(user).select_related("recorder", "standby").filter(pk=self.camera_id).first()

    async def still_allowed(self, user) -> bool:
        if await self._camera(user) is not None:
            return True
        if self.streaming is not None:
            self.streaming.cancel()  # not one more frame once the user may no longer see the camera
        return False

    async def disconnect(self, code: int) -> None:
        if self.streaming is not None:
            self.streaming.cancel()
            await self.channel_layer.group_discard(camera_group(self.camera_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            message = json.loads(text_data or "")
            if message.get("type") == "ack":
                self.acked = max(self.acked, int(message["received"]))
        except (ValueError, TypeError, KeyError):
            pass  # a malformed message from a browser is ignored, not fatal

    async def stream(self) -> None:
        """Relay the camera's live video; if the fan-out connection fails, subscribe again (keeping the socket)."""
        while True:
            try:
                async for event in hub().subscribe(self.feed):
                    if isinstance(event, LiveStart):
                        await self.start(event)
                    elif isinstance(event, LiveFragment):
                        await self.fragment(event.keyframe, event.data)
                    elif isinstance(event, LiveEnded):
                        self.playable = False
            except Exception as exc:  # a Redis outage or time-out: the viewer waits and is fed again
                log.warning("live view of camera %s: fan-out failed, subscribing again: %s", self.camera_id, exc)
                self.playable = False
                await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def start(self, start: LiveStart) -> None:
        if not start.meta.get("mime", "").split('codecs="')[-1].startswith(BROWSER_CODECS):
            codec = start.meta.get("codec", "this codec")
            await self.send(text_data=_text("live.unsupported", {
                "detail": f"The camera sends {codec.upper()} video, which browsers cannot play; give it an "
                "H.264 sub-stream or switch it to H.264."}))
            self.playable = False
            return
        await self.send(text_data=_text("live.start", start.meta))
        await self.send(bytes_data=start.init)
        self.sent = self.acked = 0
        self.skipping = False
        self.playable = True
        for _seq, keyframe, data in start.fragments:
            await self.fragment(keyframe, data)

    async def fragment(self, keyframe: bool, data: bytes) -> None:
        if not self.playable:
            return
        if self.sent - self.acked > MAX_LAG_FRAGMENTS:
            self.skipping = True
        if self.skipping and not (keyframe and self.sent - self.acked <= MAX_LAG_FRAGMENTS):
            return
        self.skipping = False
        self.sent += 1
        await self.send(bytes_data=data)

    async def relay(self, event: dict) -> None:
        await self.send(text_data=json.dumps(event["message"]))

    camera_status = overlay_boxes = relay

    async def alarm_raised(self, event: dict) -> None:
        """Alarms and the camera's own events reach their lists through /ws/cameras/, not each live tile."""

    alarm_cleared = device_event = alarm_raised
