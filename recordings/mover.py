"""The mover: recordings go from the hot tier to the cold one once they are older than their camera's
cold_after_hours, and the oldest first while the hot tier's disk is fuller than VMS_HOT_HIGH_WATER_PERCENT; locked
ones too (a lock keeps footage from deletion, wherever it is).

A move copies the segment into the cold store (checked against its sha256), switches its row to cold in a
transaction that locks the row, then deletes the hot copy. A TierMove row written before the copy lets the next pass
finish a move cut short (a killed worker): the copy the row does not point at is deleted. While the cold store cannot
be reached, the pass stops, says so once in the log and on the health page, and recording goes on in the hot tier."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from devices.models import Camera
from recordings.choices import Tier
from recordings.models import Segment, TierMove
from recordings.tiers import outage_began, outage_ended, over_high_water
from storage import Store, StoreUnavailable
from storage.configured import cold_store, recordings_store

log = logging.getLogger(__name__)
MOVE_BATCH = 50
# The key of the advisory lock one mover holds at a time: any constant no other lock uses.
MOVER_LOCK = 7_314_201


@dataclass
class MoveReport:
    moved: int = 0
    moved_bytes: int = 0
    unreachable: str = ""


@contextmanager
def one_mover() -> Iterator[bool]:
    """True when this is the only mover running (two would copy the same segments); SQLite runs one anyway."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [MOVER_LOCK])
        mine = cursor.fetchone()[0]
    try:
        yield mine
    finally:
        if mine:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MOVER_LOCK])


def move_to_cold(now: datetime | None = None) -> MoveReport:
    """One pass of the mover; nothing when there is no cold tier or another mover runs."""
    report = MoveReport()
    cold = cold_store()
    if cold is None:
        return report
    with one_mover() as mine:
        if not mine:
            return report
        try:
            cold.check()
            finish_cut_short(recordings_store(), cold)
            move_aged(now or timezone.now(), cold, report)
            make_room(cold, report)
        except StoreUnavailable as exc:
            report.unreachable = str(exc)
            if outage_began(Tier.COLD, cold.location, exc):
                log.warning("recordings stay on the hot tier: the cold store cannot be reached (%s)", exc)
            return report
    if outage_ended(Tier.COLD):
        log.info("the cold store %s answers again; recordings move to it", cold.location)
    if report.moved:
        log.info("moved %d segments (%.1f MiB) to the cold tier", report.moved, report.moved_bytes / 2**20)
    return report


def finish_cut_short(hot: Store, cold: Store) -> None:
    """Moves a killed mover left: the copy the index does not point at goes (both, for a segment deleted since)."""
    for cut_short in TierMove.objects.all():
        tier = Segment.objects.filter(path=cut_short.path).values_list("tier", flat=True).first()
        if tier != Tier.COLD:
            cold.delete(cut_short.path)
        if tier != Tier.HOT:
            hot.delete(cut_short.path)
        cut_short.delete()


def move_aged(now: datetime, cold: Store, report: MoveReport) -> None:
    for camera in Camera.objects.exclude(cold_after_hours=None):
        aged = Segment.objects.filter(camera=camera, tier=Tier.HOT,
                                      end__lt=now - timedelta(hours=camera.cold_after_hours))
        for segment in oldest_first(aged):
            move(segment, cold, report)


def make_room(cold: Store, report: MoveReport) -> None:
    """Move the oldest hot footage of any camera until the hot disk is below its high-water mark (rechecked after
    each segment, a statvfs call: deleting a file frees its space at once)."""
    for segment in oldest_first(Segment.objects.filter(tier=Tier.HOT)):
        if not over_high_water():
            return
        move(segment, cold, report)


def oldest_first(segments: QuerySet[Segment]) -> Iterator[Segment]:
    return segments.order_by("start").iterator(chunk_size=MOVE_BATCH)


def move(segment: Segment, cold: Store, report: MoveReport) -> None:
    hot = recordings_store()
    TierMove.objects.get_or_create(path=segment.path)
    try:
        with local_copy(hot, segment.path) as local:
            cold.put(segment.path, local, segment.sha256)
    except FileNotFoundError:
        log.error("segment %s is in the index as hot but missing from %s; it stays where it is", segment.path,
                  hot.location)
        TierMove.objects.filter(path=segment.path).delete()
        return
    # One UPDATE: it waits for retention or an export holding the row, and switches nothing when retention deleted
    # it meanwhile (retention deletes a segment from the tier its row names when it commits).
    switched = Segment.objects.filter(pk=segment.pk, tier=Tier.HOT).update(tier=Tier.COLD)
    (hot if switched else cold).delete(segment.path)
    TierMove.objects.filter(path=segment.path).delete()
    if switched:
        report.moved += 1
        report.moved_bytes += segment.size


@contextmanager
def local_copy(store: Store, key: str) -> Iterator[Path]:
    """The file of `key` on this disk: the store's own when it is a folder, else a temporary copy."""
    path = store.local_path(key)
    if path is not None:
        if not path.is_file():
            raise FileNotFoundError(key)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="vms-move-") as folder:
        copy = Path(folder) / Path(key).name
        with store.open(key) as source, open(copy, "wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        yield copy
