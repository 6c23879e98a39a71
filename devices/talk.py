"""Talking through a camera's speaker over its ONVIF audio back channel (video/backchannel.py): whether the camera
has one (found in its SDP when it is probed), who talks through it (one person or one announcement at a time), and
the audit of each talk session and each announcement played.

Who has the speaker is kept in the Django cache (Redis when VMS_REDIS_URL is set, so every web node and worker sees
the same holder; without Redis, each process's memory, enough on one box for people talking through the one web
process, though a worker's announcement does not see them), for SPEAKER_HOLD_SECONDS, renewed while the talk goes on:
a web node that dies frees the speaker soon after."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction
from devices.models import Announcement, Camera
from devices.stream_urls import pinned_stream_url
from video import backchannel
from video.announcements import RATE, recording_chime

log = logging.getLogger(__name__)
SPEAKER_HOLD_SECONDS = 30
RENEW_SECONDS = 10
BUILT_IN_CHIME = "You are being recorded (chime)"


class SpeakerBusy(Exception):
    """Someone (or an announcement) talks through the camera's speaker already."""

    def __init__(self, camera: Camera, holder: dict) -> None:
        self.holder = holder
        super().__init__(f"{holder['who']} is talking through {camera.name}'s speaker: one at a time. Try again when "
                         "they are done.")


def _key(camera_id: int) -> str:
    return f"vms:speaker:{camera_id}"


def detect_speaker(camera: Camera, request=None) -> None:
    """Ask the camera (DESCRIBE with the ONVIF back channel's Require header) whether it has a speaker and what it
    takes, and keep what it says (a change audited). Raises backchannel.BackChannelError,
    outbound.DestinationDenied or socket.gaierror, and then keeps what was known."""
    channel = asyncio.run(backchannel.describe(back_channel_url(camera), camera.username, camera.password))
    codec = channel.codec if channel else ""
    if codec != camera.speaker_codec:
        camera.speaker_codec = codec
        camera.save(update_fields=["speaker_codec"])
        audit.record(AuditAction.CAMERA_CHANGED, request=request, camera=camera, fields=["speaker"],
                     speaker=codec or "none")


def claim_speaker(camera: Camera, who: str) -> str:
    """The camera's speaker for `who` (a user name, or what plays an announcement): the session's id. Raises
    SpeakerBusy while someone else has it."""
    session = uuid.uuid4().hex
    holder = {"session": session, "who": who, "since": timezone.now().isoformat()}
    if not cache.add(_key(camera.pk), holder, SPEAKER_HOLD_SECONDS):
        current = cache.get(_key(camera.pk))
        if current is not None:
            raise SpeakerBusy(camera, current)
        if not cache.add(_key(camera.pk), holder, SPEAKER_HOLD_SECONDS):  # it ended in between
            raise SpeakerBusy(camera, cache.get(_key(camera.pk)) or {"who": "Someone"})
    return session


def renew_speaker(camera_id: int, session: str) -> None:
    """Keep the speaker for the session a while longer."""
    holder = cache.get(_key(camera_id))
    if holder is not None and holder["session"] == session:
        cache.touch(_key(camera_id), SPEAKER_HOLD_SECONDS)


def release_speaker(camera_id: int, session: str) -> None:
    """Free the speaker, if the session still has it."""
    holder = cache.get(_key(camera_id))
    if holder is not None and holder["session"] == session:
        cache.delete(_key(camera_id))


def back_channel_url(camera: Camera) -> str:
    """The camera's main stream URL, pinned to an address the outbound policy allows. Raises
    outbound.DestinationDenied or socket.gaierror."""
    return pinned_stream_url(camera.main_url, settings.OUTBOUND_ALLOW)


def audit_talk_started(camera: Camera, scope, user, session: str, talk: backchannel.Talk) -> None:
    audit.record(AuditAction.TALK_STARTED, request=scope, user=user, camera=camera, session=session,
                 codec=talk.codec)


def audit_talk_ended(camera: Camera, scope, user, session: str, started_at: datetime) -> None:
    audit.record(AuditAction.TALK_ENDED, request=scope, user=user, camera=camera, session=session,
                 started_at=started_at.isoformat(),
                 seconds=round((timezone.now() - started_at).total_seconds(), 1))


def add_built_in_chime(**_: object) -> None:
    """Add the built-in "you are being recorded" chime, made here of tones, unless it is there (a post_migrate
    receiver, so that a flushed database has it again too)."""
    if not Announcement.objects.filter(built_in=True).exists():
        sound = recording_chime()
        Announcement.objects.create(name=BUILT_IN_CHIME, sound=sound, seconds=len(sound) / 2 / RATE, built_in=True)


def play_announcement(camera: Camera, announcement: Announcement, **why: object) -> str:
    """Play the announcement on the camera's speaker, paced as it is to be heard, and audit it (`why`: the rule
    and event that asked). Returns "" when it was played, otherwise why not."""
    error = ""
    try:
        session = claim_speaker(camera, f"The announcement {announcement.name!r}")
    except SpeakerBusy as exc:
        error = str(exc)
    else:
        try:
            asyncio.run(_play(back_channel_url(camera), camera, bytes(announcement.sound)))
        except (backchannel.BackChannelError, OSError) as exc:
            error = getattr(exc, "message", None) or str(exc)
        finally:
            release_speaker(camera.pk, session)
    if error:
        log.warning("camera %s: announcement %r not played: %s", camera.pk, announcement.name, error)
    audit.record(AuditAction.ANNOUNCEMENT_PLAYED, camera=camera, username="rule", announcement=announcement.name,
                 seconds=round(announcement.seconds, 1), played=not error, error=error, **why)
    return error


async def _play(url: str, camera: Camera, sound: bytes) -> None:
    talk = await backchannel.open_talk(url, camera.username, camera.password)
    try:
        chunk = 2 * round(RATE * backchannel.PACKET_SECONDS)
        started = time.monotonic()
        for index, offset in enumerate(range(0, len(sound), chunk)):
            # In real time: a camera buffers little, and drops what comes too early.
            await asyncio.sleep(max(0.0, started + index * backchannel.PACKET_SECONDS - time.monotonic()))
            await talk.send(sound[offset:offset + chunk], RATE)
    finally:
        await talk.close()
