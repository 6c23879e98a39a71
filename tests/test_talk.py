"""Talk back end to end on the server: the push-to-talk websocket carries sound to a real RTSP camera's ONVIF audio
back channel (GStreamer's ONVIF server, tests/standins/backchannel_camera.py), which decodes what it receives; only
users with the talk permission talk, one at a time per camera, and every talk session is audited."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.cache import cache

from accounts.models import AuditAction, AuditEntry, CameraAccess
from devices.consumers import NO_SPEAKER, SPEAKER_BUSY
from devices.models import Camera
from tests.audio_checks import dominant_frequency, loud_seconds, tone
from tests.conftest import api_key_for, grant
from vms.asgi import application
from vms.ws_auth import FORBIDDEN

pytest_plugins = ["tests.standins.fixtures"]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

MIC_RATE = 48000
FRAME = MIC_RATE // 50  # 20 ms, as a browser's audio worklet batches it


@pytest.fixture(autouse=True)
def speakers_free() -> None:
    """No speaker held by an earlier test's session (the holder lives in Redis for a while)."""
    cache.clear()


def speaker_camera_row(speaker, name: str = "Gate") -> Camera:
    camera = Camera(name=name, main_url=speaker.url, username=speaker.user or "",
                    speaker_codec="" if speaker.codec == "none" else speaker.codec)
    camera.password = speaker.password or ""
    camera.save()
    return camera


async def open_talk(camera: Camera, user) -> tuple[WebsocketCommunicator, bool, int | None]:
    token = await database_sync_to_async(api_key_for)(user)
    communicator = WebsocketCommunicator(application, f"/ws/talk/{camera.pk}/", headers=[
        (b"origin", b"http://127.0.0.1"), (b"authorization", f"Token {token}".encode())])
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def heard_by(speaker, seconds: float, timeout: float = 20) -> bytes:
    """What the camera's speaker received, once it has `seconds` of sound or after `timeout`; polled without a
    thread, which would hold up the consumer's own sync calls."""
    deadline = time.monotonic() + timeout
    while len(heard := speaker.heard()) < seconds * speaker.RATE * 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return heard


async def say(communicator: WebsocketCommunicator, pcm: bytes) -> None:
    await communicator.send_json_to({"type": "format", "rate": MIC_RATE})
    for offset in range(0, len(pcm), 2 * FRAME):
        await communicator.send_to(bytes_data=pcm[offset:offset + 2 * FRAME])


async def test_the_microphone_reaches_the_camera_speaker_and_the_session_is_audited(speaker_camera, operator_user):
    speaker = speaker_camera(user="cam", password="back-channel-1", digest=True)
    camera = await database_sync_to_async(speaker_camera_row)(speaker)
    await database_sync_to_async(grant)(camera, group="Operator")
    communicator, connected, _ = await open_talk(camera, operator_user)
    assert connected
    start = await communicator.receive_json_from(timeout=10)
    assert start["type"] == "talk.start" and start["data"] == {"codec": "PCMU", "rate": 8000}

    await say(communicator, tone(1000, 1.5, MIC_RATE))
    heard = await heard_by(speaker, 1.4)
    await communicator.disconnect()

    assert abs(dominant_frequency(heard, speaker.RATE) - 1000) <= 10
    assert loud_seconds(heard, speaker.RATE) >= 1.4
    entries = await database_sync_to_async(lambda: list(AuditEntry.objects.filter(
        action__in=[AuditAction.TALK_STARTED, AuditAction.TALK_ENDED]).order_by("at", "id")))()
    assert [(e.action, e.username, e.camera_id) for e in entries] == [
        (AuditAction.TALK_STARTED, operator_user.username, camera.pk),
        (AuditAction.TALK_ENDED, operator_user.username, camera.pk)]
    assert entries[0].detail["session"] == entries[1].detail["session"]
    assert entries[1].detail["seconds"] >= 0 and entries[1].detail["started_at"]


async def test_a_camera_that_takes_only_a_law_gets_a_law(speaker_camera, admin_user):
    speaker = speaker_camera(codec="PCMA")
    camera = await database_sync_to_async(speaker_camera_row)(speaker)
    communicator, connected, _ = await open_talk(camera, admin_user)
    assert connected
    assert (await communicator.receive_json_from(timeout=10))["data"]["codec"] == "PCMA"
    await say(communicator, tone(600, 1.0, MIC_RATE))
    heard = await heard_by(speaker, 0.9)
    await communicator.disconnect()
    assert abs(dominant_frequency(heard, speaker.RATE) - 600) <= 10


async def test_a_user_without_the_talk_permission_is_refused(speaker_camera, investigator_user):
    speaker = speaker_camera()
    camera = await database_sync_to_async(speaker_camera_row)(speaker)
    await database_sync_to_async(grant)(camera, group="Investigator")
    communicator, connected, code = await open_talk(camera, investigator_user)
    assert not connected and code == FORBIDDEN
    assert speaker.heard() == b""


async def test_a_camera_the_user_may_not_see_is_refused(speaker_camera, operator_user):
    camera = await database_sync_to_async(speaker_camera_row)(speaker_camera())
    communicator, connected, code = await open_talk(camera, operator_user)
    assert not connected and code == FORBIDDEN


async def test_one_talker_at_a_time_and_the_second_is_told_who_talks(speaker_camera, operator_user, admin_user):
    speaker = speaker_camera()
    camera = await database_sync_to_async(speaker_camera_row)(speaker)
    await database_sync_to_async(grant)(camera, group="Operator")
    first, connected, _ = await open_talk(camera, operator_user)
    assert connected and (await first.receive_json_from(timeout=10))["type"] == "talk.start"

    second, connected, _ = await open_talk(camera, admin_user)
    refusal = await second.receive_json_from(timeout=10)
    assert refusal["type"] == "talk.refused" and f"{operator_user.username} is talking" in refusal["data"]["detail"]
    assert (await second.receive_output(timeout=5)) == {"type": "websocket.close", "code": SPEAKER_BUSY}

    await first.disconnect()
    third, connected, _ = await open_talk(camera, admin_user)
    assert (await third.receive_json_from(timeout=10))["type"] == "talk.start"
    await third.disconnect()


async def test_a_camera_without_a_speaker_is_refused_in_words(speaker_camera, admin_user):
    camera = await database_sync_to_async(speaker_camera_row)(speaker_camera(codec="none"))
    communicator, connected, _ = await open_talk(camera, admin_user)
    refusal = await communicator.receive_json_from(timeout=10)
    assert refusal["type"] == "talk.refused" and "has no speaker" in refusal["data"]["detail"]
    assert (await communicator.receive_output(timeout=5)) == {"type": "websocket.close", "code": NO_SPEAKER}


async def test_an_unreachable_camera_fails_in_words(admin_user):
    camera = await database_sync_to_async(Camera.objects.create)(
        name="Gone", main_url="rtsp://127.0.0.1:9/stream", speaker_codec="PCMU")
    communicator, connected, _ = await open_talk(camera, admin_user)
    failure = await communicator.receive_json_from(timeout=10)
    assert failure["type"] == "talk.failed" and "127.0.0.1:9" in failure["data"]["detail"]
    # The speaker is free again: the failed attempt does not keep it.
    again, _connected, _ = await open_talk(camera, admin_user)
    assert (await again.receive_json_from(timeout=10))["type"] == "talk.failed"


async def test_revoking_camera_access_mid_talk_ends_the_talk_and_it_is_audited(
        speaker_camera, admin_client, operator_user):
    camera = await database_sync_to_async(speaker_camera_row)(speaker_camera())
    await database_sync_to_async(grant)(camera, user=operator_user)
    communicator, connected, _ = await open_talk(camera, operator_user)
    assert connected and (await communicator.receive_json_from(timeout=10))["type"] == "talk.start"
    entry = await database_sync_to_async(CameraAccess.objects.get)(camera=camera, user=operator_user)
    revoked = await database_sync_to_async(admin_client.delete)(f"/api/v1/camera-access/{entry.pk}/")
    assert revoked.status_code == 204
    assert (await communicator.receive_output(timeout=10)) == {"type": "websocket.close", "code": FORBIDDEN}
    ended = await database_sync_to_async(AuditEntry.objects.filter(action=AuditAction.TALK_ENDED).count)()
    assert ended == 1
