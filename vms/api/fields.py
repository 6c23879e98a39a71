"""Serializer pieces shared by the apps: points drawn over a camera's picture, names unique per camera."""

from __future__ import annotations

from rest_framework import serializers

NUMBER_WORDS = {2: "two", 3: "three"}


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
