"""Recorded segments of each camera, and the recorder processes that write them."""

from __future__ import annotations

from pathlib import Path

from django.db import models

from recordings.choices import Tier
from storage import Store
from storage.configured import tier_store


class RecorderProcess(models.Model):
    """A running `manage.py recorder` or `manage.py analytics`; its heartbeat tells the others it is alive."""

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, default="recorder", help_text="recorder, analytics or events")
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.name


class Segment(models.Model):
    """One fragmented-MP4 file of about ten seconds, starting on a keyframe."""

    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="segments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    duration = models.FloatField()
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=500, unique=True, help_text="Relative to the recordings root")
    init_size = models.PositiveIntegerField(help_text="Bytes of the init segment (ftyp+moov) at the start")
    locked = models.BooleanField(default=False, help_text="Locked footage is never deleted by retention")
    # A database default too: the timeline test (and any bulk load) inserts rows with SQL.
    unmasked = models.BooleanField(default=False, db_default=False,
                                   help_text="The camera's video without its privacy masks, kept apart for users "
                                   "allowed to see it (each view audited)")
    tier = models.CharField(max_length=4, choices=Tier.choices, default=Tier.HOT, db_default=Tier.HOT,
                            help_text="The store its bytes are in: hot (VMS_STORAGE_URL) or cold "
                            "(VMS_COLD_STORAGE_URL); recordings.tiers moves them")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["camera", "start"]
        indexes = [
            models.Index(fields=["tier", "start"], name="segment_tier_start"),
            models.Index(fields=["camera", "start"], name="segment_camera_start"),
            models.Index(fields=["camera", "end"], name="segment_camera_end"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.start.isoformat()}"

    @property
    def store(self) -> Store:
        """The store its bytes are in: its tier's. Every read, check and deletion of a segment's bytes goes here."""
        return tier_store(self.tier)

    @property
    def file(self) -> Path | None:
        """Where the segment is on this machine's disk, when its tier's store is a folder; None otherwise."""
        return self.store.local_path(self.path)


class TierMove(models.Model):
    """A segment on its way from the hot tier to the cold one (recordings.tiers): written before its copy, removed
    once the copy it no longer needs is gone, so that a move cut short (a killed worker) is finished next time."""

    path = models.CharField(max_length=500, unique=True, help_text="The segment's key, the same in both tiers")
    started_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.path


class StorageOutage(models.Model):
    """A tier's store that cannot be reached, since when, and why in words (the health page shows it)."""

    tier = models.CharField(max_length=4, choices=Tier.choices, unique=True)
    location = models.CharField(max_length=500, help_text="The store's folder or s3://bucket/prefix")
    since = models.DateTimeField()
    error = models.CharField(max_length=500)

    def __str__(self) -> str:
        return f"{self.tier} since {self.since.isoformat()}"


class RecordedSpan(models.Model):
    """One continuous recording of a camera as the timeline shows it: its (masked) segments merged where less than
    the timeline's gap tolerance lies between them. Kept by recordings.recorded_spans in the same transaction as the
    segment index changes, so that the timeline reads a few rows instead of merging every segment."""

    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="recorded_spans")
    start = models.DateTimeField()
    end = models.DateTimeField()
    longest_segment = models.FloatField(
        help_text="Seconds: no segment of the span lasts longer (not lowered when segments go, so an upper bound); "
        "it bounds how far back a deletion must look to find where the span splits")

    class Meta:
        ordering = ["camera", "start"]
        indexes = [
            models.Index(fields=["camera", "end"], name="recordedspan_camera_end"),
            models.Index(fields=["camera", "start"], name="recordedspan_camera_start"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.start.isoformat()} - {self.end.isoformat()}"


class SceneMetadata(models.Model):
    """What a camera's own analytics saw over a few seconds (its metadata track or MQTT), as the VMS tracked it:
    kept beside the recording, for as long as footage of that time is, so that replay and redaction can show and
    use the boxes without decoding (recordings.scene_metadata packs and reads `frames`)."""

    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="scene_metadata")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    frame_count = models.PositiveIntegerField()
    frames = models.BinaryField(help_text="zlib-compressed JSON: [[ms after started_at, [[track, class, score, x, y, "
                                "w, h], ...]], ...], boxes in fractions of the picture, y down")

    class Meta:
        ordering = ["camera", "started_at"]
        indexes = [models.Index(fields=["camera", "started_at"], name="scenemetadata_camera_started")]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.started_at.isoformat()}"


class ObjectTrack(models.Model):
    """A device's own summary of one object's track, sent when the track ended (AXIS ObjectTrack): what it was, when,
    how fast and where, for searching what passed a camera or radar without playing its footage. Parts of the path
    under a privacy mask are not kept; the device's snapshot of the object never is."""

    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="object_tracks")
    device_track = models.CharField(max_length=100, help_text="The device's id of the track")
    track = models.PositiveIntegerField(null=True, blank=True,
                                        help_text="The VMS's number of the track (events name it), when it was live")
    object_class = models.CharField(max_length=20)
    score = models.FloatField()
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    max_speed_kmh = models.FloatField(null=True, blank=True)
    path = models.JSONField(default=list, help_text="[[ms after started_at, x, y, w, h], ...]: boxes in fractions "
                            "of the picture, y down")

    class Meta:
        ordering = ["camera", "started_at"]
        indexes = [models.Index(fields=["camera", "started_at"], name="objecttrack_camera_started")]

    def __str__(self) -> str:
        return f"{self.camera_id} {self.object_class} {self.started_at.isoformat()}"
