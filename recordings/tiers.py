"""The two tiers of recordings, hot (VMS_STORAGE_URL) and cold (VMS_COLD_STORAGE_URL): reading a segment's bytes
wherever they are (even when they moved since its row was read), and how full each tier is and for how long it
lasts at the current recording rate (the health page)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import BinaryIO, TypeVar

from django.conf import settings
from django.db.models import Min, Sum
from django.utils import timezone

from recordings.choices import Tier
from recordings.models import Segment, StorageOutage
from storage import Store, StoreUnavailable
from storage.configured import cold_store, recordings_store

Answer = TypeVar("Answer")
RATE_WINDOW = timedelta(hours=24)


def _from_its_store(segment: Segment, action: Callable[[Store], Answer]) -> Answer:
    """`action` on the segment's store; a hot segment missing there has just moved (a move copies to cold before it
    deletes the hot copy), so it is asked of the cold store then."""
    try:
        return action(segment.store)
    except FileNotFoundError:
        cold = cold_store()
        if segment.tier != Tier.HOT or cold is None:
            raise
        return action(cold)


def read_segment(segment: Segment, start: int = 0, length: int | None = None) -> bytes:
    return _from_its_store(segment, lambda store: store.read(segment.path, start, length))


def open_segment(segment: Segment) -> BinaryIO:
    return _from_its_store(segment, lambda store: store.open(segment.path))


def segment_exists(segment: Segment) -> bool:
    try:
        _from_its_store(segment, lambda store: store.size(segment.path))
    except FileNotFoundError:
        return False
    return True


def stores() -> dict[str, Store]:
    """The tiers there are, and their stores: the hot one always, the cold one when configured."""
    cold = cold_store()
    return {Tier.HOT: recordings_store()} | ({Tier.COLD: cold} if cold is not None else {})


def recording_rate(now: datetime | None = None) -> float | None:
    """Bytes recorded a day: the footage of the last 24 hours, or of less when the recordings are younger; None
    before there is any. Counted per tier (the (tier, start) index), wherever the footage is by now."""
    now = now or timezone.now()
    size, since = 0, now
    for tier in stores():
        totals = Segment.objects.filter(tier=tier, start__gte=now - RATE_WINDOW).aggregate(
            size=Sum("size"), since=Min("start"))
        if totals["size"]:
            size, since = size + totals["size"], min(since, totals["since"])
    if not size:
        return None
    seconds = max((now - since).total_seconds(), 60.0)  # a first minute does not make an endless rate
    return size / seconds * 86400


def tier_usage(now: datetime | None = None) -> list[dict]:
    """Each tier: where it is, whether it answers (and since when it has not, in words), the bytes of footage it
    holds (from the index), its free space, and the days of footage that still fit at the current rate (None when
    unknown: no free space to go by, or nothing recorded yet)."""
    rate = recording_rate(now)
    held = dict(Segment.objects.values_list("tier").annotate(Sum("size")).order_by())
    outages = {outage.tier: outage for outage in StorageOutage.objects.all()}
    report = []
    for tier, store in stores().items():
        try:
            store.check()
            free, error = store.free_bytes(), ""
        except (StoreUnavailable, OSError) as exc:
            free, error = None, outage_words(tier, store, outages.get(tier), exc)
        report.append({
            "tier": tier, "location": store.location, "ok": not error, "error": error,
            "used_bytes": held.get(tier, 0), "free_bytes": free,
            "days_left": None if free is None or not rate else round(free / rate, 1),
        })
    return report


def outage_words(tier: str, store: Store, outage: StorageOutage | None, error: Exception) -> str:
    """What the health page says of a tier out of reach, e.g. "Cold storage s3://footage/recordings cannot be
    reached since 12:03; footage stays on the hot tier (41 % used) until it can"; since when, as the mover found."""
    since = f" since {timezone.localtime(outage.since):%H:%M}" if outage else ""
    why = str(error)
    if tier == Tier.HOT:
        return f"Hot storage {store.location} cannot be reached{since}: {why}"
    used = hot_used_percent()
    full = "" if used is None else f" ({used:.0f} % used)"
    return (f"Cold storage {store.location} cannot be reached{since}; footage stays on the hot tier{full} until it "
            f"can ({why})")


def hot_used_percent() -> float | None:
    """How full the hot tier's disk is, in percent; None for a store without a disk of its own (a bucket)."""
    store = recordings_store()
    total = store.total_bytes()
    if not total:
        return None
    return 100.0 * (total - store.free_bytes()) / total


def over_high_water() -> bool:
    used = hot_used_percent()
    return used is not None and used > settings.HOT_HIGH_WATER_PERCENT


def outage_began(tier: str, location: str, error: StoreUnavailable) -> bool:
    """Keep that a tier's store cannot be reached (from when it first could not); True the first time."""
    _, created = StorageOutage.objects.update_or_create(
        tier=tier, defaults={"location": location, "error": str(error)[:500]},
        create_defaults={"location": location, "error": str(error)[:500], "since": timezone.now()})
    return created


def outage_ended(tier: str) -> bool:
    """The tier answers again; True when it had not."""
    deleted, _ = StorageOutage.objects.filter(tier=tier).delete()
    return bool(deleted)
