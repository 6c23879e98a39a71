"""Exports: ask for one (its source footage is locked), find what to redact, let the investigator choose,
render, sign the manifest, release the footage. The API and the Celery tasks call these."""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction
from recordings.models import Segment
from recordings.playback import clip_chunks, clip_lead_seconds, segments_in_span
from redaction import signing
from redaction.models import Export, ExportStatus, ExportTrack
from video.geometry import Box
from video.redaction import ManualBox, RedactionTrack, find_tracks, render
from vms import realtime

log = logging.getLogger(__name__)
SOFTWARE = {"name": "vms", "version": "0.1.0"}


class NoFootage(Exception):
    pass


class WrongState(Exception):
    pass


def request_export(camera, start: datetime, end: datetime, *, redact: list[str], areas: list[dict], style: str,
                   reason: str, user, request=None) -> Export:
    """Record the request, lock its source footage against retention and queue the first job."""
    with transaction.atomic():
        # Locked rows first: retention deleting some of them meanwhile waits, or has already taken them out.
        segments = list(segments_in_span(camera.pk, start, end).select_for_update())
        if not segments:
            raise NoFootage(
                f"No footage of {camera.name} was recorded between {start.isoformat()} and {end.isoformat()}.")
        export = Export.objects.create(
            camera=camera, start=start, end=end, redact=sorted(set(redact)), areas=areas, style=style, reason=reason,
            requested_by=user, requested_by_name=user.get_username(),
            status=ExportStatus.DETECTING if redact else ExportStatus.RENDERING,
            lead_seconds=clip_lead_seconds(segments, start),
        )
        export.source_segments.set(segments)
        Segment.objects.filter(pk__in=[s.pk for s in segments]).update(locked=True)
        audit.record(AuditAction.EXPORT_REQUESTED, request=request, user=user, camera=camera, export=export.pk,
                     start=start.isoformat(), end=end.isoformat(), redact=export.redact, reason=reason)
        if redact:
            transaction.on_commit(lambda: _enqueue("detect", export.pk))
        else:
            export.approved_by, export.approved_by_name = user, user.get_username()
            export.save(update_fields=["approved_by", "approved_by_name"])
            transaction.on_commit(lambda: _enqueue("render", export.pk))
    return export


def _enqueue(job: str, export_id: int) -> None:
    from redaction import tasks

    {"detect": tasks.detect, "render": tasks.render}[job].delay(export_id)


def _report(export: Export, **fields) -> None:
    """Save the job's progress and tell the investigator's pages."""
    for name, value in fields.items():
        setattr(export, name, value)
    Export.objects.filter(pk=export.pk).update(**fields)
    if export.requested_by_id:
        realtime.publish(realtime.user_group(export.requested_by_id), "job.progress", {
            "export": export.pk, "status": export.status, "progress": round(export.progress, 3),
            "error": export.error})


def _progress(export: Export, low: float, high: float):
    """A progress callback that reports at most every 2 % between `low` and `high`."""
    last = [-1.0]

    def report(fraction: float) -> None:
        value = low + (high - low) * fraction
        if value - last[0] >= 0.02 or fraction >= 1:
            last[0] = value
            _report(export, progress=value)

    return report


def _source_clip(export: Export, directory: Path) -> Path:
    """The span as one MP4 (remuxed from the locked segments, gaps left out) for the redaction engine."""
    segments = list(export.source_segments.order_by("start"))
    path = directory / "source.mp4"
    with open(path, "wb") as file:
        for chunk in clip_chunks(segments, export.start, export.end):
            file.write(chunk)
    return path


def detect(export: Export) -> None:
    """Find the faces, people or moving objects of the span, as tracks for the investigator to review."""
    with tempfile.TemporaryDirectory() as directory:
        source = _source_clip(export, Path(directory))
        tracks = find_tracks(source, set(export.redact), on_progress=_progress(export, 0.0, 1.0))
    with transaction.atomic():
        export.tracks.all().delete()
        ExportTrack.objects.bulk_create([
            ExportTrack(export=export, number=track.id, kind=track.kind, first=track.first, last=track.last,
                        boxes=track.to_json(), thumbnail=track.thumbnail) for track in tracks])
        _report(export, status=ExportStatus.REVIEW, progress=1.0)
    log.info("export %s: %d tracks to review", export.pk, len(tracks))


def choose(export: Export, *, mask_only: list[int] | None, keep_visible: list[int] | None, manual: list[dict],
           user, request=None) -> Export:
    """The investigator's review: which tracks stay visible (persons of interest), boxes added by hand."""
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export.pk)
        if export.status != ExportStatus.REVIEW:
            raise WrongState(f"This export is {export.get_status_display().lower()}, not waiting for review.")
        numbers = set(export.tracks.values_list("number", flat=True))
        if mask_only is not None:
            keep_visible = sorted(numbers - set(mask_only))
        export.kept_visible = sorted(set(keep_visible or []) & numbers)
        export.manual = manual
        export.approved_by, export.approved_by_name = user, user.get_username()
        export.save()
        _report(export, status=ExportStatus.RENDERING, progress=0.0)
        audit.record(AuditAction.EXPORT_APPROVED, request=request, user=user, camera=export.camera,
                     export=export.pk, kept_visible=export.kept_visible, manual_boxes=len(manual))
        transaction.on_commit(lambda: _enqueue("render", export.pk))
    return export


def render_export(export: Export) -> None:
    """Render the chosen redaction into an MP4 and sign its manifest."""
    tracks = [RedactionTrack.from_json(t.boxes) for t in export.tracks.exclude(number__in=export.kept_visible)]
    # Hand-drawn boxes are timed from the span's start; the video starts lead_seconds earlier (a keyframe).
    lead = export.lead_seconds
    manual = [ManualBox(box["t"] + lead, box.get("until", box["t"]) + lead, Box(box["x"], box["y"], box["w"], box["h"]))
              for box in export.manual]
    areas = [[tuple(point) for point in area["points"]] for area in export.areas]
    settings.EXPORTS_ROOT.mkdir(parents=True, exist_ok=True)
    name = f"export-{export.pk}.mp4"
    with tempfile.TemporaryDirectory() as directory:
        source = _source_clip(export, Path(directory))
        # Rendered under another name and renamed when whole: a crash never leaves a half file under the real one.
        partial = settings.EXPORTS_ROOT / f"{name}.part"
        result = render(source, partial, tracks=tracks, manual=manual, areas=areas, style=export.style,
                        on_progress=_progress(export, 0.0, 0.99))
        partial.replace(settings.EXPORTS_ROOT / name)
    export.file, export.file_size, export.sha256 = name, result.size, result.sha256
    export.manifest = signing.sign(manifest_of(export, [t.id for t in tracks]))
    export.save(update_fields=["file", "file_size", "sha256", "manifest"])
    _report(export, status=ExportStatus.DONE, progress=1.0, finished_at=timezone.now())
    log.info("export %s: rendered %s (%d bytes)", export.pk, name, result.size)


def manifest_of(export: Export, masked: list[int]) -> dict:
    return {
        "version": 1,
        "export": export.pk,
        "camera": {"id": export.camera_id, "name": export.camera.name},
        "span": {"start": export.start.isoformat(), "end": export.end.isoformat()},
        "source_segments": [
            {"start": s.start.isoformat(), "end": s.end.isoformat(), "sha256": s.sha256, "size": s.size}
            for s in export.source_segments.order_by("start")],
        "redaction": {"redact": export.redact, "style": export.style, "areas": export.areas,
                      "tracks_masked": sorted(masked), "tracks_kept": export.kept_visible, "manual": export.manual},
        "reason": export.reason,
        "requested_by": export.requested_by_name,
        "approved_by": export.approved_by_name,
        "created_at": export.created_at.isoformat(),
        "signed_at": timezone.now().isoformat(),
        "software": SOFTWARE,
        "output": {"file": export.file, "sha256": export.sha256, "size": export.file_size,
                   "starts_at": (export.start - timedelta(seconds=export.lead_seconds)).isoformat()},
    }


def fail(export_id: int, message: str) -> None:
    export = Export.objects.filter(pk=export_id).first()
    if export is not None:
        _report(export, status=ExportStatus.FAILED, error=message[:500], finished_at=timezone.now())


def release(export: Export, user, request=None) -> None:
    """Unlock the export's source footage, except segments another unreleased export still needs."""
    with transaction.atomic():
        Export.objects.filter(pk=export.pk).update(released=True)
        still_needed = Export.objects.filter(released=False, source_segments=OuterRef("pk"))
        Segment.objects.filter(pk__in=export.source_segments.values("pk")).exclude(Exists(still_needed)).update(
            locked=False)
        audit.record(AuditAction.EXPORT_RELEASED, request=request, user=user, camera=export.camera,
                     export=export.pk)
    export.released = True
