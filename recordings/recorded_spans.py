"""Each camera's continuous recordings (RecordedSpan rows), kept equal to its masked segments merged within the
timeline's gap tolerance: widened or joined as segments are indexed, shrunk or split as they are deleted, in the
same transaction and under a per-camera lock, so that the timeline reads a few rows however long the archive."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.apps import apps as installed_apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from recordings.models import RecordedSpan, Segment

# The first key of the per-camera advisory locks (the camera is the second): any constant no other lock uses.
LOCK_SPACE = 0x5EC5

# Gaps and islands in one pass on PostgreSQL: a segment starts a new recording when it begins more than the gap
# tolerance after every earlier segment of its camera has ended; a running sum of those starts numbers the
# recordings. This merges every segment each time: the spans are built with it once, and it is the reference
# the kept spans are checked against and measured beside.
ISLANDS_SQL = """
WITH marked AS (
    SELECT camera_id, start, "end",
           CASE WHEN start > MAX("end") OVER earlier + make_interval(secs => %(gap)s) THEN 1 ELSE 0 END
               AS starts_recording
    FROM recordings_segment
    WHERE NOT unmasked AND {where}
    WINDOW earlier AS (PARTITION BY camera_id ORDER BY start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), numbered AS (
    SELECT camera_id, start, "end",
           SUM(starts_recording) OVER (PARTITION BY camera_id ORDER BY start ROWS UNBOUNDED PRECEDING) AS recording
    FROM marked
)
SELECT camera_id, MIN(start), MAX("end"), MAX(EXTRACT(EPOCH FROM "end" - start))
FROM numbered GROUP BY camera_id, recording ORDER BY 1, 2
"""

Island = tuple[int, datetime, datetime, float]


def gap() -> timedelta:
    return timedelta(seconds=settings.TIMELINE_GAP_SECONDS)


def lock_cameras(camera_ids: Iterable[int]) -> None:
    """Hold the cameras' spans until the transaction ends, taken in camera order so that two writers (the recorder
    indexing, retention deleting) never wait for each other in a circle. SQLite has one writer at a time anyway."""
    assert connection.in_atomic_block, "spans are locked for a transaction"
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for camera_id in sorted(set(camera_ids)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, camera_id])


def segments_added(camera_id: int, segments: Iterable[tuple[datetime, datetime]]) -> None:
    """Widen or join the camera's spans for newly indexed masked segments ((start, end) each); the caller holds
    lock_cameras. A segment joins every span it comes within the gap tolerance of, or opens one of its own."""
    tolerance = gap()
    for start, end in segments:
        touching = list(RecordedSpan.objects.filter(camera_id=camera_id, start__lte=end + tolerance,
                                                    end__gte=start - tolerance))
        length = (end - start).total_seconds()
        if not touching:
            RecordedSpan.objects.create(camera_id=camera_id, start=start, end=end, longest_segment=length)
            continue
        kept, *joined = touching
        kept.start = min([start, *(span.start for span in touching)])
        kept.end = max([end, *(span.end for span in touching)])
        kept.longest_segment = max([length, *(span.longest_segment for span in touching)])
        if joined:
            RecordedSpan.objects.filter(pk__in=[span.pk for span in joined]).delete()
        kept.save(update_fields=["start", "end", "longest_segment"])


def segments_removed(camera_id: int, segments: Iterable[tuple[datetime, datetime]]) -> None:
    """Shrink or split the camera's spans after masked segments ((start, end) each) left the index in this
    transaction; the caller holds lock_cameras.

    Only what the deleted segments could have held together is read again: a span can split only at a remaining
    segment that starts within [start, end + gap] of a deleted one, and whether it does depends only on remaining
    segments that start at most the span's longest segment (plus the gap) before it. So retention nibbling a month
    long recording from its old end reads a handful of rows, not the month."""
    removed = sorted(segments)
    if not removed:
        return
    spans = RecordedSpan.objects.filter(camera_id=camera_id, end__gte=removed[0][0], start__lte=removed[-1][0])
    by_span: dict[RecordedSpan, list[tuple[datetime, datetime]]] = defaultdict(list)
    for span in spans.order_by("start"):
        for start, end in removed:
            if span.start <= start <= span.end:
                by_span[span].append((start, end))
    for span, deleted in by_span.items():
        _recompute(span, deleted)


def _recompute(span: RecordedSpan, deleted: list[tuple[datetime, datetime]]) -> None:
    tolerance, longest = gap(), timedelta(seconds=span.longest_segment)
    remaining = Segment.objects.filter(camera_id=span.camera_id, unmasked=False, start__gte=span.start,
                                       start__lte=span.end)
    first = remaining.order_by("start").values_list("start", flat=True).first()
    if first is None:
        span.delete()
        return
    starts = {first}
    for low, high in _merged((start, end + tolerance) for start, end in deleted):
        running = None
        rows = remaining.filter(start__gte=low - longest - tolerance, start__lte=high).order_by("start")
        for start, end in rows.values_list("start", "end"):
            if start >= low and (running is None or start > running + tolerance):
                starts.add(start)
            running = end if running is None else max(running, end)
    bounds = sorted(starts)
    pieces = []
    for index, start in enumerate(bounds):
        island = remaining.filter(start__gte=start)
        if index + 1 < len(bounds):
            island = island.filter(start__lt=bounds[index + 1])
        last = island.order_by("-start").values_list("start", flat=True).first()
        # Segments starting earlier than the longest before the last one end before the last one starts.
        end = island.filter(start__gte=max(start, last - longest)).aggregate(end=Max("end"))["end"]
        pieces.append((start, end))
    span.start, span.end = pieces[0]
    span.save(update_fields=["start", "end"])
    RecordedSpan.objects.bulk_create(RecordedSpan(camera_id=span.camera_id, start=start, end=end,
                                                  longest_segment=span.longest_segment) for start, end in pieces[1:])


def _merged(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def islands(camera_ids: list[int] | None = None, since: datetime | None = None,
            until: datetime | None = None) -> list[Island]:
    """The cameras' recordings merged from every segment (of those overlapping [since, until) when given):
    (camera, start, end, longest segment's seconds), by camera and start."""
    where, params = ["TRUE"], {"gap": gap().total_seconds()}
    if camera_ids is not None:
        where.append("camera_id = ANY(%(cameras)s)")
        params["cameras"] = list(camera_ids)
    if since is not None:
        where.append('"end" > %(since)s')
        params["since"] = since
    if until is not None:
        where.append("start < %(until)s")
        params["until"] = until
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(ISLANDS_SQL.format(where=" AND ".join(where)), params)
            return [(camera, start, end, float(longest)) for camera, start, end, longest in cursor.fetchall()]
    rows = Segment.objects.filter(unmasked=False)
    if camera_ids is not None:
        rows = rows.filter(camera_id__in=camera_ids)
    if since is not None:
        rows = rows.filter(end__gt=since)
    if until is not None:
        rows = rows.filter(start__lt=until)
    return _merge_in_python(rows.order_by("camera_id", "start").values_list("camera_id", "start", "end").iterator())


def _merge_in_python(rows: Iterable[tuple[int, datetime, datetime]]) -> list[Island]:
    tolerance, found = gap(), []
    for camera, start, end in rows:
        length = (end - start).total_seconds()
        last = found[-1] if found else None
        if last and last[0] == camera and start <= last[2] + tolerance:
            found[-1] = (camera, last[1], max(last[2], end), max(last[3], length))
        else:
            found.append((camera, start, end, length))
    return found


def rebuild(camera_ids: list[int] | None = None, apps=installed_apps) -> int:
    """Build the cameras' (or all) spans again from their segments, holding them meanwhile; `apps` is a migration's.
    Returns how many there are."""
    spans = apps.get_model("recordings", "RecordedSpan")
    cameras = apps.get_model("devices", "Camera").objects.all()
    with transaction.atomic():
        lock_cameras(cameras.values_list("pk", flat=True) if camera_ids is None else camera_ids)
        existing = spans.objects.all() if camera_ids is None else spans.objects.filter(camera_id__in=camera_ids)
        existing.delete()
        built = spans.objects.bulk_create(
            spans(camera_id=camera, start=start, end=end, longest_segment=longest)
            for camera, start, end, longest in islands(camera_ids)
        )
    return len(built)
