"""Camera CRUD: validation, credentials write-only and encrypted at rest, audit of every change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection

from accounts.models import AuditAction, AuditEntry
from devices.models import Camera
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def create(client, **fields):
    data = {"name": "Front gate", "main_url": "rtsp://127.0.0.1:8554/gate", **fields}
    return client.post("/api/v1/cameras/", data, format="json")


def test_it_creates_a_camera_and_never_returns_its_password(admin_client):
    response = create(admin_client, username="viewer", password="gate-pass-123", retention_days=30, rotation=90)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "password" not in body and "password_encrypted" not in body
    assert body["has_password"] is True
    assert body["rotation"] == 90
    assert body["live_status"]["state"] == "unknown"
    listed = admin_client.get("/api/v1/cameras/").json()["results"]
    assert "gate-pass-123" not in str(listed)


def test_it_stores_the_password_encrypted(admin_client):
    create(admin_client, username="viewer", password="gate-pass-123")
    with connection.cursor() as cursor:
        cursor.execute("SELECT password_encrypted FROM devices_camera")
        (stored,) = cursor.fetchone()
    assert stored and "gate-pass-123" not in stored
    assert Camera.objects.get().password == "gate-pass-123"


def test_it_moves_credentials_out_of_the_url(admin_client):
    response = create(admin_client, main_url="rtsp://root:p%40ss@127.0.0.1:554/axis-media/media.amp")
    assert response.status_code == 201
    camera = Camera.objects.get()
    assert camera.main_url == "rtsp://127.0.0.1:554/axis-media/media.amp"
    assert (camera.username, camera.password) == ("root", "p@ss")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1/stream", "must start with rtsp://"),
        ("rtsp:///nohost", "has no host"),
        ("rtsp://127.0.0.1:99999/x", "not a valid URL"),
        ("file:///etc/passwd-that-is-not-there", "no file at"),
    ],
)
def test_it_rejects_bad_urls_with_a_clear_error(admin_client, url, message):
    response = create(admin_client, main_url=url)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["title"] == "Invalid request"
    assert message in str(body["errors"]["main_url"])


def test_file_sources_are_for_admins_only(admin_client, operator_user, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not really a clip")
    assert create(admin_client, main_url=clip.as_uri()).status_code == 201
    # Even a non-admin who may add cameras may not point one at a file on the server.
    operator_user.user_permissions.add(Permission.objects.get(codename="add_camera"))
    response = create(client_for(operator_user), name="Sneaky", main_url=clip.as_uri())
    assert response.status_code == 400
    assert "Only admins" in str(response.json()["errors"]["main_url"])


def test_it_validates_retention_and_rotation(admin_client):
    response = create(admin_client, retention_days=0, retention_gib=-1, cold_after_hours=0, rotation=45)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"retention_days", "retention_gib", "cold_after_hours", "rotation"}
    camera = create(admin_client, cold_after_hours=36).json()
    assert Camera.objects.get(pk=camera["id"]).cold_after_hours == camera["cold_after_hours"] == 36


def test_every_change_is_audited_without_the_password(admin_client):
    camera_id = create(admin_client, password="first-pass-1").json()["id"]
    admin_client.patch(f"/api/v1/cameras/{camera_id}/", {"password": "second-pass-2", "enabled": False},
                       format="json")
    admin_client.delete(f"/api/v1/cameras/{camera_id}/")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "username", "camera_name", "detail"))
    assert [a[0] for a in actions] == [AuditAction.CAMERA_CREATED, AuditAction.CAMERA_CHANGED,
                                       AuditAction.CAMERA_DELETED]
    assert all(a[1] == "alice-admin" for a in actions)
    assert actions[1][3] == {"fields": ["enabled", "password"]}
    assert "pass-" not in str(actions)
    assert not Camera.objects.exists()


def test_malformed_json_gets_the_error_shape(admin_client):
    response = admin_client.generic("POST", "/api/v1/cameras/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"type", "title", "status", "detail", "errors"}
