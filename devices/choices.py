"""Choices of the camera model, as classes of constants."""

from django.db import models

from video.device_events import KINDS


class RecordingMode(models.TextChoices):
    CONTINUOUS = "continuous", "Continuous"
    EVENTS = "events", "On events only (with pre- and post-roll)"
    OFF = "off", "Off"


class CameraStatus(models.TextChoices):
    UNKNOWN = "unknown", "Not yet connected"
    ONLINE = "online", "Online"
    OFFLINE = "offline", "Offline"
    ERROR = "error", "Error"
    DISABLED = "disabled", "Disabled"
    # Not stored: said while the recorder that holds the camera has stopped answering (Camera.live_state).
    RECORDER_LOST = "recorder_lost", "Recorder lost"


class DeviceKind(models.TextChoices):
    CAMERA = "camera", "Camera"
    RADAR = "radar", "Radar (objects with position and speed, no video)"
    IO_MODULE = "io_module", "I/O module (digital inputs and relay outputs, no video)"


class Rotation(models.IntegerChoices):
    NONE = 0, "0°"
    QUARTER = 90, "90° (corridor format)"
    HALF = 180, "180°"
    THREE_QUARTERS = 270, "270° (corridor format)"


class MaskStyle(models.TextChoices):
    SOLID = "solid", "Solid colour"
    MOSAIC = "mosaic", "Mosaic"
    BLUR = "blur", "Blur"


class DynamicMasking(models.TextChoices):
    NONE = "", "None"
    MOTION = "motion", "Everything that moves"
    PEOPLE = "people", "People"
    BACKGROUND = "background", "Everything but people"


class AnalysisSource(models.TextChoices):
    SERVER = "server", "This server (it decodes the video and detects objects)"
    CAMERA = "camera", "The camera's own analytics (its scene metadata; the video is not decoded)"
    BOTH = "both", "Both (the camera's metadata, and this server's detection where the camera reports nothing)"


class MetadataTransport(models.TextChoices):
    """How a camera's own analytics metadata reaches the VMS."""

    STREAM = "stream", "In its RTSP stream (ONVIF Profile M metadata track)"
    MQTT = "mqtt", "Over MQTT (AXIS Scene Metadata)"


# The kinds of a camera's own events (video/device_events.py names them).
DeviceEventKind = models.TextChoices("DeviceEventKind",
                                     [(kind.upper(), (kind, label)) for kind, label in KINDS.items()])


class RelayLogicalState(models.TextChoices):
    """A relay output's state as ONVIF names it (SetRelayOutputState's LogicalState)."""

    ACTIVE = "active", "On"
    INACTIVE = "inactive", "Off"


class PtzCapability(models.TextChoices):
    """What a PTZ camera can do, as its ONVIF PTZ node says: the controls shown are these only."""

    CONTINUOUS = "continuous", "Joystick (pan, tilt and zoom at a speed)"
    ABSOLUTE = "absolute", "Go to a position"
    RELATIVE = "relative", "Move by a step"
    CENTRE = "centre", "Click to centre and drag a box to zoom (moves relative to its picture)"
    HOME = "home", "Home position"
    PRESETS = "presets", "Presets"
