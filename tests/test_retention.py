"""Retention deletes the oldest unlocked footage past days, GiB or the free-disk floor; index and files agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recordings.models import Segment
from recordings.retention import RetentionReport, apply_retention, delete_segments, oldest_unlocked
from tests.factories import record_run

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def with_files(segments: list[Segment], size: int) -> list[Segment]:
    for segment in segments:
        segment.file.parent.mkdir(parents=True, exist_ok=True)
        segment.file.write_bytes(b"\0" * size)
    return segments


def remaining(camera) -> list[Segment]:
    return list(Segment.objects.filter(camera=camera).order_by("start"))


def test_it_keeps_index_and_files_consistent_past_the_days_limit(camera):
    camera.retention_days = 7
    camera.save()
    old = with_files(record_run(camera, NOW - timedelta(days=9), 3), 10)
    recent = with_files(record_run(camera, NOW - timedelta(days=6), 3), 10)
    report = apply_retention(NOW)
    assert report.deleted == 3
    assert remaining(camera) == recent
    assert not any(s.file.exists() for s in old)
    assert all(s.file.exists() for s in recent)


def test_it_fills_a_small_quota_and_respects_locks(camera):
    camera.retention_gib = 30_000 / 2**30  # room for three 10 kB segments
    camera.save()
    segments = with_files(record_run(camera, NOW - timedelta(hours=1), 8, size=10_000), 10_000)
    Segment.objects.filter(pk__in=[segments[0].pk, segments[2].pk]).update(locked=True)
    apply_retention(NOW)
    kept = remaining(camera)
    # Locked footage stays although it is the oldest; the rest go oldest first until the quota holds.
    assert [s.pk for s in kept] == [segments[0].pk, segments[2].pk, segments[7].pk]
    assert sum(s.size for s in kept) <= 30_000
    assert camera_files(camera) == {s.file for s in kept}


def camera_files(camera):
    from django.conf import settings

    return set((settings.RECORDINGS_ROOT / str(camera.pk)).rglob("*.mp4"))


def test_it_frees_disk_below_the_floor_but_never_locked_footage(camera, settings):
    segments = with_files(record_run(camera, NOW - timedelta(hours=1), 4), 10)
    Segment.objects.filter(pk=segments[1].pk).update(locked=True)
    settings.MIN_FREE_DISK_GIB = 10**9  # a floor no disk reaches: everything unlocked must go
    report = apply_retention(NOW)
    assert report.disk_floor_unreachable
    assert [s.pk for s in remaining(camera)] == [segments[1].pk]
    assert camera_files(camera) == {segments[1].file}


def test_cameras_without_limits_keep_everything(camera):
    with_files(record_run(camera, NOW - timedelta(days=400), 2), 10)
    assert apply_retention(NOW).deleted == 0
    assert len(remaining(camera)) == 2


def test_it_keeps_the_file_of_a_segment_locked_after_it_was_chosen(camera):
    camera.retention_days = 7
    camera.save()
    old = with_files(record_run(camera, NOW - timedelta(days=9), 3), 10)
    chosen = list(oldest_unlocked(Segment.objects.filter(camera=camera)))
    # An export locks the middle segment between retention's choice and its delete.
    Segment.objects.filter(pk=old[1].pk).update(locked=True)
    report = RetentionReport()
    delete_segments(chosen, report)
    assert report.deleted == 2
    assert remaining(camera) == [old[1]]
    assert old[1].file.exists()
    assert not old[0].file.exists() and not old[2].file.exists()
