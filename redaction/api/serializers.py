"""Serializers of the export API."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from devices.choices import MaskStyle
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
    reason = serializers.CharField(max_length=500, min_length=3)

    def validate(self, attrs: dict) -> dict:
        seconds = (attrs["end"] - attrs["start"]).total_seconds()
        if seconds <= 0:
            raise serializers.ValidationError({"end": "The end must come after the start."})
        if seconds > settings.EXPORT_MAX_SECONDS:
            raise serializers.ValidationError(
                {"end": f"An export covers at most {settings.EXPORT_MAX_SECONDS / 3600:g} hours."})
        return attrs


class ExportSerializer(serializers.ModelSerializer):
    camera_name = serializers.CharField(source="camera.name", read_only=True)
    requested_by = serializers.CharField(source="requested_by_name", read_only=True)
    approved_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    manifest_url = serializers.SerializerMethodField()
    source_locked = serializers.SerializerMethodField()

    class Meta:
        model = Export
        fields = ["id", "camera", "camera_name", "start", "end", "redact", "areas", "style", "reason", "status",
                  "progress", "error", "requested_by", "approved_by", "kept_visible", "manual", "created_at",
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


class ExportTrackSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="number")
    first = serializers.SerializerMethodField()
    last = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    boxes = serializers.SerializerMethodField()
    masked = serializers.SerializerMethodField()

    class Meta:
        model = ExportTrack
        fields = ["id", "kind", "first", "last", "thumbnail_url", "boxes", "masked"]

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
    manual = ManualBoxSerializer(many=True, required=False, default=list)

    def validate(self, attrs: dict) -> dict:
        if ("mask_only" in attrs) == ("keep_visible" in attrs):
            raise serializers.ValidationError("Give either mask_only (the tracks to mask) or keep_visible "
                                              "(the persons of interest to leave unmasked), not both.")
        return attrs


class SigningKeySerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    public_key_pem = serializers.CharField()
    fingerprint = serializers.CharField()
