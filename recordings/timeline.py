"""A camera's continuous recordings within a span, read from its recorded spans, and the gaps between them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recordings.models import RecordedSpan


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


def recorded_spans(camera_id: int, since: datetime, until: datetime) -> list[Span]:
    """Continuous recordings overlapping [since, until), clipped to it."""
    rows = (RecordedSpan.objects.filter(camera_id=camera_id, end__gt=since, start__lt=until)
            .order_by("start").values_list("start", "end"))
    return [Span(max(start, since), min(end, until)) for start, end in rows]


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
