"""Recording on events only: the recorder records as usual, and footage no event needs is dropped soon after.

Footage is kept from an event's start minus its rule's pre-roll to its end plus the post-roll (open events
keep everything from their pre-roll on). Footage younger than the longest pre-roll is always kept, since an
event may still start and want it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone

from analytics.models import Rule
from analytics.services import footage_windows
from devices.choices import RecordingMode
from devices.models import Camera
from recordings.models import Segment
from recordings.retention import RetentionReport, delete_segments

# Footage of the last minute is never dropped: the longest pre-roll, at most, is within it.
MAX_PRE_ROLL_SECONDS = 60


def drop_footage_without_events(now: datetime | None = None) -> RetentionReport:
    now = now or timezone.now()
    report = RetentionReport()
    for camera in Camera.objects.filter(recording_mode=RecordingMode.EVENTS):
        pre_roll = Rule.objects.filter(camera=camera, record_event=True).aggregate(m=Max("pre_roll_seconds"))["m"]
        horizon = now - timedelta(seconds=min(MAX_PRE_ROLL_SECONDS, pre_roll or 0) + 1)
        # Both copies of a masked camera's footage (masked and unmasked) follow the events alike.
        candidates = list(Segment.objects.filter(camera=camera, locked=False, end__lt=horizon)
                          .values_list("pk", "camera_id", "path", "size", "start", "end"))
        if not candidates:
            continue
        windows = footage_windows(camera.pk, min(c[4] for c in candidates), horizon, now)
        doomed = [row[:4] for row in candidates
                  if not any(start < row[5] and row[4] < end for start, end in windows)]
        delete_segments(doomed, report)
    return report
