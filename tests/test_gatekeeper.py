"""Gatekeeper: a rule on one camera's event sends a PTZ camera to a preset and holds it there (an alarm's control:
an operator cannot steer it away meanwhile), keeps its footage of the event, and sends it home once the hold passed
with no new event. The event comes from the ONVIF event stand-in (tests/standins/onvif_event_camera.py); the PTZ
camera is ipycam's digital PTZ in a network namespace of its own (tests/standins/ptz_camera.py), as in test_ptz.py. A
radar's rule may have the camera follow its object instead (the Axis-format stand-in radar of test_radar.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from accounts.models import AuditAction, AuditEntry
from analytics.models import Event, Zone
from analytics.worker import AnalyticsWorker
from devices.event_listener import EventListener
from devices.models import Camera
from tests.recording_checks import running, wait_for
from tests.standins.radar_publisher import AxisRadarPublisher, Mover
from tests.test_camera_events import camera_of as event_camera_of
from tests.test_ptz import camera_of as ptz_camera_of
from tests.test_ptz import go, url
from tests.test_radar import CAR_PARK, yard_plan
from tests.web_server import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)
MOTION = "tns1:VideoSource/MotionAlarm"
GATE = {"pan": 0.5, "tilt": -0.3, "zoom": 0.4}
HOME = {"pan": 0.0, "tilt": 0.0, "zoom": 0.0}


@pytest.fixture
def radar_publisher() -> Iterator[AxisRadarPublisher]:
    with AxisRadarPublisher() as publisher:
        yield publisher


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


def test_a_radars_rule_has_the_ptz_camera_follow_the_object_and_then_go_home(
        settings, tmp_path, admin_client, radar_publisher, ptz_device):
    plan, publisher = yard_plan(), radar_publisher
    # The PTZ camera stands where the radar does, its home view along the radar's boresight: a car crossing 45 m
    # ahead from 40 m left to 40 m right is at -42 degrees, then +42 (pan -0.23 to +0.23 on a dome turning 360).
    settings.RECORDER_LEASE_SECONDS = 3.0
    ptz = ptz_camera_of(ptz_device)
    assert admin_client.post(url(ptz, "detect/")).status_code == 200
    go(admin_client, ptz, "home/")
    admin_client.delete(url(ptz, "control/"))
    Camera.objects.filter(pk=ptz.pk).update(site_plan=plan, plan_x=0.5, plan_y=0.9, plan_heading=0)
    radar = Camera.objects.create(name="Yard radar", kind="radar", main_url="", recording_mode="off",
                                  analytics_enabled=True, analysis_source="camera", metadata_transport="mqtt",
                                  metadata_broker="mqtt://127.0.0.1:1883", metadata_topic=publisher.topic,
                                  site_plan=plan, plan_x=0.5, plan_y=0.9, plan_heading=0)
    car_park = Zone.objects.create(camera=radar, name="Car park", kind="area", points=CAR_PARK)
    created = admin_client.post(f"/api/v1/cameras/{radar.pk}/rules/", {
        "name": "Car in the car park", "condition": "enter", "zone": car_park.pk, "object_classes": ["vehicle"],
        "raise_alarm": False, "ptz_camera": ptz.pk, "ptz_follow": True, "ptz_hold_seconds": 3}, format="json")
    assert created.status_code == 201, created.json()
    car = Mover("c0de-car", "Vehicle", ((-40.0, 45.0), (40.0, 45.0)), seconds=12.0, score=0.95)

    pans = []
    with celery_worker(tmp_path, "celery"), running(AnalyticsWorker(tick_seconds=0.5)):
        wait_for(lambda: Camera.objects.filter(pk=radar.pk, analyser__isnull=False).exists(), 30, "a lease")
        publisher.play([car])
        while publisher.thread.is_alive():
            pans.append(ptz_device.state()["pan"])
            time.sleep(0.2)
        wait_for(lambda: at(ptz_device, HOME), 60, "the PTZ camera home once the car has gone")

    turned = [pan for pan in pans if abs(pan) > 0.05]
    assert min(turned) < -0.1 and max(turned) > 0.1, pans
    assert turned.index(min(turned)) < turned.index(max(turned)), "it turned from left to right with the car"
    assert max(turned) < 0.3 and min(turned) > -0.3, "never beyond where the car was"
    event = Event.objects.get(rule__name="Car in the car park", camera=radar)
    assert Event.objects.get(caused_by=event).camera_id == ptz.pk, "the PTZ camera's view of the event is kept"
    sent = AuditEntry.objects.filter(action=AuditAction.PTZ_SENT, username="rule").order_by("at", "id")
    assert [(a.detail["to"], a.detail.get("event")) for a in sent] == [("object", event.pk), ("home", None)]


def test_only_a_radars_rule_follows_and_its_ptz_camera_must_be_on_the_radars_plan(admin_client, onvif_event_camera):
    plan = yard_plan()
    ptz = Camera.objects.create(name="Dome", main_url="rtsp://127.0.0.1:9/dome", ptz_profile="profile_1")
    radar = Camera.objects.create(name="Radar", kind="radar", site_plan=plan, plan_x=0.5, plan_y=0.9)
    car_park = Zone.objects.create(camera=radar, name="Car park", kind="area", points=CAR_PARK)
    follow = {"name": "Follow", "condition": "enter", "zone": car_park.pk, "ptz_camera": ptz.pk, "ptz_follow": True}
    refused = admin_client.post(f"/api/v1/cameras/{radar.pk}/rules/", follow, format="json")
    assert refused.status_code == 400 and "site plan" in refused.json()["errors"]["ptz_camera"][0]
    Camera.objects.filter(pk=ptz.pk).update(site_plan=plan, plan_x=0.2, plan_y=0.9)
    assert admin_client.post(f"/api/v1/cameras/{radar.pk}/rules/", follow, format="json").status_code == 201
    gate = event_camera_of(onvif_event_camera)
    refused = admin_client.post(f"/api/v1/cameras/{gate.pk}/rules/", {
        "name": "Follow", "condition": "camera_event", "event_kind": "motion", "ptz_camera": ptz.pk,
        "ptz_follow": True}, format="json")
    assert refused.status_code == 400 and "Only a radar" in refused.json()["errors"]["ptz_follow"][0]
