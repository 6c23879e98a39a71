"""Serializers of segments, timelines and span queries."""

from __future__ import annotations

from datetime import timedelta

from rest_framework import serializers

from analytics.choices import OBJECT_CLASSES, RADAR_CLASSES
from recordings.models import ObjectTrack, Segment
from video.scene_metadata import UNKNOWN
from vms.api.fields import InstantField

MAX_SPAN = timedelta(days=62)


class SpanQuerySerializer(serializers.Serializer):
    start = InstantField(help_text="ISO 8601 with its offset")
    end = InstantField(help_text="ISO 8601 with its offset; the span is [start, end)")

    def validate(self, attrs: dict) -> dict:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        if attrs["end"] - attrs["start"] > MAX_SPAN:
            raise serializers.ValidationError({"end": [f"A span may be at most {MAX_SPAN.days} days long."]})
        return attrs


class PlaylistQuerySerializer(SpanQuerySerializer):
    at = InstantField(required=False, help_text="ISO 8601 with its offset: the playlist holds the footage from the "
                      "segment playing then (default: the span's start) for an hour (VMS_PLAYBACK_WINDOW_SECONDS)")
    playback = serializers.IntegerField(required=False, min_value=1,
                                        help_text="The playback this playlist continues (its audit entry, as in the "
                                        "first playlist's Playback-Id header): not audited again")

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        attrs.setdefault("at", attrs["start"])
        if not attrs["start"] <= attrs["at"] < attrs["end"]:
            raise serializers.ValidationError({"at": ["The moment must lie within the span."]})
        return attrs


class SegmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "camera", "start", "end", "duration", "size", "sha256", "locked"]


class SpanSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class TimelineSerializer(serializers.Serializer):
    camera = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    recorded = SpanSerializer(many=True)
    gaps = SpanSerializer(many=True)
    recorded_seconds = serializers.FloatField()


class SceneObjectSerializer(serializers.Serializer):
    track = serializers.IntegerField(help_text="The VMS's track number, the same as on the live overlay")
    label = serializers.CharField(help_text="Object class: person, car, ... or unknown")
    score = serializers.FloatField()
    x = serializers.FloatField(source="box.x", help_text="Left edge, fraction of the picture width")
    y = serializers.FloatField(source="box.y", help_text="Top edge, fraction of the picture height")
    w = serializers.FloatField(source="box.w")
    h = serializers.FloatField(source="box.h")


class SceneFrameSerializer(serializers.Serializer):
    at = serializers.DateTimeField(help_text="The recorded video frame the objects were seen in")
    objects = SceneObjectSerializer(many=True)


class SceneMetadataSerializer(serializers.Serializer):
    camera = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    frames = SceneFrameSerializer(many=True)


class ObjectTrackQuerySerializer(SpanQuerySerializer):
    object_class = serializers.ChoiceField(choices=sorted({*OBJECT_CLASSES, *RADAR_CLASSES, UNKNOWN}), required=False,
                                           help_text="Only tracks of this class")


class PathPointSerializer(serializers.Serializer):
    ms = serializers.IntegerField(help_text="Milliseconds after the track's start")
    x = serializers.FloatField(help_text="Left edge, fraction of the picture width")
    y = serializers.FloatField(help_text="Top edge, fraction of the picture height")
    w = serializers.FloatField()
    h = serializers.FloatField()

    def to_representation(self, instance):
        return dict(zip(("ms", "x", "y", "w", "h"), instance, strict=True))


class ObjectTrackSerializer(serializers.ModelSerializer):
    path = PathPointSerializer(many=True, help_text="Where it went on the picture; empty when the device told no "
                                                    "boxes (a radar) or only under privacy masks")

    class Meta:
        model = ObjectTrack
        fields = ["id", "track", "device_track", "object_class", "score", "started_at", "ended_at", "max_speed_kmh",
                  "path"]


class ObjectTracksSerializer(serializers.Serializer):
    camera = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    tracks = ObjectTrackSerializer(many=True)
    truncated = serializers.BooleanField(help_text="More tracks than one answer holds: ask for a shorter span")
