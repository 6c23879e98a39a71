"""Fields shared by the apps' serializers and filters: points drawn over a camera's picture, names unique per
camera, and the API's one reading of a point in time (ISO 8601 with its offset)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

MAX_OFFSET = timedelta(hours=16)
INSTANT_EXAMPLE = "2026-11-21T10:00:00+01:00 or 2026-11-21T09:00:00Z"

NUMBER_WORDS = {2: "two", 3: "three"}


POINT_SCHEMA = {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}, "minItems": 2, "maxItems": 2,
                "description": "[x, y], fractions of the picture (0-1, y down)"}


@extend_schema_field({"type": "array", "items": POINT_SCHEMA})
class PicturePointsField(serializers.JSONField):
    """[[x, y], ...] as fractions of the camera's picture (0-1, y down), at least `min_points` of them."""

    def __init__(self, *, min_points: int, **kwargs) -> None:
        self.min_points = min_points
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> list[list[float]]:
        points = super().to_internal_value(data)
        if not isinstance(points, list):
            raise serializers.ValidationError("A list of [x, y] points.")
        if len(points) < self.min_points:
            count = NUMBER_WORDS.get(self.min_points, str(self.min_points))
            raise serializers.ValidationError(f"A shape needs at least {count} points.")
        clean = []
        for point in points:
            if not (isinstance(point, list | tuple) and len(point) == 2
                    and all(isinstance(v, int | float) and not isinstance(v, bool) for v in point)):
                raise serializers.ValidationError("Each point is [x, y].")
            if not all(0 <= v <= 1 for v in point):
                raise serializers.ValidationError("Points are fractions of the picture, from 0 to 1.")
            clean.append([float(point[0]), float(point[1])])
        return clean


class UniqueNamePerCamera:
    """For serializers of things a camera has several of (zones, rules, masks): one name once per camera."""

    def validate_name(self, name: str) -> str:
        model = self.Meta.model
        clash = model.objects.filter(camera=self.context["camera"], name=name)
        if clash.exclude(pk=getattr(self.instance, "pk", None)).exists():
            raise serializers.ValidationError(f"This camera already has a {model._meta.verbose_name} with this name.")
        return name


def parse_instant(value: str) -> datetime:
    """A point in time as the API takes it: ISO 8601 with an offset. A time without one is refused rather than
    guessed in the server's zone. A '+' that an unencoded query string turned into a space is put back."""
    text = value.strip().replace(" ", "+")
    if "T" not in text and "+" in text:
        text = text.replace("+", "T", 1)
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise serializers.ValidationError(f"{value!r} is not an ISO 8601 time, e.g. {INSTANT_EXAMPLE}.")
    if moment.tzinfo is None:
        raise serializers.ValidationError(f"Give the time with its offset, e.g. {INSTANT_EXAMPLE}.")
    # PostgreSQL takes offsets up to 15:59 either way, and 0001-01-01T00:00+01:00 falls before the first instant
    # Python holds in UTC: either was a 500 in the query.
    if abs(moment.utcoffset()) >= MAX_OFFSET:
        raise serializers.ValidationError(f"{value!r} has an offset beyond 15:59 either way.")
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise serializers.ValidationError(f"{value!r} is out of range: years 1 to 9999 in UTC.") from None
    return moment


class InstantField(serializers.DateTimeField):
    """A point in time in a request body or query: ISO 8601 with its offset (see parse_instant)."""

    def to_internal_value(self, value) -> datetime:
        return parse_instant(str(value))


class InstantFormField(forms.Field):
    def to_python(self, value) -> datetime | None:
        if value in self.empty_values:
            return None
        try:
            return parse_instant(str(value))
        except serializers.ValidationError as exc:
            raise forms.ValidationError(exc.detail[0]) from None


class InstantFilter(django_filters.IsoDateTimeFilter):
    """A filter on a point in time, read like every other time the API takes (see parse_instant)."""

    field_class = InstantFormField


class ScheduleWindowSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), min_length=1)
    start = serializers.TimeField(format="%H:%M")
    end = serializers.TimeField(format="%H:%M")

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return {"days": sorted(set(value["days"])), "start": value["start"].strftime("%H:%M"),
                "end": value["end"].strftime("%H:%M")}

    def to_representation(self, value):
        return {"days": value["days"], "start": value["start"], "end": value["end"]}


def check_schedule(windows: list[dict]) -> None:
    """A schedule (a rule's, a PTZ tour's) as video.rules.Schedule reads it: no window of no length."""
    for window in windows:
        if time.fromisoformat(window["start"]) == time.fromisoformat(window["end"]):
            raise serializers.ValidationError({"schedule": "A window must not start and end at the same time."})
