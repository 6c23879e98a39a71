"""Relay outputs switched by rules: a camera's own event fires a rule, a Celery worker switches the camera's relay
output on over ONVIF and off again after the rule's time; each switch is audited and its state kept on the camera.
The camera is the ONVIF stand-in (tests/standins/onvif_event_camera.py), which has two relay outputs."""

from __future__ import annotations

import pytest

from accounts.models import AuditAction, AuditEntry
from analytics import services
from analytics.models import Event, Rule
from devices.event_listener import EventListener
from devices.models import Camera
from tests.recording_checks import running, wait_for
from tests.test_camera_events import camera_of
from tests.web_server import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)
DIGITAL_INPUT = "tns1:Device/Trigger/DigitalInput"


@pytest.fixture
def device(onvif_event_camera):
    return onvif_event_camera


@pytest.fixture
def camera(device) -> Camera:
    return camera_of(device)


def test_a_rule_switches_the_relay_on_and_off_again_and_each_switch_is_audited(settings, tmp_path, device, camera):
    settings.RECORDER_LEASE_SECONDS = 3.0
    rule = Rule.objects.create(camera=camera, name="Door forced", condition="camera_event",
                               event_kind="digital_input", event_items={"InputToken": "1"}, relay_output="AlarmOut_0",
                               relay_seconds=1.0)
    with celery_worker(tmp_path, "celery"), running(EventListener(tick_seconds=0.5)):
        wait_for(lambda: device.live_subscriptions, 30, "the listener to subscribe")
        device.publish(DIGITAL_INPUT, {"InputToken": "1"}, {"LogicalState": "true"})
        wait_for(lambda: [s for _, t, s in device.switches if t == "AlarmOut_0"] == ["active", "inactive"], 60,
                 "the relay switched on, then off")
    event = Event.objects.get(rule=rule)
    state = Camera.objects.get(pk=camera.pk).relay_outputs["AlarmOut_0"]
    assert state["active"] is False and state["error"] == ""
    audited = AuditEntry.objects.filter(action=AuditAction.RELAY_SWITCHED, camera=camera).order_by("at")
    assert [(a.detail["relay"], a.detail["state"], a.detail["rule"], a.detail["event"]) for a in audited] == [
        ("AlarmOut_0", "on", "Door forced", event.pk), ("AlarmOut_0", "off", "Door forced", event.pk)]


def test_a_relay_the_camera_refuses_is_shown_with_the_reason_and_not_switched_off_later(device, camera):
    rule = Rule.objects.create(camera=camera, name="Siren", condition="camera_event", event_kind="motion",
                               relay_output="Siren_9")
    event = Event.objects.create(camera=camera, rule=rule, rule_name=rule.name, condition="camera_event",
                                 started_at="2026-12-04T10:00:00Z")
    assert services.switch_relay_on(event.pk) is None
    state = Camera.objects.get(pk=camera.pk).relay_outputs["Siren_9"]
    assert state["active"] is None and "Siren_9" in state["error"]
    entry = AuditEntry.objects.get(action=AuditAction.RELAY_SWITCHED)
    assert entry.detail["state"] == "on" and entry.detail["error"] == state["error"]
    assert device.switches == []


def test_admins_list_the_relay_outputs_a_rule_may_switch(admin_client, operator_client, device, camera):
    response = admin_client.get(f"/api/v1/cameras/{camera.pk}/relay-outputs/")
    assert response.status_code == 200, response.json()
    assert [output["token"] for output in response.json()] == ["AlarmOut_0", "AlarmOut_1"]
    assert response.json()[0]["mode"] == "Monostable"
    assert operator_client.get(f"/api/v1/cameras/{camera.pk}/relay-outputs/").status_code in (403, 404)
    device.stop()
    unreachable = admin_client.get(f"/api/v1/cameras/{camera.pk}/relay-outputs/")
    assert unreachable.status_code == 502 and "refused" in unreachable.json()["detail"]
