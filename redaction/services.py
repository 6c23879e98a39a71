"""Exports: ask for one (its source footage is locked), find what to redact, let the investigator choose,
render, sign the manifest, release the footage. The API and the Celery tasks call these."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts import audit
from accounts.access import cameras_visible_to
from accounts.models import AuditAction
from recordings.models import Segment
from recordings.playback import clip_chunks, clip_lead_seconds, clip_seconds, segments_in_span
from recordings.scene_metadata import frames_between
from recordings.tiers import segment_exists
from redaction import signing, weak_frames
from redaction.models import Export, ExportStatus, ExportTrack, ExportTrackPicture
from redaction.progress import publish_progress
from storage.configured import exports_store
from video.box_follow import follow_box
from video.geometry import Box
from video.redaction import CameraSighting, ManualBox, RedactionTrack, find_tracks, render
from video.track_strip import crop_strips, strip_frames

log = logging.getLogger(__name__)
SOFTWARE = {"name": "vms", "version": "0.1.0"}


class NoFootage(Exception):
    pass


class WrongState(Exception):
    pass


class NotAllowed(Exception):
    """The user sees the export but may not take this step (e.g. approve their own under four eyes)."""


class MissingReason(Exception):
    """A track is kept visible without a reason: the manifest must say why each person of interest is unmasked."""


class ClaimLost(Exception):
    """Another worker took the job over (this one was silent too long): this one's result is dropped."""


def exports_visible_to(user):
    """Exports of cameras the user sees: their own, or everyone's for a case lead."""
    exports = Export.objects.filter(camera__in=cameras_visible_to(user)).select_related("camera")
    if user.has_perm("redaction.work_on_all_exports"):
        return exports
    return exports.filter(requested_by=user)


def _approve(export: Export, user) -> None:
    export.approved_by, export.approved_by_name = user, user.get_username()


def _needs_another_approver(export: Export, user) -> bool:
    return settings.EXPORT_APPROVAL == "other" and export.requested_by_id == user.pk


def request_export(camera, start: datetime, end: datetime, *, redact: list[str], areas: list[dict], style: str,
                   reason: str, user, request=None, mute_audio: bool = False) -> Export:
    """Record the request, lock its source footage against retention and queue the first job. With `mute_audio`
    the export leaves the recorded sound out."""
    with transaction.atomic():
        # Locked rows first: retention deleting some of them meanwhile waits, or has already taken them out.
        segments = list(segments_in_span(camera.pk, start, end).select_for_update())
        if not segments:
            raise NoFootage(
                f"No footage of {camera.name} was recorded between {start.isoformat()} and {end.isoformat()}.")
        missing = sum(not segment_exists(segment) for segment in segments)
        if missing:
            raise NoFootage(f"{missing} of the {len(segments)} recordings of this span are missing from where the "
                            "recordings are kept; ask an administrator to check the recordings store.")
        export = Export.objects.create(
            camera=camera, start=start, end=end, redact=sorted(set(redact)), areas=areas, style=style, reason=reason,
            mute_audio=mute_audio,
            requested_by=user, requested_by_name=user.get_username(),
            status=ExportStatus.DETECTING, lead_seconds=clip_lead_seconds(segments, start),
        )
        export.source_segments.set(segments)
        Segment.objects.filter(pk__in=[s.pk for s in segments]).update(locked=True)
        audit.record(AuditAction.EXPORT_REQUESTED, request=request, user=user, camera=camera, export=export.pk,
                     start=start.isoformat(), end=end.isoformat(), redact=export.redact, reason=reason,
                     mute_audio=mute_audio)
        if redact:
            _queue(export, ExportStatus.DETECTING)
        elif _needs_another_approver(export, user):
            _report(export, status=ExportStatus.APPROVAL)
        else:
            _approve(export, user)
            export.save(update_fields=["approved_by", "approved_by_name"])
            _queue(export, ExportStatus.RENDERING)
    return export


JOBS = {ExportStatus.DETECTING: "redaction.tasks.detect", ExportStatus.RENDERING: "redaction.tasks.render"}


def _queue(export: Export, status: str) -> None:
    """Move the export to a job's status, unclaimed, and send the job to a worker once this commits."""
    _report(export, status=status, progress=0.0, worker="", heartbeat=timezone.now(), attempts=0)
    transaction.on_commit(lambda: _send(status, export.pk))


def _send(status: str, export_id: int) -> None:
    from vms.celery import app

    app.send_task(JOBS[status], args=[export_id])


def claim(export_id: int, status: str, worker: str) -> Export | None:
    """Take the export's current job for `worker`: only if it is in `status` and nobody holds it, or its holder
    has been silent too long (died). A job delivered twice, or already done, is claimed by nobody (None)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.EXPORT_STALE_SECONDS)
    taken = (Export.objects.filter(pk=export_id, status=status)
             .filter(Q(worker="") | Q(heartbeat__lt=stale) | Q(heartbeat=None))
             .update(worker=worker, heartbeat=now, attempts=F("attempts") + 1))
    if taken != 1:
        return None
    export = Export.objects.select_related("camera").get(pk=export_id)
    if export.attempts > settings.EXPORT_MAX_ATTEMPTS:
        fail(export_id, f"The job was interrupted {export.attempts - 1} times (its worker stopped); "
                        "ask for the export again.")
        return None
    return export


def still_claimed(export: Export) -> bool:
    """Say the job still runs; False when another worker has taken it over."""
    return Export.objects.filter(pk=export.pk, worker=export.worker).update(heartbeat=timezone.now()) == 1


def resume_stalled() -> int:
    """Send again the jobs nobody runs: queued or claimed, and silent past the stale limit (a lost message,
    a worker killed mid-job). The claim makes a job sent twice run once."""
    stale = timezone.now() - timedelta(seconds=settings.EXPORT_STALE_SECONDS)
    stalled = list(Export.objects.filter(status__in=list(JOBS), heartbeat__lt=stale).values_list("pk", "status"))
    for export_id, status in stalled:
        log.warning("export %s: its %s job went silent; sending it again", export_id, status)
        # Unclaimed, so the job sent again can be claimed; a worker still alive after all loses its claim.
        Export.objects.filter(pk=export_id, heartbeat__lt=stale).update(worker="", heartbeat=timezone.now())
        _send(status, export_id)
    return len(stalled)


def _report(export: Export, *, claimed: bool = False, **fields) -> None:
    """Save the job's progress and tell the investigator's pages. With `claimed`, only while this worker still
    holds the job (ClaimLost otherwise)."""
    rows = Export.objects.filter(pk=export.pk)
    if claimed:
        rows = rows.filter(worker=export.worker)
        fields["heartbeat"] = timezone.now()
    for name, value in fields.items():
        setattr(export, name, value)
    if rows.update(**fields) == 0 and claimed:
        raise ClaimLost(f"export {export.pk}: another worker took the job over")
    # Told once committed: a page that reloads the export on a new status must find it (and its tracks) saved.
    told = Export(pk=export.pk, requested_by_id=export.requested_by_id, status=export.status,
                  progress=export.progress, error=export.error)
    transaction.on_commit(lambda: publish_progress(told))


def _progress(export: Export, low: float, high: float):
    """A progress callback that reports at most every 2 % between `low` and `high`."""
    last = [-1.0]

    def report(fraction: float) -> None:
        value = low + (high - low) * fraction
        if value - last[0] >= 0.02 or fraction >= 1:
            last[0] = value
            _report(export, claimed=True, progress=value)

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
    """Find the faces, people or moving objects of the span, as tracks for the investigator to review: those this
    server finds, and those the camera's own analytics reported (kept with the recording)."""
    with tempfile.TemporaryDirectory() as directory:
        source = _source_clip(export, Path(directory))
        tracks = find_tracks(source, set(export.redact), on_progress=_progress(export, 0.0, 0.95),
                             camera_sightings=_camera_sightings(export))
        strips = crop_strips(source, {track.id: {i: track.boxes[i] for i in strip_frames(list(track.boxes))}
                                      for track in tracks})
    # The camera's tracks come without a picture of their own: the middle one of their strip shows them.
    tracks = [track if track.thumbnail or not strips[track.id] else
              replace(track, thumbnail=list(strips[track.id].values())[len(strips[track.id]) // 2])
              for track in tracks]
    with transaction.atomic():
        _report(export, claimed=True, status=ExportStatus.REVIEW, progress=1.0, worker="")
        export.tracks.all().delete()
        rows = ExportTrack.objects.bulk_create([
            ExportTrack(export=export, number=track.id, kind=track.kind, first=track.first, last=track.last,
                        boxes=track.to_json(), thumbnail=track.thumbnail) for track in tracks])
        _save_strips(export, rows, tracks, strips)
    log.info("export %s: %d tracks to review", export.pk, len(tracks))


def _camera_sightings(export: Export) -> list[CameraSighting]:
    """The objects the camera's own analytics reported over the export's video, placed in its source clip. Only
    people and moving objects: a camera's box is a whole object, not a face or a line of text."""
    if not {"people", "motion"} & set(export.redact):
        return []
    segments = list(export.source_segments.order_by("start"))
    video_start = export.start - timedelta(seconds=export.lead_seconds)
    sightings = []
    for frame in frames_between(export.camera_id, video_start, export.end):
        t = clip_seconds(segments, export.start, export.lead_seconds, frame.at)
        if t is not None:
            sightings += [CameraSighting(t, seen.track, seen.label, seen.score, seen.box) for seen in frame.objects]
    return sightings


def _save_strips(export: Export, rows: list[ExportTrack], tracks: list[RedactionTrack],
                 strips: dict[int, dict[int, bytes]]) -> None:
    """Each track's strip of pictures across its span, timed like its review boxes (from the export's start)."""
    lead = export.lead_seconds
    ExportTrackPicture.objects.bulk_create([
        ExportTrackPicture(track=row, frame=frame, t=round(track.times.get(frame, 0.0) - lead, 4), picture=picture)
        for row, track in zip(rows, tracks, strict=True) for frame, picture in strips[track.id].items()])


def choose(export: Export, *, mask_only: list[int] | None, keep_visible: list[int] | None, manual: list[dict],
           user, request=None, reasons: dict[int, str] | None = None, masked_ranges: list[dict] | None = None,
           followed: list[dict] | None = None) -> Export:
    """The review: which tracks stay visible (persons of interest) and why, boxes added by hand, spans masked whole,
    boxes followed by the VMS. It approves the export for rendering too, unless four eyes are required and the
    reviewer asked for it: then someone else approves. MissingReason when a kept track has no reason."""
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export.pk)
        if export.status != ExportStatus.REVIEW:
            raise WrongState(f"This export is {export.get_status_display().lower()}, not waiting for review.")
        numbers = set(export.tracks.values_list("number", flat=True))
        if mask_only is not None:
            keep_visible = sorted(numbers - set(mask_only))
        export.kept_visible = sorted(set(keep_visible or []) & numbers)
        export.manual = manual
        export.masked_ranges = masked_ranges or []
        export.followed = followed or []
        reasons = reasons or {}
        _keep_with_reasons(export, reasons, user)
        audit.record(AuditAction.EXPORT_REVIEWED, request=request, user=user, camera=export.camera,
                     export=export.pk, kept_visible=export.kept_visible, manual_boxes=len(manual),
                     masked_ranges=export.masked_ranges, followed_boxes=len(export.followed),
                     reasons={str(number): reasons[number] for number in export.kept_visible})
        if _needs_another_approver(export, user):
            export.save()
            _report(export, status=ExportStatus.APPROVAL)
        else:
            _approve(export, user)
            export.save()
            _approved(export, user, request)
    return export


def _keep_with_reasons(export: Export, reasons: dict[int, str], user) -> None:
    """Record on each track who kept it visible and why; the other tracks are masked and keep no reason."""
    missing = [number for number in export.kept_visible if not reasons.get(number, "").strip()]
    if missing:
        raise MissingReason("Say why each person of interest stays visible: no reason for track "
                            f"{', '.join(map(str, missing))}.")
    export.tracks.update(kept_by="", keep_reason="")
    for number in export.kept_visible:
        export.tracks.filter(number=number).update(kept_by=user.get_username(), keep_reason=reasons[number].strip())


def follow(export: Export, drawn: dict) -> dict:
    """A box drawn by hand on the frame at `drawn["t"]` (seconds from the export's start), followed forward and
    back through the span's source video until the match is lost: {"drawn", "boxes": [{"t", "x", ...}]}.
    ValueError when the video has no frame near that time."""
    if export.status != ExportStatus.REVIEW:
        raise WrongState(f"This export is {export.get_status_display().lower()}, not waiting for review.")
    lead = export.lead_seconds
    with tempfile.TemporaryDirectory() as directory:
        source = _source_clip(export, Path(directory))
        boxes = follow_box(source, drawn["t"] + lead, Box(drawn["x"], drawn["y"], drawn["w"], drawn["h"]))
    return {"drawn": drawn, "boxes": [{"t": round(each.t - lead, 4), "x": round(each.box.x, 6),
                                        "y": round(each.box.y, 6), "w": round(each.box.w, 6),
                                        "h": round(each.box.h, 6)} for each in boxes]}


def _review_boxes(export: Export) -> list[ManualBox]:
    """What the review masks besides tracks and hand-drawn boxes, timed in the video (lead_seconds earlier): spans
    masked whole, and followed boxes on their own frames."""
    lead = export.lead_seconds
    whole = [ManualBox(span["start"] + lead, span["end"] + lead, Box(0.0, 0.0, 1.0, 1.0))
             for span in export.masked_ranges]
    return whole + [_manual_box(box, lead) for each in export.followed for box in each["boxes"]]


def _manual_box(box: dict, lead: float) -> ManualBox:
    """A box of the review ({"t", "until" (optional), "x", "y", "w", "h"}, timed from the span's start) as the
    renderer takes it, timed in the video, which starts `lead` seconds earlier (on a keyframe)."""
    return ManualBox(box["t"] + lead, box.get("until", box["t"]) + lead, Box(box["x"], box["y"], box["w"], box["h"]))


def approve(export: Export, user, request=None) -> Export:
    """Someone other than the requester approves an export waiting for it (four eyes), and it renders."""
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export.pk)
        if export.status != ExportStatus.APPROVAL:
            raise WrongState(f"This export is {export.get_status_display().lower()}, not waiting for approval.")
        if _needs_another_approver(export, user):
            raise NotAllowed("Someone other than the requester must approve this export.")
        _approve(export, user)
        export.save(update_fields=["approved_by", "approved_by_name"])
        _approved(export, user, request)
    return export


def _approved(export: Export, user, request) -> None:
    audit.record(AuditAction.EXPORT_APPROVED, request=request, user=user, camera=export.camera, export=export.pk,
                 requested_by=export.requested_by_name, approval=settings.EXPORT_APPROVAL)
    _queue(export, ExportStatus.RENDERING)


def render_export(export: Export) -> None:
    """Render the chosen redaction into an MP4 and sign its manifest."""
    tracks = [RedactionTrack.from_json(t.boxes) for t in export.tracks.exclude(number__in=export.kept_visible)]
    kept = [RedactionTrack.from_json(t.boxes) for t in export.tracks.filter(number__in=export.kept_visible)]
    manual = [_manual_box(box, export.lead_seconds) for box in export.manual] + _review_boxes(export)
    areas = [[tuple(point) for point in area["points"]] for area in export.areas]
    settings.EXPORTS_ROOT.mkdir(parents=True, exist_ok=True)
    name = f"export-{export.pk}.mp4"
    # Rendered on this disk under a name of this worker's, and put into the store when whole while it still holds
    # the job (its row locked by the claimed update): a crash never leaves a half file under the real name, and a
    # worker that lost the job never overwrites the winner's.
    partial = settings.EXPORTS_ROOT / f"{name}.{hashlib.sha256(export.worker.encode()).hexdigest()[:12]}.part"
    try:
        with tempfile.TemporaryDirectory() as directory:
            source = _source_clip(export, Path(directory))
            result = render(source, partial, tracks=tracks, kept=kept, manual=manual, areas=areas,
                            style=export.style, on_progress=_progress(export, 0.0, 0.99),
                            sound=not export.mute_audio)
        export.file, export.file_size, export.sha256 = name, result.size, result.sha256
        export.has_audio = result.sound
        export.manifest = signing.sign(manifest_of(export, [t.id for t in tracks]))
        with transaction.atomic():
            _report(export, claimed=True, status=ExportStatus.DONE, progress=1.0, finished_at=timezone.now(),
                    worker="", file=name, file_size=result.size, sha256=result.sha256, manifest=export.manifest,
                    has_audio=result.sound)
            exports_store().put(name, partial, result.sha256)
    finally:
        partial.unlink(missing_ok=True)
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
                      "tracks_masked": sorted(masked), "tracks_kept": export.kept_visible, "manual": export.manual,
                      "kept": _kept_in_manifest(export), "masked_ranges": export.masked_ranges,
                      "followed": export.followed},
        # Sound is personal data: whether the export has the recorded sound, and whether it was muted on request.
        "audio": {"included": export.has_audio, "muted": export.mute_audio},
        "reason": export.reason,
        "requested_by": export.requested_by_name,
        "approved_by": export.approved_by_name,
        "approval": settings.EXPORT_APPROVAL,
        "created_at": export.created_at.isoformat(),
        "signed_at": timezone.now().isoformat(),
        "software": SOFTWARE,
        "output": {"file": export.file, "sha256": export.sha256, "size": export.file_size,
                   "starts_at": (export.start - timedelta(seconds=export.lead_seconds)).isoformat()},
    }


def _kept_in_manifest(export: Export) -> list[dict]:
    """Each track left visible: what and when (seconds from the span's start), who kept it and why, and the spans
    where it may have been someone else, which were masked all the same."""
    lead = export.lead_seconds
    return [{"track": track.number, "kind": track.kind, "first": round(track.first - lead, 4),
             "last": round(track.last - lead, 4), "kept_by": track.kept_by, "reason": track.keep_reason,
             "masked_where_unsure": weak_frames.in_seconds(track.boxes, weak_frames.uncertain_spans(track.boxes), lead)}
            for track in export.tracks.filter(number__in=export.kept_visible).defer("thumbnail")]


def fail(export_id: int, message: str, *, worker: str | None = None) -> None:
    """The export failed; with `worker`, only if that worker still holds its job."""
    export = Export.objects.filter(pk=export_id).first()
    if export is None:
        return
    if worker is not None:
        export.worker = worker
    try:
        _report(export, claimed=worker is not None, status=ExportStatus.FAILED, error=message[:500],
                finished_at=timezone.now(), worker="")
    except ClaimLost:
        log.warning("export %s: not marked failed, another worker runs it now", export_id)


def release(export: Export, user, request=None) -> Export:
    """Unlock the export's source footage, except segments another unreleased export still needs. Only a finished
    or failed export lets go: one still in the works needs its footage."""
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export.pk)
        if export.status not in (ExportStatus.DONE, ExportStatus.FAILED):
            raise WrongState(f"This export is {export.get_status_display().lower()}: its footage is released "
                             "only once it is done or failed.")
        Export.objects.filter(pk=export.pk).update(released=True)
        still_needed = Export.objects.filter(released=False, source_segments=OuterRef("pk"))
        Segment.objects.filter(pk__in=export.source_segments.values("pk")).exclude(Exists(still_needed)).update(
            locked=False)
        audit.record(AuditAction.EXPORT_RELEASED, request=request, user=user, camera=export.camera,
                     export=export.pk)
    export.released = True
    return export
