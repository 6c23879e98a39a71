"""Recorded spans of a camera merged into continuous recordings, and the gaps between them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection

from recordings.models import Segment

# Gaps and islands in one pass on PostgreSQL: a segment starts a new recording when it begins more than
# the allowed gap after every earlier segment has ended; a running sum of those starts numbers the recordings.
MERGED_SPANS_SQL = """
WITH marked AS (
    SELECT start, "end",
           CASE WHEN start > MAX("end") OVER earlier + make_interval(secs => %(gap)s) THEN 1 ELSE 0 END
               AS starts_recording
    FROM recordings_segment
    WHERE camera_id = %(camera)s AND "end" > %(since)s AND start < %(until)s AND NOT unmasked
    WINDOW earlier AS (ORDER BY start ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), numbered AS (
    SELECT start, "end", SUM(starts_recording) OVER (ORDER BY start ROWS UNBOUNDED PRECEDING) AS recording
    FROM marked
)
SELECT MIN(start), MAX("end") FROM numbered GROUP BY recording ORDER BY 1
"""


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def _merge_in_python(rows, gap: timedelta) -> list[Span]:
    spans: list[Span] = []
    for start, end in rows:
        if spans and start <= spans[-1].end + gap:
            if end > spans[-1].end:
                spans[-1] = Span(spans[-1].start, end)
        else:
            spans.append(Span(start, end))
    return spans


def recorded_spans(camera_id: int, since: datetime, until: datetime) -> list[Span]:
    """Continuous recordings overlapping [since, until), clipped to it."""
    gap = timedelta(seconds=settings.TIMELINE_GAP_SECONDS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(MERGED_SPANS_SQL, {"gap": gap.total_seconds(), "camera": camera_id,
                                              "since": since, "until": until})
            spans = [Span(start, end) for start, end in cursor.fetchall()]
    else:
        rows = (Segment.objects.filter(camera_id=camera_id, end__gt=since, start__lt=until, unmasked=False)
                .order_by("start").values_list("start", "end"))
        spans = _merge_in_python(rows.iterator(), gap)
    return [Span(max(s.start, since), min(s.end, until)) for s in spans]


def gaps_between(spans: list[Span], since: datetime, until: datetime) -> list[Span]:
    """The parts of [since, until) that no span covers."""
    gaps, cursor = [], since
    for span in spans:
        if span.start > cursor:
            gaps.append(Span(cursor, span.start))
        cursor = max(cursor, span.end)
    if cursor < until:
        gaps.append(Span(cursor, until))
    return gaps
