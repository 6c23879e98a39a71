"""Browser sessions are protected against cross-site requests: the login and every session-authenticated change
need the CSRF token (cookie and X-CSRFToken header), while API token clients need none."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

CREDENTIALS = {"username": "oscar-operator", "password": PASSWORD}


def test_a_session_login_without_the_csrf_token_is_refused(operator_user):
    browser = APIClient(enforce_csrf_checks=True)
    browser.get("/")  # has the CSRF cookie, as a forged cross-site form would, but not the header
    refused = browser.post("/api/v1/auth/login/", CREDENTIALS, format="json")
    assert refused.status_code == 403 and refused.json()["detail"].startswith("CSRF Failed")
    assert "sessionid" not in browser.cookies and not AuditEntry.objects.exists()
    assert browser.get("/api/v1/auth/me/").status_code == 401


def test_a_session_authenticated_post_without_the_csrf_token_is_refused(operator_user):
    browser = APIClient(enforce_csrf_checks=True)
    csrf = browser.get("/").cookies["csrftoken"].value
    assert browser.post("/api/v1/auth/login/", CREDENTIALS, format="json", HTTP_X_CSRFTOKEN=csrf).status_code == 200
    csrf = browser.cookies["csrftoken"].value  # logging in rotates the token
    assert browser.post("/api/v1/auth/logout/").status_code == 403
    assert browser.get("/api/v1/auth/me/").status_code == 200, "still logged in"
    assert browser.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=csrf).status_code == 204


def test_token_clients_need_no_csrf_token(operator_user):
    client = APIClient(enforce_csrf_checks=True)
    token = client.post("/api/v1/auth/token/", CREDENTIALS, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.put("/api/v1/auth/me/preferences/", {"live": {"grid": 1}}, format="json").status_code == 200
