"""Playback around the playhead: a playlist holds an hour of footage from the asked moment and links the next one;
following the links plays a whole day, each segment once, audited as one playback."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from accounts.models import AuditAction, AuditEntry
from tests.conftest import client_for, grant

pytestmark = pytest.mark.django_db
DAY = datetime(2026, 11, 20, tzinfo=UTC)
SPAN = {"start": DAY.isoformat(), "end": (DAY + timedelta(days=1)).isoformat()}
# Two hours without footage in the afternoon (the camera was off): 8,640 - 720 segments of 10 s.
GAP = (DAY + timedelta(hours=14), DAY + timedelta(hours=16))


@pytest.fixture
def recorded_day(camera) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO recordings_segment (camera_id, start, "end", duration, size, sha256, path, init_size,
                                               locked, created_at)
               SELECT %s, t, t + interval '10 seconds', 10, 1000, repeat('0', 64), 'day/' || n, 800, false, now()
               FROM generate_series(0, 8639) AS n, LATERAL (SELECT %s::timestamptz + n * interval '10 seconds' AS t) s
               WHERE NOT (t >= %s AND t < %s)""",
            [camera.pk, DAY, *GAP],
        )
        return cursor.rowcount


def playlist_of(client, camera, **query):
    return client.get(f"/api/v1/cameras/{camera.pk}/playlist.m3u8", {**SPAN, **query})


def starts_in(playlist) -> list[datetime]:
    return [datetime.fromisoformat(line.split(":", 1)[1]) for line in playlist.content.decode().splitlines()
            if line.startswith("#EXT-X-PROGRAM-DATE-TIME:")]


def next_link(playlist) -> str | None:
    found = re.fullmatch(r'<(.+)>; rel="next"', playlist.get("Link", ""))
    return found and found.group(1)


def test_a_day_plays_an_hour_at_a_time_each_segment_once_and_audited_once(camera, investigator_user, recorded_day):
    grant(camera, user=investigator_user)
    client = client_for(investigator_user)
    playlist = playlist_of(client, camera)
    assert playlist.status_code == 200
    playback = playlist["Playback-Id"]
    windows, played = 0, []
    while True:
        windows += 1
        starts = starts_in(playlist)
        assert starts[-1] - starts[0] < timedelta(hours=1), "an hour of footage at most"
        played += starts
        assert {parse_qs(urlsplit(line).query)["playback"][0] for line in playlist.content.decode().splitlines()
                if line.startswith("/api/v1/segments/")} == {playback}
        link = next_link(playlist)
        if link is None:
            break
        playlist = client.get(link)
        assert playlist.status_code == 200 and playlist["Playback-Id"] == playback
    assert len(played) == recorded_day == 7920
    assert played == sorted(set(played)), "every segment once, in order"
    assert windows == 22, "22 hours recorded: the two without footage are skipped"
    assert AuditEntry.objects.filter(action=AuditAction.PLAYBACK).count() == 1


def test_the_playlist_starts_with_the_segment_playing_at_the_moment_asked(admin_client, camera, recorded_day):
    moment = DAY + timedelta(hours=9, seconds=25)
    starts = starts_in(playlist_of(admin_client, camera, at=moment.isoformat()))
    assert starts[0] == DAY + timedelta(hours=9, seconds=20)
    assert starts[-1] == DAY + timedelta(hours=10, seconds=10)
    in_the_gap = starts_in(playlist_of(admin_client, camera, at=(GAP[0] + timedelta(minutes=30)).isoformat()))
    assert in_the_gap[0] == GAP[1], "from the next footage"


def test_a_playlist_of_another_playback_or_span_is_audited_on_its_own(camera, admin_client, investigator_user,
                                                                       recorded_day):
    grant(camera, user=investigator_user)
    first = playlist_of(admin_client, camera)
    playback = first["Playback-Id"]
    assert playlist_of(admin_client, camera, playback=playback)["Playback-Id"] == playback
    shorter = {"end": (DAY + timedelta(hours=2)).isoformat()}
    assert playlist_of(admin_client, camera, playback=playback, **shorter)["Playback-Id"] != playback
    someone_else = playlist_of(client_for(investigator_user), camera, playback=playback)
    assert someone_else.status_code == 200 and someone_else["Playback-Id"] != playback
    assert AuditEntry.objects.filter(action=AuditAction.PLAYBACK).count() == 3


def test_the_last_playlist_of_the_span_links_none(admin_client, camera, recorded_day):
    late = playlist_of(admin_client, camera, at=(DAY + timedelta(hours=23, minutes=30)).isoformat())
    assert late.status_code == 200 and next_link(late) is None
    assert starts_in(late)[-1] == DAY + timedelta(hours=23, minutes=59, seconds=50)


def test_a_moment_outside_the_span_is_a_clear_400(admin_client, camera, recorded_day):
    response = playlist_of(admin_client, camera, at=(DAY + timedelta(days=2)).isoformat())
    assert response.status_code == 400 and "at" in response.json()["errors"]
