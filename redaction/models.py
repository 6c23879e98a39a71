"""Exports of recorded footage, redacted or not: the job's state, the tracks found for review, the result."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models

from devices.choices import MaskStyle


class ExportStatus(models.TextChoices):
    DETECTING = "detecting", "Finding what to redact"
    REVIEW = "review", "Waiting for the investigator's review"
    APPROVAL = "approval", "Waiting for approval by someone other than the requester"
    RENDERING = "rendering", "Rendering the redacted video"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"


class Export(models.Model):
    camera = models.ForeignKey("devices.Camera", on_delete=models.PROTECT, related_name="exports")
    start = models.DateTimeField()
    end = models.DateTimeField()
    redact = models.JSONField(default=list, blank=True, help_text='Any of "faces", "people", "motion", "text" '
                              '(licence plates and other visible text)')
    areas = models.JSONField(default=list, blank=True, help_text='Fixed areas: [{"points": [[x, y], ...]}]')
    style = models.CharField(max_length=10, choices=MaskStyle.choices, default=MaskStyle.BLUR)
    mute_audio = models.BooleanField(default=False, help_text="Leave the recorded sound out of the export")
    has_audio = models.BooleanField(default=False, help_text="The rendered export has sound")
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.DETECTING)
    progress = models.FloatField(default=0)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="exports_requested")
    requested_by_name = models.CharField(max_length=150)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="exports_approved")
    approved_by_name = models.CharField(max_length=150, blank=True)
    kept_visible = models.JSONField(default=list, blank=True, help_text="Track ids left unmasked (persons of interest)")
    manual = models.JSONField(default=list, blank=True, help_text='Boxes added by hand: [{"t", "until", "x", ...}]')
    masked_ranges = models.JSONField(default=list, blank=True,
                                     help_text='Spans whose frames are masked whole: [{"start", "end"}], seconds '
                                               "from `start`")
    followed = models.JSONField(default=list, blank=True,
                                help_text='Boxes drawn by hand and followed by the VMS: [{"drawn": {"t", "x", ...}, '
                                          '"boxes": [{"t", "x", "y", "w", "h"}, ...]}], seconds from `start`')
    source_segments = models.ManyToManyField("recordings.Segment", related_name="exports")
    released = models.BooleanField(default=False, help_text="Its source footage is no longer locked for it")
    lead_seconds = models.FloatField(default=0, help_text="The video starts this much before `start`, on a keyframe")
    file = models.CharField(max_length=500, blank=True, help_text="Relative to the exports folder")
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    manifest = models.JSONField(null=True, blank=True, help_text="The signed manifest")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True, help_text="The worker that claimed the current job")
    heartbeat = models.DateTimeField(null=True, blank=True,
                                     help_text="When the current job was queued, or its worker last said it runs")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Claims of the current job")

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("work_on_all_exports", "Can see and work on exports other users asked for (case lead)")]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.camera_id}"


class ExportTrack(models.Model):
    """A face, person or moving object found in the span, for the investigator to mask or keep visible."""

    export = models.ForeignKey(Export, on_delete=models.CASCADE, related_name="tracks")
    number = models.PositiveIntegerField(help_text="The track's id within the export")
    kind = models.CharField(max_length=10)
    first = models.FloatField(help_text="Seconds from the export's start")
    last = models.FloatField()
    boxes = models.JSONField(help_text="The redaction engine's track (video.redaction.RedactionTrack.to_json)")
    thumbnail = models.BinaryField()
    kept_by = models.CharField(max_length=150, blank=True, help_text="Who chose to leave it visible")
    keep_reason = models.CharField(max_length=500, blank=True, help_text="Why they left it visible")

    class Meta:
        ordering = ["export", "number"]
        constraints = [models.UniqueConstraint(fields=["export", "number"], name="export_track_unique_number")]

    def review_boxes(self) -> list[dict]:
        """Its box on each frame, timed in seconds from the export's start, to draw over the source video."""
        lead = self.export.lead_seconds
        return [{"t": round(box["t"] - lead, 4), **{key: box[key] for key in ("x", "y", "w", "h")}}
                for box in self.boxes["boxes"]]

    def shown_at(self, seconds: float):
        """The wall-clock time of a moment of the track (seconds into the export's video)."""
        return self.export.start + timedelta(seconds=seconds - self.export.lead_seconds)


class ExportTrackPicture(models.Model):
    """One picture of a strip across a track's span, so that a track that switches people shows it in review."""

    track = models.ForeignKey(ExportTrack, on_delete=models.CASCADE, related_name="strip")
    frame = models.PositiveIntegerField(help_text="The frame's index in the export's video")
    t = models.FloatField(help_text="Seconds from the export's start")
    picture = models.BinaryField()

    class Meta:
        ordering = ["track", "frame"]
        constraints = [models.UniqueConstraint(fields=["track", "frame"], name="export_track_picture_unique_frame")]
