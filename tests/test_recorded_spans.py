"""Recorded spans kept with the segment index: after any mix of segments indexed and deleted (retention, footage
without events), concurrent or not, they are what merging every remaining segment gives."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from devices.models import Camera
from recordings import recorded_spans
from recordings.models import RecordedSpan, Segment
from recordings.retention import RetentionReport, delete_segments
from recordings.services import index_segments
from tests.factories import record_run
from tests.recording_checks import wait_for

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def kept(camera_id: int) -> list[tuple[datetime, datetime]]:
    return list(RecordedSpan.objects.filter(camera_id=camera_id).order_by("start").values_list("start", "end"))


def merged_from_segments(camera_id: int) -> list[tuple[datetime, datetime]]:
    return [(start, end) for _camera, start, end, _longest in recorded_spans.islands([camera_id])]


def assert_spans_match_segments(*cameras: Camera) -> None:
    for camera in cameras:
        assert kept(camera.pk) == merged_from_segments(camera.pk)
        # The bound a deletion relies on: no segment of a span is longer than the span says.
        for span in RecordedSpan.objects.filter(camera=camera):
            inside = Segment.objects.filter(camera=camera, unmasked=False, start__gte=span.start, start__lte=span.end)
            assert all((s.end - s.start).total_seconds() <= span.longest_segment for s in inside)


def random_segment(rng: random.Random, camera: Camera, number: int) -> Segment:
    # Starts and lengths on a half-second grid, so that segments meet, overlap and stand exactly the gap apart.
    start = T0 + timedelta(seconds=rng.randrange(0, 2400) / 2)
    seconds = rng.choice([10, 10, 10, 10, 9.5, 10.5, 2, 0.5, 0, 45, 120])
    return Segment(camera=camera, start=start, end=start + timedelta(seconds=seconds), duration=seconds, size=1000,
                   sha256="0" * 64, init_size=800, path=f"{camera.pk}/random/{number:06d}.mp4",
                   unmasked=rng.random() < 0.1)


def rows_of(segments) -> list[tuple[int, int, str, int]]:
    return list(segments.values_list("pk", "camera_id", "path", "size"))


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_spans_equal_the_merged_segments_after_random_indexing_and_deleting(seed, camera):
    rng = random.Random(seed)
    other = Camera.objects.create(name="Yard", main_url="rtsp://127.0.0.1:8554/yard")
    most_spans = 0
    for step in range(300):
        footage = Segment.objects.filter(camera=rng.choice([camera, other]))
        action = rng.random()
        if action < 0.6 or not footage.exists():
            batch = [random_segment(rng, rng.choice([camera, camera, other]), step * 10 + i)
                     for i in range(rng.choice([1, 1, 1, 3]))]
            index_segments(batch)
        elif action < 0.85:
            pks = list(footage.values_list("pk", flat=True))
            delete_segments(rows_of(Segment.objects.filter(pk__in=rng.sample(pks, min(len(pks), rng.randint(1, 4))))),
                            RetentionReport())
        else:  # as retention does: the oldest first, a run of them at once
            delete_segments(rows_of(footage.order_by("start")[:rng.randint(1, 8)]), RetentionReport())
        if step % 10 == 9:
            assert_spans_match_segments(camera, other)
            most_spans = max(most_spans, RecordedSpan.objects.filter(camera=camera).count())
    assert_spans_match_segments(camera, other)
    assert most_spans >= 3, "the footage was cut into several recordings on the way"


@pytest.mark.django_db
def test_a_deleted_segment_that_held_a_recording_together_splits_it(camera):
    record_run(camera, T0, 6)  # 08:00:00-08:01:00
    assert kept(camera.pk) == [(T0, T0 + timedelta(minutes=1))]
    middle = Segment.objects.filter(camera=camera, start=T0 + timedelta(seconds=20))
    delete_segments(rows_of(middle), RetentionReport())
    assert kept(camera.pk) == [(at(0), at(20)), (at(30), at(60))]
    # Indexed again, it joins the two.
    record_run(camera, T0 + timedelta(seconds=20), 1)
    assert kept(camera.pk) == [(T0, T0 + timedelta(minutes=1))]


@pytest.mark.django_db
def test_a_long_segment_bridging_short_ones_is_missed_when_it_goes(camera, settings):
    settings.TIMELINE_GAP_SECONDS = 1.0
    index_segments([Segment(camera=camera, start=T0, end=T0 + timedelta(seconds=100), duration=100, size=1,
                            sha256="0" * 64, init_size=1, path="long.mp4")])
    record_run(camera, T0 + timedelta(seconds=5), 1)
    record_run(camera, T0 + timedelta(seconds=50), 1)
    delete_segments(rows_of(Segment.objects.filter(path="long.mp4")), RetentionReport())
    assert kept(camera.pk) == [(T0 + timedelta(seconds=5), T0 + timedelta(seconds=15)),
                               (T0 + timedelta(seconds=50), T0 + timedelta(seconds=60))]


@pytest.mark.django_db
def test_unmasked_copies_are_not_recorded_spans(camera):
    record_run(camera, T0, 2)
    index_segments([Segment(camera=camera, start=T0 + timedelta(minutes=5), end=T0 + timedelta(minutes=5, seconds=10),
                            duration=10, size=1, sha256="0" * 64, init_size=1, path="unmasked.mp4", unmasked=True)])
    assert kept(camera.pk) == [(T0, T0 + timedelta(seconds=20))]


@pytest.mark.django_db
def test_spans_go_with_their_camera(camera, admin_user):
    from devices.services import delete_camera

    record_run(camera, T0, 3)
    delete_camera(camera, None)
    assert not RecordedSpan.objects.exists()


@pytest.mark.django_db
def test_the_migration_builds_spans_of_footage_indexed_before_them(camera):
    with connection.cursor() as cursor:
        # Rows are checked at once from here: migrations altering their tables in this same (test) transaction,
        # backwards and forwards, refuse pending checks (the camera's row, the segments inserted below).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([("recordings", "0007_recorded_spans")])
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO recordings_segment (camera_id, start, "end", duration, size, sha256, path, init_size,
                                               locked, created_at)
               SELECT %s, t, t + interval '10 seconds', 10, 1000, repeat('0', 64), 'old/' || n, 800, false, now()
               FROM generate_series(0, 99) AS n, LATERAL (SELECT %s::timestamptz + n * interval '10 seconds' AS t) s
               WHERE n <> 50""",
            [camera.pk, T0],
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert kept(camera.pk) == [(at(0), at(500)), (at(510), at(1000))]


def waiting_for_a_span_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                          AND classid = %s""", [recorded_spans.LOCK_SPACE])
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
def test_indexing_waits_for_retention_deleting_the_same_cameras_footage(camera):
    """Retention's transaction holds the camera's spans: the recorder indexing meanwhile waits for it to commit,
    and then merges its segment with what retention left."""
    record_run(camera, T0, 6)
    indexed = threading.Event()

    def recorder_indexes() -> None:
        try:
            record_run(camera, T0 + timedelta(seconds=60), 1)
            indexed.set()
        finally:
            connections.close_all()

    indexer = threading.Thread(target=recorder_indexes)
    with transaction.atomic():
        delete_segments(rows_of(Segment.objects.filter(camera=camera, start__gte=T0 + timedelta(seconds=40))),
                        RetentionReport())
        indexer.start()
        wait_for(waiting_for_a_span_lock, 30, "the recorder's indexing to wait for the camera's spans")
        assert not indexed.is_set()
    indexer.join(timeout=30)
    assert indexed.is_set()
    assert kept(camera.pk) == [(at(0), at(40)), (at(60), at(70))]
    assert kept(camera.pk) == merged_from_segments(camera.pk)


@pytest.mark.django_db(transaction=True)
def test_retention_and_the_recorder_at_once_leave_spans_equal_to_the_segments(camera):
    """The recorder indexes new footage of two cameras while retention deletes their oldest, in parallel."""
    other = Camera.objects.create(name="Yard", main_url="rtsp://127.0.0.1:8554/yard")
    for each in (camera, other):
        record_run(each, T0, 60)
    failures: list[BaseException] = []

    def in_thread(work):
        def run() -> None:
            try:
                work()
            except BaseException as exc:  # noqa: BLE001  (reported by the test below)
                failures.append(exc)
            finally:
                connections.close_all()
        return threading.Thread(target=run)

    def recorder() -> None:
        for i in range(60):
            for each in (other, camera) if i % 2 else (camera, other):
                record_run(each, T0 + timedelta(seconds=600 + 10 * i), 1)

    def retention() -> None:
        for _ in range(40):
            oldest = Segment.objects.filter(camera__in=[camera, other]).order_by("start")[:3]
            delete_segments(rows_of(oldest), RetentionReport())

    threads = [in_thread(recorder), in_thread(retention)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures
    assert_spans_match_segments(camera, other)
