"""Privacy masks over the API: Admins draw them (audited), others may not; bad shapes get a clear error."""

from __future__ import annotations

import json

import pytest

from accounts.models import AuditAction, AuditEntry
from devices.models import PrivacyMask
from tests.conftest import grant

pytestmark = pytest.mark.django_db
WINDOW = [[0.1, 0.1], [0.3, 0.1], [0.3, 0.4], [0.1, 0.4]]


def url(camera) -> str:
    return f"/api/v1/cameras/{camera.pk}/privacy-masks/"


def test_admins_draw_masks_of_each_style_and_it_is_audited(admin_client, camera):
    for name, style in (("Window", "solid"), ("Garden", "mosaic"), ("Street", "blur")):
        response = admin_client.post(url(camera), {"name": name, "points": WINDOW, "style": style,
                                                   "color": "#102030"}, format="json")
        assert response.status_code == 201, response.json()
    assert sorted(admin_client.get(url(camera)).json()["results"][i]["style"] for i in range(3)) == [
        "blur", "mosaic", "solid"]
    entries = AuditEntry.objects.filter(action=AuditAction.MASKS_CHANGED, camera=camera)
    assert entries.count() == 3 and entries.first().detail["what"] == "privacy mask"


@pytest.mark.parametrize(("mask", "field", "message"), [
    ({"points": [[0, 0], [1, 1]]}, "points", "at least three"),
    ({"points": [[0, 0], [1, 1], [2, 0]]}, "points", "from 0 to 1"),
    ({"points": WINDOW, "style": "pixelate"}, "style", "not a valid choice"),
    ({"points": WINDOW, "color": "black"}, "color", "does not match"),
])
def test_bad_masks_get_a_clear_error(admin_client, camera, mask, field, message):
    response = admin_client.post(url(camera), {"name": "Bad", **mask}, format="json")
    assert response.status_code == 400
    assert message in json.dumps(response.json()["errors"][field])


def test_operators_and_investigators_may_not_change_or_see_masks(operator_client, investigator_client,
                                                                 operator_user, investigator_user, camera):
    grant(camera, user=operator_user)
    grant(camera, user=investigator_user)
    mask = PrivacyMask.objects.create(camera=camera, name="Window", points=WINDOW)
    for client in (operator_client, investigator_client):
        assert client.post(url(camera), {"name": "X", "points": WINDOW}, format="json").status_code == 403
        assert client.delete(f"{url(camera)}{mask.pk}/").status_code == 403
        assert client.get(url(camera)).status_code == 403


def test_dynamic_masking_is_a_camera_setting_and_its_cost_is_read_only(admin_client, camera):
    response = admin_client.patch(f"/api/v1/cameras/{camera.pk}/", {
        "dynamic_masking": "people", "dynamic_mask_style": "mosaic", "masking_cost": 1.0}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["dynamic_masking"], body["dynamic_mask_style"], body["masking_cost"]) == ("people", "mosaic", None)
