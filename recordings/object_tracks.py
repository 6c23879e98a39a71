"""Devices' summaries of their ended tracks, kept to search what passed a camera or radar: written as they come,
read back for a span, and deleted with the footage of their time (a radar's, which records none, after its
retention days)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, QuerySet

from devices.choices import DeviceKind
from recordings.models import ObjectTrack, Segment
from video.geometry import Point, center, point_in_polygon
from video.radar import MPS_TO_KMH
from video.track_summaries import TrackSummary

log = logging.getLogger(__name__)

# What one request may read back.
MAX_SPAN = timedelta(days=1)
MAX_TRACKS = 1000


def keep(camera_id: int, summary: TrackSummary, track: int | None, arrived: datetime,
         masks: Sequence[Sequence[Point]]) -> ObjectTrack | None:
    """Keep a track's summary, on the VMS's clock: the device sends it as the track ends, so its times are moved by
    how far the device's end of the track is from `arrived` (a device's clock may differ from ours). Path points
    whose box centre lies under a privacy mask are left out, and a track seen only there is not kept at all (None).
    A database that cannot take it loses this summary, not the analytics."""
    path = [point for point in summary.path if not any(point_in_polygon(center(point.box), m) for m in masks)]
    if summary.path and not path:
        return None
    shift = arrived - summary.ended_at
    started_at = summary.started_at + shift
    try:
        return ObjectTrack.objects.create(
            camera_id=camera_id, device_track=summary.id, track=track, object_class=summary.label,
            score=round(summary.score, 3), started_at=started_at, ended_at=arrived,
            max_speed_kmh=None if summary.max_speed is None else round(summary.max_speed * MPS_TO_KMH, 1),
            path=[[round((point.at + shift - started_at).total_seconds() * 1000), round(point.box.x, 4),
                   round(point.box.y, 4), round(point.box.w, 4), round(point.box.h, 4)] for point in path])
    except DatabaseError as exc:
        log.warning("camera %s: the summary of its track %s was not kept: %s", camera_id, summary.id, exc)
        return None


def tracks_between(camera_id: int, start: datetime, end: datetime,
                   object_class: str | None = None) -> QuerySet[ObjectTrack]:
    """The camera's kept tracks seen between `start` and `end` (of a class, if given), oldest first."""
    tracks = ObjectTrack.objects.filter(camera_id=camera_id, started_at__lte=end, ended_at__gte=start)
    if object_class:
        tracks = tracks.filter(object_class=object_class)
    return tracks.order_by("started_at", "pk")


def delete_expired(before: datetime, now: datetime) -> int:
    """Delete the summaries, of before `before`, whose time no footage of their camera covers any more; and those
    of devices without video (radars) older than the device's retention days. Returns how many."""
    footage = Segment.objects.filter(camera=OuterRef("camera"), start__lte=OuterRef("ended_at"),
                                     end__gte=OuterRef("started_at"))
    of_cameras = ObjectTrack.objects.filter(camera__kind=DeviceKind.CAMERA, ended_at__lt=before)
    deleted, _ = of_cameras.exclude(Exists(footage)).delete()
    kept_until = ExpressionWrapper(F("ended_at") + F("camera__retention_days") * timedelta(days=1),
                                   output_field=DateTimeField())
    expired = ObjectTrack.objects.exclude(camera__kind=DeviceKind.CAMERA).filter(
        camera__retention_days__isnull=False).alias(kept_until=kept_until).filter(kept_until__lt=now)
    deleted_too, _ = expired.delete()
    return deleted + deleted_too
