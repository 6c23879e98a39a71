"""Every endpoint checks both the role and the per-camera access list."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from accounts.roles import ADMIN, INVESTIGATOR, OPERATOR
from devices.models import Camera
from tests.conftest import client_for, grant, make_user

pytestmark = pytest.mark.django_db

SPAN = "start=2026-11-20T00:00:00Z&end=2026-11-21T00:00:00Z"
ALLOWED = "allowed"  # anything but 401/403/404: the request got past authentication and authorisation
DENIED = 403
HIDDEN = 404  # a camera the user may not access does not exist for them
# Bodies that fail validation, so that no allowed request here sends anything on the network.
BODIES = {"/api/v1/onvif/discovery/": {"timeout": 0}}

# (method, path, admin, operator, investigator); {cam} is a camera granted to operator and investigator.
MATRIX = [
    ("get", "/api/v1/cameras/", ALLOWED, ALLOWED, ALLOWED),
    ("post", "/api/v1/cameras/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/cameras/{cam}/", ALLOWED, ALLOWED, ALLOWED),
    ("patch", "/api/v1/cameras/{cam}/", ALLOWED, DENIED, DENIED),
    ("delete", "/api/v1/cameras/{cam}/", ALLOWED, DENIED, DENIED),
    ("post", "/api/v1/cameras/probe/", ALLOWED, DENIED, DENIED),
    ("post", "/api/v1/onvif/profiles/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/cameras/{cam}/relay-outputs/", ALLOWED, ALLOWED, DENIED),
    ("post", "/api/v1/cameras/{cam}/relay-outputs/AlarmOut_0/", ALLOWED, ALLOWED, DENIED),
    ("post", "/api/v1/onvif/discovery/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/cameras/{cam}/ptz/", ALLOWED, ALLOWED, DENIED),
    ("post", "/api/v1/cameras/{cam}/ptz/move/", ALLOWED, ALLOWED, DENIED),
    ("post", "/api/v1/cameras/{cam}/ptz/control/", ALLOWED, ALLOWED, DENIED),
    ("get", "/api/v1/cameras/{cam}/ptz/presets/", ALLOWED, ALLOWED, DENIED),
    ("post", "/api/v1/cameras/{cam}/ptz/presets/", ALLOWED, DENIED, DENIED),
    ("delete", "/api/v1/cameras/{cam}/ptz/presets/1/", ALLOWED, DENIED, DENIED),
    ("post", "/api/v1/cameras/{cam}/ptz/presets/1/go/", ALLOWED, ALLOWED, DENIED),
    ("post", "/api/v1/cameras/{cam}/ptz/detect/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/cameras/{cam}/ptz/tours/", ALLOWED, ALLOWED, DENIED),
    ("post", "/api/v1/cameras/{cam}/ptz/tours/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/cameras/{cam}/segments/?" + SPAN, ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/v1/cameras/{cam}/timeline/?" + SPAN, ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/v1/cameras/{cam}/playlist.m3u8?" + SPAN, HIDDEN, HIDDEN, HIDDEN),
    ("get", "/api/v1/cameras/{cam}/clip/?" + SPAN, HIDDEN, DENIED, HIDDEN),
    ("get", "/api/v1/announcements/", ALLOWED, DENIED, DENIED),
    ("post", "/api/v1/announcements/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/users/", ALLOWED, DENIED, DENIED),
    ("post", "/api/v1/users/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/camera-access/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/audit/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/health/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/auth/me/", ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/v1/auth/me/preferences/", ALLOWED, ALLOWED, ALLOWED),
    ("post", "/api/v1/auth/logout/", ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/v1/auth/tokens/", ALLOWED, ALLOWED, ALLOWED),
    ("post", "/api/v1/auth/tokens/revoke-all/", ALLOWED, ALLOWED, ALLOWED),
    ("post", "/api/v1/auth/ws-ticket/", ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/schema/", ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/v1/cameras/{cam}/zones/", ALLOWED, ALLOWED, ALLOWED),
    ("post", "/api/v1/cameras/{cam}/zones/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/cameras/{cam}/rules/", ALLOWED, ALLOWED, ALLOWED),
    ("post", "/api/v1/cameras/{cam}/rules/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/events/", ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/v1/device-events/", ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/v1/alarms/", ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/v1/counts/?camera={cam}&start=2026-11-20T00:00:00Z", ALLOWED, ALLOWED, ALLOWED),
    ("get", "/api/v1/webhook-deliveries/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/cameras/{cam}/privacy-masks/", ALLOWED, DENIED, DENIED),
    ("post", "/api/v1/cameras/{cam}/privacy-masks/", ALLOWED, DENIED, DENIED),
    ("post", "/api/v1/cameras/{cam}/unmasked-access/", ALLOWED, DENIED, DENIED),
    ("get", "/api/v1/exports/", ALLOWED, DENIED, ALLOWED),
    ("post", "/api/v1/exports/", ALLOWED, DENIED, ALLOWED),
    ("get", "/api/v1/signing-key/", ALLOWED, DENIED, ALLOWED),
]


def check(response, expected) -> None:
    if expected == ALLOWED:
        assert response.status_code not in (401, 403, 404), (response.status_code, response.content[:300])
    else:
        assert response.status_code == expected, (response.status_code, response.content[:300])


@pytest.fixture
def granted_camera(operator_user, investigator_user) -> Camera:
    # A PTZ camera without an ONVIF host: PTZ requests that get through are refused before any network.
    camera = Camera.objects.create(name="Lobby", main_url="rtsp://127.0.0.1:8554/lobby", ptz_profile="Profile_Main")
    grant(camera, group=OPERATOR)
    grant(camera, user=investigator_user)
    return camera


@pytest.mark.parametrize(("method", "path", "admin", "operator", "investigator"), MATRIX)
def test_each_role_on_each_endpoint(method, path, admin, operator, investigator, granted_camera, admin_user,
                                    operator_user, investigator_user):
    url = path.format(cam=granted_camera.pk)
    for user, expected in ((operator_user, operator), (investigator_user, investigator), (admin_user, admin)):
        check(getattr(client_for(user), method)(url, BODIES.get(path, {}), format="json"), expected)


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, *_ in MATRIX])
def test_nothing_without_login(method, path, granted_camera):
    response = getattr(APIClient(), method)(path.format(cam=granted_camera.pk), {}, format="json")
    assert response.status_code == 401
    if response["Content-Type"] == "application/problem+json":
        assert response.json()["title"] == "Not logged in"


# (Reads the operator's role refuses anyway answer 403 before any camera is looked up.)
@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _admin, operator, _inv in MATRIX
                                              if "{cam}" in p and "clip" not in p
                                              and not (m == "get" and operator == DENIED)])
def test_a_camera_not_on_the_access_list_is_hidden(method, path, operator_user):
    hidden = Camera.objects.create(name="Vault", main_url="rtsp://127.0.0.1:8554/vault")
    response = getattr(client_for(operator_user), method)(path.format(cam=hidden.pk), {}, format="json")
    assert response.status_code in (403, 404)
    if method == "get":
        assert response.status_code == 404


def test_lists_show_only_granted_cameras(operator_user, investigator_user, granted_camera):
    Camera.objects.create(name="Vault", main_url="rtsp://127.0.0.1:8554/vault")
    for user in (operator_user, investigator_user):
        names = [c["name"] for c in client_for(user).get("/api/v1/cameras/").json()["results"]]
        assert names == ["Lobby"]


def test_a_user_without_a_role_may_do_nothing(granted_camera):
    nobody = make_user("nora-norole", None)
    grant(granted_camera, user=nobody)
    client = client_for(nobody)
    assert client.get("/api/v1/cameras/").status_code == 403
    assert client.get(f"/api/v1/cameras/{granted_camera.pk}/timeline/?{SPAN}").status_code == 403


def test_an_inactive_user_is_refused(operator_user):
    client = client_for(operator_user)
    User.objects.filter(pk=operator_user.pk).update(is_active=False)
    assert client.get("/api/v1/cameras/").status_code == 401


def test_roles_are_groups_with_their_permissions(admin_user, operator_user, investigator_user):
    assert admin_user.has_perms(["devices.add_camera", "accounts.view_auditentry", "devices.export_clip"])
    assert operator_user.has_perm("devices.view_live") and not operator_user.has_perm("devices.export_clip")
    assert investigator_user.has_perm("devices.export_clip") and not investigator_user.has_perm("devices.view_live")
    assert {g.name for g in admin_user.groups.all()} == {ADMIN}
    assert INVESTIGATOR in investigator_user.groups.values_list("name", flat=True)
