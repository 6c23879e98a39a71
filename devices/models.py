"""Cameras: where their streams are, how they are recorded, and their live status."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from devices.choices import (
    AnalysisSource,
    CameraStatus,
    DeviceEventKind,
    DeviceKind,
    DynamicMasking,
    MaskStyle,
    MetadataTransport,
    RecordingMode,
    Rotation,
)
from devices.credentials import decrypt_password, encrypt_password
from video.ptz_view import Optics
from video.radar import PlanPlacement


class SitePlan(models.Model):
    """A floor plan or map of the site, on which devices are placed and radar zones drawn: positions on it are
    fractions of the image (0-1, y down), and its width in metres gives the scale."""

    name = models.CharField(max_length=120, unique=True)
    image = models.BinaryField(editable=False, help_text="PNG or JPEG")
    image_type = models.CharField(max_length=20, editable=False)
    image_width = models.PositiveIntegerField(editable=False, help_text="Pixels")
    image_height = models.PositiveIntegerField(editable=False, help_text="Pixels")
    width_m = models.FloatField("width in metres", help_text="How many metres the plan's width spans")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Camera(models.Model):
    """A device: a camera, a radar (no video; it reports objects with position and speed) or an I/O module (no
    video; its digital inputs come as ONVIF events, and rules switch its relay outputs: a siren, a light, a door)."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=10, choices=DeviceKind.choices, default=DeviceKind.CAMERA)
    main_url = models.CharField("main stream URL", max_length=1000, blank=True,
                                help_text="Required for a camera; a radar has none")
    sub_url = models.CharField("sub-stream URL", max_length=1000, blank=True)
    username = models.CharField(max_length=200, blank=True)
    password_encrypted = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    recording_mode = models.CharField(max_length=20, choices=RecordingMode.choices, default=RecordingMode.CONTINUOUS)
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    retention_gib = models.FloatField(null=True, blank=True)
    cold_after_hours = models.FloatField(null=True, blank=True,
                                         help_text="Recordings older than this move to the cold tier (when there is "
                                         "one); empty: only when the hot tier's disk passes its high-water mark")
    rotation = models.PositiveSmallIntegerField(choices=Rotation.choices, default=Rotation.NONE)

    status = models.CharField(max_length=20, choices=CameraStatus.choices, default=CameraStatus.UNKNOWN)
    codec = models.CharField(max_length=20, blank=True)
    audio_codec = models.CharField(max_length=40, blank=True, help_text="The sound as it is recorded, e.g. "
                                   '"G.711 mu-law (as AAC)"; empty when none is')
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    fps = models.FloatField(null=True, blank=True)
    bitrate = models.PositiveBigIntegerField(null=True, blank=True)
    last_frame_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    storage_error = models.CharField(max_length=500, blank=True,
                                     help_text="Why recorded segments wait on the recorder's disk, in plain words; "
                                               "empty when all are stored and indexed")
    status_changed_at = models.DateTimeField(null=True, blank=True)

    # The recorder lease: which recorder process records this camera, held while that process's heartbeat is
    # fresh (see recordings.leases); the epoch grows with each claim, so a segment is indexed only by the holder
    # of the epoch it was recorded under.
    recorder = models.ForeignKey(
        "recordings.RecorderProcess", null=True, blank=True, on_delete=models.SET_NULL, related_name="cameras"
    )
    lease_epoch = models.PositiveBigIntegerField(default=0)
    # The recorder process standing by for the camera (VMS_RECORDER_HOT_STANDBY): it reads the camera's stream, keeps
    # its last seconds in memory and records from them when it takes the camera over; one per camera, while its
    # heartbeat is fresh (see recordings.standby).
    standby = models.ForeignKey(
        "recordings.RecorderProcess", null=True, blank=True, on_delete=models.SET_NULL, related_name="standing_by"
    )

    thermal = models.BooleanField(default=False, help_text="A thermal camera: it shows shapes and temperatures, "
                                  "not faces")
    analytics_enabled = models.BooleanField(default=False)
    analysis_source = models.CharField(max_length=10, choices=AnalysisSource.choices, default=AnalysisSource.SERVER,
                                       help_text="What finds the objects the rules work on")
    metadata_transport = models.CharField(max_length=10, choices=MetadataTransport.choices,
                                          default=MetadataTransport.STREAM,
                                          help_text="How the camera's own analytics metadata comes")
    # Where the camera publishes its scene metadata over MQTT (AXIS Scene Metadata): a broker of its own, or the
    # site's (VMS_MQTT_URL) when empty, and the topic.
    metadata_broker = models.CharField(max_length=1000, blank=True,
                                       help_text="mqtt://host:port or mqtts://host:port; empty: the site's broker")
    metadata_username = models.CharField(max_length=200, blank=True)
    metadata_password_encrypted = models.TextField(blank=True, editable=False)
    metadata_topic = models.CharField(max_length=500, blank=True,
                                      help_text="The MQTT topic the camera publishes its frame metadata on")
    track_topic = models.CharField(max_length=500, blank=True,
                                   help_text="The MQTT topic it publishes a summary of each ended track on; empty: "
                                             "none")
    analytics_fps = models.FloatField("analysed frames per second", default=5.0)
    analytics_error = models.CharField(max_length=500, blank=True,
                                       help_text="Why the camera's analytics do not run, in plain words")
    # The analytics lease, as the recorder's.
    analyser = models.ForeignKey(
        "recordings.RecorderProcess", null=True, blank=True, on_delete=models.SET_NULL, related_name="analysed_cameras"
    )
    analysis_lease_epoch = models.PositiveBigIntegerField(default=0)

    # The camera's ONVIF device service, for its events (PullPoint subscription), logged in to with the camera's
    # username and password.
    onvif_host = models.CharField("ONVIF host", max_length=255, blank=True)
    onvif_port = models.PositiveIntegerField("ONVIF port", default=80)
    listen_events = models.BooleanField(default=False, help_text="Subscribe to the camera's own events (ONVIF)")
    events_error = models.CharField(max_length=500, blank=True,
                                    help_text="Why the camera's events are not received, in plain words")
    # The event listener's lease, as the recorder's.
    event_listener = models.ForeignKey(
        "recordings.RecorderProcess", null=True, blank=True, on_delete=models.SET_NULL, related_name="listened_cameras"
    )
    event_lease_epoch = models.PositiveBigIntegerField(default=0)

    # Where the device stands on a site plan, which way it looks (degrees clockwise from the plan's up), how wide
    # (degrees) and how far (metres) it sees.
    site_plan = models.ForeignKey(SitePlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="devices")
    plan_x = models.FloatField(null=True, blank=True)
    plan_y = models.FloatField(null=True, blank=True)
    plan_heading = models.FloatField(default=0)
    plan_fov = models.FloatField("field of view", default=90)
    plan_range_m = models.FloatField("range in metres", default=30)

    # PTZ, steered over ONVIF (devices/ptz.py): found by asking the camera (the API's ptz/detect), never typed in.
    ptz_profile = models.CharField("PTZ profile", max_length=64, blank=True, editable=False,
                                   help_text="The ONVIF media profile PTZ commands name (the one of the camera's "
                                             "stream); empty: the camera has no PTZ")
    ptz_capabilities = models.JSONField(default=list, blank=True, editable=False,
                                        help_text="What its PTZ can do (devices.choices.PtzCapability)")
    ptz_preset_names = models.JSONField(default=dict, blank=True, editable=False,
                                        help_text="{token: name}: names its presets were given here since they "
                                                  "were saved (ONVIF cannot rename a preset)")

    # Talk-back, over the ONVIF audio back channel (devices/talk.py): found in its SDP when probed, never typed in.
    speaker_codec = models.CharField(max_length=8, blank=True, editable=False,
                                     help_text="What its speaker takes over the ONVIF audio back channel (PCMU or "
                                               "PCMA); empty: it has none")

    # How its position maps to where it looks (video.ptz_view.Optics), for privacy masks fixed to the scene. The
    # defaults are those of a typical outdoor dome; set them from the camera's datasheet.
    ptz_wide_angle = models.FloatField("PTZ field of view", default=60,
                                       validators=[MinValueValidator(1), MaxValueValidator(180)],
                                       help_text="Horizontal field of view at the widest zoom, degrees")
    ptz_zoom_ratio = models.FloatField("PTZ zoom ratio", default=20,
                                       validators=[MinValueValidator(1), MaxValueValidator(100)],
                                       help_text="Magnification at full zoom (30 for a 30x camera)")
    ptz_pan_range = models.FloatField("PTZ pan range", default=360,
                                      validators=[MinValueValidator(0), MaxValueValidator(360)],
                                      help_text="Degrees the camera turns from pan -1 to 1 (360: all the way round)")
    ptz_tilt_range = models.FloatField("PTZ tilt range", default=180,
                                       validators=[MinValueValidator(0), MaxValueValidator(360)],
                                       help_text="Degrees the camera tilts from tilt -1 to 1")
    ptz_digital = models.BooleanField("digital PTZ", default=False,
                                      help_text="Its PTZ crops its wide picture (it looks no further than that)")
    ptz_max_speed = models.FloatField("PTZ top speed", default=2.0,
                                      validators=[MinValueValidator(0.01), MaxValueValidator(100)],
                                      help_text="The fastest it pans, tilts or zooms, in ONVIF position units (-1 to "
                                                "1) per second: how far masks are grown while it moves")

    relay_outputs = models.JSONField(default=dict, blank=True, editable=False,
                                     help_text='{token: {"active", "changed_at", "error"}}: the last switch of each '
                                               "relay output")

    # Privacy masking: burned into the stream by the recorder before anything is stored, shown or analysed.
    dynamic_masking = models.CharField(max_length=12, choices=DynamicMasking.choices, blank=True)
    dynamic_mask_style = models.CharField(max_length=10, choices=MaskStyle.choices, default=MaskStyle.BLUR)
    masking_cost = models.FloatField(null=True, blank=True, help_text="% of a CPU core the masking transcode uses")
    keep_unmasked = models.BooleanField(default=False, help_text="Also record the video without its masks, for "
                                        "users allowed to see it")
    # Audio is personal data in most places: off unless an admin turns it on (each switch audited).
    record_audio = models.BooleanField(default=False, help_text="Record the camera's sound with its video, and let "
                                       "operators listen to it live")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_live", "Can watch live video"),
            ("view_recording", "Can play back recordings"),
            ("export_clip", "Can download clips of recordings"),
            ("access_all_cameras", "Can access every camera without an access list entry"),
            ("use_file_source", "Can add cameras that read a file on the server"),
            ("view_unmasked", "Can see video without its privacy masks (each view audited)"),
            ("switch_relay", "Can switch a camera's relay outputs by hand (each switch audited)"),
            ("control_ptz", "Can steer PTZ cameras and send them to presets (each control session audited)"),
            ("manage_ptz_presets", "Can save, rename and delete PTZ presets (each change audited)"),
            ("talk", "Can talk through a camera's speaker (each talk session audited)"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def password(self) -> str:
        return decrypt_password(self.password_encrypted)

    @password.setter
    def password(self, value: str) -> None:
        self.password_encrypted = encrypt_password(value)

    @property
    def metadata_password(self) -> str:
        return decrypt_password(self.metadata_password_encrypted)

    @metadata_password.setter
    def metadata_password(self, value: str) -> None:
        self.metadata_password_encrypted = encrypt_password(value)

    @property
    def records(self) -> bool:
        return self.enabled and self.recording_mode != RecordingMode.OFF

    @property
    def recorder_lost_at(self) -> datetime | None:
        """When the camera's recorder was lost: its heartbeat is older than the lease, so it no longer records the
        camera and another recorder may take it over (see recordings.leases); None while it answers, or none holds
        it. Read from the heartbeat, so that the status says so however the recorder died."""
        recorder = self.recorder
        if recorder is None:
            return None
        lost_at = recorder.heartbeat_at + timedelta(seconds=settings.RECORDER_LEASE_SECONDS)
        return lost_at if lost_at < timezone.now() else None

    @property
    def live_state(self) -> str:
        """The state the live status gives: the recorder's word, unless the recorder itself is lost."""
        return CameraStatus.RECORDER_LOST if self.recorder_lost_at else self.status

    @property
    def live_error(self) -> str:
        if self.recorder_lost_at:
            return (f"Its recorder ({self.recorder.hostname}) stopped answering: the camera is not recorded until "
                    "another recorder takes it over.")
        return self.last_error

    @property
    def live_changed_at(self) -> datetime | None:
        return self.recorder_lost_at or self.status_changed_at

    @property
    def has_ptz(self) -> bool:
        return bool(self.ptz_profile)

    @property
    def has_speaker(self) -> bool:
        return bool(self.speaker_codec)

    @property
    def ptz_optics(self) -> Optics:
        """Its PTZ optics, for masks fixed to the scene; the picture's aspect as its stream last was (else 16:9)."""
        aspect = self.width / self.height if self.width and self.height else 16 / 9
        return Optics(self.ptz_wide_angle, aspect, self.ptz_zoom_ratio, self.ptz_pan_range, self.ptz_tilt_range,
                      self.ptz_digital)

    @property
    def is_radar(self) -> bool:
        return self.kind == DeviceKind.RADAR

    @property
    def is_io_module(self) -> bool:
        return self.kind == DeviceKind.IO_MODULE

    @property
    def placed(self) -> bool:
        return self.site_plan_id is not None and self.plan_x is not None and self.plan_y is not None

    @property
    def plan_placement(self) -> PlanPlacement | None:
        """Where the device stands on its site plan and which way it looks; None when it is not placed."""
        if not self.placed:
            return None
        plan = self.site_plan
        return PlanPlacement(self.plan_x, self.plan_y, self.plan_heading, plan.width_m,
                             plan.image_height / plan.image_width)

    @property
    def metadata_in_stream(self) -> bool:
        """Whether the camera's own analytics are used and come in its RTSP stream, which the recorder then reads."""
        return (self.kind == DeviceKind.CAMERA and self.analytics_enabled
                and self.analysis_source != AnalysisSource.SERVER
                and self.metadata_transport == MetadataTransport.STREAM)


class PrivacyMask(models.Model):
    """An area of a camera's picture that nobody sees: filled, pixelated or blurred in the stream itself."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="privacy_masks")
    name = models.CharField(max_length=120)
    points = models.JSONField(help_text="[[x, y], ...], three or more, normalised 0-1 on the camera's picture")
    style = models.CharField(max_length=10, choices=MaskStyle.choices, default=MaskStyle.SOLID)
    color = models.CharField(max_length=7, default="#000000")
    # On a PTZ camera: the polygon in the camera's scene, [[pan, tilt], ...] in degrees (video.ptz_view), where it
    # stays however the camera turns and zooms; `points` is then where it was drawn, on the view it was drawn on.
    scene_points = models.JSONField(null=True, blank=True, editable=False,
                                    help_text="[[pan, tilt], ...] in degrees: a mask fixed to a PTZ camera's scene")

    class Meta:
        ordering = ["camera", "name"]
        constraints = [models.UniqueConstraint(fields=["camera", "name"], name="privacy_mask_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def fixed_to_scene(self) -> bool:
        return self.scene_points is not None


class DeviceEvent(models.Model):
    """Something a camera reported itself (ONVIF events): motion, tamper, a digital input, one of its own analytics
    rules, or any other topic, kept with its topic, source and data as the camera sent them."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="device_events")
    at = models.DateTimeField(help_text="When it happened, on this server's clock (the camera's time corrected by "
                              "how far its clock is off)")
    camera_time = models.DateTimeField(help_text="When it happened, as the camera's clock said")
    topic = models.CharField(max_length=500, help_text="The ONVIF topic, e.g. tns1:VideoSource/MotionAlarm")
    kind = models.CharField(max_length=20, choices=DeviceEventKind.choices)
    operation = models.CharField(max_length=12, blank=True,
                                 help_text="Initialized, Changed or Deleted for a state; empty for a one-off happening")
    state = models.BooleanField(null=True, blank=True, help_text="Whether the reported condition holds; null for a "
                                "one-off happening")
    source = models.JSONField(default=dict, blank=True, help_text="Which input, video source or rule: {name: value}")
    data = models.JSONField(default=dict, blank=True, help_text="{name: value}")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["camera", "at"], name="device_event_camera_at")]

    def __str__(self) -> str:
        return f"{self.topic} {self.at.isoformat()}"


class PtzTour(models.Model):
    """A PTZ camera's tour: its presets visited in turn, each for its dwell time, on demand or within its schedule
    (devices/ptz_tours.py runs it)."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="ptz_tours")
    name = models.CharField(max_length=120)
    steps = models.JSONField(default=list, help_text='[{"preset": token, "dwell_seconds": 1-3600}, ...]: 2 or more, '
                                                     "in order")
    schedule = models.JSONField(
        default=list, blank=True,
        help_text='[{"days": [0-6, 0 Monday], "start": "HH:MM", "end": "HH:MM"}], as a rule\'s; empty: only on '
                  "demand")
    enabled = models.BooleanField(default=True, help_text="Runs by itself within its schedule; off: only on demand")
    # Set when someone stops the tour while its schedule has it run: it stays stopped until its window ends.
    stopped_in_window = models.BooleanField(default=False, editable=False)

    class Meta:
        ordering = ["camera", "name"]
        constraints = [models.UniqueConstraint(fields=["camera", "name"], name="ptz_tour_unique_name")]

    def __str__(self) -> str:
        return self.name


class PtzTourRun(models.Model):
    """The tour running on a camera (one at a time), and where it is: kept in the database, so a restarted worker
    carries on where the last one left off."""

    camera = models.OneToOneField(Camera, on_delete=models.CASCADE, related_name="ptz_tour_run")
    tour = models.ForeignKey(PtzTour, on_delete=models.CASCADE, related_name="runs")
    started_by = models.CharField(max_length=150, help_text='The user who started it, or "schedule"')
    started_at = models.DateTimeField(auto_now_add=True)
    step = models.PositiveIntegerField(default=0, help_text="The index of the next step to go to")
    due_at = models.DateTimeField(db_index=True, help_text="When the camera goes to that step")
    paused_by = models.CharField(max_length=150, blank=True,
                                 help_text="Who has control of the camera while the tour waits for it; empty: running")
    problem = models.CharField(max_length=500, blank=True, help_text="Why the last step failed, if it did")

    def __str__(self) -> str:
        return f"{self.tour} on {self.camera}"


class Announcement(models.Model):
    """A short recorded message (or the built-in chime) that rules play on a camera's speaker: kept as 16-bit mono
    PCM at 8 kHz, what every back channel takes once encoded as G.711."""

    name = models.CharField(max_length=120, unique=True)
    sound = models.BinaryField(editable=False, help_text="16-bit little-endian mono PCM, 8000 samples a second")
    seconds = models.FloatField(editable=False)
    built_in = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
