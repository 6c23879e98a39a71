"""Domain operations on the segment index that keep the cameras' recorded spans with it."""

from __future__ import annotations

from django.db import transaction

from recordings import recorded_spans
from recordings.models import Segment


def index_segments(segments: list[Segment]) -> list[Segment]:
    """Add finished segments to the index and their masked footage to the timeline's spans, in one transaction."""
    with transaction.atomic():
        recorded_spans.lock_cameras(s.camera_id for s in segments)
        created = Segment.objects.bulk_create(segments)
        by_camera: dict[int, list] = {}
        for segment in created:
            if not segment.unmasked:
                by_camera.setdefault(segment.camera_id, []).append((segment.start, segment.end))
        for camera_id, spans in by_camera.items():
            recorded_spans.segments_added(camera_id, spans)
    return created
