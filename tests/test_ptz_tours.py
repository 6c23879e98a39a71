"""PTZ tours: a camera's presets visited in turn with their dwell times, started and stopped through the API or by
their schedule, waiting while anyone else has control of the camera and carrying on after. The camera is ipycam's
digital PTZ (tests/standins/ptz_camera.py) as in test_ptz.py; positions are read from ipycam itself. The beat task's
tick (devices.ptz_tours.tick) is called here directly, as beat would call it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from devices import ptz_control, ptz_tours
from devices.models import Camera, PtzTourRun
from tests.recording_checks import wait_for
from tests.test_ptz import camera_of, go, url

pytestmark = pytest.mark.django_db
A = {"pan": 0.6, "tilt": 0.2, "zoom": 0.3}
B = {"pan": -0.6, "tilt": -0.2, "zoom": 0.1}
ELSEWHERE = {"pan": 0.0, "tilt": 0.5, "zoom": 0.0}


def at(device, position: dict) -> bool:
    state = device.state()
    return all(abs(state[axis] - value) < 0.01 for axis, value in position.items()) and not state["moving"]


@pytest.fixture
def camera(ptz_device, admin_client) -> Camera:
    camera = camera_of(ptz_device)
    assert admin_client.post(url(camera, "detect/")).status_code == 200
    camera.refresh_from_db()
    return camera


@pytest.fixture
def presets(camera, admin_client) -> tuple[str, str]:
    """Two presets, A and B, saved by the admin, who then hands control back."""
    tokens = []
    for name, position in (("A", A), ("B", B)):
        go(admin_client, camera, "position/", position)
        tokens.append(go(admin_client, camera, "presets/", {"name": name})["token"])
    go(admin_client, camera, "position/", ELSEWHERE)
    assert admin_client.delete(url(camera, "control/")).status_code == 204
    return tokens[0], tokens[1]


def tours(camera: Camera, path: str = "") -> str:
    return url(camera, f"tours/{path}")


def make_tour(client, camera: Camera, presets: tuple[str, str], **extra) -> dict:
    created = client.post(tours(camera), {"name": "Round", "steps": [
        {"preset": presets[0], "dwell_seconds": 1}, {"preset": presets[1], "dwell_seconds": 1}], **extra},
        format="json")
    assert created.status_code == 201, created.json()
    return created.json()


def tick_until(condition, what: str, timeout: float = 30):
    def ticked():
        ptz_tours.tick()
        return condition()
    return wait_for(ticked, timeout, what, every=0.2)


def test_a_tour_started_on_demand_visits_its_presets_in_turn_until_stopped(ptz_device, camera, presets,
                                                                            admin_client, operator_client):
    tour = make_tour(admin_client, camera, presets)
    assert operator_client.post(tours(camera), {"name": "Mine", "steps": []}, format="json").status_code == 403

    started = operator_client.post(tours(camera, f"{tour['id']}/start/"))

    assert started.status_code == 200, started.json()
    assert started.json()["tour_name"] == "Round" and started.json()["started_by"] == "oscar-operator"
    for name, position in (("A", A), ("B", B), ("A", A)):
        tick_until(lambda p=position: at(ptz_device, p), f"the camera at preset {name}")
    status = operator_client.get(url(camera)).json()
    assert status["tour"]["tour"] == tour["id"] and status["control"]["by_tour"] is True
    assert operator_client.get(tours(camera)).json()[0]["running"] is True

    assert operator_client.post(tours(camera, f"{tour['id']}/stop/")).status_code == 204
    stopped_at = ptz_device.state()
    for _ in range(8):  # two dwell times and more: a running tour would have moved it
        ptz_tours.tick()
        time.sleep(0.3)
    assert ptz_device.state() == stopped_at
    assert operator_client.get(url(camera)).json()["tour"] is None
    assert ptz_control.holder_of(camera) is None, "the tour handed control back"

    assert [(e.username, e.detail["tour"]) for e in AuditEntry.objects.filter(
        action=AuditAction.PTZ_TOUR_STARTED)] == [("oscar-operator", "Round")]
    assert [(e.username, e.detail["why"]) for e in AuditEntry.objects.filter(
        action=AuditAction.PTZ_TOUR_STOPPED)] == [("oscar-operator", "stopped")]
    trips = AuditEntry.objects.filter(action=AuditAction.PTZ_SENT, username="tour").order_by("at", "id")
    assert [(t.detail["tour"], t.detail["step"], t.detail["preset"]) for t in trips][:3] == [
        ("Round", 1, presets[0]), ("Round", 2, presets[1]), ("Round", 1, presets[0])]


def test_a_tour_waits_while_someone_has_control_and_carries_on_after(ptz_device, camera, presets, admin_client,
                                                                     operator_client):
    tour = make_tour(admin_client, camera, presets)
    operator_client.post(tours(camera, f"{tour['id']}/start/"))
    tick_until(lambda: at(ptz_device, A), "the camera at preset A")

    # Anyone steering takes over from the tour; the tour does not move the camera meanwhile.
    go(operator_client, camera, "position/", ELSEWHERE)
    for _ in range(8):
        ptz_tours.tick()
        time.sleep(0.3)
    assert at(ptz_device, ELSEWHERE)
    assert PtzTourRun.objects.get(camera=camera).paused_by == "oscar-operator"
    assert operator_client.get(url(camera)).json()["control"]["username"] == "oscar-operator"

    assert operator_client.delete(url(camera, "control/")).status_code == 204
    tick_until(lambda: at(ptz_device, B), "the tour to carry on to preset B")
    assert PtzTourRun.objects.get(camera=camera).paused_by == ""
    # An alarm takes over from a tour as well.
    assert ptz_control.take_for_alarm(camera, "rule Gate", 30) is not None
    ptz_control.release_alarm(camera)
    ended = AuditEntry.objects.filter(action=AuditAction.PTZ_CONTROL_ENDED, username="tour").order_by(
        "at", "id").values_list("detail__by", flat=True)
    assert list(ended) == ["oscar-operator", "alarm"]


def window(start, end) -> list[dict]:
    return [{"days": list(range(7)), "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}]


def test_a_scheduled_tour_runs_only_inside_its_window(ptz_device, camera, presets, admin_client):
    now = timezone.localtime()
    outside = make_tour(admin_client, camera, presets,
                        schedule=window(now + timedelta(hours=2), now + timedelta(hours=3)))
    for _ in range(3):
        ptz_tours.tick()
    assert not PtzTourRun.objects.filter(camera=camera).exists()
    assert at(ptz_device, ELSEWHERE)

    inside = admin_client.patch(tours(camera, f"{outside['id']}/"), {
        "schedule": window(now - timedelta(hours=1), now + timedelta(hours=1))}, format="json")
    assert inside.status_code == 200, inside.json()
    tick_until(lambda: at(ptz_device, A), "the scheduled tour to go to preset A")
    assert PtzTourRun.objects.get(camera=camera).started_by == "schedule"

    admin_client.patch(tours(camera, f"{outside['id']}/"), {
        "schedule": window(now + timedelta(hours=2), now + timedelta(hours=3))}, format="json")
    ptz_tours.tick()
    assert not PtzTourRun.objects.filter(camera=camera).exists()
    assert [(e.username, e.detail.get("why")) for e in AuditEntry.objects.filter(
        action__in=[AuditAction.PTZ_TOUR_STARTED, AuditAction.PTZ_TOUR_STOPPED]).order_by("at", "id")] == [
        ("schedule", None), ("schedule", "schedule_ended")]


def test_a_tour_stopped_by_hand_inside_its_window_stays_stopped(camera, presets, admin_client):
    now = timezone.localtime()
    tour = make_tour(admin_client, camera, presets, schedule=window(now - timedelta(hours=1), now + timedelta(hours=1)))
    ptz_tours.tick()
    assert PtzTourRun.objects.get(camera=camera).started_by == "schedule"
    admin_client.post(tours(camera, f"{tour['id']}/stop/"))
    ptz_tours.tick()
    assert not PtzTourRun.objects.filter(camera=camera).exists()


def test_a_tour_is_checked_before_it_is_kept(camera, presets, admin_client):
    def errors(body: dict) -> dict:
        response = admin_client.post(tours(camera), {"name": "Bad", **body}, format="json")
        assert response.status_code == 400, response.json()
        return response.json()["errors"]

    one = {"preset": presets[0], "dwell_seconds": 5}
    assert "steps" in errors({"steps": [one]})
    assert "steps" in errors({"steps": [one, {**one, "dwell_seconds": 3601}]})
    assert "steps" in errors({"steps": [one, {**one, "dwell_seconds": 0}]})
    assert "no preset nope" in str(errors({"steps": [one, {"preset": "nope", "dwell_seconds": 5}]}))
    still = Camera.objects.create(name="Fixed", main_url="rtsp://127.0.0.1:9/fixed")
    assert admin_client.get(url(still, "tours/")).status_code == 404
