"""Playback of recordings: which segments cover a span, the HLS playlists of the footage around the playhead, and
clips."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db.models import QuerySet

from recordings.models import Segment
from recordings.tiers import open_segment, read_segment
from video.clips import SegmentSource, clip_lead, iter_clip


class NoFootage(Exception):
    """The span holds no recorded footage of this camera."""


def segments_in_span(camera_id: int, since: datetime, until: datetime, unmasked: bool = False) -> QuerySet[Segment]:
    """The camera's footage of the span: as everyone sees it (masked), or its unmasked copy."""
    return Segment.objects.filter(camera_id=camera_id, end__gt=since, start__lt=until,
                                  unmasked=unmasked).order_by("start")


@dataclass(frozen=True)
class Window:
    """The footage of a playlist: its segments, and the start of the first segment after them in the span asked
    for (None: the span's footage ends with them)."""

    segments: list[Segment]
    next_start: datetime | None


def playback_window(camera_id: int, until: datetime, at: datetime, unmasked: bool = False) -> Window:
    """The footage up to `until` from the segment playing at `at` (or the next one) for
    settings.PLAYBACK_WINDOW_SECONDS. Windows hold the segments that start within them, so the window from one's
    next_start on follows it without a segment twice or one left out. Every query is a range of the camera's
    starts, however long the span."""
    footage = Segment.objects.filter(camera_id=camera_id, unmasked=unmasked, start__lt=until)
    first = footage.filter(start__lte=at).order_by("-start").first()
    if first is None or (first.end <= at and first.start < at):  # `at` lies between recordings: the next one
        first = footage.filter(start__gt=at).order_by("start").first()
    if first is None:
        raise NoFootage
    window_end = min(until, first.start + timedelta(seconds=settings.PLAYBACK_WINDOW_SECONDS))
    segments = list(footage.filter(start__gte=first.start, start__lt=window_end).order_by("start"))
    following = footage.filter(start__gte=window_end).order_by("start").values_list("start", flat=True).first()
    return Window(segments, following)


def hls_playlist(segments: list[Segment], media_url, init_url, playback_id: int) -> str:
    """A VOD playlist: each fMP4 segment carries its own init segment, so each gets an EXT-X-MAP."""
    if not segments:
        raise NoFootage
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{math.ceil(max(s.duration for s in segments))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    for index, segment in enumerate(segments):
        if index:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [
            f"#EXT-X-PROGRAM-DATE-TIME:{segment.start.isoformat(timespec='milliseconds')}",
            f'#EXT-X-MAP:URI="{init_url(segment, playback_id)}"',
            f"#EXTINF:{segment.duration:.3f},",
            media_url(segment, playback_id),
        ]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def read_part(segment: Segment, part: str) -> bytes:
    """The init segment (ftyp+moov) or the media part (moof+mdat...) of a recorded segment, from its tier."""
    if part == "init":
        return read_segment(segment, 0, segment.init_size)
    return read_segment(segment, segment.init_size)


def sources_of(segments: list[Segment]) -> list[SegmentSource]:
    """The segments as the clip maker reads them: each opened from its tier when reached (by then it may have
    moved to the cold tier)."""
    return [partial(open_segment, s) for s in segments]


def clip_chunks(segments: list[Segment], since: datetime, until: datetime) -> Iterator[bytes]:
    """One MP4 of [since, until) by remux of the segments, cut at keyframes."""
    if not segments:
        raise NoFootage
    # The clip's timeline is the segments back to back (gaps between them are left out), so the end is
    # counted in media time: every earlier segment's duration, plus the part of the last one wanted.
    start_offset = max(0.0, (since - segments[0].start).total_seconds())
    last = segments[-1]
    end = sum(s.duration for s in segments[:-1]) + min(last.duration, (until - last.start).total_seconds())
    return iter_clip(sources_of(segments), start_offset, end)


def clip_seconds(segments: list[Segment], since: datetime, lead: float, at: datetime) -> float | None:
    """Where the wall-clock time `at` lies in the clip of clip_chunks(segments, since, ...), which starts `lead`
    seconds before `since` (clip_lead_seconds): seconds from its first frame. None in a gap between the segments
    (left out of the clip) or outside them."""
    offset = max(0.0, (since - segments[0].start).total_seconds()) - lead
    before = 0.0
    for segment in segments:
        into = (at - segment.start).total_seconds()
        if 0 <= into < segment.duration:
            return before + into - offset
        before += segment.duration
    return None


def clip_lead_seconds(segments: list[Segment], since: datetime) -> float:
    """How much earlier than `since` the clip of clip_chunks starts: clips start on a keyframe."""
    return clip_lead(sources_of(segments), max(0.0, (since - segments[0].start).total_seconds()))


async def in_worker_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Stream a blocking iterator from ASGI without buffering it whole (Django would, for a sync one)."""
    step = sync_to_async(next, thread_sensitive=False)
    while True:
        chunk = await step(chunks, None)
        if chunk is None:
            return
        yield chunk
