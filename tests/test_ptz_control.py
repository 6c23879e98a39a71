"""PTZ control: one person steers a camera at a time and the others are told who; a higher role or an alarm takes
over; control lapses some seconds after its holder's last command; each control session is audited once when it
starts and once when it ends, not per command. Against the PTZ stand-in, reached as tests/test_ptz.py says."""

from __future__ import annotations

from datetime import datetime

import pytest

from accounts.models import AuditAction, AuditEntry
from accounts.roles import OPERATOR
from devices import ptz_control
from devices.models import Camera
from devices.tasks import end_expired_ptz_control
from tests.conftest import client_for, make_user
from tests.recording_checks import wait_for
from tests.test_ptz import camera_of, go, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def camera(ptz_device, admin_client) -> Camera:
    camera = camera_of(ptz_device)
    assert admin_client.post(url(camera, "detect/")).status_code == 200
    camera.refresh_from_db()
    return camera


@pytest.fixture
def olga():
    """A second operator."""
    return client_for(make_user("olga-operator", OPERATOR))


def sessions(camera: Camera, action: AuditAction) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, camera=camera).order_by("id"))


def test_one_operator_steers_at_a_time_and_the_other_is_told_who(ptz_device, camera, operator_client, olga):
    go(operator_client, camera, "move/", {"pan": 0.2, "seconds": 3})

    refused = olga.post(url(camera, "stop/"))

    assert refused.status_code == 409
    assert refused.json()["type"] == "ptz_control_held"
    assert refused.json()["detail"].startswith("oscar-operator (Operator) has control of Yard PTZ")
    holder = refused.json()["errors"]["control"]
    assert (holder["username"], holder["role"], holder["by_alarm"], holder["yours"]) == (
        "oscar-operator", "Operator", False, False)
    assert ptz_device.state()["moving"] is True  # her stop did not reach the camera
    assert olga.get(url(camera, "control/")).json()["control"]["username"] == "oscar-operator"
    assert operator_client.get(url(camera, "control/")).json()["control"]["yours"] is True
    assert olga.delete(url(camera, "control/")).status_code == 409
    go(operator_client, camera, "stop/")


def test_an_admin_takes_over_and_the_operator_then_waits(camera, operator_client, admin_client):
    go(operator_client, camera, "control/")

    taken = go(admin_client, camera, "move/", {"zoom": 0.2, "seconds": 0.2})

    assert (taken["control"]["username"], taken["control"]["role"]) == ("alice-admin", "Admin")
    refused = operator_client.post(url(camera, "stop/"))
    assert refused.status_code == 409 and refused.json()["errors"]["control"]["username"] == "alice-admin"
    assert admin_client.delete(url(camera, "control/")).status_code == 204
    assert go(operator_client, camera, "stop/")["control"]["username"] == "oscar-operator"
    assert [(s.username, s.detail["took_over_from"]) for s in sessions(camera, AuditAction.PTZ_CONTROL_STARTED)] == [
        ("oscar-operator", ""), ("alice-admin", "oscar-operator"), ("oscar-operator", "")]
    assert [(s.username, s.detail["why"], s.detail["by"]) for s in sessions(camera, AuditAction.PTZ_CONTROL_ENDED)] == [
        ("oscar-operator", "taken_over", "alice-admin"), ("alice-admin", "handed_back", "")]


def test_each_command_renews_control_and_it_lapses_after_the_last(camera, operator_client, olga, settings):
    settings.PTZ_CONTROL_SECONDS = 1
    first = go(operator_client, camera, "stop/")["control"]
    again = go(operator_client, camera, "stop/")["control"]
    assert datetime.fromisoformat(again["expires_at"]) > datetime.fromisoformat(first["expires_at"])
    assert again["since"] == first["since"]  # the same session

    wait_for(lambda: olga.post(url(camera, "stop/")).status_code == 200, 10, "oscar's control to lapse")

    [lapsed] = sessions(camera, AuditAction.PTZ_CONTROL_ENDED)
    assert (lapsed.username, lapsed.detail["why"]) == ("oscar-operator", "expired")
    assert lapsed.detail["ended_at"] == again["expires_at"].replace("Z", "+00:00")


def test_a_session_is_audited_once_at_its_start_and_once_at_its_end_not_per_command(camera, operator_client):
    for pan in (0.3, -0.3, 0.2, -0.2, 0.1):
        go(operator_client, camera, "move/", {"pan": pan, "seconds": 0.2})
    go(operator_client, camera, "stop/")
    assert operator_client.delete(url(camera, "control/")).status_code == 204

    [started] = sessions(camera, AuditAction.PTZ_CONTROL_STARTED)
    [ended] = sessions(camera, AuditAction.PTZ_CONTROL_ENDED)
    assert started.username == ended.username == "oscar-operator"
    assert started.detail["session"] == ended.detail["session"] and ended.detail["why"] == "handed_back"
    assert ended.detail["seconds"] >= 0


def test_an_alarm_takes_over_from_an_operator_but_not_from_an_admin(camera, operator_client, admin_client):
    go(operator_client, camera, "control/")

    alarm = ptz_control.take_for_alarm(camera, "Someone at the gate", seconds=30)

    assert alarm is not None and alarm.by_alarm
    refused = operator_client.post(url(camera, "home/"))
    assert refused.status_code == 409 and refused.json()["detail"].startswith("An alarm (Someone at the gate) has")
    assert refused.json()["errors"]["control"]["by_alarm"] is True
    assert go(admin_client, camera, "control/")["control"]["username"] == "alice-admin"
    assert ptz_control.take_for_alarm(camera, "Someone at the gate again") is None  # an admin steers
    admin_client.delete(url(camera, "control/"))
    ptz_control.take_for_alarm(camera, "Someone at the gate again")
    ptz_control.release_alarm(camera)
    assert go(operator_client, camera, "control/")["control"]["username"] == "oscar-operator"
    started = [(s.username, s.detail.get("reason", "")) for s in sessions(camera, AuditAction.PTZ_CONTROL_STARTED)]
    assert started == [("oscar-operator", ""), ("alarm", "Someone at the gate"), ("alice-admin", ""),
                       ("alarm", "Someone at the gate again"), ("oscar-operator", "")]
    assert [(s.username, s.detail["why"], s.detail["by"]) for s in sessions(camera, AuditAction.PTZ_CONTROL_ENDED)] == [
        ("oscar-operator", "taken_over", "alarm"), ("alarm", "taken_over", "alice-admin"),
        ("alice-admin", "handed_back", ""), ("alarm", "handed_back", "")]


def test_the_sweep_audits_a_session_that_lapsed_with_nobody_looking(camera, operator_client, settings):
    settings.PTZ_CONTROL_SECONDS = 0.5
    go(operator_client, camera, "control/")

    wait_for(lambda: end_expired_ptz_control() or sessions(camera, AuditAction.PTZ_CONTROL_ENDED), 10,
             "the sweep to find the lapsed session")

    [ended] = sessions(camera, AuditAction.PTZ_CONTROL_ENDED)
    assert (ended.user.username, ended.detail["why"]) == ("oscar-operator", "expired")
