"""Relay outputs switched by hand: an operator switches an output of a camera they may see on and off, or on for a
few seconds (a Celery worker switches it off again); each switch reaches the camera, is audited as by hand and is
kept on the camera. Refused to roles without `switch_relay` and for cameras not on the user's access list; a token
the camera does not have is a 404 and a camera that cannot be asked a 502, and then nothing is kept. The camera is
the ONVIF stand-in (tests/standins/onvif_event_camera.py), which has the relay outputs AlarmOut_0 and AlarmOut_1."""

from __future__ import annotations

import pytest

from accounts.models import AuditAction, AuditEntry
from accounts.roles import OPERATOR
from devices import relays
from devices.models import Camera
from tests.conftest import grant
from tests.recording_checks import wait_for
from tests.test_camera_events import camera_of
from tests.web_server import celery_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(onvif_event_camera):
    return onvif_event_camera


@pytest.fixture
def camera(device) -> Camera:
    camera = camera_of(device)
    grant(camera, group=OPERATOR)
    return camera


def url(camera: Camera, token: str = "AlarmOut_0") -> str:
    return f"/api/v1/cameras/{camera.pk}/relay-outputs/{token}/"


def switched(device) -> list[tuple[str, str]]:
    return [(token, state) for _at, token, state in device.switches]


def audited(camera: Camera) -> list[tuple[str, str, str, str, str]]:
    entries = AuditEntry.objects.filter(action=AuditAction.RELAY_SWITCHED, camera=camera).order_by("at", "pk")
    return [(e.username, e.detail["relay"], e.detail["state"], e.detail["by"], e.detail["error"]) for e in entries]


def test_an_operator_switches_an_output_on_and_off_and_each_switch_is_audited(operator_client, device, camera):
    on = operator_client.post(url(camera), {"state": "active"}, format="json")
    assert on.status_code == 200, on.json()
    assert (on.json()["token"], on.json()["active"], on.json()["error"]) == ("AlarmOut_0", True, "")
    assert device.relays["AlarmOut_0"] == "active"
    assert Camera.objects.get(pk=camera.pk).relay_outputs["AlarmOut_0"]["active"] is True

    off = operator_client.post(url(camera), {"state": "inactive"}, format="json")
    assert off.status_code == 200, off.json()
    assert off.json()["active"] is False
    assert switched(device) == [("AlarmOut_0", "active"), ("AlarmOut_0", "inactive")]
    state = Camera.objects.get(pk=camera.pk).relay_outputs["AlarmOut_0"]
    assert (state["active"], state["changed_at"], state["error"]) == (False, off.json()["changed_at"], "")
    assert audited(camera) == [("oscar-operator", "AlarmOut_0", "on", "hand", ""),
                               ("oscar-operator", "AlarmOut_0", "off", "hand", "")]


def test_the_camera_page_shows_what_was_switched_by_hand(operator_client, device, camera):
    operator_client.post(url(camera, "AlarmOut_1"), {"state": "active"}, format="json")
    shown = operator_client.get(f"/api/v1/cameras/{camera.pk}/").json()["relay_outputs"]
    assert list(shown) == ["AlarmOut_1"] and shown["AlarmOut_1"]["active"] is True
    listed = operator_client.get(f"/api/v1/cameras/{camera.pk}/relay-outputs/")
    assert [output["token"] for output in listed.json()] == ["AlarmOut_0", "AlarmOut_1"]


@pytest.mark.django_db(transaction=True)
def test_a_pulse_switches_the_output_off_again(tmp_path, operator_client, device, camera):
    with celery_worker(tmp_path, "celery"):
        response = operator_client.post(url(camera), {"state": "active", "seconds": 1}, format="json")
        assert response.status_code == 200, response.json()
        assert response.json()["active"] is True
        wait_for(lambda: switched(device) == [("AlarmOut_0", "active"), ("AlarmOut_0", "inactive")], 60,
                 "the output switched on, then off by the worker")
        wait_for(lambda: len(audited(camera)) == 2, 30, "the switch off audited")
    assert device.relays["AlarmOut_0"] == "inactive"
    assert Camera.objects.get(pk=camera.pk).relay_outputs["AlarmOut_0"]["active"] is False
    assert audited(camera) == [("oscar-operator", "AlarmOut_0", "on", "hand", ""),
                               ("oscar-operator", "AlarmOut_0", "off", "hand", "")]
    assert [e.detail["pulse_seconds"] for e in AuditEntry.objects.filter(action=AuditAction.RELAY_SWITCHED)] == [1, 1]


def test_the_end_of_a_pulse_leaves_an_output_switched_since_as_it_is(operator_user, operator_client, device, camera):
    pulsed = operator_client.post(url(camera), {"state": "active", "seconds": 60}, format="json").json()
    operator_client.post(url(camera), {"state": "active"}, format="json")  # held on by hand meanwhile
    relays.end_pulse("AlarmOut_0", camera_id=camera.pk, user_id=operator_user.pk, seconds=60,
                     since=pulsed["changed_at"])
    assert switched(device) == [("AlarmOut_0", "active"), ("AlarmOut_0", "active")]

    held = Camera.objects.get(pk=camera.pk).relay_outputs["AlarmOut_0"]["changed_at"]
    relays.end_pulse("AlarmOut_0", camera_id=camera.pk, user_id=operator_user.pk, seconds=60, since=held)
    assert switched(device)[-1] == ("AlarmOut_0", "inactive")


def test_roles_without_the_permission_are_refused(investigator_user, investigator_client, device, camera):
    grant(camera, user=investigator_user)
    assert not investigator_user.has_perm("devices.switch_relay")
    response = investigator_client.post(url(camera), {"state": "active"}, format="json")
    assert response.status_code == 403
    assert investigator_client.get(f"/api/v1/cameras/{camera.pk}/relay-outputs/").status_code == 403
    assert device.switches == [] and audited(camera) == []


def test_a_camera_not_on_the_users_access_list_is_hidden(operator_client, device):
    vault = camera_of(device)  # granted to nobody
    response = operator_client.post(url(vault), {"state": "active"}, format="json")
    assert response.status_code == 404
    assert device.switches == [] and audited(vault) == []


def test_a_token_the_camera_does_not_have_is_a_404_and_nothing_is_kept(operator_client, device, camera):
    response = operator_client.post(url(camera, "Siren_9"), {"state": "active"}, format="json")
    assert response.status_code == 404
    assert response.json()["detail"] == "Gate has no relay output 'Siren_9': pick one of those the camera lists."
    assert device.switches == []
    assert Camera.objects.get(pk=camera.pk).relay_outputs == {}
    assert audited(camera) == [("oscar-operator", "Siren_9", "on", "hand", response.json()["detail"])]


def test_a_camera_that_cannot_be_asked_is_a_502_and_nothing_is_kept(operator_client, device, camera):
    device.stop()
    response = operator_client.post(url(camera), {"state": "active"}, format="json")
    assert response.status_code == 502
    assert response.json()["type"] == "refused"
    assert "refused the connection" in response.json()["detail"]
    assert Camera.objects.get(pk=camera.pk).relay_outputs == {}
    assert audited(camera) == [("oscar-operator", "AlarmOut_0", "on", "hand", response.json()["detail"])]


def test_a_camera_without_an_onvif_host_is_a_502_that_says_so(operator_client):
    camera = Camera.objects.create(name="Store", main_url="rtsp://127.0.0.1:8554/store")
    grant(camera, group=OPERATOR)
    response = operator_client.post(url(camera), {"state": "active"}, format="json")
    assert response.status_code == 502
    assert "give its ONVIF host" in response.json()["detail"]


@pytest.mark.parametrize("body", [{}, {"state": "open"}, {"state": True}, {"state": "active", "seconds": 0},
                                  {"state": "active", "seconds": 3601}, {"state": "active", "seconds": "soon"},
                                  {"state": "inactive", "seconds": 5}])
def test_a_malformed_body_is_a_400_and_nothing_is_switched(operator_client, device, camera, body):
    response = operator_client.post(url(camera), body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["errors"]
    assert device.switches == [] and audited(camera) == []
