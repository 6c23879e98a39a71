"""Choices of the analytics models, as classes of constants."""

from django.db import models


class ZoneKind(models.TextChoices):
    AREA = "area", "Area"
    LINE = "line", "Line"


class Condition(models.TextChoices):
    ENTER = "enter", "Object enters the zone"
    DWELL = "dwell", "Object stays in the zone (loitering)"
    CROSS = "cross", "Object crosses the line"
    COUNT = "count", "Too many objects in the zone"
    MOTION = "motion", "Motion in the zone"
    OFFLINE = "offline", "Camera offline"
    TAMPER = "tamper", "Camera tampered (blocked, blacked out or moved)"
    CAMERA_EVENT = "camera_event", "The camera reports an event (its own motion, tamper, input or analytics)"
    SPEED = "speed", "Object in the zone faster than a speed (radar)"
    HEADING = "heading", "Object in the zone moving a given way (radar)"


# Conditions about a zone, and the kind of zone each one needs.
ZONE_KIND_OF = {
    Condition.ENTER: ZoneKind.AREA, Condition.DWELL: ZoneKind.AREA, Condition.COUNT: ZoneKind.AREA,
    Condition.MOTION: ZoneKind.AREA, Condition.CROSS: ZoneKind.LINE,
    Condition.SPEED: ZoneKind.AREA, Condition.HEADING: ZoneKind.AREA,
}


class Direction(models.TextChoices):
    ANY = "any", "Either way"
    A_TO_B = "a_to_b", "From the left of A→B to its right"
    B_TO_A = "b_to_a", "From the right of A→B to its left"


class Severity(models.IntegerChoices):
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


OBJECT_CLASSES = ("person", "bicycle", "car", "motorcycle", "bus", "truck")
# What a radar tells apart (video.radar's labels).
RADAR_CLASSES = ("person", "vehicle", "unknown")
# The conditions a radar's rules may have, on areas drawn on its site plan.
RADAR_CONDITIONS = (Condition.ENTER, Condition.SPEED, Condition.HEADING)
