"""Serializers of the analytics API: zones, rules, events, alarms, counts and webhook deliveries."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from accounts.access import cameras_visible_to
from analytics.choices import OBJECT_CLASSES, RADAR_CLASSES, RADAR_CONDITIONS, ZONE_KIND_OF, Condition, ZoneKind
from analytics.footage import MAX_PRE_ROLL_SECONDS
from analytics.models import Alarm, Event, Rule, WebhookDelivery, Zone
from devices.choices import DeviceKind
from devices.models import Announcement, Camera
from vms import outbound
from vms.api.fields import (
    InstantField,
    PicturePointsField,
    ScheduleWindowSerializer,
    UniqueNamePerCamera,
    check_schedule,
)

MAX_POST_ROLL_SECONDS = 600
MAX_EVENT_ITEMS = 16


class ZoneSerializer(UniqueNamePerCamera, serializers.ModelSerializer):
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)
    points = PicturePointsField(min_points=2, help_text="[[x, y], ...]: 3 or more for an area, 2 (A, B) for a line")

    class Meta:
        model = Zone
        fields = ["id", "camera", "name", "kind", "points", "color"]
        read_only_fields = ["camera"]

    def validate(self, attrs: dict) -> dict:
        kind = attrs.get("kind", getattr(self.instance, "kind", None))
        points = attrs.get("points", getattr(self.instance, "points", None))
        if kind == ZoneKind.LINE and len(points) != 2:
            raise serializers.ValidationError({"points": "A line has exactly two points, A and B."})
        if kind == ZoneKind.AREA and len(points) < 3:
            raise serializers.ValidationError({"points": "An area needs at least three points."})
        if self.instance is not None and "kind" in attrs and attrs["kind"] != self.instance.kind \
                and self.instance.rules.exists():
            raise serializers.ValidationError({"kind": "Rules use this zone: it cannot change between area and line."})
        return attrs


class VisibleDevices(serializers.PrimaryKeyRelatedField):
    """Devices of the given kinds that the user at the request may access: others are as if they did not exist."""

    def __init__(self, kinds: list[str], **kwargs) -> None:
        super().__init__(queryset=Camera.objects.filter(kind__in=kinds), **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(pk__in=cameras_visible_to(self.context["request"].user).values("pk"))


class RuleSerializer(UniqueNamePerCamera, serializers.ModelSerializer):
    object_classes = serializers.ListField(child=serializers.ChoiceField(sorted({*OBJECT_CLASSES, *RADAR_CLASSES})),
                                           required=False, help_text="A camera's classes, or a radar's (person, "
                                           "vehicle, unknown); empty: any")
    speed_kmh = serializers.FloatField(min_value=0, max_value=500, required=False)
    heading_deg = serializers.FloatField(min_value=0, max_value=360, required=False)
    tolerance_deg = serializers.FloatField(min_value=0, max_value=180, required=False)
    record_cameras = VisibleDevices(
        many=True, required=False, kinds=[DeviceKind.CAMERA],
        help_text="Other cameras whose footage of each event is kept (those that see a radar's zone)")
    relay_device = VisibleDevices(
        required=False, allow_null=True, kinds=[DeviceKind.CAMERA, DeviceKind.IO_MODULE],
        help_text="The camera or I/O module whose relay output the rule switches; null: the rule's own camera")
    schedule = ScheduleWindowSerializer(many=True, required=False)
    webhook_secret = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)
    has_webhook_secret = serializers.SerializerMethodField()
    dwell_seconds = serializers.FloatField(min_value=0, max_value=86400, required=False)
    min_duration_seconds = serializers.FloatField(min_value=0, max_value=86400, required=False)
    pre_roll_seconds = serializers.FloatField(min_value=0, max_value=MAX_PRE_ROLL_SECONDS, required=False)
    post_roll_seconds = serializers.FloatField(min_value=0, max_value=MAX_POST_ROLL_SECONDS, required=False)
    relay_seconds = serializers.FloatField(min_value=0.5, max_value=3600, required=False)
    ptz_camera = VisibleDevices(
        required=False, allow_null=True, kinds=[DeviceKind.CAMERA],
        help_text="A PTZ camera the rule sends to a preset (gatekeeper); null: none")
    ptz_preset = serializers.CharField(max_length=100, required=False, allow_blank=True)
    ptz_hold_seconds = serializers.FloatField(min_value=1, max_value=3600, required=False)
    announcement = serializers.PrimaryKeyRelatedField(
        queryset=Announcement.objects.all(), required=False, allow_null=True,
        help_text="The announcement the rule plays on a camera's speaker; null: none")
    announcement_camera = VisibleDevices(
        required=False, allow_null=True, kinds=[DeviceKind.CAMERA],
        help_text="The camera whose speaker plays the announcement; null: the rule's own camera")
    event_items = serializers.DictField(child=serializers.CharField(max_length=500, allow_blank=True),
                                        required=False, help_text=Rule._meta.get_field("event_items").help_text)

    class Meta:
        model = Rule
        fields = ["id", "camera", "name", "enabled", "condition", "zone", "object_classes", "dwell_seconds",
                  "direction", "count_threshold", "event_kind", "event_topic", "event_items",
                  "speed_kmh", "heading_deg", "tolerance_deg",
                  "min_duration_seconds", "schedule", "severity", "raise_alarm",
                  "record_event", "record_cameras", "record_seeing_cameras", "pre_roll_seconds", "post_roll_seconds",
                  "relay_output", "relay_device", "relay_seconds", "ptz_camera", "ptz_preset", "ptz_hold_seconds",
                  "ptz_follow", "announcement", "announcement_camera", "webhook_url", "webhook_secret",
                  "has_webhook_secret"]
        read_only_fields = ["camera"]

    def get_has_webhook_secret(self, rule: Rule) -> bool:
        return bool(rule.webhook_secret_encrypted)

    def validate_webhook_url(self, url: str) -> str:
        if not url:
            return url
        try:
            outbound.http_destination(url, "webhook", settings.OUTBOUND_ALLOW)
        except ValueError:
            raise serializers.ValidationError("A webhook URL starts with http:// or https://.") from None
        except outbound.DestinationDenied as exc:
            raise serializers.ValidationError(str(exc)) from None
        except OSError:
            pass  # A name that does not resolve now may later; each delivery checks it again before sending.
        return url

    def validate(self, attrs: dict) -> dict:
        def current(name):
            return attrs.get(name, getattr(self.instance, name, None))

        condition, zone = current("condition"), current("zone")
        wanted = ZONE_KIND_OF.get(condition)
        if wanted is None:
            attrs["zone"] = None
        elif zone is None:
            kind = "line" if wanted == ZoneKind.LINE else "area"
            raise serializers.ValidationError({"zone": f"Choose the {kind} this rule watches."})
        elif zone.camera_id != self.context["camera"].pk:
            raise serializers.ValidationError({"zone": "This zone belongs to another camera."})
        elif zone.kind != wanted:
            needed = "a line" if wanted == ZoneKind.LINE else "an area"
            raise serializers.ValidationError({"zone": f"{Condition(condition).label} needs {needed}."})
        self._check_device(self.context["camera"], condition, current("object_classes") or [])
        if condition == Condition.CAMERA_EVENT and not (current("event_kind") or current("event_topic")):
            raise serializers.ValidationError({"event_kind": "Choose the kind or the topic of the camera's events "
                                                             "this rule watches."})
        self._check_relay(self.context["camera"], current("relay_output"), current("relay_device"))
        self._check_gatekeeper(self.context["camera"], current("ptz_camera"), current("ptz_preset"),
                               current("ptz_follow"))
        self._check_announcement(self.context["camera"], current("announcement"), current("announcement_camera"))
        items = attrs.get("event_items", {})
        if len(items) > MAX_EVENT_ITEMS or any(len(name) > 200 for name in items):
            raise serializers.ValidationError({"event_items": f"At most {MAX_EVENT_ITEMS} items, names of at most "
                                                              "200 characters."})
        check_schedule(attrs.get("schedule", []))
        return attrs

    @staticmethod
    def _check_device(device: Camera, condition: str, classes: list[str]) -> None:
        """A radar's rules watch its areas for objects, their speed or heading, of a radar's classes; a camera's do
        not watch speed or heading (it measures neither)."""
        if device.is_radar:
            if condition not in RADAR_CONDITIONS:
                names = ", ".join(str(Condition(c).label).lower() for c in RADAR_CONDITIONS)
                raise serializers.ValidationError({"condition": f"A radar's rules are: {names}."})
            wrong = sorted(set(classes) - set(RADAR_CLASSES))
        else:
            if condition in (Condition.SPEED, Condition.HEADING):
                raise serializers.ValidationError({"condition": "Speed and heading rules are a radar's."})
            wrong = sorted(set(classes) - set(OBJECT_CLASSES))
        if wrong:
            raise serializers.ValidationError({"object_classes": f"Not a class this device tells: {', '.join(wrong)}."})

    @staticmethod
    def _check_relay(camera: Camera, token: str, device: Camera | None) -> None:
        """A relay output is switched over ONVIF: its device (the rule's camera unless another is named) needs an
        ONVIF host; naming a device without naming its output says nothing."""
        if device is not None and not token:
            raise serializers.ValidationError({"relay_output": f"Choose which of {device.name}'s relay outputs to "
                                                               "switch."})
        device = device or camera
        if token and not device.onvif_host:
            raise serializers.ValidationError({"relay_output": f"{device.name}'s relay outputs are switched over "
                                                               "ONVIF: give its ONVIF host first."})

    @staticmethod
    def _check_gatekeeper(device: Camera, camera: Camera | None, preset: str, follow: bool) -> None:
        """A PTZ camera goes to one of its presets, or follows a radar's object from where it stands on the radar's
        site plan (its home view pointing the way it is placed)."""
        if follow and not device.is_radar:
            raise serializers.ValidationError({"ptz_follow": "Only a radar knows where its object is on the site "
                                                             "plan: send the PTZ camera to a preset instead."})
        if camera is None and (preset or follow):
            raise serializers.ValidationError({"ptz_camera": "Choose the PTZ camera to send."})
        if camera is None:
            return
        if not camera.has_ptz:
            raise serializers.ValidationError({"ptz_camera": f"{camera.name} has no PTZ, as far as the VMS knows: "
                                                             "check it for PTZ first."})
        if follow:
            if camera.site_plan_id != device.site_plan_id or camera.plan_placement is None:
                raise serializers.ValidationError({"ptz_camera": f"Place {camera.name} on {device.name}'s site plan "
                                                                 "(where it stands, and the way its home view points): "
                                                                 "it is aimed at the object from there."})
            return
        if not preset:
            raise serializers.ValidationError({"ptz_preset": f"Choose which of {camera.name}'s presets to send it "
                                                             "to."})

    @staticmethod
    def _check_announcement(camera: Camera, announcement: Announcement | None, speaker: Camera | None) -> None:
        if announcement is None and speaker is not None:
            raise serializers.ValidationError({"announcement": f"Choose what {speaker.name}'s speaker plays."})
        if announcement is None:
            return
        speaker = speaker or camera
        if not speaker.has_speaker:
            raise serializers.ValidationError({"announcement_camera": f"{speaker.name} has no speaker, as far as the "
                                                                      "VMS knows: probe it again if it has one now."})

    def _set_secret(self, rule: Rule, validated_data: dict) -> None:
        if "webhook_secret" in validated_data:
            rule.webhook_secret = validated_data.pop("webhook_secret")

    def create(self, validated_data: dict) -> Rule:
        rule = Rule(camera=self.context["camera"])
        self._set_secret(rule, validated_data)
        record_cameras = validated_data.pop("record_cameras", [])
        for name, value in validated_data.items():
            setattr(rule, name, value)
        rule.save()
        rule.record_cameras.set(record_cameras)
        return rule

    def update(self, rule: Rule, validated_data: dict) -> Rule:
        self._set_secret(rule, validated_data)
        return super().update(rule, validated_data)


class EventSerializer(serializers.ModelSerializer):
    camera_name = serializers.CharField(source="camera.name", read_only=True)
    snapshot_url = serializers.SerializerMethodField()
    alarm = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["id", "camera", "camera_name", "rule", "rule_name", "condition", "started_at", "ended_at",
                  "object_class", "track_id", "device_event", "snapshot_url", "boxes", "alarm"]

    def get_snapshot_url(self, event: Event) -> str | None:
        return reverse("event-snapshot", args=[event.pk]) if event.has_snapshot else None

    def get_alarm(self, event: Event) -> int | None:
        return event.alarm_id


class AlarmSerializer(serializers.ModelSerializer):
    camera_name = serializers.CharField(source="camera.name", read_only=True)
    rule_name = serializers.CharField(source="event.rule_name", read_only=True)
    object_class = serializers.CharField(source="event.object_class", read_only=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by_name", read_only=True, allow_null=True)

    class Meta:
        model = Alarm
        fields = ["id", "camera", "camera_name", "event", "rule_name", "severity", "object_class", "raised_at",
                  "acknowledged_at", "acknowledged_by", "comment"]

    def to_representation(self, alarm: Alarm) -> dict:
        data = super().to_representation(alarm)
        data["acknowledged_by"] = data["acknowledged_by"] or None
        return data


class AcknowledgeSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CountQuerySerializer(serializers.Serializer):
    camera = serializers.IntegerField()
    zone = serializers.IntegerField(required=False)
    bucket = serializers.ChoiceField(["15min", "hour", "day"], default="hour")
    start = InstantField(help_text="Counts from this time on")
    end = InstantField(required=False, help_text="Counts before this time; now when left out")


class CountSerializer(serializers.Serializer):
    zone = serializers.IntegerField()
    zone_name = serializers.CharField()
    direction = serializers.CharField()
    object_class = serializers.CharField()
    bucket_start = serializers.DateTimeField()
    count = serializers.IntegerField()


class CountsSerializer(serializers.Serializer):
    bucket = serializers.CharField()
    results = CountSerializer(many=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "rule", "event", "url", "status", "attempts", "response_code", "error", "created_at",
                  "delivered_at"]
