"""Zones and rules an admin sets per camera, and what the analytics found: events, alarms, counts, webhooks."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from analytics.choices import Condition, DeliveryStatus, Direction, Severity, ZoneKind
from devices.choices import DeviceEventKind
from devices.credentials import decrypt_password, encrypt_password


class Zone(models.Model):
    """An area (3 or more corners) or a line (A, B) drawn over the camera's picture; points 0-1, y down."""

    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=10, choices=ZoneKind.choices)
    points = models.JSONField(help_text="[[x, y], ...]: 3 or more for an area, 2 (A, B) for a line")
    color = models.CharField(max_length=9, default="#22c55e")

    class Meta:
        ordering = ["camera", "name"]
        constraints = [models.UniqueConstraint(fields=["camera", "name"], name="zone_unique_name")]

    def __str__(self) -> str:
        return self.name


class Rule(models.Model):
    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=120)
    enabled = models.BooleanField(default=True)
    condition = models.CharField(max_length=20, choices=Condition.choices)
    zone = models.ForeignKey(Zone, null=True, blank=True, on_delete=models.CASCADE, related_name="rules")
    object_classes = models.JSONField(default=list, blank=True, help_text="Empty: any class")
    dwell_seconds = models.FloatField(default=10)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.ANY)
    count_threshold = models.PositiveIntegerField(default=1)
    # A rule on the camera's own events ("camera_event"): their kind, topic (and its subtopics) and items.
    event_kind = models.CharField(max_length=20, choices=DeviceEventKind.choices, blank=True,
                                  help_text="Empty: any kind")
    event_topic = models.CharField(max_length=500, blank=True,
                                   help_text="An ONVIF topic, e.g. tns1:RuleEngine/LineDetector; empty: any topic")
    event_items = models.JSONField(default=dict, blank=True,
                                   help_text='{name: value} the event\'s source or data must hold, e.g. '
                                             '{"InputToken": "1"}; empty: any')
    # A radar's rules: faster than this (speed), or moving this way within the tolerance (heading; compass degrees
    # on the site plan, clockwise from its up).
    speed_kmh = models.FloatField(default=30)
    heading_deg = models.FloatField(default=0)
    tolerance_deg = models.FloatField(default=45)
    min_duration_seconds = models.FloatField(default=0)
    schedule = models.JSONField(
        default=list, blank=True,
        help_text='[{"days": [0-6, 0 Monday], "start": "HH:MM", "end": "HH:MM"}]; empty: always')
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    raise_alarm = models.BooleanField(default=True)
    record_event = models.BooleanField(default=False)
    record_cameras = models.ManyToManyField("devices.Camera", blank=True, related_name="recorded_by_rules",
                                            help_text="Other cameras whose footage of the event is kept, as for the "
                                                      "rule's own (a radar's rule: the cameras that see its zone)")
    record_seeing_cameras = models.BooleanField(
        default=False, help_text="Also keep the footage of the cameras whose view, as placed on the site plan, covers "
                                 "the rule's zone (a radar's rule)")
    pre_roll_seconds = models.FloatField(default=5)
    post_roll_seconds = models.FloatField(default=10)
    webhook_url = models.URLField(max_length=1000, blank=True)
    # Switch a relay output (a siren, a light, a door) on for a while when the rule fires: one of the camera's own,
    # or of another device (an I/O module, another camera). A device whose outputs rules switch cannot be deleted.
    relay_output = models.CharField(max_length=100, blank=True,
                                    help_text="The ONVIF token of the relay output to switch; empty: none")
    relay_device = models.ForeignKey("devices.Camera", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="relays_switched_by_rules",
                                     help_text="The device whose relay output is switched; empty: the rule's camera")
    relay_seconds = models.FloatField(default=5, help_text="How long the relay output stays on")
    # Gatekeeper: send a PTZ camera to one of its presets and hold it there (operators cannot steer it away) while the
    # rule keeps firing, then home after ptz_hold_seconds without a new event; its footage of the event is kept.
    ptz_camera = models.ForeignKey("devices.Camera", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="gatekeeper_rules", help_text="The PTZ camera to send; empty: none")
    ptz_preset = models.CharField(max_length=100, blank=True, help_text="The preset's token, as the camera lists it")
    ptz_hold_seconds = models.FloatField(default=30, help_text="Seconds without a new event before it goes home")
    ptz_follow = models.BooleanField(default=False, help_text="A radar's rule: the PTZ camera points at the object "
                                                              "and follows it, instead of going to a preset")
    # Play a recorded announcement on a camera's speaker (its ONVIF audio back channel) when the rule fires.
    announcement = models.ForeignKey("devices.Announcement", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="rules", help_text="What to play; empty: none")
    announcement_camera = models.ForeignKey("devices.Camera", null=True, blank=True, on_delete=models.PROTECT,
                                            related_name="announcing_rules",
                                            help_text="The camera whose speaker plays it; empty: the rule's camera")
    webhook_secret_encrypted = models.TextField(blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["camera", "name"]
        constraints = [models.UniqueConstraint(fields=["camera", "name"], name="rule_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def webhook_secret(self) -> str:
        return decrypt_password(self.webhook_secret_encrypted)

    @webhook_secret.setter
    def webhook_secret(self, value: str) -> None:
        self.webhook_secret_encrypted = encrypt_password(value)


class Event(models.Model):
    """A rule fired: from when to when, on which object, with the object's path (its boxes) kept."""

    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="events")
    rule = models.ForeignKey(Rule, null=True, on_delete=models.SET_NULL, related_name="events")
    rule_name = models.CharField(max_length=120, help_text="Kept when the rule is deleted")
    condition = models.CharField(max_length=20, choices=Condition.choices)
    device_event = models.ForeignKey("devices.DeviceEvent", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+", help_text="The camera's own event that started it")
    caused_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="caused",
                                  help_text="The event of another device (a radar) whose rule made this camera's")
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    object_class = models.CharField(max_length=20, blank=True)
    track_id = models.PositiveIntegerField(null=True, blank=True)
    boxes = models.JSONField(default=list, blank=True, help_text='[{"t": ISO time, "x", "y", "w", "h"}]')
    snapshot = models.BinaryField(null=True, blank=True, help_text="JPEG of the object at its best detection")
    # Footage of cameras that record on events only is kept from started_at - pre-roll to ended_at + post-roll.
    keep_footage = models.BooleanField(default=False)
    pre_roll_seconds = models.FloatField(default=0)
    post_roll_seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["camera", "started_at"], name="event_camera_started")]

    def __str__(self) -> str:
        return f"{self.rule_name} {self.started_at.isoformat()}"


class Alarm(models.Model):
    """An event operators must see: it rings until someone acknowledges it."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="alarm")
    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="alarms")
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    raised_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True, db_index=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    acknowledged_by_name = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted")
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-severity", "-raised_at"]
        permissions = [("acknowledge_alarm", "Can acknowledge alarms")]

    def __str__(self) -> str:
        return f"alarm {self.pk} ({self.event})"


class Count(models.Model):
    """How many objects of a class crossed a line (per direction) or entered an area in one minute."""

    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="counts")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="counts")
    direction = models.CharField(max_length=10, help_text="a_to_b or b_to_a for lines, in for areas")
    object_class = models.CharField(max_length=20)
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "direction", "object_class", "minute"],
                                               name="count_unique_bucket")]
        indexes = [models.Index(fields=["camera", "minute"], name="count_camera_minute")]


class WebhookDelivery(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    url = models.URLField(max_length=1000)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
