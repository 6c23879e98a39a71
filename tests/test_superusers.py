"""Superusers are out of reach of everyone else, Admins included; the Django admin site is off outside debug."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from accounts.models import AuditEntry
from tests.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root", password=PASSWORD)


def assert_refused(response) -> None:
    assert response.status_code == 403, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Only a superuser may change a superuser or make one."


@pytest.mark.parametrize("change", [
    {"password": "a brand new password"},
    {"is_active": False},
    {"role": "Operator"},
    {"email": "owned@example.com"},
])
def test_an_admin_cannot_change_a_superuser(admin_client, root, change):
    assert_refused(admin_client.patch(f"/api/v1/users/{root.pk}/", change, format="json"))
    assert_refused(admin_client.put(f"/api/v1/users/{root.pk}/", {"username": "root", **change}, format="json"))
    root.refresh_from_db()
    assert root.check_password(PASSWORD) and root.is_active and root.email == ""
    assert not AuditEntry.objects.exists()


def test_an_admin_cannot_delete_a_superuser_but_may_see_one(admin_client, root):
    assert_refused(admin_client.delete(f"/api/v1/users/{root.pk}/"))
    assert User.objects.filter(pk=root.pk).exists()
    assert admin_client.get(f"/api/v1/users/{root.pk}/").json()["role"] == "Admin"


def test_an_admin_cannot_make_anyone_a_superuser(admin_client, operator_user):
    assert_refused(admin_client.post("/api/v1/users/", {"username": "eve", "password": "long enough pass",
                                                        "is_superuser": True}, format="json"))
    assert_refused(admin_client.patch(f"/api/v1/users/{operator_user.pk}/", {"is_superuser": True},
                                      format="json"))
    assert_refused(admin_client.patch(f"/api/v1/users/{operator_user.pk}/", {"is_staff": True}, format="json"))
    assert not User.objects.filter(username="eve").exists()
    assert not User.objects.filter(is_superuser=True).exists()


def test_a_superuser_may_change_another_superuser(root):
    other = User.objects.create_superuser("root2", password=PASSWORD)
    changed = client_for(root).patch(f"/api/v1/users/{other.pk}/", {"email": "root2@example.com"}, format="json")
    assert changed.status_code == 200
    assert User.objects.get(pk=other.pk).email == "root2@example.com"


def test_the_django_admin_site_is_off_outside_debug(settings, root):
    assert not settings.DEBUG
    browser = Client()
    browser.force_login(root)
    assert browser.get("/admin/").status_code == 404
    assert browser.get("/admin/auth/user/").status_code == 404
