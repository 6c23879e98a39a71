"""Serializers of the export API."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from devices.choices import MaskStyle
from redaction import weak_frames
from redaction.models import Export, ExportStatus, ExportTrack
from video.redaction import REDACT
from vms.api.fields import InstantField, PicturePointsField


class AreaSerializer(serializers.Serializer):
    points = PicturePointsField(min_points=3)


class ExportRequestSerializer(serializers.Serializer):
    camera = serializers.IntegerField()
    start = InstantField()
    end = InstantField()
    redact = serializers.ListField(child=serializers.ChoiceField(list(REDACT)), required=False, default=list)
    areas = AreaSerializer(many=True, required=False, default=list)
    style = serializers.ChoiceField(MaskStyle.choices, default=MaskStyle.BLUR)
    mute_audio = serializers.BooleanField(default=False, help_text="Leave the recorded sound out of the export")
    reason = serializers.CharField(max_length=500, min_length=3)

    def validate(self, attrs: dict) -> dict:
        seconds = (attrs["end"] - attrs["start"]).total_seconds()
        if seconds <= 0:
            raise serializers.ValidationError({"end": "The end must come after the start."})
        if seconds > settings.EXPORT_MAX_SECONDS:
            raise serializers.ValidationError(
                {"end": f"An export covers at most {settings.EXPORT_MAX_SECONDS / 3600:g} hours."})
        return attrs


class MaskedRangeSerializer(serializers.Serializer):
    """A span of the export whose frames are masked whole, seconds from its start (the end frame excluded)."""

    start = serializers.FloatField(min_value=0)
    end = serializers.FloatField(min_value=0)

    def validate(self, attrs: dict) -> dict:
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "A range cannot end before it starts."})
        return attrs


class FramedBoxSerializer(serializers.Serializer):
    """A box on the frame shown `t` seconds after the export's start (before it, in the video's lead to a keyframe,
    when negative)."""

    t = serializers.FloatField()
    x = serializers.FloatField(min_value=0, max_value=1)
    y = serializers.FloatField(min_value=0, max_value=1)
    w = serializers.FloatField(min_value=0.001, max_value=1)
    h = serializers.FloatField(min_value=0.001, max_value=1)


class FollowedBoxSerializer(serializers.Serializer):
    """A box drawn by hand and the boxes the VMS followed it to, one per frame."""

    drawn = FramedBoxSerializer()
    boxes = serializers.ListField(child=FramedBoxSerializer(), min_length=1)


class ExportSerializer(serializers.ModelSerializer):
    camera_name = serializers.CharField(source="camera.name", read_only=True)
    requested_by = serializers.CharField(source="requested_by_name", read_only=True)
    approved_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    manifest_url = serializers.SerializerMethodField()
    source_locked = serializers.SerializerMethodField()
    masked_ranges = MaskedRangeSerializer(many=True, read_only=True)
    followed = FollowedBoxSerializer(many=True, read_only=True)

    class Meta:
        model = Export
        fields = ["id", "camera", "camera_name", "start", "end", "redact", "areas", "style", "mute_audio", "has_audio",
                  "reason", "status", "progress", "error", "requested_by", "approved_by", "kept_visible", "manual",
                  "masked_ranges", "followed", "created_at",
                  "finished_at", "file_size", "sha256", "download_url", "manifest_url", "source_locked"]

    def get_approved_by(self, export: Export) -> str | None:
        return export.approved_by_name or None

    def _done(self, export: Export, name: str) -> str | None:
        return reverse(name, args=[export.pk]) if export.status == ExportStatus.DONE else None

    def get_download_url(self, export: Export) -> str | None:
        return self._done(export, "export-download")

    def get_manifest_url(self, export: Export) -> str | None:
        return self._done(export, "export-manifest")

    def get_source_locked(self, export: Export) -> bool:
        return not export.released


class StripPictureSerializer(serializers.Serializer):
    frame = serializers.IntegerField()
    t = serializers.FloatField(help_text="Seconds from the export's start")
    url = serializers.CharField()


class ExportTrackSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="number")
    first = serializers.SerializerMethodField()
    last = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    strip = serializers.SerializerMethodField(help_text="Pictures across its span: a switch of person shows")
    boxes = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()
    weak = serializers.SerializerMethodField(
        help_text="[first, last] seconds where detection was weak or missing (boxes carried over)")
    uncertain = serializers.SerializerMethodField(
        help_text="[first, last] seconds where it may be someone else: masked even when the track is kept")
    group = serializers.SerializerMethodField(
        help_text='"small" for the small faces of distant people, "camera" for what the camera\'s own analytics '
        'reported (kept with the recording), or ""')

    class Meta:
        model = ExportTrack
        fields = ["id", "kind", "first", "last", "thumbnail_url", "strip", "boxes", "masked", "weak", "uncertain",
                  "group", "kept_by", "keep_reason"]

    def get_first(self, track: ExportTrack) -> str:
        return track.shown_at(track.first).isoformat()

    def get_last(self, track: ExportTrack) -> str:
        return track.shown_at(track.last).isoformat()

    def get_thumbnail_url(self, track: ExportTrack) -> str:
        return reverse("export-track-thumbnail", args=[track.export_id, track.number])

    def get_boxes(self, track: ExportTrack) -> list[dict]:
        return track.review_boxes()

    def get_masked(self, track: ExportTrack) -> bool:
        return track.number not in track.export.kept_visible

    @extend_schema_field(StripPictureSerializer(many=True))
    def get_strip(self, track: ExportTrack) -> list[dict]:
        return [{"frame": picture.frame, "t": picture.t,
                 "url": reverse("export-track-strip", args=[track.export_id, track.number, picture.frame])}
                for picture in track.strip.all()]

    @extend_schema_field(serializers.ListField(child=serializers.ListField(child=serializers.FloatField())))
    def get_weak(self, track: ExportTrack) -> list[list[float]]:
        return weak_frames.in_seconds(track.boxes, weak_frames.weak_spans(track.boxes), track.export.lead_seconds)

    @extend_schema_field(serializers.ListField(child=serializers.ListField(child=serializers.FloatField())))
    def get_uncertain(self, track: ExportTrack) -> list[list[float]]:
        return weak_frames.in_seconds(track.boxes, weak_frames.uncertain_spans(track.boxes),
                                      track.export.lead_seconds)

    def get_group(self, track: ExportTrack) -> str:
        return str(track.boxes.get("group", ""))


class ManualBoxSerializer(serializers.Serializer):
    t = serializers.FloatField(min_value=0)
    until = serializers.FloatField(min_value=0, required=False)
    x = serializers.FloatField(min_value=0, max_value=1)
    y = serializers.FloatField(min_value=0, max_value=1)
    w = serializers.FloatField(min_value=0.001, max_value=1)
    h = serializers.FloatField(min_value=0.001, max_value=1)

    def validate(self, attrs: dict) -> dict:
        attrs.setdefault("until", attrs["t"])
        if attrs["until"] < attrs["t"]:
            raise serializers.ValidationError({"until": "A box cannot end before it starts."})
        return attrs


class RenderRequestSerializer(serializers.Serializer):
    mask_only = serializers.ListField(child=serializers.IntegerField(), required=False)
    keep_visible = serializers.ListField(child=serializers.IntegerField(), required=False)
    reasons = serializers.DictField(
        child=serializers.CharField(max_length=500), required=False, default=dict,
        help_text="Why each kept track stays visible, by track id: required for every track kept")
    manual = ManualBoxSerializer(many=True, required=False, default=list)
    masked_ranges = MaskedRangeSerializer(many=True, required=False, default=list)
    followed = FollowedBoxSerializer(many=True, required=False, default=list)

    def validate_reasons(self, reasons: dict) -> dict[int, str]:
        try:
            return {int(number): reason for number, reason in reasons.items()}
        except ValueError as exc:
            raise serializers.ValidationError("Reasons are keyed by track id.") from exc

    def validate(self, attrs: dict) -> dict:
        if ("mask_only" in attrs) == ("keep_visible" in attrs):
            raise serializers.ValidationError("Give either mask_only (the tracks to mask) or keep_visible "
                                              "(the persons of interest to leave unmasked), not both.")
        return attrs


class SigningKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    public_key_pem = serializers.CharField()
    fingerprint = serializers.CharField()
