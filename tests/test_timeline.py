"""Timeline: segments merged into recordings with the gaps between them, and clear errors for bad spans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from recordings import recorded_spans, timeline
from tests.factories import record_run

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_it_merges_back_to_back_segments_and_reports_gaps(admin_client, camera):
    record_run(camera, T0, 6)  # 08:00:00-08:01:00
    record_run(camera, T0 + timedelta(minutes=5), 3)  # 08:05:00-08:05:30 after the camera was lost
    response = admin_client.get(f"/api/v1/cameras/{camera.pk}/timeline/",
                                {"start": iso(T0 - timedelta(minutes=1)), "end": iso(T0 + timedelta(minutes=10))})
    assert response.status_code == 200
    body = response.json()
    assert body["recorded"] == [
        {"start": "2026-11-20T08:00:00Z", "end": "2026-11-20T08:01:00Z"},
        {"start": "2026-11-20T08:05:00Z", "end": "2026-11-20T08:05:30Z"},
    ]
    assert body["gaps"] == [
        {"start": "2026-11-20T07:59:00Z", "end": "2026-11-20T08:00:00Z"},
        {"start": "2026-11-20T08:01:00Z", "end": "2026-11-20T08:05:00Z"},
        {"start": "2026-11-20T08:05:30Z", "end": "2026-11-20T08:10:00Z"},
    ]
    assert body["recorded_seconds"] == 90


def test_it_clips_recordings_to_the_span_and_tolerates_small_jitter(camera, settings):
    settings.TIMELINE_GAP_SECONDS = 1.0
    record_run(camera, T0, 3)
    record_run(camera, T0 + timedelta(seconds=30.4), 3)  # 0.4 s late: still the same recording
    spans = timeline.recorded_spans(camera.pk, T0 + timedelta(seconds=5), T0 + timedelta(seconds=50))
    assert spans == [timeline.Span(T0 + timedelta(seconds=5), T0 + timedelta(seconds=50))]


def insert_month(camera) -> None:
    """30 days of 10 s segments, each day ending with an hour's outage (248,400 rows, inserted in SQL, as a bulk
    load or the footage of an older version would be), and their spans built from them."""
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO recordings_segment (camera_id, start, "end", duration, size, sha256, path, init_size,
                                               locked, created_at)
               SELECT %s, t, t + interval '10 seconds', 10, 1000, repeat('0', 64), 'month/' || n, 800, false, now()
               FROM generate_series(0, 30 * 8640 - 1) AS n,
                    LATERAL (SELECT %s::timestamptz + n * interval '10 seconds' AS t) AS s
               WHERE n %% 8640 < 8280""",
            [camera.pk, T0],
        )
    recorded_spans.rebuild([camera.pk])


def test_a_month_of_recordings_is_read_in_one_query(camera, django_assert_num_queries):
    insert_month(camera)
    with django_assert_num_queries(1):
        spans = timeline.recorded_spans(camera.pk, T0, T0 + timedelta(days=30))
    assert len(spans) == 30
    assert spans[0] == timeline.Span(T0, T0 + timedelta(hours=23))
    assert spans[-1] == timeline.Span(T0 + timedelta(days=29), T0 + timedelta(days=29, hours=23))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"start": "2026-11-20T08:00:00", "end": "2026-11-20T09:00:00Z"}, "start"),
        ({"start": "yesterday", "end": "2026-11-20T09:00:00Z"}, "start"),
        ({"start": "2026-11-20T09:00:00Z", "end": "2026-11-20T08:00:00Z"}, "end"),
        ({"start": "2026-11-20T09:00:00Z"}, "end"),
    ],
)
def test_bad_spans_get_a_clear_400(admin_client, camera, query, field):
    response = admin_client.get(f"/api/v1/cameras/{camera.pk}/timeline/", query)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_unencoded_plus_offset_is_understood(admin_client, camera):
    record_run(camera, T0, 1)
    response = admin_client.get(
        f"/api/v1/cameras/{camera.pk}/timeline/?start=2026-11-20T09:00:00+01:00&end=2026-11-20T10:00:00+01:00")
    assert response.status_code == 200
    assert response.json()["recorded_seconds"] == 10


def test_segments_of_a_span_are_listed_oldest_first(operator_client, camera):
    from tests.conftest import grant

    grant(camera, group="Operator")
    record_run(camera, T0, 5)
    response = operator_client.get(f"/api/v1/cameras/{camera.pk}/segments/",
                                   {"start": iso(T0 + timedelta(seconds=15)), "end": iso(T0 + timedelta(seconds=35))})
    starts = [s["start"] for s in response.json()["results"]]
    assert starts == ["2026-11-20T08:00:10Z", "2026-11-20T08:00:20Z", "2026-11-20T08:00:30Z"]


@pytest.mark.parametrize("endpoint", ["playlist.m3u8", "clip/"])
def test_a_span_without_footage_is_a_clear_404(admin_client, camera, endpoint):
    record_run(camera, T0, 3)
    response = admin_client.get(f"/api/v1/cameras/{camera.pk}/{endpoint}",
                                {"start": iso(T0 + timedelta(hours=1)), "end": iso(T0 + timedelta(hours=2))})
    assert response.status_code == 404
    assert "No footage" in response.json()["detail"]
