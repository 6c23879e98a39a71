"""The camera websocket authorises in connect() and relays status published through Redis."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from devices.models import Camera
from devices.status import publish_status
from tests.conftest import api_key_for, grant
from vms import realtime
from vms.asgi import application

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def connect(path: str, token: str | None = None) -> tuple[WebsocketCommunicator, bool, int | None]:
    headers = [(b"origin", b"http://127.0.0.1")]
    if token:
        headers.append((b"authorization", f"Token {token}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


token_of = database_sync_to_async(api_key_for)


async def test_an_allowed_user_gets_the_camera_status(operator_user, camera):
    await database_sync_to_async(grant)(camera, group="Operator")
    communicator, connected, _ = await connect(f"/ws/cameras/{camera.pk}/", await token_of(operator_user))
    assert connected
    await database_sync_to_async(realtime.publish)(realtime.camera_group(camera.pk), "camera.status",
                                                   {"camera": camera.pk, "live_status": {"state": "online"}})
    message = await communicator.receive_json_from(timeout=5)
    assert message["type"] == "camera.status" and message["v"] == 1
    assert message["data"] == {"camera": camera.pk, "live_status": {"state": "online"}}
    await communicator.disconnect()


async def test_the_status_pushed_is_the_live_status_the_rest_api_gives(admin_user, admin_client, camera):
    await database_sync_to_async(Camera.objects.filter(pk=camera.pk).update)(
        status="offline", last_error="connection refused", status_changed_at=timezone.now())
    communicator, connected, _ = await connect(f"/ws/cameras/{camera.pk}/", await token_of(admin_user))
    assert connected
    await database_sync_to_async(publish_status)(camera.pk)
    message = await communicator.receive_json_from(timeout=5)
    rest = await database_sync_to_async(admin_client.get)(f"/api/v1/cameras/{camera.pk}/")
    assert message["data"] == {"camera": camera.pk, "live_status": rest.json()["live_status"]}
    assert message["data"]["live_status"]["state"] == "offline"
    await communicator.disconnect()


async def test_a_camera_not_on_the_access_list_is_closed_with_4403(operator_user, camera):
    communicator, connected, code = await connect(f"/ws/cameras/{camera.pk}/", await token_of(operator_user))
    assert not connected and code == 4403


async def test_no_login_no_websocket(camera):
    communicator, connected, code = await connect(f"/ws/cameras/{camera.pk}/")
    assert not connected and code == 4403
    communicator, connected, code = await connect(f"/ws/cameras/{camera.pk}/", "not-a-token")
    assert not connected and code == 4403


async def test_the_camera_list_socket_carries_every_visible_camera_and_no_other(operator_user, camera):
    await database_sync_to_async(grant)(camera, group="Operator")
    hidden = await database_sync_to_async(Camera.objects.create)(name="Vault", main_url="rtsp://127.0.0.1/v")
    communicator, connected, _ = await connect("/ws/cameras/", await token_of(operator_user))
    assert connected
    for camera_id in (hidden.pk, camera.pk):
        await database_sync_to_async(realtime.publish)(realtime.camera_group(camera_id), "camera.status",
                                                       {"camera": camera_id, "live_status": {"state": "offline"}})
    message = await communicator.receive_json_from(timeout=5)
    assert message["data"]["camera"] == camera.pk
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_a_quiet_socket_stays_open_longer_than_redis_blocking_reads(operator_user, camera):
    # redis-py's default 5 s socket time-out used to close every websocket that was quiet for 5 s.
    await database_sync_to_async(grant)(camera, group="Operator")
    communicator, connected, _ = await connect(f"/ws/cameras/{camera.pk}/", await token_of(operator_user))
    assert connected
    assert await communicator.receive_nothing(timeout=7)
    await database_sync_to_async(realtime.publish)(realtime.camera_group(camera.pk), "camera.status",
                                                   {"camera": camera.pk, "live_status": {"state": "online"}})
    assert (await communicator.receive_json_from(timeout=5))["data"]["live_status"]["state"] == "online"
    await communicator.disconnect()


async def test_every_socket_on_the_camera_groups_handles_every_message_sent_to_them():
    """A message type a consumer has no handler for closes its socket (Channels raises): the camera list's socket,
    which rings the alarm bell, and every live tile of the camera would drop on each such message."""
    import ast
    from pathlib import Path

    from recordings.consumers import LiveConsumer
    from vms.consumers import CameraConsumer, CameraListConsumer

    root = Path(__file__).resolve().parent.parent
    sent = set()
    for source in root.glob("*/**/*.py"):
        if source.parts[len(root.parts)] in ("tests", ".venv", "bench", "frontend", "var"):
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "publish" and len(node.args) >= 2
                    and "camera_group" in ast.unparse(node.args[0]) and isinstance(node.args[1], ast.Constant)):
                sent.add(node.args[1].value)
    assert {"camera.status", "alarm.raised", "device.event", "overlay.boxes"} <= sent
    for consumer in (CameraListConsumer, CameraConsumer, LiveConsumer):
        assert [kind for kind in sorted(sent) if not hasattr(consumer, kind.replace(".", "_"))] == [], consumer
