"""Cameras' own events over the API: the camera's ONVIF settings, rules on its events, and the list of what the
cameras reported, with its filters and per-camera access."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from devices.models import Camera, DeviceEvent
from tests.conftest import grant

pytestmark = pytest.mark.django_db
AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def reported(camera: Camera, topic: str, kind: str, seconds: int = 0, **fields) -> DeviceEvent:
    at = AT + timedelta(seconds=seconds)
    return DeviceEvent.objects.create(camera=camera, at=at, camera_time=at, topic=topic, kind=kind, **fields)


@pytest.mark.parametrize(("change", "field"), [
    ({"listen_events": True}, "onvif_host"),
    ({"onvif_host": "http://10.0.0.5/onvif"}, "onvif_host"),
    ({"onvif_host": "10.0.0.5", "onvif_port": 70000}, "onvif_port"),
])
def test_a_camera_listens_to_its_events_only_with_an_onvif_host(admin_client, camera, change, field):
    response = admin_client.patch(f"/api/v1/cameras/{camera.pk}/", change, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_camera_with_an_onvif_host_listens_and_shows_why_it_cannot(admin_client, camera):
    response = admin_client.patch(f"/api/v1/cameras/{camera.pk}/",
                                  {"onvif_host": " cam-7.example ", "onvif_port": 8080, "listen_events": True},
                                  format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["onvif_host"] == "cam-7.example" and response.json()["events_error"] == ""


def test_a_rule_on_camera_events_needs_a_kind_or_a_topic(admin_client, camera):
    url = f"/api/v1/cameras/{camera.pk}/rules/"
    refused = admin_client.post(url, {"name": "Door", "condition": "camera_event"}, format="json")
    assert refused.status_code == 400 and "event_kind" in refused.json()["errors"]
    too_many = admin_client.post(url, {"name": "Door", "condition": "camera_event", "event_kind": "digital_input",
                                       "event_items": {f"k{i}": "1" for i in range(20)}}, format="json")
    assert too_many.status_code == 400 and "event_items" in too_many.json()["errors"]
    made = admin_client.post(url, {"name": "Door", "condition": "camera_event", "event_kind": "digital_input",
                                   "event_items": {"InputToken": "1"}, "zone": None}, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["event_items"] == {"InputToken": "1"} and made.json()["zone"] is None


def test_the_list_filters_by_kind_topic_state_and_time(admin_client, camera):
    reported(camera, "tns1:VideoSource/MotionAlarm", "motion", state=True)
    reported(camera, "tns1:RuleEngine/LineDetector/Crossed", "line_crossing", 5, data={"ObjectId": "3"})
    reported(camera, "tns1:VideoSource/MotionAlarm", "motion", 10, state=False)

    def topics(query: str) -> list[str]:
        response = admin_client.get(f"/api/v1/device-events/?{query}")
        assert response.status_code == 200, response.json()
        return [row["topic"] for row in response.json()["results"]]

    assert len(topics("kind=motion")) == 2
    assert topics("topic=tns1:RuleEngine/LineDetector") == ["tns1:RuleEngine/LineDetector/Crossed"]
    assert topics("topic=tns1:RuleEngine/Line") == []
    assert topics("state=false") == ["tns1:VideoSource/MotionAlarm"]
    assert len(topics("start=2026-12-04T10:00:05Z&end=2026-12-04T10:00:10Z")) == 1
    assert admin_client.get("/api/v1/device-events/?kind=weather").status_code == 400


def test_an_operator_sees_only_the_events_of_cameras_granted_to_them(operator_client, camera):
    other = Camera.objects.create(name="Vault", main_url="rtsp://127.0.0.1:8554/vault")
    reported(camera, "tns1:VideoSource/MotionAlarm", "motion", state=True)
    reported(other, "tns1:Device/Trigger/DigitalInput", "digital_input", state=True)
    grant(camera, group="Operator")
    rows = operator_client.get("/api/v1/device-events/").json()["results"]
    assert [row["camera"] for row in rows] == [camera.pk]
    assert rows[0]["camera_name"] == camera.name


@pytest.mark.parametrize(("change", "field"), [
    ({"analysis_source": "camera", "metadata_transport": "mqtt"}, "metadata_topic"),
    ({"analysis_source": "both", "metadata_transport": "mqtt", "metadata_topic": "axis/x/frame"}, "metadata_broker"),
    ({"metadata_transport": "carrier pigeon"}, "metadata_transport"),
    ({"metadata_broker": "http://broker:1883"}, "metadata_broker"),
    ({"metadata_broker": "mqtt://user:pw@broker:1883"}, "metadata_broker"),
    ({"metadata_broker": "mqtt://broker:99999"}, "metadata_broker"),
    ({"analysis_source": "radar"}, "analysis_source"),
])
def test_a_camera_analysed_by_its_own_metadata_needs_a_topic_and_a_broker(admin_client, camera, change, field):
    response = admin_client.patch(f"/api/v1/cameras/{camera.pk}/", change, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_brokers_password_is_kept_encrypted_and_never_shown(admin_client, camera, settings):
    response = admin_client.patch(f"/api/v1/cameras/{camera.pk}/", {
        "analysis_source": "camera", "metadata_transport": "mqtt", "metadata_broker": "mqtts://broker.site:8883",
        "metadata_username": "vms",
        "metadata_password": "broker secret", "metadata_topic": "axis/B8A44F/scene/frame"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["has_metadata_password"] is True and "metadata_password" not in body
    assert "broker secret" not in response.content.decode()
    camera.refresh_from_db()
    assert camera.metadata_password == "broker secret" and "broker secret" not in camera.metadata_password_encrypted
    settings.MQTT_URL = "mqtt://site-broker:1883"
    other = Camera.objects.create(name="Lane", main_url="rtsp://127.0.0.1:8554/lane")
    site = admin_client.patch(f"/api/v1/cameras/{other.pk}/", {
        "analysis_source": "camera", "metadata_transport": "mqtt", "metadata_topic": "axis/lane"}, format="json")
    assert site.status_code == 200, "the site's broker serves cameras without one"


def test_an_admin_is_told_not_to_trust_the_servers_detector_on_a_thermal_camera(admin_client, camera):
    url = f"/api/v1/cameras/{camera.pk}/"
    response = admin_client.patch(url, {"thermal": True, "analytics_enabled": True}, format="json")
    assert response.status_code == 200 and "thermal camera" in response.json()["analytics_notice"]
    own = admin_client.patch(url, {"analysis_source": "camera", "metadata_broker": "mqtt://127.0.0.1:1883",
                                   "metadata_topic": "axis/thermal/frame"}, format="json")
    assert own.json()["analytics_notice"] == ""
    assert admin_client.patch(url, {"thermal": False, "analysis_source": "server"},
                              format="json").json()["analytics_notice"] == ""
