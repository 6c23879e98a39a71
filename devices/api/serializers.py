"""Camera serializers: the password is write-only and the live status read-only."""

from __future__ import annotations

import base64
import re

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from devices import onvif, ptz_masks, ptz_presets, site_plans
from devices.choices import (
    AnalysisSource,
    CameraStatus,
    DeviceKind,
    MetadataTransport,
    PtzCapability,
    RecordingMode,
    RelayLogicalState,
)
from devices.metadata_feed import check_broker_url
from devices.models import Announcement, Camera, DeviceEvent, PrivacyMask, PtzTour, PtzTourRun, SitePlan
from devices.stream_urls import validate_stream_url
from video.announcements import MAX_BYTES, RATE, AnnouncementError, decode_announcement
from video.ptz_view import View
from video.source import split_credentials
from vms.api.errors import CameraUnavailable
from vms.api.fields import PicturePointsField, ScheduleWindowSerializer, UniqueNamePerCamera, check_schedule

# A host name (letters, digits, dots, hyphens), an IPv4 address or an IPv6 address in brackets or bare.
_HOST = re.compile(r"[A-Za-z0-9.-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?")


class CameraStatusSerializer(serializers.Serializer):
    """A camera's live status: `live_status` of a camera in REST and of a `camera.status` socket message."""

    state = serializers.ChoiceField(CameraStatus.choices, source="live_state",
                                    help_text="recorder_lost: the recorder that holds the camera stopped answering, "
                                              "and the camera is not recorded until another takes it over")
    codec = serializers.CharField()
    audio = serializers.CharField(source="audio_codec", help_text='The sound as it is recorded, e.g. "AAC" or '
                                  '"G.711 mu-law (as AAC)"; empty when none is (last_error says why, if it was asked)')
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    fps = serializers.FloatField(allow_null=True)
    bitrate = serializers.IntegerField(allow_null=True, help_text="bits per second")
    last_frame_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(source="live_error")
    analytics_error = serializers.CharField(help_text="Why the camera's analytics do not run; empty when they do")
    storage_error = serializers.CharField(help_text="Why recorded segments wait on the recorder's disk (the store or "
                                          "the database cannot take them); empty when all are stored")
    changed_at = serializers.DateTimeField(source="live_changed_at", allow_null=True)
    recorder = serializers.CharField(source="recorder.name", default=None, allow_null=True)
    standby = serializers.CharField(source="standby.name", default=None, allow_null=True,
                                    help_text="The recorder standing by to take the camera over from its memory "
                                              "(VMS_RECORDER_HOT_STANDBY); null when none does")


def status_message(camera: Camera) -> dict:
    """The data of a `camera.status` socket message: the camera's id and its live_status as REST shows it."""
    return {"camera": camera.pk, "live_status": dict(CameraStatusSerializer(camera).data)}


class RelayStateSerializer(serializers.Serializer):
    """The last switch of one of a camera's relay outputs, by a rule or by hand."""

    active = serializers.BooleanField(allow_null=True, help_text="On or off; null when nobody knows (a switch the "
                                      "camera refused before any worked)")
    changed_at = serializers.DateTimeField()
    error = serializers.CharField(allow_blank=True, help_text="Why the last switch failed; empty when it worked")


class CameraSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, required=False, allow_blank=True, trim_whitespace=False,
                                     style={"input_type": "password"})
    has_password = serializers.SerializerMethodField()
    metadata_password = serializers.CharField(write_only=True, required=False, allow_blank=True,
                                              trim_whitespace=False, style={"input_type": "password"})
    has_metadata_password = serializers.SerializerMethodField()
    analytics_notice = serializers.SerializerMethodField(
        help_text="What the admin should know about how this camera is analysed; empty when nothing")
    live_status = CameraStatusSerializer(source="*", read_only=True)
    relay_outputs = serializers.DictField(child=RelayStateSerializer(), read_only=True,
                                          help_text="The last switch of each relay output, by its token")
    ptz = serializers.BooleanField(source="has_ptz", read_only=True,
                                   help_text="Whether it is a PTZ camera, as it said when asked (ptz/detect/)")
    ptz_capabilities = serializers.ListField(child=serializers.ChoiceField(PtzCapability.choices), read_only=True,
                                             help_text="What its PTZ can do: show only these controls")
    speaker = serializers.CharField(source="speaker_codec", read_only=True,
                                    help_text="What its speaker takes over the ONVIF audio back channel (PCMU or "
                                              "PCMA), as it said when probed; empty: it has no speaker (no talk-back)")

    class Meta:
        model = Camera
        fields = [
            "id", "name", "kind", "main_url", "sub_url", "username", "password", "has_password", "enabled",
            "recording_mode", "retention_days", "retention_gib", "cold_after_hours", "rotation", "thermal",
            "analytics_enabled", "analytics_fps", "analytics_notice",
            "analysis_source", "metadata_transport", "metadata_broker", "metadata_username", "metadata_password",
            "has_metadata_password", "metadata_topic", "track_topic",
            "dynamic_masking", "dynamic_mask_style", "keep_unmasked", "masking_cost", "record_audio", "onvif_host",
            "onvif_port", "listen_events", "events_error", "relay_outputs", "ptz", "ptz_capabilities", "ptz_wide_angle",
            "ptz_zoom_ratio", "ptz_pan_range", "ptz_tilt_range", "ptz_digital", "ptz_max_speed", "speaker", "site_plan",
            "plan_x", "plan_y", "plan_heading", "plan_fov", "plan_range_m", "live_status", "created_at", "updated_at",
        ]
        read_only_fields = ["masking_cost", "events_error", "relay_outputs", "created_at", "updated_at"]
        extra_kwargs = {"retention_days": {"min_value": 1}, "retention_gib": {"min_value": 0.01},
                        "cold_after_hours": {"min_value": 0.01},
                        "analytics_fps": {"min_value": 0.5, "max_value": 25},
                        "onvif_port": {"min_value": 1, "max_value": 65535},
                        "plan_x": {"min_value": 0, "max_value": 1}, "plan_y": {"min_value": 0, "max_value": 1},
                        "plan_heading": {"min_value": 0, "max_value": 360},
                        "plan_fov": {"min_value": 1, "max_value": 360},
                        "plan_range_m": {"min_value": 0.5, "max_value": 5000}}

    def get_has_password(self, camera: Camera) -> bool:
        return bool(camera.password_encrypted)

    def get_has_metadata_password(self, camera: Camera) -> bool:
        return bool(camera.metadata_password_encrypted)

    def get_analytics_notice(self, camera: Camera) -> str:
        if camera.thermal and camera.analytics_enabled and camera.analysis_source != AnalysisSource.CAMERA:
            return ("This is a thermal camera: this server's object detector learned on colour video and is not "
                    "to be trusted on it. Use the camera's own analytics (its metadata and events).")
        return ""

    def _clean_url(self, url: str, attrs: dict) -> str:
        request = self.context.get("request")
        allow_file = bool(request and request.user.has_perm("devices.use_file_source"))
        try:
            validate_stream_url(url, allow_file=allow_file)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        clean, username, password = split_credentials(url)
        if username and not attrs.get("username"):
            attrs["username"] = username
        if password and "password" not in attrs:
            attrs["password"] = password
        return clean

    def _current(self, name: str, attrs: dict):
        """A field's value after this change: the request's, else the camera's, else a new camera's default."""
        if name in attrs:
            return attrs[name]
        if self.instance is not None:
            return getattr(self.instance, name)
        return Camera._meta.get_field(name).get_default()

    def validate(self, attrs: dict) -> dict:
        errors = {}
        if self.instance is not None and attrs.get("kind", self.instance.kind) != self.instance.kind:
            errors["kind"] = ["A device's kind cannot change: add a new one."]
        if self._current("kind", attrs) == DeviceKind.RADAR:
            # A radar reports its tracks over MQTT, and has no video to record, mask or decode.
            attrs.update(analytics_enabled=True, analysis_source=AnalysisSource.CAMERA,
                         metadata_transport=MetadataTransport.MQTT, recording_mode=RecordingMode.OFF, main_url="",
                         sub_url="", dynamic_masking="", listen_events=False)
        elif self._current("kind", attrs) == DeviceKind.IO_MODULE:
            # An I/O module's digital inputs are its events, and its relay outputs are switched over ONVIF.
            attrs.update(analytics_enabled=False, recording_mode=RecordingMode.OFF, main_url="", sub_url="",
                         dynamic_masking="", listen_events=True)
        elif not self._current("main_url", attrs):
            errors["main_url"] = ["A camera needs the URL of its stream."]
        for field in ("main_url", "sub_url"):
            if attrs.get(field):
                try:
                    attrs[field] = self._clean_url(attrs[field], attrs)
                except serializers.ValidationError as exc:
                    errors[field] = exc.detail
        if attrs.get("onvif_host"):
            attrs["onvif_host"] = attrs["onvif_host"].strip()
            if not _HOST.fullmatch(attrs["onvif_host"]):
                errors["onvif_host"] = ["A host name or IP address, without http:// or a port."]
        listening = self._current("listen_events", attrs)
        if listening and not self._current("onvif_host", attrs):
            errors["onvif_host"] = ["The device's events come from its ONVIF service: give its host."]
        if attrs.get("metadata_broker"):
            try:
                check_broker_url(attrs["metadata_broker"])
            except ValueError as exc:
                errors["metadata_broker"] = [str(exc)]
        if (self._current("analysis_source", attrs) != AnalysisSource.SERVER
                and self._current("metadata_transport", attrs) == MetadataTransport.MQTT):
            if not self._current("metadata_topic", attrs):
                errors["metadata_topic"] = ["The camera's own analytics come on an MQTT topic: give the topic it "
                                            "publishes its frame metadata on."]
            if not (self._current("metadata_broker", attrs) or settings.MQTT_URL):
                errors["metadata_broker"] = ["Give the MQTT broker the camera publishes to (this site has none set)."]
        track_topic = self._current("track_topic", attrs)
        if track_topic and track_topic == self._current("metadata_topic", attrs):
            errors["track_topic"] = ["Track summaries come on a topic of their own, not the frames' topic."]
        if (self._current("recording_mode", attrs) == RecordingMode.EVENTS
                and not (self._current("analytics_enabled", attrs) or listening)):
            errors["recording_mode"] = ["Recording on events only needs the analytics or the camera's own events on: "
                                        "rules on them make the events."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def create(self, validated_data: dict) -> Camera:
        password = validated_data.pop("password", "")
        metadata_password = validated_data.pop("metadata_password", "")
        camera = Camera(**validated_data)
        camera.password = password
        camera.metadata_password = metadata_password
        camera.save()
        return camera

    def update(self, camera: Camera, validated_data: dict) -> Camera:
        if "password" in validated_data:
            camera.password = validated_data.pop("password")
        if "metadata_password" in validated_data:
            camera.metadata_password = validated_data.pop("metadata_password")
        return super().update(camera, validated_data)


class ProbeRequestSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=1000)
    username = serializers.CharField(required=False, allow_blank=True, default="")
    password = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False,
                                     write_only=True)

    def validate(self, attrs: dict) -> dict:
        request = self.context["request"]
        try:
            validate_stream_url(attrs["url"], allow_file=request.user.has_perm("devices.use_file_source"))
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"url": exc.messages}) from exc
        attrs["url"], username, password = split_credentials(attrs["url"])
        attrs["username"] = attrs["username"] or username
        attrs["password"] = attrs["password"] or password
        return attrs


class StreamInfoSerializer(serializers.Serializer):
    codec = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    fps = serializers.FloatField(allow_null=True)
    bitrate = serializers.IntegerField(allow_null=True)
    browser_playable = serializers.BooleanField(help_text="H.264 plays in browsers; H.265 does not")
    snapshot = serializers.SerializerMethodField(help_text="The first picture, as a data: URL of a JPEG")

    def get_snapshot(self, info: dict) -> str | None:
        jpeg = info.get("snapshot")
        return f"data:image/jpeg;base64,{base64.b64encode(jpeg).decode()}" if jpeg else None


class OnvifRequestSerializer(serializers.Serializer):
    host = serializers.CharField(max_length=255)
    port = serializers.IntegerField(min_value=1, max_value=65535, default=80)
    username = serializers.CharField(required=False, allow_blank=True, default="")
    password = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False,
                                     write_only=True)


class DiscoveryRequestSerializer(serializers.Serializer):
    timeout = serializers.FloatField(min_value=0.5, max_value=10, default=3)


class PtzViewSerializer(serializers.Serializer):
    """A PTZ camera's position, all three given."""

    pan = serializers.FloatField(min_value=-1, max_value=1, help_text="-1 to 1, right positive")
    tilt = serializers.FloatField(min_value=-1, max_value=1, help_text="-1 to 1, up positive")
    zoom = serializers.FloatField(min_value=0, max_value=1, help_text="0 (wide) to 1 (tele)")


class PrivacyMaskSerializer(UniqueNamePerCamera, serializers.ModelSerializer):
    """A privacy mask. On a PTZ camera it is fixed to the scene: `points` are drawn on a view of the camera (`view`,
    else where it looks when saved) and kept in `scene_points`, where it stays however the camera moves."""

    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)
    points = PicturePointsField(min_points=3, help_text="[[x, y], ...] on the picture; on a PTZ camera, as drawn on "
                                                        "the view it was drawn on")
    view = PtzViewSerializer(write_only=True, required=False,
                             help_text="PTZ cameras: the position of the view the points were drawn on; left out, "
                                       "where the camera looks when the mask is saved")
    scene_points = serializers.JSONField(read_only=True, help_text="PTZ cameras: [[pan, tilt], ...] in degrees "
                                                                   "from home, right and up positive; else null")
    fixed_to_scene = serializers.BooleanField(read_only=True, help_text="Whether the mask stays on its part of the "
                                                                        "scene as a PTZ camera moves")

    class Meta:
        model = PrivacyMask
        fields = ["id", "camera", "name", "points", "style", "color", "view", "scene_points", "fixed_to_scene"]
        read_only_fields = ["camera"]

    def validate(self, attrs: dict) -> dict:
        attrs = super().validate(attrs)
        camera = self.context["camera"]
        view = attrs.pop("view", None)
        if not camera.has_ptz:
            if view is not None:
                raise serializers.ValidationError({"view": f"{camera.name} has no PTZ: its masks are drawn on its "
                                                           "one view."})
            return attrs
        if "points" in attrs or view is not None:
            points = attrs.get("points", self.instance.points if self.instance is not None else None)
            drawn_on = View(**view) if view is not None else None
            try:
                attrs["scene_points"] = ptz_masks.scene_points(camera, points, drawn_on)
            except ValueError as exc:
                raise serializers.ValidationError({"view": str(exc)}) from exc
            except onvif.OnvifError as exc:
                raise CameraUnavailable(exc.reason, f"{exc.message} (A PTZ camera's mask is fixed to the scene from "
                                                    "where the camera looks: give the view it was drawn on.)") from exc
        return attrs



class UnmaskedAccessRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=5, max_length=500, help_text="Why the masks must be lifted (audited)")


class UnmaskedAccessSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


class DeviceEventSerializer(serializers.ModelSerializer):
    camera_name = serializers.CharField(source="camera.name", read_only=True)

    class Meta:
        model = DeviceEvent
        fields = ["id", "camera", "camera_name", "at", "camera_time", "topic", "kind", "operation", "state", "source",
                  "data", "received_at"]


class RelayOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="What a rule's relay_output names")
    mode = serializers.CharField(help_text="Monostable or Bistable")
    idle_state = serializers.CharField(help_text="open or closed")


class RelaySwitchRequestSerializer(serializers.Serializer):
    state = serializers.ChoiceField(RelayLogicalState.choices, help_text="active: on; inactive: off")
    seconds = serializers.IntegerField(min_value=1, max_value=3600, required=False,
                                       help_text="A pulse: on for this long only, then off again")

    def validate(self, data: dict) -> dict:
        if "seconds" in data and data["state"] != RelayLogicalState.ACTIVE:
            raise serializers.ValidationError({"seconds": ["A pulse switches the output on for a while: give seconds "
                                                           "only with the state active."]})
        return data


class RelaySwitchSerializer(RelayStateSerializer):
    """A relay output switched by hand, as the camera now keeps it."""

    token = serializers.CharField()


class SitePlanSerializer(serializers.ModelSerializer):
    image = serializers.CharField(write_only=True, help_text="The plan's picture: PNG or JPEG, base64 (a data: URL "
                                  "too), at most 10 MB and 6000 pixels a side")
    image_url = serializers.SerializerMethodField()

    class Meta:
        model = SitePlan
        fields = ["id", "name", "width_m", "image", "image_url", "image_width", "image_height", "updated_at"]
        read_only_fields = ["image_width", "image_height", "updated_at"]
        extra_kwargs = {"width_m": {"min_value": 1, "max_value": 100_000}}

    def get_image_url(self, plan: SitePlan) -> str:
        return f"/api/v1/site-plans/{plan.pk}/image/"

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["image"].required = False  # a change may keep the picture
        return fields

    def validate_image(self, value: str) -> dict:
        try:
            picture = site_plans.read_picture(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None
        return {"image": picture.data, "image_type": picture.content_type, "image_width": picture.width,
                "image_height": picture.height}

    def create(self, validated_data: dict) -> SitePlan:
        validated_data.update(validated_data.pop("image"))
        return super().create(validated_data)

    def update(self, plan: SitePlan, validated_data: dict) -> SitePlan:
        validated_data.update(validated_data.pop("image", {}))
        return super().update(plan, validated_data)


class PtzPositionSerializer(serializers.Serializer):
    """Where a PTZ camera looks, in ONVIF's generic spaces; null where it does not say."""

    pan = serializers.FloatField(min_value=-1, max_value=1, allow_null=True, help_text="-1 to 1, right positive")
    tilt = serializers.FloatField(min_value=-1, max_value=1, allow_null=True, help_text="-1 to 1, up positive")
    zoom = serializers.FloatField(min_value=0, max_value=1, allow_null=True, help_text="0 (wide) to 1 (tele)")


class PtzControlSerializer(serializers.Serializer):
    """Who steers a PTZ camera: one person, or an alarm, at a time."""

    username = serializers.CharField(help_text="The user steering it, alarm or tour")
    role = serializers.CharField(help_text="Their role (Admin, Operator), alarm or tour: a higher role takes over")
    by_alarm = serializers.BooleanField()
    by_tour = serializers.BooleanField(help_text="A tour has it: anyone who steers takes over from it")
    reason = serializers.CharField(help_text="What raised the alarm, or which tour; empty for a user")
    since = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="When it is free again unless they move it meanwhile")
    yours = serializers.BooleanField(help_text="Whether the one asking has it")


class PtzControlStateSerializer(serializers.Serializer):
    """Who steers a PTZ camera now: what every PTZ command answers."""

    control = PtzControlSerializer(allow_null=True, help_text="Null: nobody")


class PtzTourRunSerializer(serializers.ModelSerializer):
    """A tour running on a camera, and where it is."""

    tour_name = serializers.CharField(source="tour.name", read_only=True)

    class Meta:
        model = PtzTourRun
        fields = ["tour", "tour_name", "started_by", "started_at", "step", "due_at", "paused_by", "problem"]
        read_only_fields = fields


class PtzTourStepSerializer(serializers.Serializer):
    preset = serializers.CharField(max_length=64, help_text="The preset's token, as listed")
    dwell_seconds = serializers.IntegerField(min_value=1, max_value=3600, help_text="How long it stays there")


MAX_TOUR_STEPS = 64


class PtzTourSerializer(UniqueNamePerCamera, serializers.ModelSerializer):
    """A PTZ camera's tour: its presets in order, each with its dwell time, and when it runs by itself."""

    steps = PtzTourStepSerializer(many=True, min_length=2, max_length=MAX_TOUR_STEPS)
    schedule = ScheduleWindowSerializer(many=True, required=False)
    running = serializers.SerializerMethodField(help_text="Whether it runs now on the camera")

    class Meta:
        model = PtzTour
        fields = ["id", "camera", "name", "steps", "schedule", "enabled", "running"]
        read_only_fields = ["camera"]

    def get_running(self, tour: PtzTour) -> bool:
        return PtzTourRun.objects.filter(tour=tour).exists()

    def validate_steps(self, steps: list[dict]) -> list[dict]:
        """The presets must be the camera's; a camera that cannot be asked now is taken at its word (a step whose
        preset is gone is reported while the tour runs)."""
        camera = self.context["camera"]
        try:
            tokens = {preset.token for preset in ptz_presets.listed(camera)}
        except onvif.OnvifError:
            return [dict(step) for step in steps]
        unknown = sorted({step["preset"] for step in steps} - tokens)
        if unknown:
            raise serializers.ValidationError(f"{camera.name} has no preset {', '.join(unknown)}: list its presets "
                                              "again.")
        return [dict(step) for step in steps]

    def validate(self, attrs: dict) -> dict:
        check_schedule(attrs.get("schedule", []))
        return attrs


class PtzStatusSerializer(serializers.Serializer):
    position = PtzPositionSerializer(allow_null=True, help_text="Null when the camera does not say")
    moving = serializers.BooleanField(allow_null=True, help_text="Null when the camera does not say")
    control = PtzControlSerializer(allow_null=True, help_text="Who steers it; null: nobody")
    tour = PtzTourRunSerializer(allow_null=True, help_text="The tour running on it; null: none")


class PtzMoveRequestSerializer(serializers.Serializer):
    """The joystick: speeds, -1 to 1 (right, up and tele positive); all 0 stops."""

    pan = serializers.FloatField(min_value=-1, max_value=1, default=0.0)
    tilt = serializers.FloatField(min_value=-1, max_value=1, default=0.0)
    zoom = serializers.FloatField(min_value=-1, max_value=1, default=0.0)
    seconds = serializers.FloatField(min_value=0.1, max_value=10, default=1.0,
                                     help_text="The camera stops by itself this long after, unless moved again: "
                                               "repeat the move while the joystick is held")


class PtzCentreRequestSerializer(serializers.Serializer):
    """Click to centre (a point of the picture) or drag a box to zoom (its middle and size)."""

    x = serializers.FloatField(min_value=0, max_value=1, help_text="0-1 from the picture's left")
    y = serializers.FloatField(min_value=0, max_value=1, help_text="0-1 from the picture's top")
    width = serializers.FloatField(min_value=0.01, max_value=1, required=False, help_text="A box's width, 0-1")
    height = serializers.FloatField(min_value=0.01, max_value=1, required=False, help_text="A box's height, 0-1")

    def validate(self, data: dict) -> dict:
        if ("width" in data) != ("height" in data):
            raise serializers.ValidationError({"width": ["A box has both a width and a height."]})
        return data


class PtzPositionRequestSerializer(serializers.Serializer):
    """An absolute position: pan and tilt together, zoom, or all three."""

    pan = serializers.FloatField(min_value=-1, max_value=1, required=False)
    tilt = serializers.FloatField(min_value=-1, max_value=1, required=False)
    zoom = serializers.FloatField(min_value=0, max_value=1, required=False)

    def validate(self, data: dict) -> dict:
        if ("pan" in data) != ("tilt" in data):
            raise serializers.ValidationError({"tilt": ["Give pan and tilt together."]})
        if not data:
            raise serializers.ValidationError({"zoom": ["Give pan and tilt, zoom, or all three."]})
        return data


class PtzPresetSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The camera's name for it, in URLs")
    name = serializers.CharField()
    position = PtzPositionSerializer(allow_null=True, help_text="Null when the camera does not say")


class PtzPresetRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)


class AnnouncementSerializer(serializers.ModelSerializer):
    sound = serializers.CharField(write_only=True, help_text="The sound file (WAV, MP3, Ogg, FLAC, AAC), base64 (a "
                                  "data: URL too), at most 10 MB and 30 seconds")
    sound_url = serializers.SerializerMethodField(help_text="The sound as the speakers get it, as a WAV file")

    class Meta:
        model = Announcement
        fields = ["id", "name", "sound", "sound_url", "seconds", "built_in", "updated_at"]
        read_only_fields = ["seconds", "built_in", "updated_at"]

    def get_sound_url(self, announcement: Announcement) -> str:
        return f"/api/v1/announcements/{announcement.pk}/sound/"

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["sound"].required = False  # a change may keep the sound
        return fields

    def validate_sound(self, value: str) -> bytes:
        if value.startswith("data:"):
            value = value.partition(",")[2]
        if len(value) > MAX_BYTES * 4 // 3 + 4:
            raise serializers.ValidationError(f"The file is over {MAX_BYTES // 2**20} MB.")
        try:
            data = base64.b64decode(value, validate=True)
        except ValueError:
            raise serializers.ValidationError("The file is not base64.") from None
        try:
            return decode_announcement(data)
        except AnnouncementError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs: dict) -> dict:
        if self.instance is not None and self.instance.built_in and attrs:
            raise serializers.ValidationError("The built-in chime cannot be changed: upload an announcement of "
                                              "your own.")
        if "sound" in attrs:
            attrs["seconds"] = len(attrs["sound"]) / 2 / RATE
        return attrs
