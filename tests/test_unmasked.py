"""An unmasked copy of a masked camera, kept only when the admin asks: recorded apart, hidden from everyone but
users with `view_unmasked`, who must give a reason (audited) for a short-lived access to playback and live."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import av
import numpy as np
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from devices.models import Camera, PrivacyMask
from recordings.models import Segment
from recordings.recorder import Recorder
from tests.conftest import api_key_for, client_for, grant
from tests.recording_checks import wait_for
from vms.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]
LEFT = [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]
NOW = timezone.now()
SPAN = {"start": (NOW - timedelta(hours=1)).isoformat(), "end": (NOW + timedelta(hours=1)).isoformat()}


def left_is_red(segment: Segment) -> bool:
    with av.open(str(segment.file)) as container:
        picture = next(container.decode(video=0)).to_ndarray(format="bgr24")
    left = picture[:, 4 : picture.shape[1] // 2 - 4].astype(int)
    return bool(np.mean(np.all(np.abs(left - [0, 0, 255]) <= 12, axis=2)) > 0.99)


@pytest.fixture
def masked_camera(settings, gst_camera):
    settings.SEGMENT_SECONDS = 1.0
    settings.RECORDER_LEASE_SECONDS = 3.0
    gst = gst_camera(path="/office", width=320, height=180)
    camera = Camera.objects.create(name="Office", main_url=gst.url, keep_unmasked=True)
    PrivacyMask.objects.create(camera=camera, name="Desk", points=LEFT, style="solid", color="#ff0000")
    stop = threading.Event()
    recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
    recorder.start()
    wait_for(lambda: Segment.objects.filter(camera=camera, unmasked=True).count() >= 2
             and Segment.objects.filter(camera=camera, unmasked=False).count() >= 2, 30, "both recordings")
    yield camera
    stop.set()
    recorder.join(timeout=30)


def test_the_unmasked_copy_is_recorded_apart_and_shown_only_with_a_reason(masked_camera, admin_client, admin_user,
                                                                            operator_client, operator_user):
    camera = masked_camera
    grant(camera, user=operator_user)
    masked = Segment.objects.filter(camera=camera, unmasked=False).first()
    original = Segment.objects.filter(camera=camera, unmasked=True).first()
    assert left_is_red(masked) and not left_is_red(original)
    assert original.path.startswith(f"{camera.pk}-unmasked/")

    url = f"/api/v1/cameras/{camera.pk}/"
    playlist = url + "playlist.m3u8"
    everyone = admin_client.get(playlist, SPAN).content.decode()
    assert f"/segments/{original.pk}/" not in everyone and f"/segments/{masked.pk}/" in everyone
    assert admin_client.get(f"/api/v1/segments/{original.pk}/media.mp4").status_code == 404
    timeline = admin_client.get(url + "timeline/", SPAN).json()
    assert timeline["recorded_seconds"] < Segment.objects.filter(camera=camera).count() * 1.5

    assert operator_client.post(url + "unmasked-access/", {"reason": "checking"}, format="json").status_code == 403
    assert admin_client.post(url + "unmasked-access/", {"reason": "x"}, format="json").status_code == 400
    access = admin_client.post(url + "unmasked-access/", {"reason": "incident 42 at the desk"}, format="json")
    assert access.status_code == 201
    token = access.json()["token"]
    entry = AuditEntry.objects.get(action=AuditAction.UNMASKED_VIEW)
    assert entry.user == admin_user and entry.detail["reason"] == "incident 42 at the desk"

    unmasked = admin_client.get(playlist, {**SPAN, "unmasked": token}).content.decode()
    assert f"/segments/{original.pk}/" in unmasked and f"/segments/{masked.pk}/" not in unmasked
    part = re.search(r"^(/api/v1/segments/\d+/media\.mp4\?\S+)$", unmasked, re.MULTILINE).group(1)
    assert admin_client.get(part).status_code == 200
    assert operator_client.get(playlist, {**SPAN, "unmasked": token}).status_code == 404, "someone else's access"
    assert admin_client.get(playlist, {**SPAN, "unmasked": token + "x"}).status_code == 404

    Camera.objects.filter(pk=camera.pk).update(keep_unmasked=False)
    assert admin_client.post(url + "unmasked-access/", {"reason": "incident 43"}, format="json").status_code == 409


def test_live_unmasked_needs_the_access_token(masked_camera, admin_user):
    camera = masked_camera
    token = client_for(admin_user).post(f"/api/v1/cameras/{camera.pk}/unmasked-access/",
                                        {"reason": "incident 42 at the desk"}, format="json").json()["token"]
    key = api_key_for(admin_user)

    async def watch(query: str) -> tuple[bool, dict | None]:
        communicator = WebsocketCommunicator(application, f"/ws/live/{camera.pk}/?{query}",
                                             headers=[(b"origin", b"http://127.0.0.1"),
                                                      (b"authorization", f"Token {key}".encode())])
        connected, _ = await communicator.connect(timeout=10)
        start = json.loads(await communicator.receive_from(timeout=10)) if connected else None
        await communicator.disconnect()
        return connected, start

    connected, start = async_to_sync(watch)(f"unmasked={token}")
    assert connected and start["type"] == "live.start"
    assert AuditEntry.objects.filter(action=AuditAction.LIVE_VIEW, camera=camera, detail__unmasked=True).exists()
    connected, _start = async_to_sync(watch)("unmasked=forged")
    assert not connected
