"""Serializers of segments, timelines and span queries."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from recordings.models import Segment

MAX_SPAN = timedelta(days=62)


def parse_instant(value: str) -> datetime:
    """ISO 8601 with an offset; a '+' turned into a space by an unencoded query string is put back."""
    text = value.strip().replace(" ", "+")
    if "T" not in text and "+" in text:
        text = text.replace("+", "T", 1)
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise serializers.ValidationError(f"{value!r} is not an ISO 8601 time, e.g. 2026-11-21T10:00:00+00:00")
    if moment.tzinfo is None:
        raise serializers.ValidationError("Give the time with its offset, e.g. 2026-11-21T10:00:00+01:00 or ...Z")
    return moment


class InstantField(serializers.Field):
    def to_internal_value(self, data) -> datetime:
        return parse_instant(str(data))

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


class SpanQuerySerializer(serializers.Serializer):
    start = InstantField(help_text="ISO 8601 with offset")
    end = InstantField(help_text="ISO 8601 with offset")

    def validate(self, attrs: dict) -> dict:
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        if attrs["end"] - attrs["start"] > MAX_SPAN:
            raise serializers.ValidationError({"end": [f"A span may be at most {MAX_SPAN.days} days long."]})
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
