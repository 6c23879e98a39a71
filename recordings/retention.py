"""Retention: delete the oldest unlocked footage past each camera's days or GiB (in whichever tier it is), or when
the hot tier's disk runs low; and the cameras' own analytics metadata of times no footage is left of."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from devices.models import Camera
from recordings import object_tracks, recorded_spans, scene_metadata
from recordings.choices import Tier
from recordings.models import Segment
from recordings.tiers import stores
from storage import StoreUnavailable
from storage.configured import recordings_store, tier_store

log = logging.getLogger(__name__)
DISK_BATCH = 50
# Metadata younger than this is kept whatever the footage: the segment of its time may not be indexed yet.
METADATA_GRACE = timedelta(minutes=10)


@dataclass
class RetentionReport:
    deleted: int = 0
    freed_bytes: int = 0
    metadata_deleted: int = 0
    tracks_deleted: int = 0
    by_camera: dict[int, int] = field(default_factory=dict)
    disk_floor_unreachable: bool = False


def delete_segments(segments: list[tuple[int, int, str, int]], report: RetentionReport) -> None:
    """Delete those of the (id, camera_id, path, size) rows that are still unlocked, then their files (or objects)
    from the tier each is in by then; the cameras' recorded spans shrink or split in the same transaction.

    The rows are locked and re-read first: an export may have locked some since they were chosen, and only the
    files of rows actually deleted go. The index never points at a missing file; a crash between the two steps
    leaves only an orphan file, not a broken recording."""
    if not segments:
        return
    with transaction.atomic():
        # The cameras' spans first, then the rows: the recorder indexing takes them in the same order.
        recorded_spans.lock_cameras(s[1] for s in segments)
        doomed = list(Segment.objects.select_for_update().filter(pk__in=[s[0] for s in segments], locked=False)
                      .values_list("pk", "camera_id", "path", "size", "start", "end", "unmasked", "tier"))
        Segment.objects.filter(pk__in=[row[0] for row in doomed]).delete()
        masked: dict[int, list] = {}
        for _pk, camera_id, _path, _size, start, end, unmasked, _tier in doomed:
            if not unmasked:
                masked.setdefault(camera_id, []).append((start, end))
        for camera_id, removed in masked.items():
            recorded_spans.segments_removed(camera_id, removed)
    for _pk, camera_id, path, size, *_, tier in doomed:
        tier_store(tier).delete(path)
        report.deleted += 1
        report.freed_bytes += size
        report.by_camera[camera_id] = report.by_camera.get(camera_id, 0) + 1


def oldest_unlocked(queryset, tiers: list[str] = Tier.values):
    """Unlocked footage in `tiers` (those retention can delete from now), oldest first."""
    return (queryset.filter(locked=False, tier__in=tiers).order_by("start")
            .values_list("pk", "camera_id", "path", "size"))


def reachable_tiers() -> list[str]:
    """The tiers whose store answers: rows deleted now from another one would leave their files there for good (the
    next round deletes both)."""
    tiers = []
    for tier, store in stores().items():
        try:
            store.check()
        except StoreUnavailable as exc:
            log.warning("retention waits for the %s tier: %s", tier, exc)
        else:
            tiers.append(tier)
    return tiers


def free_disk_gib() -> float | None:
    """Free space where the hot tier's recordings are kept; None for a store without a disk of its own (a bucket)."""
    free = recordings_store().free_bytes()
    return None if free is None else free / 2**30


def apply_retention(now: datetime | None = None) -> RetentionReport:
    now = now or timezone.now()
    report = RetentionReport()
    tiers = reachable_tiers()
    if not tiers:
        return report
    for camera in Camera.objects.exclude(retention_days=None, retention_gib=None):
        footage = Segment.objects.filter(camera=camera)
        if camera.retention_days:
            expired = oldest_unlocked(footage.filter(end__lt=now - timedelta(days=camera.retention_days)), tiers)
            delete_segments(list(expired), report)
        if camera.retention_gib:
            excess = (footage.aggregate(total=Sum("size"))["total"] or 0) - int(camera.retention_gib * 2**30)
            doomed = []
            for row in oldest_unlocked(footage, tiers).iterator():
                if excess <= 0:
                    break
                doomed.append(row)
                excess -= row[3]
            delete_segments(doomed, report)
    # Only the hot tier's footage frees the hot disk.
    while Tier.HOT in tiers and (free := free_disk_gib()) is not None and free < settings.MIN_FREE_DISK_GIB:
        batch = list(oldest_unlocked(Segment.objects.all(), [Tier.HOT])[:DISK_BATCH])
        if not batch:
            report.disk_floor_unreachable = True
            log.error("Free disk is below %.1f GiB and no unlocked footage is left to delete",
                      settings.MIN_FREE_DISK_GIB)
            break
        delete_segments(batch, report)
    report.metadata_deleted = scene_metadata.delete_without_footage(now - METADATA_GRACE)
    report.tracks_deleted = object_tracks.delete_expired(now - METADATA_GRACE, now)
    if report.deleted:
        log.info("retention deleted %d segments (%.1f MiB)", report.deleted, report.freed_bytes / 2**20)
    return report
