"""API tokens expire, are stored only as a digest, are listed without their keys and can be revoked, one or all;
an Admin manages another user's tokens (audited) but never a superuser's."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuditAction, AuditEntry
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def log_in(username: str, name: str = "", password: str = PASSWORD) -> dict:
    response = APIClient().post("/api/v1/auth/token/", {"username": username, "password": password, "name": name},
                                format="json")
    assert response.status_code == 200, response.content
    return response.json()


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_expires_after_the_configured_hours_and_only_its_digest_is_kept(operator_user, settings):
    settings.TOKEN_TTL_HOURS = 2
    login = log_in("oscar-operator", "backup script")
    expires = parse_datetime(login["expires_at"])
    assert abs(expires - (timezone.now() + timedelta(hours=2))) < timedelta(minutes=1)
    stored = ApiToken.objects.get(pk=login["token_id"])
    assert stored.name == "backup script" and login["token"] not in str(vars(stored))
    client = with_key(login["token"])
    assert client.get("/api/v1/auth/me/").status_code == 200
    ApiToken.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    expired = client.get("/api/v1/auth/me/")
    assert expired.status_code == 401
    assert expired.json()["detail"] == "The token is unknown, expired or revoked: ask for a new one."


def test_each_login_is_a_new_token_listed_without_its_key(operator_user):
    first, second = log_in("oscar-operator", "laptop"), log_in("oscar-operator", "camera script")
    assert first["token"] != second["token"]
    client = with_key(first["token"])
    listed = client.get("/api/v1/auth/tokens/")
    assert listed.status_code == 200
    tokens = listed.json()["results"]
    assert [(t["id"], t["name"], t["user"]) for t in tokens] == [
        (second["token_id"], "camera script", "oscar-operator"), (first["token_id"], "laptop", "oscar-operator")]
    assert tokens[1]["last_used_at"] is not None and tokens[0]["last_used_at"] is None
    assert first["token"] not in listed.content.decode() and second["token"] not in listed.content.decode()
    assert set(tokens[0]) == {"id", "name", "user", "created_at", "expires_at", "last_used_at"}


def test_a_user_revokes_one_token_then_all(operator_user):
    keep, drop, other = (log_in("oscar-operator", name) for name in ("keep", "drop", "other"))
    client = with_key(keep["token"])
    assert client.delete(f"/api/v1/auth/tokens/{drop['token_id']}/").status_code == 204
    assert with_key(drop["token"]).get("/api/v1/auth/me/").status_code == 401
    assert with_key(other["token"]).get("/api/v1/auth/me/").status_code == 200
    revoked = client.post("/api/v1/auth/tokens/revoke-all/")
    assert revoked.json() == {"revoked": 2}
    for login in (keep, other):
        assert with_key(login["token"]).get("/api/v1/auth/me/").status_code == 401
    entries = AuditEntry.objects.filter(action=AuditAction.TOKENS_REVOKED).order_by("id")
    assert [(e.username, e.detail["target"], e.detail["token_names"]) for e in entries] == [
        ("oscar-operator", "oscar-operator", ["drop"]), ("oscar-operator", "oscar-operator", ["keep", "other"])]


def test_an_admin_manages_another_users_tokens_which_nobody_else_may(admin_client, admin_user, operator_user,
                                                                     investigator_user):
    login = log_in("oscar-operator", "cctv wall")
    listed = admin_client.get("/api/v1/auth/tokens/", {"user": operator_user.pk}).json()["results"]
    assert [t["name"] for t in listed] == ["cctv wall"]
    assert admin_client.get("/api/v1/auth/tokens/", {"user": 99999}).status_code == 400
    snoop = client_for(investigator_user)
    assert snoop.get("/api/v1/auth/tokens/", {"user": operator_user.pk}).status_code == 403
    assert snoop.post(f"/api/v1/auth/tokens/revoke-all/?user={operator_user.pk}").status_code == 403
    assert snoop.delete(f"/api/v1/auth/tokens/{login['token_id']}/").status_code == 404
    assert admin_client.delete(f"/api/v1/auth/tokens/{login['token_id']}/").status_code == 204
    assert with_key(login["token"]).get("/api/v1/auth/me/").status_code == 401
    entry = AuditEntry.objects.get(action=AuditAction.TOKENS_REVOKED)
    assert (entry.user, entry.detail["target"], entry.detail["token_names"]) == (admin_user, "oscar-operator",
                                                                                 ["cctv wall"])


def test_an_admin_may_not_revoke_a_superusers_tokens(admin_client):
    root = User.objects.create_superuser("root", password=PASSWORD)
    login = log_in("root", "ops")
    assert admin_client.delete(f"/api/v1/auth/tokens/{login['token_id']}/").status_code == 403
    assert admin_client.post(f"/api/v1/auth/tokens/revoke-all/?user={root.pk}").status_code == 403
    assert with_key(login["token"]).get("/api/v1/auth/me/").status_code == 200


def test_a_deactivated_users_tokens_stop_working(operator_user):
    client = with_key(log_in("oscar-operator")["token"])
    User.objects.filter(pk=operator_user.pk).update(is_active=False)
    assert client.get("/api/v1/auth/me/").status_code == 401


def test_the_token_lifetime_setting_is_parsed_strictly():
    env = {**os.environ, "VMS_TOKEN_TTL_HOURS": "30d"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "VMS_TOKEN_TTL_HOURS must be a whole number" in result.stderr


def test_a_new_password_revokes_the_users_tokens_and_a_login_does_not(admin_client, operator_user):
    first = log_in("oscar-operator", "laptop")
    log_in("oscar-operator", "script")  # a login saves the user too (last_login): no token goes
    assert with_key(first["token"]).get("/api/v1/auth/me/").status_code == 200
    changed = admin_client.patch(f"/api/v1/users/{operator_user.pk}/", {"password": "a-new-long-passphrase-41"},
                                 format="json")
    assert changed.status_code == 200, changed.content
    assert with_key(first["token"]).get("/api/v1/auth/me/").status_code == 401
    assert not ApiToken.objects.filter(user=operator_user).exists()
    entry = AuditEntry.objects.get(action=AuditAction.TOKENS_REVOKED)
    assert (entry.detail["target"], entry.detail["reason"], entry.detail["token_names"]) == (
        "oscar-operator", "password changed", ["laptop", "script"])
    assert log_in("oscar-operator", "new", password="a-new-long-passphrase-41")["token"]
