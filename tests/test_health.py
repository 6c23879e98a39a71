"""GET /api/v1/health/ reports the database, Redis, recorders with their cameras, and free disk."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import Camera
from recordings.models import RecorderProcess

pytestmark = pytest.mark.django_db


def test_all_well(admin_client, camera):
    process = RecorderProcess.objects.create(name="node-1:42:abc", hostname="node-1", pid=42,
                                             heartbeat_at=timezone.now())
    Camera.objects.filter(pk=camera.pk).update(recorder=process, status="online")
    response = admin_client.get("/api/v1/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["database"] == {"ok": True, "engine": "postgresql"}
    assert body["redis"] == {"ok": True, "used": True}
    assert body["disk"]["free_gib"] > 0
    assert body["recorders"][0]["alive"] and body["recorders"][0]["cameras"][0]["name"] == "Loading dock"


def test_it_says_which_recorder_records_a_camera_and_which_stands_by(admin_client, camera):
    holder = RecorderProcess.objects.create(name="node-1:42:abc", hostname="node-1", pid=42,
                                            heartbeat_at=timezone.now())
    standby = RecorderProcess.objects.create(name="node-2:43:def", hostname="node-2", pid=43,
                                             heartbeat_at=timezone.now())
    Camera.objects.filter(pk=camera.pk).update(recorder=holder, standby=standby, status="online")
    recorders = {r["name"]: r for r in admin_client.get("/api/v1/health/").json()["recorders"]}
    assert recorders["node-2:43:def"]["standing_by"] == [{"id": camera.pk, "name": "Loading dock"}]
    assert recorders["node-1:42:abc"]["standing_by"] == []
    status = admin_client.get(f"/api/v1/cameras/{camera.pk}/").json()["live_status"]
    assert (status["recorder"], status["standby"]) == ("node-1:42:abc", "node-2:43:def")


def test_a_camera_whose_recorder_died_makes_it_unhealthy(admin_client, camera):
    dead = RecorderProcess.objects.create(name="node-2:7:def", hostname="node-2", pid=7,
                                          heartbeat_at=timezone.now() - timedelta(minutes=2))
    Camera.objects.filter(pk=camera.pk).update(recorder=dead)
    response = admin_client.get("/api/v1/health/")
    assert response.status_code == 503
    body = response.json()
    assert not body["ok"] and body["cameras_without_recorder"] == ["Loading dock"]
    assert body["recorders"][0]["alive"] is False


def test_a_low_disk_is_reported(admin_client, settings):
    settings.MIN_FREE_DISK_GIB = 10**9
    body = admin_client.get("/api/v1/health/").json()
    assert body["disk"]["ok"] is False and body["ok"] is False
