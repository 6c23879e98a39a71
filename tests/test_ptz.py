"""PTZ cameras steered through the API: found over ONVIF and shown in the camera API, the joystick, stop, click to
centre and box zoom, positions, home and presets, each checked by where the camera itself says it looks.

The camera is ipycam's digital PTZ (tests/standins/ptz_camera.py) in a network namespace of its own, reached from
this host over a veth pair on a private /30 (option b): so the whole VMS runs here as it does in production (its
API, PostgreSQL, Redis, the outbound policy and the ONVIF client) and talks to a camera that never touches the host's
network. Running only devices/ptz.py inside the namespace (option a) would leave the API, control and audit untested
against a camera. The namespace and the veth pair die with the camera's process, which dies with this one
(tests/test_standin_ptz_camera.py shows it). Positions are read from ipycam's own web API, not through the VMS."""

from __future__ import annotations

import time

import pytest

from accounts.models import AuditAction, AuditEntry
from accounts.roles import OPERATOR
from devices import ptz_control
from devices.models import Camera
from tests.conftest import client_for, grant, make_user
from tests.recording_checks import wait_for
from tests.standins.ptz_camera import PtzCamera

pytestmark = pytest.mark.django_db


def camera_of(device: PtzCamera, name: str = "Yard PTZ") -> Camera:
    """The stand-in as a camera of the VMS, before anyone asked it about PTZ; operators may watch it."""
    camera = Camera(name=name, main_url=f"rtsp://{device.host}:8554/video_main", username=device.username,
                    onvif_host=device.host, onvif_port=device.port)
    camera.password = device.password
    camera.save()
    grant(camera, group=OPERATOR)
    ptz_control.forget(camera.pk)
    return camera


@pytest.fixture
def camera(ptz_device, admin_client) -> Camera:
    camera = camera_of(ptz_device)
    assert admin_client.post(f"/api/v1/cameras/{camera.pk}/ptz/detect/").status_code == 200
    camera.refresh_from_db()
    return camera


def url(camera: Camera, path: str = "") -> str:
    return f"/api/v1/cameras/{camera.pk}/ptz/{path}"


def go(client, camera: Camera, path: str, body: dict | None = None) -> dict:
    response = client.post(url(camera, path), body or {}, format="json")
    assert response.status_code in (200, 201), response.json()
    return response.json()


def middle(state: dict) -> tuple[float, float]:
    """The scene point in the middle of the picture, as a share of ipycam's source picture from its middle (right and
    up positive): its digital PTZ shows 1/z of the source (z = 1 + 3 zoom) moved (0.5 - 0.5/z) times pan and tilt."""
    reach = 0.5 - 0.5 / (1 + 3 * state["zoom"])
    return state["pan"] * reach, state["tilt"] * reach


def scene_point(state: dict, x: float, y: float) -> tuple[float, float]:
    """Where the point (x, y) of the picture (0-1 from the top left) is in the scene, as `middle` says."""
    zoom = 1 + 3 * state["zoom"]
    mx, my = middle(state)
    return mx + (x - 0.5) / zoom, my + (0.5 - y) / zoom


def test_a_ptz_camera_is_found_over_onvif_on_the_profile_of_its_stream(ptz_device, admin_client, operator_client):
    camera = camera_of(ptz_device)
    before = admin_client.get(f"/api/v1/cameras/{camera.pk}/").json()
    assert (before["ptz"], before["ptz_capabilities"]) == (False, [])
    assert operator_client.post(url(camera, "detect/")).status_code == 403

    found = admin_client.post(url(camera, "detect/"))

    assert found.status_code == 200, found.json()
    assert found.json()["ptz"] is True
    assert found.json()["ptz_capabilities"] == ["continuous", "absolute", "relative", "centre", "home", "presets"]
    assert Camera.objects.get(pk=camera.pk).ptz_profile == "Profile_Main"
    assert AuditEntry.objects.get(action=AuditAction.CAMERA_CHANGED, camera=camera).detail["fields"] == ["ptz"]
    # Its sub-stream's profile when that is what the camera records.
    sub = camera_of(ptz_device, name="Yard PTZ sub")
    Camera.objects.filter(pk=sub.pk).update(main_url=f"rtsp://{ptz_device.host}:8554/video_sub")
    admin_client.post(url(sub, "detect/"))
    assert Camera.objects.get(pk=sub.pk).ptz_profile == "Profile_Sub"


def test_a_camera_given_another_onvif_host_is_asked_about_its_ptz_again(camera, admin_client):
    admin_client.patch(f"/api/v1/cameras/{camera.pk}/", {"onvif_port": 8081}, format="json")
    assert admin_client.get(f"/api/v1/cameras/{camera.pk}/").json()["ptz"] is False


def test_the_joystick_moves_the_view_each_way_and_stop_stops_it(ptz_device, camera, operator_client):
    go(operator_client, camera, "home/")
    for axis, speeds, sign in (("pan", {"pan": 0.5}, 1), ("tilt", {"tilt": -0.5}, -1), ("zoom", {"zoom": 0.5}, 1),
                               ("pan", {"pan": -0.5}, -1)):
        start = ptz_device.state()[axis]
        go(operator_client, camera, "move/", speeds)
        wait_for(lambda: sign * (ptz_device.state()[axis] - start) > 0.1, 10, f"{axis} to move {speeds}")  # noqa: B023
        go(operator_client, camera, "stop/")
        stopped = ptz_device.state()
        assert stopped["moving"] is False
        time.sleep(0.3)  # a camera still turning would be elsewhere by now
        assert ptz_device.state() == stopped

    status = operator_client.get(url(camera))
    assert status.status_code == 200
    position = ptz_device.state()
    assert status.json()["position"] == pytest.approx({k: position[k] for k in ("pan", "tilt", "zoom")})
    assert status.json()["moving"] is False
    assert status.json()["control"]["username"] == "oscar-operator" and status.json()["control"]["yours"] is True


def test_a_move_whose_stop_is_lost_stops_by_itself(ptz_device, camera, operator_client):
    go(operator_client, camera, "home/")
    go(operator_client, camera, "move/", {"pan": 0.3, "seconds": 0.5})
    assert ptz_device.state()["moving"] is True
    wait_for(lambda: not ptz_device.state()["moving"], 10, "the camera to stop by itself")
    assert 0.05 < ptz_device.state()["pan"] < 0.6


def test_click_to_centre_brings_the_point_to_the_middle_and_a_box_zooms_in_on_it(ptz_device, camera, operator_client):
    go(operator_client, camera, "position/", {"pan": 0, "tilt": 0, "zoom": 0.5})
    before = ptz_device.state()
    clicked = scene_point(before, 0.75, 0.25)

    go(operator_client, camera, "centre/", {"x": 0.75, "y": 0.25})

    centred = ptz_device.state()
    assert middle(centred) == pytest.approx(clicked, abs=1e-6)
    assert centred["pan"] > before["pan"] and centred["tilt"] > before["tilt"]  # right and up
    boxed = scene_point(centred, 0.3, 0.6)

    go(operator_client, camera, "centre/", {"x": 0.3, "y": 0.6, "width": 0.2, "height": 0.1})

    zoomed = ptz_device.state()
    assert zoomed["zoom"] > centred["zoom"]
    assert middle(zoomed) == pytest.approx(boxed, abs=1e-6)


def test_a_camera_that_cannot_centre_says_so(camera, operator_client):
    Camera.objects.filter(pk=camera.pk).update(ptz_capabilities=["continuous", "absolute", "home", "presets"])
    refused = operator_client.post(url(camera, "centre/"), {"x": 0.7, "y": 0.5}, format="json")
    assert refused.status_code == 409
    assert refused.json()["type"] == "ptz_refused" and "joystick" in refused.json()["detail"]


def test_it_goes_to_a_position_and_home_and_each_trip_home_is_audited(ptz_device, camera, operator_client):
    go(operator_client, camera, "position/", {"pan": 0.3, "tilt": -0.2, "zoom": 0.4})
    assert ptz_device.state() == pytest.approx({"pan": 0.3, "tilt": -0.2, "zoom": 0.4, "moving": False})
    go(operator_client, camera, "position/", {"zoom": 0.1})
    assert ptz_device.state() == pytest.approx({"pan": 0.3, "tilt": -0.2, "zoom": 0.1, "moving": False})

    go(operator_client, camera, "home/")

    assert ptz_device.state() == {"pan": 0.0, "tilt": 0.0, "zoom": 0.0, "moving": False}
    sent = AuditEntry.objects.get(action=AuditAction.PTZ_SENT, camera=camera)
    assert (sent.username, sent.detail["to"]) == ("oscar-operator", "home")
    refused = operator_client.post(url(camera, "position/"), {"pan": 0.2}, format="json")
    assert refused.status_code == 400 and "tilt" in refused.json()["errors"]


def test_presets_are_saved_listed_gone_to_renamed_and_deleted_each_audited(ptz_device, camera, admin_client,
                                                                           operator_client):
    go(admin_client, camera, "position/", {"pan": -0.4, "tilt": 0.25, "zoom": 0.6})
    assert operator_client.post(url(camera, "presets/"), {"name": "Gate"}, format="json").status_code == 403

    saved = admin_client.post(url(camera, "presets/"), {"name": "Gate"}, format="json")

    assert saved.status_code == 201, saved.json()
    token = saved.json()["token"]
    assert saved.json()["position"] == pytest.approx({"pan": -0.4, "tilt": 0.25, "zoom": 0.6})
    assert ptz_device.kept_presets()[token]["name"] == "Gate"
    listed = {p["token"]: p["name"] for p in operator_client.get(url(camera, "presets/")).json()}
    assert listed[token] == "Gate" and listed["home"] == "Home"

    admin_client.delete(url(camera, "control/"))  # an operator may go to presets...
    go(operator_client, camera, "home/")
    go(operator_client, camera, f"presets/{token}/go/")
    assert ptz_device.state() == pytest.approx({"pan": -0.4, "tilt": 0.25, "zoom": 0.6, "moving": False})
    # ...but not rename or delete them
    assert operator_client.patch(url(camera, f"presets/{token}/"), {"name": "x"}, format="json").status_code == 403
    assert operator_client.delete(url(camera, f"presets/{token}/")).status_code == 403

    renamed = admin_client.patch(url(camera, f"presets/{token}/"), {"name": "Main gate"}, format="json")

    assert renamed.status_code == 200 and renamed.json()["name"] == "Main gate"
    assert {p["token"]: p["name"] for p in operator_client.get(url(camera, "presets/")).json()}[token] == "Main gate"
    # ONVIF cannot rename: the camera keeps the preset where it was, under its first name.
    assert ptz_device.kept_presets()[token] == {"token": token, "name": "Gate", "pan": -0.4, "tilt": 0.25,
                                                "zoom": pytest.approx(0.6)}

    assert admin_client.delete(url(camera, f"presets/{token}/")).status_code == 204

    assert token not in ptz_device.kept_presets()
    assert token not in [p["token"] for p in admin_client.get(url(camera, "presets/")).json()]
    gone = admin_client.post(url(camera, f"presets/{token}/go/"))
    assert gone.status_code == 404 and gone.json()["type"] == "no_preset"
    changes = AuditEntry.objects.filter(action=AuditAction.PTZ_PRESET_CHANGED, camera=camera).order_by("id")
    assert [(c.username, c.detail["change"], c.detail["name"]) for c in changes] == [
        ("alice-admin", "saved", "Gate"), ("alice-admin", "renamed", "Main gate"), ("alice-admin", "deleted",
                                                                                    "Main gate")]
    sent = AuditEntry.objects.filter(action=AuditAction.PTZ_SENT, camera=camera, detail__to="preset").get()
    assert (sent.username, sent.detail["preset"], sent.detail["name"]) == ("oscar-operator", token, "Gate")


def test_a_camera_without_ptz_shows_none_of_it(admin_client, operator_client):
    camera = Camera.objects.create(name="Lobby", main_url="rtsp://127.0.0.1:8554/lobby")
    shown = admin_client.get(f"/api/v1/cameras/{camera.pk}/").json()
    assert (shown["ptz"], shown["ptz_capabilities"]) == (False, [])
    for method, path in (("get", ""), ("get", "control/"), ("post", "move/"), ("post", "home/"),
                         ("get", "presets/")):
        answer = getattr(admin_client, method)(url(camera, path), {}, format="json")
        assert answer.status_code == 404, path
        assert answer.json()["type"] == "no_ptz" and "Lobby has no PTZ" in answer.json()["detail"]


def test_who_may_steer(camera, investigator_user):
    investigator = client_for(investigator_user)
    grant(camera, user=investigator_user)
    for method, path in (("get", ""), ("post", "move/"), ("post", "control/"), ("get", "presets/")):
        assert getattr(investigator, method)(url(camera, path), {}, format="json").status_code == 403, path
    outsider = client_for(make_user("otto-elsewhere", OPERATOR))
    hidden = Camera.objects.create(name="Vault", main_url="rtsp://127.0.0.1:8554/vault", ptz_profile="Profile_Main")
    for method, path in (("get", ""), ("post", "move/"), ("post", "stop/"), ("get", "presets/")):
        assert getattr(outsider, method)(url(hidden, path), {}, format="json").status_code == 404, path
    assert not AuditEntry.objects.filter(action=AuditAction.PTZ_CONTROL_STARTED).exists()


def test_camera_errors_are_in_the_operators_words(ptz_device, camera, operator_client):
    camera.password = "not-the-password"
    camera.save()
    wrong = operator_client.post(url(camera, "stop/"))
    assert wrong.status_code == 502 and wrong.json()["type"] == "unauthorized"
    assert "Wrong username or password" in wrong.json()["detail"]
    Camera.objects.filter(pk=camera.pk).update(onvif_port=ptz_device.port + 1)
    closed = operator_client.post(url(camera, "stop/"))
    assert closed.status_code == 502 and closed.json()["type"] == "refused"
    assert f"{ptz_device.host} refused the connection" in closed.json()["detail"]
