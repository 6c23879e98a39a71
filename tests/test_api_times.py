"""Every endpoint that takes a time names a span `start` and `end` and reads each time the same way: ISO 8601 with
its offset. A time without an offset, or not a time, is a 400 problem document naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from analytics import services
from analytics.models import Rule, Zone
from tests.conftest import grant

pytestmark = pytest.mark.django_db

AREA = [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]]


def export_request(camera, **times) -> dict:
    return {"camera": camera.pk, "start": "2026-11-20T08:00:00Z", "end": "2026-11-20T08:01:00Z",
            "reason": "Case 42", **times}


def asks(client, camera, endpoint: str, times: dict):
    """The request of `endpoint` with these times, the rest of it valid."""
    if endpoint == "exports":
        return client.post("/api/v1/exports/", export_request(camera, **times), format="json")
    span = {"start": "2026-11-20T08:00:00Z", "end": "2026-11-20T09:00:00Z", **times}
    if endpoint in ("timeline", "segments"):
        return client.get(f"/api/v1/cameras/{camera.pk}/{endpoint}/", span)
    if endpoint == "counts":
        return client.get("/api/v1/counts/", {"camera": camera.pk, **span})
    return client.get(f"/api/v1/{endpoint}/", span)


ENDPOINTS = ["timeline", "segments", "events", "audit", "counts", "exports"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("field", ["start", "end"])
def test_a_time_without_an_offset_is_refused_everywhere(admin_client, camera, endpoint, field):
    response = asks(admin_client, camera, endpoint, {field: "2026-11-20T08:30:00"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "invalid" and body["status"] == 400
    assert "with its offset" in str(body["errors"][field])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_what_is_not_a_time_is_refused_everywhere(admin_client, camera, endpoint):
    response = asks(admin_client, camera, endpoint, {"start": "yesterday"})
    assert response.status_code == 400
    assert "not an ISO 8601 time" in str(response.json()["errors"]["start"])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("start", ["2026-11-20T09:00:00+01:00", "2026-11-20T08:00:00Z",
                                   "2026-11-20T09:00:00 01:00"])  # a '+' an unencoded query string made a space
def test_a_time_with_its_offset_is_understood_everywhere(admin_client, camera, endpoint, start):
    response = asks(admin_client, camera, endpoint, {"start": start})
    # An export of a span with no footage is refused, but only after its times were read.
    assert response.status_code == 200 or "No footage" in response.json()["detail"], response.content


def test_events_are_filtered_by_the_span_they_overlap(operator_client, operator_user, camera):
    grant(camera, user=operator_user)
    zone = Zone.objects.create(camera=camera, name="Yard", kind="area", points=AREA)
    rule = Rule.objects.create(camera=camera, name="In", condition="enter", zone=zone, raise_alarm=False)
    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

    def event(start_minutes: int, end_minutes: int | None) -> int:
        made = services.start_event(camera.pk, rule.pk, t0 + timedelta(minutes=start_minutes), "person", 1, None)
        if end_minutes is not None:
            services.end_event(made.pk, t0 + timedelta(minutes=end_minutes), [], None)
        return made.pk

    before, across_start, inside, still_going, after = (event(0, 5), event(5, 15), event(20, 25), event(30, None),
                                                        event(60, 65))
    found = operator_client.get("/api/v1/events/", {"start": "2026-11-20T08:10:00Z",
                                                    "end": "2026-11-20T09:00:00Z"}).json()["results"]
    assert {e["id"] for e in found} == {across_start, inside, still_going}
    assert before not in {e["id"] for e in found} and after not in {e["id"] for e in found}
