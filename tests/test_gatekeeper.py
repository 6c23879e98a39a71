"""Gatekeeper: a rule on one camera's event sends a PTZ camera to a preset and holds it there (an alarm's control:
an operator cannot steer it away meanwhile), keeps its footage of the event, and sends it home once the hold passed
with no new event. The event comes from the ONVIF event stand-in (tests/standins/onvif_event_camera.py); the PTZ
camera is ipycam's digital PTZ in a network namespace of its own (tests/standins/ptz_camera.py), as in test_ptz.py."""

from __future__ import annotations

import pytest

from accounts.models import AuditAction, AuditEntry
from analytics.models import Event
from devices.event_listener import EventListener
from devices.models import Camera
from tests.recording_checks import running, wait_for
from tests.test_camera_events import camera_of as event_camera_of
from tests.test_ptz import camera_of as ptz_camera_of
from tests.test_ptz import go, url
from tests.web_server import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)
MOTION = "tns1:VideoSource/MotionAlarm"
GATE = {"pan": 0.5, "tilt": -0.3, "zoom": 0.4}
HOME = {"pan": 0.0, "tilt": 0.0, "zoom": 0.0}


def at(device, position: dict) -> bool:
    state = device.state()
    return all(abs(state[axis] - value) < 0.01 for axis, value in position.items()) and not state["moving"]


def test_a_rule_sends_the_ptz_camera_to_its_preset_holds_it_and_brings_it_home(
        settings, tmp_path, admin_client, operator_client, onvif_event_camera, ptz_device):
    settings.RECORDER_LEASE_SECONDS = 3.0
    ptz = ptz_camera_of(ptz_device)
    assert admin_client.post(url(ptz, "detect/")).status_code == 200
    go(admin_client, ptz, "position/", GATE)
    token = go(admin_client, ptz, "presets/", {"name": "Gate"})["token"]
    go(admin_client, ptz, "home/")
    admin_client.delete(url(ptz, "control/"))
    gate = event_camera_of(onvif_event_camera)
    created = admin_client.post(f"/api/v1/cameras/{gate.pk}/rules/", {
        "name": "Someone at the gate", "condition": "camera_event", "event_kind": "motion", "ptz_camera": ptz.pk,
        "ptz_preset": token, "ptz_hold_seconds": 4}, format="json")
    assert created.status_code == 201, created.json()

    with celery_worker(tmp_path, "celery"), running(EventListener(tick_seconds=0.5)):
        wait_for(lambda: onvif_event_camera.live_subscriptions, 30, "the listener to subscribe")
        onvif_event_camera.publish(MOTION, {"Source": "VideoSourceToken"}, {"State": "true"})
        wait_for(lambda: at(ptz_device, GATE), 60, "the PTZ camera at the gate preset")
        refused = operator_client.post(url(ptz, "move/"), {"pan": 0.5, "tilt": 0, "zoom": 0}, format="json")
        wait_for(lambda: at(ptz_device, HOME), 60, "the PTZ camera home after the hold")

    assert refused.status_code == 409 and "alarm" in refused.json()["detail"].lower()
    event = Event.objects.get(rule__name="Someone at the gate", camera=gate)
    kept = Event.objects.get(caused_by=event)
    assert (kept.camera_id, kept.keep_footage) == (ptz.pk, True), "the PTZ camera's view of the event is kept"
    sent = AuditEntry.objects.filter(action=AuditAction.PTZ_SENT, username="rule").order_by("at", "id")
    assert [(a.detail["to"], a.detail["rule"]) for a in sent] == [("preset", "Someone at the gate"),
                                                                  ("home", "Someone at the gate")]
    assert sent[0].detail["event"] == event.pk
    assert AuditEntry.objects.filter(action=AuditAction.PTZ_CONTROL_STARTED, username="alarm").exists()


def test_a_gatekeeper_rule_needs_a_ptz_camera_and_its_preset(admin_client, onvif_event_camera):
    gate = event_camera_of(onvif_event_camera)
    still = Camera.objects.create(name="Fixed", main_url="rtsp://127.0.0.1:9/fixed")
    rules = f"/api/v1/cameras/{gate.pk}/rules/"
    base = {"name": "Gatekeeper", "condition": "camera_event", "event_kind": "motion"}

    def errors(body: dict) -> dict:
        response = admin_client.post(rules, {**base, **body}, format="json")
        assert response.status_code == 400, response.json()
        return response.json()["errors"]

    assert "has no PTZ" in errors({"ptz_camera": still.pk, "ptz_preset": "1"})["ptz_camera"][0]
    assert "ptz_camera" in errors({"ptz_preset": "1"})
    Camera.objects.filter(pk=still.pk).update(ptz_profile="profile_1")
    assert "ptz_preset" in errors({"ptz_camera": still.pk})
    assert admin_client.post(rules, {**base, "ptz_camera": still.pk, "ptz_preset": "1"},
                             format="json").status_code == 201
    refused = admin_client.delete(f"/api/v1/cameras/{still.pk}/")
    assert refused.status_code == 409 and refused.json()["type"] == "device_switched_by_rules"
