"""The permission matrix with a second user of each role: what belongs to one user (an acknowledgement,
preferences, API tokens, an unmasked-video access) is not changed or used by another of the same role.
Exports are tried the same way in tests/test_export_custody.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accounts import tokens
from accounts.models import ApiToken
from accounts.roles import ADMIN, INVESTIGATOR, OPERATOR
from analytics import services
from analytics.models import Alarm, Rule, Zone
from recordings import unmasked
from tests.conftest import client_for, grant, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[ADMIN, OPERATOR, INVESTIGATOR])
def two_of_a_role(request, camera):
    """Two users of the same role, both granted the camera."""
    first, second = (make_user(f"{name}-{request.param.lower()}", request.param) for name in ("ann", "bob"))
    for user in (first, second):
        grant(camera, user=user)
    return first, second


def test_an_acknowledgement_is_not_taken_over(two_of_a_role, camera):
    first, second = two_of_a_role
    zone = Zone.objects.create(camera=camera, name="Yard", kind="area", points=[[0, 0], [1, 0], [1, 1]])
    rule = Rule.objects.create(camera=camera, name="Loitering", condition="dwell", zone=zone, severity=3)
    alarm = services.start_event(camera.pk, rule.pk, datetime.now(UTC), "person", 1, b"\xff\xd8").alarm
    url = f"/api/v1/alarms/{alarm.pk}/acknowledge/"
    assert client_for(first).post(url, {"comment": "Known courier"}, format="json").status_code == 200
    again = client_for(second).post(url, {"comment": "Mine now"}, format="json")
    assert again.status_code == 409 and first.username in again.json()["detail"]
    alarm = Alarm.objects.get(pk=alarm.pk)
    assert (alarm.acknowledged_by, alarm.comment) == (first, "Known courier")


def test_preferences_are_each_users_own(two_of_a_role):
    first, second = two_of_a_role
    url = "/api/v1/auth/me/preferences/"
    client_for(first).put(url, {"live": {"grid": 4, "cameras": [1]}}, format="json")
    assert client_for(second).get(url).json() == {}
    client_for(second).put(url, {"live": {"grid": 9, "cameras": []}}, format="json")
    assert client_for(first).get(url).json() == {"live": {"grid": 4, "cameras": [1]}}


def test_another_users_api_token_is_neither_listed_nor_revoked(two_of_a_role):
    first, second = two_of_a_role
    token, _key = tokens.issue(first, "first's script")
    other = client_for(second)
    listed = other.get("/api/v1/auth/tokens/").json()["results"]
    assert token.pk not in [t["id"] for t in listed]
    response = other.delete(f"/api/v1/auth/tokens/{token.pk}/")
    if second.groups.filter(name=ADMIN).exists():
        assert response.status_code == 204  # an Admin revokes anyone's (audited), never seeing the key
    else:
        assert response.status_code == 404
        assert other.get("/api/v1/auth/tokens/", {"user": first.pk}).status_code == 403
        assert ApiToken.objects.filter(pk=token.pk).exists()


def test_an_unmasked_access_counts_only_for_its_own_user(camera):
    first, second = make_user("ann-admin", ADMIN), make_user("bob-admin", ADMIN)
    token, _expires = unmasked.issue(first, camera.pk)
    assert unmasked.allows(token, first, camera.pk)
    assert not unmasked.allows(token, second, camera.pk)
    assert not unmasked.allows(token, first, camera.pk + 1)
