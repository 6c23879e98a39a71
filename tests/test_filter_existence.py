"""A filter by a related object (?camera=, ?rule=, ?event=) does not tell whether that object exists: a camera the
user may not see answers as one that is not there, an empty page, as does any id."""

from __future__ import annotations

import pytest

from devices.models import Camera
from tests.conftest import client_for, grant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/events/?camera={}", "/api/v1/alarms/?camera={}",
                                  "/api/v1/exports/?camera={}"])
def test_a_hidden_camera_and_a_missing_one_answer_alike(investigator_user, camera, path):
    hidden = Camera.objects.create(name="Vault", main_url="rtsp://127.0.0.1:9/vault")
    grant(camera, user=investigator_user)
    client = client_for(investigator_user)
    answers = [client.get(path.format(pk)) for pk in (hidden.pk, hidden.pk + 1000)]
    assert [a.status_code for a in answers] == [200, 200], [a.content for a in answers]
    assert answers[0].json() == answers[1].json()
    assert client.get(path.format("x")).status_code == 400
