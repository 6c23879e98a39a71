"""I/O modules: devices without video whose digital inputs come as ONVIF events and whose relay outputs (a siren,
a light, a door) rules of any camera switch. Both the camera and the I/O module are the ONVIF stand-in
(tests/standins/onvif_event_camera.py), each a server of its own with two relay outputs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts.models import AuditAction, AuditEntry
from accounts.roles import ADMIN
from analytics.models import Event, Rule
from devices.event_listener import EventListener
from devices.models import Camera
from recordings.recorder import eligible_cameras
from tests.conftest import client_for, grant, make_user
from tests.recording_checks import running, wait_for
from tests.standins.onvif_event_camera import OnvifEventCamera
from tests.test_camera_events import camera_of
from tests.web_server import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)
DIGITAL_INPUT = "tns1:Device/Trigger/DigitalInput"
MOTION = "tns1:VideoSource/MotionAlarm"


@pytest.fixture
def module_device():
    with OnvifEventCamera(username="io", password="m0dule") as device:
        yield device


@pytest.fixture
def module(admin_client, module_device) -> Camera:
    response = admin_client.post("/api/v1/cameras/", {
        "name": "Gate I/O", "kind": "io_module", "onvif_host": module_device.host, "onvif_port": module_device.port,
        "username": module_device.username, "password": module_device.password}, content_type="application/json")
    assert response.status_code == 201, response.json()
    return Camera.objects.get(pk=response.json()["id"])


def rule_url(camera: Camera) -> str:
    return f"/api/v1/cameras/{camera.pk}/rules/"


def test_an_io_module_is_added_with_its_events_on_and_nothing_to_record_or_analyse(admin_client, module):
    body = admin_client.get(f"/api/v1/cameras/{module.pk}/").json()
    assert body["kind"] == "io_module" and body["listen_events"] is True
    assert body["recording_mode"] == "off" and body["analytics_enabled"] is False and body["main_url"] == ""
    assert "password" not in body and body["has_password"] is True
    assert module not in eligible_cameras()
    refused = admin_client.post("/api/v1/cameras/", {"name": "No host", "kind": "io_module"},
                                content_type="application/json")
    assert refused.status_code == 400 and "ONVIF" in refused.json()["errors"]["onvif_host"][0]


def test_an_io_module_is_online_while_its_events_are_heard_and_offline_with_the_reason_when_not(
        settings, module_device, module):
    settings.RECORDER_LEASE_SECONDS = 3.0
    with running(EventListener(tick_seconds=0.5)):
        wait_for(lambda: Camera.objects.get(pk=module.pk).status == "online", 30, "the module online")
        module_device.stop()
        wait_for(lambda: Camera.objects.get(pk=module.pk).status == "offline", 60, "the module offline")
    assert "refused" in Camera.objects.get(pk=module.pk).last_error


def test_a_rule_on_a_camera_switches_the_io_modules_relay_and_the_modules_input_fires_its_own_rule(
        settings, tmp_path, admin_client, onvif_event_camera, module_device, module):
    settings.RECORDER_LEASE_SECONDS = 3.0
    camera = camera_of(onvif_event_camera)
    response = admin_client.post(rule_url(camera), {
        "name": "Motion at the gate", "condition": "camera_event", "event_kind": "motion",
        "relay_device": module.pk, "relay_output": "AlarmOut_1", "relay_seconds": 1.0},
        content_type="application/json")
    assert response.status_code == 201, response.json()
    assert response.json()["relay_device"] == module.pk
    door = admin_client.post(rule_url(module), {"name": "Door forced", "condition": "camera_event",
                                                "event_kind": "digital_input", "event_items": {"InputToken": "1"}},
                             content_type="application/json")
    assert door.status_code == 201, door.json()

    with celery_worker(tmp_path, "celery"), running(EventListener(tick_seconds=0.5)):
        wait_for(lambda: onvif_event_camera.live_subscriptions and module_device.live_subscriptions, 30,
                 "the listener to subscribe to both devices")
        onvif_event_camera.publish(MOTION, {"Source": "VideoSourceToken"}, {"State": "true"})
        wait_for(lambda: [s for _, t, s in module_device.switches if t == "AlarmOut_1"] == ["active", "inactive"],
                 60, "the module's relay switched on, then off")
        module_device.publish(DIGITAL_INPUT, {"InputToken": "1"}, {"LogicalState": "true"})
        wait_for(lambda: Event.objects.filter(rule__name="Door forced").exists(), 30, "the module's own rule")

    assert onvif_event_camera.switches == []
    motion = Event.objects.get(rule__name="Motion at the gate")
    assert motion.camera_id == camera.pk
    assert Event.objects.get(rule__name="Door forced").camera_id == module.pk
    assert Camera.objects.get(pk=module.pk).relay_outputs["AlarmOut_1"]["active"] is False
    audited = AuditEntry.objects.filter(action=AuditAction.RELAY_SWITCHED).order_by("at")
    assert [(a.camera_id, a.detail["relay"], a.detail["state"], a.detail["event"]) for a in audited] == [
        (module.pk, "AlarmOut_1", "on", motion.pk), (module.pk, "AlarmOut_1", "off", motion.pk)]


def test_a_rule_names_a_relay_device_it_may_switch(admin_client, onvif_event_camera, module):
    camera = camera_of(onvif_event_camera)
    base = {"name": "Siren", "condition": "camera_event", "event_kind": "motion"}

    def refused(body: dict, client=admin_client) -> dict:
        response = client.post(rule_url(camera), {**base, **body}, content_type="application/json")
        assert response.status_code == 400, response.json()
        return response.json()["errors"]

    assert "relay_output" in refused({"relay_device": module.pk})
    radar = Camera.objects.create(name="Radar", kind="radar")
    assert "relay_device" in refused({"relay_device": radar.pk, "relay_output": "AlarmOut_0"})
    no_onvif = Camera.objects.create(name="Lobby", main_url="rtsp://127.0.0.1:8554/lobby")
    assert "ONVIF host" in refused({"relay_device": no_onvif.pk, "relay_output": "AlarmOut_0"})["relay_output"][0]

    # An admin who may not access the module cannot have it switched (it is as if it did not exist).
    restricted = make_user("gate-admin", None)
    restricted.user_permissions.add(*Permission.objects.filter(group__name=ADMIN).exclude(
        codename="access_all_cameras"))
    grant(camera, user=restricted)
    errors = refused({"relay_device": module.pk, "relay_output": "AlarmOut_0"}, client_for(restricted))
    assert "does not exist" in errors["relay_device"][0]


def test_a_device_whose_relay_other_rules_switch_is_not_deleted_until_they_change(admin_client, onvif_event_camera,
                                                                                  module):
    camera = camera_of(onvif_event_camera)
    rule = Rule.objects.create(camera=camera, name="Siren", condition="camera_event", event_kind="motion",
                               relay_device=module, relay_output="AlarmOut_0")
    response = admin_client.delete(f"/api/v1/cameras/{module.pk}/")
    assert response.status_code == 409, response.content
    assert response.json()["type"] == "device_switched_by_rules" and response.json()["errors"]["rules"] == [rule.pk]
    patched = admin_client.patch(f"/api/v1/cameras/{camera.pk}/rules/{rule.pk}/",
                                 {"relay_device": None, "relay_output": ""}, content_type="application/json")
    assert patched.status_code == 200, patched.json()
    assert admin_client.delete(f"/api/v1/cameras/{module.pk}/").status_code == 204
