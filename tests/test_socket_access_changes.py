"""Open websockets follow access changes within seconds: losing a camera, a role, the account or the token a
socket was opened with closes it with 4403, through the real Redis channel layer."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, CameraAccess
from accounts.roles import INVESTIGATOR, OPERATOR
from devices.models import Camera
from tests.conftest import api_key_for, grant, make_user
from vms import realtime
from vms.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]
FORBIDDEN = 4403


async def open_socket(path: str, user=None, key: str | None = None) -> WebsocketCommunicator:
    key = key or await database_sync_to_async(api_key_for)(user)
    communicator = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://127.0.0.1"),
                                                                     (b"authorization", f"Token {key}".encode())])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def closed_with(communicator: WebsocketCommunicator) -> int | None:
    """Wait (10 s at most) for the server to close the socket, skipping what it sends before; its close code."""
    async with asyncio.timeout(10):
        while True:
            output = await communicator.receive_output(timeout=10)
            if output["type"] == "websocket.close":
                return output.get("code")


async def relays_status(communicator: WebsocketCommunicator, camera_id: int) -> bool:
    """Whether a status published now for the camera reaches this socket (it is still open and still joined)."""
    await database_sync_to_async(realtime.publish)(realtime.camera_group(camera_id), "camera.status",
                                                   {"camera": camera_id})
    return (await communicator.receive_json_from(timeout=5))["data"] == {"camera": camera_id}


async def statuses_until(communicator: WebsocketCommunicator, camera_id: int, mark: str) -> list[dict]:
    """Publish a status marked `mark` for the camera until it arrives (10 s at most); all that arrived by then."""
    received: list[dict] = []
    async with asyncio.timeout(10):
        while {"camera": camera_id, "mark": mark} not in received:
            await database_sync_to_async(realtime.publish)(realtime.camera_group(camera_id), "camera.status",
                                                           {"camera": camera_id, "mark": mark})
            # (receive_nothing waits without cancelling the consumer, as a receive that times out would)
            while not await communicator.receive_nothing(timeout=0.5):
                received.append((await communicator.receive_json_from())["data"])
    return received


@database_sync_to_async
def api(client, method: str, path: str, body: dict | None = None):
    response = getattr(client, method)(path, body or {}, format="json")
    assert response.status_code < 300, response.content
    return response


async def test_revoking_a_users_camera_access_closes_their_camera_sockets_and_nothing_else(
        admin_client, operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    entry = await database_sync_to_async(CameraAccess.objects.get)(camera=camera, user=operator_user)
    live = await open_socket(f"/ws/live/{camera.pk}/", operator_user)
    status = await open_socket(f"/ws/cameras/{camera.pk}/", operator_user)
    jobs = await open_socket("/ws/jobs/", operator_user)
    await api(admin_client, "delete", f"/api/v1/camera-access/{entry.pk}/")
    assert await closed_with(live) == FORBIDDEN
    assert await closed_with(status) == FORBIDDEN
    await database_sync_to_async(realtime.publish)(realtime.user_group(operator_user.pk), "job.progress", {"x": 1})
    assert (await jobs.receive_json_from(timeout=5))["data"] == {"x": 1}, "the jobs socket stays open"
    await jobs.disconnect()


async def test_the_camera_list_socket_follows_granted_and_revoked_cameras(admin_client, operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    entry = await database_sync_to_async(CameraAccess.objects.get)(camera=camera, user=operator_user)
    later = await database_sync_to_async(Camera.objects.create)(name="Gate", main_url="rtsp://127.0.0.1/gate")
    cameras = await open_socket("/ws/cameras/", operator_user)
    await api(admin_client, "delete", f"/api/v1/camera-access/{entry.pk}/")
    await api(admin_client, "post", "/api/v1/camera-access/", {"camera": later.pk, "user": "oscar-operator"})
    # A socket handles its messages in order: once the grant shows, the revocation was applied before it.
    await statuses_until(cameras, later.pk, "granted")
    await database_sync_to_async(realtime.publish)(realtime.camera_group(camera.pk), "camera.status",
                                                   {"camera": camera.pk, "mark": "revoked"})
    received = await statuses_until(cameras, later.pk, "after")
    assert {"camera": camera.pk, "mark": "revoked"} not in received
    await cameras.disconnect()


async def test_a_group_access_change_reaches_every_member(admin_client, operator_user, camera):
    other = await database_sync_to_async(make_user)("olga-operator", OPERATOR)
    await database_sync_to_async(grant)(camera, group=OPERATOR)
    entry = await database_sync_to_async(CameraAccess.objects.get)(camera=camera, group__name=OPERATOR)
    sockets = [await open_socket(f"/ws/live/{camera.pk}/", user) for user in (operator_user, other)]
    await api(admin_client, "delete", f"/api/v1/camera-access/{entry.pk}/")
    assert [await closed_with(socket) for socket in sockets] == [FORBIDDEN, FORBIDDEN]


async def test_a_new_role_without_live_video_closes_the_live_socket(admin_client, operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    live = await open_socket(f"/ws/live/{camera.pk}/", operator_user)
    status = await open_socket(f"/ws/cameras/{camera.pk}/", operator_user)
    await api(admin_client, "patch", f"/api/v1/users/{operator_user.pk}/", {"role": INVESTIGATOR})
    assert await closed_with(live) == FORBIDDEN
    assert await relays_status(status, camera.pk), "investigators still see the camera's status"
    await status.disconnect()


async def test_removing_the_user_from_their_group_closes_their_sockets(operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    status = await open_socket(f"/ws/cameras/{camera.pk}/", operator_user)
    group = await database_sync_to_async(Group.objects.get)(name=OPERATOR)
    await database_sync_to_async(group.user_set.remove)(operator_user)
    assert await closed_with(status) == FORBIDDEN


async def test_deactivating_a_user_closes_every_socket_of_theirs(admin_client, operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    sockets = [await open_socket(path, operator_user) for path in (f"/ws/live/{camera.pk}/", "/ws/cameras/",
                                                                   "/ws/jobs/")]
    await api(admin_client, "patch", f"/api/v1/users/{operator_user.pk}/", {"is_active": False})
    assert [await closed_with(socket) for socket in sockets] == [FORBIDDEN] * 3


async def test_revoking_a_token_closes_the_sockets_opened_with_it_only(operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    revoked_key, kept_key = [await database_sync_to_async(api_key_for)(operator_user) for _ in range(2)]
    doomed = await open_socket(f"/ws/cameras/{camera.pk}/", key=revoked_key)
    kept = await open_socket(f"/ws/cameras/{camera.pk}/", key=kept_key)
    token = await database_sync_to_async(ApiToken.objects.order_by("id").first)()
    await database_sync_to_async(token.delete)()
    assert await closed_with(doomed) == FORBIDDEN
    assert await relays_status(kept, camera.pk)
    await kept.disconnect()


async def test_a_socket_opened_with_a_token_closes_when_the_token_expires(operator_user, camera):
    await database_sync_to_async(grant)(camera, user=operator_user)
    key = await database_sync_to_async(api_key_for)(operator_user)
    await database_sync_to_async(ApiToken.objects.update)(expires_at=timezone.now() + timedelta(seconds=5))
    status = await open_socket(f"/ws/cameras/{camera.pk}/", key=key)
    assert await closed_with(status) == FORBIDDEN


async def test_a_new_password_closes_the_users_browser_sockets(admin_client, operator_user, camera):
    """A browser's socket holds no token to revoke: it closes because the password it was opened under changed."""
    await database_sync_to_async(grant)(camera, user=operator_user)
    browser = Client()
    await database_sync_to_async(browser.force_login)(operator_user)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    status = WebsocketCommunicator(application, f"/ws/cameras/{camera.pk}/",
                                   headers=[(b"origin", b"http://127.0.0.1"), (b"cookie", cookie)])
    assert (await status.connect(timeout=5))[0]
    assert await relays_status(status, camera.pk)
    await api(admin_client, "patch", f"/api/v1/users/{operator_user.pk}/", {"password": "a-new-long-passphrase-41"})
    assert await closed_with(status) == FORBIDDEN
