"""Radars and site plans: a radar is a device without video whose tracks come over MQTT (Mosquitto on 127.0.0.1, an
Axis-format stand-in radar); placed on a site plan, its rules on areas drawn on the plan fire events and alarms,
keep the footage of the cameras that see the area, and its tracks go to the plan live. Site plan pictures are
checked before they are kept, and served to logged-in users only."""

from __future__ import annotations

import asyncio
import base64

import cv2
import numpy as np
import pytest

from accounts.models import AuditAction, AuditEntry
from analytics import radar as radar_analytics
from analytics import services
from analytics.models import Alarm, Event, Rule, Zone
from analytics.worker import AnalyticsWorker
from devices.models import Camera, SitePlan
from recordings.recorder import eligible_cameras
from tests.conftest import grant
from tests.recording_checks import running, wait_for
from tests.standins.radar_publisher import AxisRadarPublisher
from tests.test_analytics_worker import overlay_messages

# As tests/test_video_radar.py's site: the radar at the bottom middle of a 100 m square plan, looking up.
DOOR = [[0.40, 0.60], [0.55, 0.60], [0.55, 0.75], [0.40, 0.75]]
CAR_PARK = [[0.05, 0.40], [0.95, 0.40], [0.95, 0.50], [0.05, 0.50]]
EXIT_LANE = [[0.55, 0.10], [0.61, 0.10], [0.61, 0.85], [0.55, 0.85]]


def picture(width: int = 400, height: int = 400, kind: str = ".png") -> str:
    image = np.full((height, width, 3), 230, np.uint8)
    cv2.rectangle(image, (40, 40), (width - 40, height - 40), (60, 60, 60), 3)
    return base64.b64encode(cv2.imencode(kind, image)[1].tobytes()).decode()


def yard_plan() -> SitePlan:
    """A 100 m square site plan, 400 px a side."""
    return SitePlan.objects.create(name="Yard", image=base64.b64decode(picture()), image_type="image/png",
                                   image_width=400, image_height=400, width_m=100)


@pytest.fixture
def plan(db) -> SitePlan:
    return yard_plan()


@pytest.mark.django_db
def test_an_admin_uploads_a_plan_and_only_logged_in_users_see_its_picture(admin_client, operator_client, client):
    created = admin_client.post("/api/v1/site-plans/", {"name": "Yard", "width_m": 100,
                                                         "image": "data:image/png;base64," + picture(640, 320)},
                                format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["image_width"], body["image_height"]) == (640, 320) and "image" not in body
    served = operator_client.get(body["image_url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert bytes(served.content).startswith(b"\x89PNG")
    assert client.get(body["image_url"]).status_code in (401, 403)
    assert operator_client.post("/api/v1/site-plans/", {"name": "Mine", "width_m": 5, "image": picture()},
                                format="json").status_code == 403
    renamed = admin_client.patch(f"/api/v1/site-plans/{body['id']}/", {"name": "Yard east"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["image_width"] == 640
    assert admin_client.delete(f"/api/v1/site-plans/{body['id']}/").status_code == 204
    audited = AuditEntry.objects.filter(action=AuditAction.SITE_PLAN_CHANGED).order_by("at", "id")
    assert [(a.user.username, a.detail["change"], a.detail["name"]) for a in audited] == [
        ("alice-admin", "created", "Yard"), ("alice-admin", "changed", "Yard east"),
        ("alice-admin", "deleted", "Yard east")]
    assert audited[1].detail["fields"] == ["name"]


huge_png = bytearray(base64.b64decode(picture(8, 8)))
huge_png[16:24] = (100_000).to_bytes(4, "big") * 2  # the header claims 100000 x 100000 pixels


@pytest.mark.django_db
@pytest.mark.parametrize(("image", "says"), [
    ("not base64 at all!", "not base64"),
    (base64.b64encode(b"GIF89a" + b"\0" * 100).decode(), "PNG or a JPEG"),
    (base64.b64encode(bytes(huge_png)).decode(), "6000 pixels"),
    (base64.b64encode(base64.b64decode(picture())[:60]).decode(), "damaged"),
    (picture(7000, 10, ".jpg"), "6000 pixels"),
])
def test_a_plan_picture_that_is_not_one_is_refused_with_a_reason(admin_client, image, says):
    response = admin_client.post("/api/v1/site-plans/", {"name": "Bad", "width_m": 10, "image": image},
                                 format="json")
    assert response.status_code == 400 and says in response.json()["errors"]["image"][0]


@pytest.mark.django_db
def test_a_radar_is_a_device_without_video_and_its_rules_are_a_radars(admin_client, plan):
    created = admin_client.post("/api/v1/cameras/", {
        "kind": "radar", "name": "Yard radar", "main_url": "rtsp://127.0.0.1:9/x", "metadata_broker":
        "mqtt://127.0.0.1:1883", "metadata_topic": "axis/radar/frame", "site_plan": plan.pk, "plan_x": 0.5,
        "plan_y": 0.9, "plan_heading": 0, "recording_mode": "continuous"}, format="json")
    assert created.status_code == 201, created.json()
    radar = Camera.objects.get(pk=created.json()["id"])
    assert (radar.kind, radar.main_url, radar.recording_mode, radar.analytics_enabled, radar.analysis_source,
            radar.metadata_transport) == ("radar", "", "off", True, "camera", "mqtt")
    assert radar not in eligible_cameras(), "the recorder has nothing to record"
    url = f"/api/v1/cameras/{radar.pk}/"
    assert "kind" in admin_client.patch(url, {"kind": "camera"}, format="json").json()["errors"]
    assert "metadata_topic" in admin_client.patch(url, {"metadata_topic": ""}, format="json").json()["errors"]
    assert "main_url" in admin_client.post("/api/v1/cameras/", {"name": "No URL"}, format="json").json()["errors"]
    zone = Zone.objects.create(camera=radar, name="Car park", kind="area", points=CAR_PARK)
    rules = f"/api/v1/cameras/{radar.pk}/rules/"
    speed = admin_client.post(rules, {"name": "Speeding", "condition": "speed", "zone": zone.pk, "speed_kmh": 50,
                                      "object_classes": ["vehicle"]}, format="json")
    assert speed.status_code == 201, speed.json()
    dwell = admin_client.post(rules, {"name": "Lingering", "condition": "dwell", "zone": zone.pk}, format="json")
    assert "condition" in dwell.json()["errors"]
    cars = admin_client.post(rules, {"name": "Cars", "condition": "enter", "zone": zone.pk,
                                     "object_classes": ["car"]}, format="json")
    assert "object_classes" in cars.json()["errors"]
    camera = Camera.objects.create(name="Gate", main_url="rtsp://127.0.0.1:9/gate")
    camera_zone = Zone.objects.create(camera=camera, name="All", kind="area", points=CAR_PARK)
    on_camera = admin_client.post(f"/api/v1/cameras/{camera.pk}/rules/", {
        "name": "Fast", "condition": "speed", "zone": camera_zone.pk}, format="json")
    assert "condition" in on_camera.json()["errors"]


@pytest.mark.django_db
def test_the_cameras_that_see_a_radar_zone_are_worked_out_from_where_they_stand_on_the_plan(plan):
    radar = Camera.objects.create(name="Radar", kind="radar", site_plan=plan, plan_x=0.5, plan_y=0.9)
    car_park = Zone.objects.create(camera=radar, name="Car park", kind="area", points=CAR_PARK)

    def camera(name: str, **placed) -> Camera:
        return Camera.objects.create(name=name, main_url=f"rtsp://127.0.0.1:9/{name}", **placed)

    # The plan is 100 m square; the car park is the band 40-50 m from its top.
    facing = camera("Facing", site_plan=plan, plan_x=0.5, plan_y=0.9, plan_heading=0, plan_fov=60, plan_range_m=60)
    camera("Away", site_plan=plan, plan_x=0.5, plan_y=0.9, plan_heading=180, plan_fov=60, plan_range_m=60)
    camera("Short", site_plan=plan, plan_x=0.5, plan_y=0.9, plan_heading=0, plan_fov=60, plan_range_m=20)
    inside = camera("Inside", site_plan=plan, plan_x=0.5, plan_y=0.45, plan_heading=90, plan_fov=5, plan_range_m=1)
    elsewhere = SitePlan.objects.create(name="Other", image=plan.image, image_type="image/png", image_width=400,
                                        image_height=400, width_m=100)
    camera("Elsewhere", site_plan=elsewhere, plan_x=0.5, plan_y=0.9, plan_heading=0, plan_range_m=60)
    camera("Unplaced")
    named = camera("Named")
    rule = Rule.objects.create(camera=radar, name="Speeding", condition="speed", zone=car_park)
    rule.record_cameras.set([named])
    assert services.cameras_to_record(rule) == [named]
    rule.record_seeing_cameras = True
    assert [c.name for c in services.cameras_to_record(rule)] == [c.name for c in (facing, inside, named)]


@pytest.fixture
def publisher():
    with AxisRadarPublisher() as radar:
        yield radar


@pytest.mark.django_db(transaction=True)
def test_a_placed_radars_rules_fire_on_its_tracks_and_keep_the_footage_of_the_cameras_that_see_the_area(
        settings, plan, publisher, monkeypatch, operator_user):
    settings.RECORDER_LEASE_SECONDS = 3.0
    monkeypatch.setattr(radar_analytics, "SILENT_SECONDS", 3.0)
    radar = Camera.objects.create(name="Yard radar", kind="radar", main_url="", recording_mode="off",
                                  analytics_enabled=True, analysis_source="camera", metadata_transport="mqtt",
                                  metadata_broker="mqtt://127.0.0.1:1883", metadata_topic=publisher.topic,
                                  site_plan=plan, plan_x=0.5, plan_y=0.9, plan_heading=0)
    gate = Camera.objects.create(name="Gate", main_url="rtsp://127.0.0.1:9/gate", recording_mode="events")
    zones = {name: Zone.objects.create(camera=radar, name=name, kind="area", points=points)
             for name, points in (("Door", DOOR), ("Car park", CAR_PARK), ("Exit lane", EXIT_LANE))}
    door = Rule.objects.create(camera=radar, name="At the door", condition="enter", zone=zones["Door"],
                               object_classes=["person"], min_duration_seconds=2.0, severity=3)
    speeding = Rule.objects.create(camera=radar, name="Speeding", condition="speed", zone=zones["Car park"],
                                   object_classes=["vehicle"], speed_kmh=50, pre_roll_seconds=4)
    speeding.record_cameras.set([gate])
    wrong_way = Rule.objects.create(camera=radar, name="Wrong way", condition="heading", zone=zones["Exit lane"],
                                    heading_deg=180, tolerance_deg=45, min_duration_seconds=1.0)
    grant(radar, group="Operator")
    with running(AnalyticsWorker(tick_seconds=0.5)):
        wait_for(lambda: Camera.objects.filter(pk=radar.pk, analyser__isnull=False).exists(), 30, "a lease")
        publisher.play(speedup=4.0)
        messages = asyncio.run(overlay_messages(radar.pk, 3.0))
        fired = {rule: wait_for(lambda rule=rule: Event.objects.filter(rule=rule, camera=radar).exclude(
            ended_at=None).first(), 60, f"{rule.name} to fire and end") for rule in (door, speeding, wrong_way)}
        assert Camera.objects.get(pk=radar.pk).status == "online"
        wait_for(lambda: Camera.objects.get(pk=radar.pk).status == "offline", 30, "a silent radar to be offline")
    assert (fired[door].object_class, fired[speeding].object_class) == ("person", "vehicle")
    assert fired[wrong_way].object_class == "unknown"
    assert Alarm.objects.filter(event=fired[door], severity=3).exists()
    # The speeding car's path, on the plan: it crossed the car park from left to right.
    xs = [box["x"] for box in fired[speeding].boxes]
    assert len(xs) >= 2 and xs[-1] > xs[0] and all(0.40 <= box["y"] + box["h"] / 2 <= 0.50
                                                   for box in fired[speeding].boxes[-2:])
    # The gate camera keeps its footage of the speeding, from its own event.
    kept = Event.objects.get(caused_by=fired[speeding])
    assert (kept.camera, kept.keep_footage, kept.pre_roll_seconds) == (gate, True, 4)
    assert kept.ended_at == fired[speeding].ended_at
    # Live: boxes on the plan, with their speed for the one in alarm.
    boxes = [box for message in messages for box in message["data"]["boxes"]]
    assert boxes and all(0 <= box["x"] <= 1 and 0 <= box["y"] <= 1 for box in boxes)
    assert {box["label"] for box in boxes} <= {"person", "vehicle", "unknown"}


@pytest.mark.django_db(transaction=True)
def test_a_radar_not_yet_placed_says_so(settings, publisher):
    settings.RECORDER_LEASE_SECONDS = 3.0
    radar = Camera.objects.create(name="Loose radar", kind="radar", main_url="", recording_mode="off",
                                  analytics_enabled=True, analysis_source="camera", metadata_transport="mqtt",
                                  metadata_broker="mqtt://127.0.0.1:1883", metadata_topic=publisher.topic)
    with running(AnalyticsWorker(tick_seconds=0.5)):
        error = wait_for(lambda: Camera.objects.get(pk=radar.pk).analytics_error, 30, "the problem to show")
    assert "Place the radar on a site plan" in error
