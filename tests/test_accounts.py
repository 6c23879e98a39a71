"""Logins by token and session, users and roles, per-camera access lists, and the audit log with filters."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuditAction, AuditEntry, CameraAccess
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_token_is_given_for_the_right_password_and_used_for_the_api(operator_user):
    response = APIClient().post("/api/v1/auth/token/", {"username": "oscar-operator", "password": PASSWORD},
                                format="json", REMOTE_ADDR="127.0.0.7")
    assert response.status_code == 200
    assert response.json()["role"] == "Operator"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/auth/me/").json()["username"] == "oscar-operator"
    login = AuditEntry.objects.get(action=AuditAction.LOGIN)
    assert (login.username, login.ip) == ("oscar-operator", "127.0.0.7")
    assert login.detail == {"method": "token", "token_id": response.json()["token_id"], "token_name": ""}


def test_a_wrong_password_is_refused_and_audited(operator_user):
    response = APIClient().post("/api/v1/auth/token/", {"username": "oscar-operator", "password": "nope"},
                                format="json")
    assert response.status_code == 401
    assert response.json()["detail"] == "Wrong username or password."
    failed = AuditEntry.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.username == "oscar-operator" and failed.user is None


def test_browser_session_login_and_logout_are_audited(investigator_user):
    browser = Client()
    page = browser.post("/accounts/login/", {"username": "ivy-investigator", "password": PASSWORD})
    assert page.status_code == 302
    assert browser.get("/api/v1/auth/me/").json()["role"] == "Investigator"
    browser.post("/accounts/logout/")
    assert browser.get("/api/v1/auth/me/").status_code == 401
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == ["login", "logout"]


def test_admin_manages_users_and_their_roles(admin_client):
    created = admin_client.post("/api/v1/users/", {"username": "olga", "password": "long enough pass",
                                                   "role": "Operator"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["role"] == "Operator" and "password" not in created.json()
    user_id = created.json()["id"]
    changed = admin_client.patch(f"/api/v1/users/{user_id}/", {"role": "Investigator"}, format="json")
    assert changed.json()["role"] == "Investigator"
    assert admin_client.post("/api/v1/users/", {"username": "weak", "password": "123"},
                             format="json").status_code == 400
    admin_client.delete(f"/api/v1/users/{user_id}/")
    assert list(AuditEntry.objects.order_by("id").values_list("action", "detail__target")) == [
        ("user_created", "olga"), ("user_changed", "olga"), ("user_deleted", "olga")]


def test_admin_grants_and_revokes_camera_access(admin_client, operator_client, camera):
    assert operator_client.get(f"/api/v1/cameras/{camera.pk}/").status_code == 404
    granted = admin_client.post("/api/v1/camera-access/", {"camera": camera.pk, "user": "oscar-operator"},
                                format="json")
    assert granted.status_code == 201
    assert operator_client.get(f"/api/v1/cameras/{camera.pk}/").status_code == 200
    both = admin_client.post("/api/v1/camera-access/", {"camera": camera.pk, "user": "oscar-operator",
                                                        "group": "Operator"}, format="json")
    assert both.status_code == 400
    admin_client.delete(f"/api/v1/camera-access/{granted.json()['id']}/")
    assert operator_client.get(f"/api/v1/cameras/{camera.pk}/").status_code == 404
    assert not CameraAccess.objects.exists()
    assert list(AuditEntry.objects.filter(camera=camera).values_list("action", flat=True).order_by("id")) == [
        "access_granted", "access_revoked"]


def test_the_audit_log_filters_by_action_user_camera_and_time(admin_client, camera):
    for _ in range(2):
        APIClient().post("/api/v1/auth/token/", {"username": "mallory", "password": "x"}, format="json")
    admin_client.patch(f"/api/v1/cameras/{camera.pk}/", {"enabled": False}, format="json")
    failed = admin_client.get("/api/v1/audit/", {"action": "login_failed"}).json()
    assert failed["count"] == 2 and {e["username"] for e in failed["results"]} == {"mallory"}
    by_camera = admin_client.get("/api/v1/audit/", {"camera": camera.pk}).json()["results"]
    assert [e["action"] for e in by_camera] == ["camera_changed"]
    assert by_camera[0]["username"] == "alice-admin" and by_camera[0]["camera_name"] == "Loading dock"
    assert admin_client.get("/api/v1/audit/", {"start": "2999-01-01T00:00:00Z"}).json()["count"] == 0


def test_every_page_route_serves_the_web_app_which_asks_the_api_who_is_logged_in(settings, tmp_path):
    settings.FRONTEND_DIST = tmp_path
    (tmp_path / "index.html").write_text("<div id=app></div>")
    browser = Client()
    for route in ("/", "/live", "/cameras/3/recordings"):
        page = browser.get(route)
        assert page.status_code == 200 and b"id=app" in page.content
    assert "csrftoken" in page.cookies
    assert browser.get("/api/v1/nothing-here").status_code == 404
    (tmp_path / "index.html").unlink()
    assert b"not built" in browser.get("/live").content


def test_the_web_app_logs_in_with_a_session_and_keeps_preferences(operator_user):
    browser = APIClient(enforce_csrf_checks=True)
    csrf = browser.get("/").cookies["csrftoken"].value  # the web app's page sets the CSRF cookie
    assert browser.post("/api/v1/auth/login/", {"username": "oscar-operator", "password": "bad"},
                        format="json", HTTP_X_CSRFTOKEN=csrf).status_code == 401
    response = browser.post("/api/v1/auth/login/", {"username": "oscar-operator", "password": PASSWORD},
                            format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.json() == {"username": "oscar-operator", "role": "Operator"}
    me = browser.get("/api/v1/auth/me/")
    csrf = me.cookies["csrftoken"].value
    layout = {"live": {"grid": 4, "cameras": [1, 2]}}
    assert browser.put("/api/v1/auth/me/preferences/", layout, format="json").status_code == 403  # no CSRF token
    saved = browser.put("/api/v1/auth/me/preferences/", layout, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert saved.status_code == 200
    assert browser.get("/api/v1/auth/me/preferences/").json() == layout
    assert browser.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=csrf).status_code == 204
    assert browser.get("/api/v1/auth/me/").status_code == 401
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "login_failed", "login", "logout"]
