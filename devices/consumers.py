"""Push-to-talk websocket /ws/talk/<camera_id>/: the browser's microphone to the camera's speaker.

Authorised in connect(): the user needs the `talk` permission and access to the camera, else the socket closes with
FORBIDDEN before it opens. Once open, one text message says how it went: {"type": "talk.start", "data": {"codec",
"rate"}} when the camera's back channel is open (talk), or {"type": "talk.refused"|"talk.failed", "data":
{"detail"}} before the socket closes (someone else talks, the camera has no speaker, or cannot be reached).

The browser may send {"type": "format", "rate": N} (its samples a second, 8000 when it says nothing), then binary
frames of 16-bit little-endian mono PCM, sent to the camera as they come. Closing the socket ends the talk; each
talk session is audited when it starts and when it ends, with its length.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from accounts.access import cameras_visible_to
from devices import talk
from video import backchannel
from vms import outbound
from vms.ws_auth import FORBIDDEN, AccessWatchingConsumer

log = logging.getLogger(__name__)
SPEAKER_BUSY = 4409
NO_SPEAKER = 4404
CAMERA_UNAVAILABLE = 4502
RATES = range(8000, 96001)


def _message(message_type: str, data: dict) -> str:
    return json.dumps({"type": message_type, "v": 1, "ts": time.time(), "data": data})


class TalkConsumer(AccessWatchingConsumer, AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.camera_id = int(self.scope["url_route"]["kwargs"]["camera_id"])
        self.started_at = timezone.now()  # the button's press: what the browser hears from then on reaches the camera
        self.talk: backchannel.Talk | None = None
        self.session = ""
        self.rate = 8000
        user = self.scope.get("user")
        self.camera = await self._camera(user) if user and user.is_authenticated else None
        if self.camera is None:
            await self.close(code=FORBIDDEN)
            return
        await self.accept()
        if not self.camera.has_speaker:
            await self._refuse("talk.refused", f"{self.camera.name} has no speaker (no ONVIF audio back channel, as "
                                               "far as the VMS knows: probe the camera again if it has one now).",
                               NO_SPEAKER)
            return
        try:
            self.session = await database_sync_to_async(talk.claim_speaker)(self.camera, user.get_username())
        except talk.SpeakerBusy as exc:
            await self._refuse("talk.refused", str(exc), SPEAKER_BUSY)
            return
        try:
            url = await database_sync_to_async(talk.back_channel_url)(self.camera)
            self.talk = await backchannel.open_talk(url, self.camera.username, self.camera.password)
        except (backchannel.BackChannelError, outbound.DestinationDenied, socket.gaierror) as exc:
            await database_sync_to_async(talk.release_speaker)(self.camera_id, self.session)
            self.session = ""
            detail = getattr(exc, "message", None) or str(exc)
            log.warning("camera %s: talk not opened: %s", self.camera_id, detail)
            await self._refuse("talk.failed", detail, CAMERA_UNAVAILABLE)
            return
        await database_sync_to_async(talk.audit_talk_started)(self.camera, self.scope, user, self.session, self.talk)
        self.renewing = asyncio.create_task(self._renew())
        await self.send(text_data=_message("talk.start", {"codec": self.talk.codec, "rate": self.talk.rate}))

    @database_sync_to_async
    def _camera(self, user):
        """The camera if `user` may talk through it."""
        if not user.has_perm("devices.talk"):
            return None
        return cameras_visible_to(user).filter(pk=self.camera_id).first()

    async def _refuse(self, message_type: str, detail: str, code: int) -> None:
        await self.send(text_data=_message(message_type, {"detail": detail}))
        await self.close(code=code)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(talk.RENEW_SECONDS)
            await database_sync_to_async(talk.renew_speaker)(self.camera_id, self.session)

    async def still_allowed(self, user) -> bool:
        if await self._camera(user) is not None:
            return True
        await self._end()  # not one more sound once the user may no longer talk
        return False

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None:
            try:
                message = json.loads(text_data)
                if message.get("type") == "format" and int(message["rate"]) in RATES:
                    self.rate = int(message["rate"])
            except (ValueError, TypeError, KeyError, AttributeError):
                pass  # a malformed message from a browser is ignored, not fatal
            return
        if self.talk is None or not bytes_data:
            return
        try:
            await self.talk.send(bytes_data, self.rate)
        except (backchannel.BackChannelError, OSError) as exc:
            log.warning("camera %s: talk lost: %s", self.camera_id, exc)
            await self.send(text_data=_message("talk.failed", {"detail": f"The connection to {self.camera.name}'s "
                                                                          "speaker was lost."}))
            await self._end()
            await self.close(code=CAMERA_UNAVAILABLE)

    async def disconnect(self, code: int) -> None:
        await self._end()

    async def _end(self) -> None:
        if self.talk is None:
            return
        current, self.talk = self.talk, None
        self.renewing.cancel()
        await current.close()
        await database_sync_to_async(talk.release_speaker)(self.camera_id, self.session)
        await database_sync_to_async(talk.audit_talk_ended)(self.camera, self.scope, self.scope["user"],
                                                            self.session, self.started_at)
