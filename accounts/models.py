"""Per-camera access lists, API tokens and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q


class CameraAccess(models.Model):
    """Grants one user, or every member of one group, access to one camera."""

    camera = models.ForeignKey("devices.Camera", on_delete=models.CASCADE, related_name="access_entries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(group__isnull=True))
                | (Q(user__isnull=True) & Q(group__isnull=False)),
                name="camera_access_user_xor_group",
            ),
            models.UniqueConstraint(fields=["camera", "user"], name="camera_access_unique_user"),
            models.UniqueConstraint(fields=["camera", "group"], name="camera_access_unique_group"),
        ]

    def __str__(self) -> str:
        return f"{self.camera_id} -> {self.user or self.group}"


class ApiToken(models.Model):
    """A key for `Authorization: Token <key>` that expires. Only the key's SHA-256 is kept: the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="What the token is for, e.g. the script using it")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.name or self.pk}"


class AuditAction(models.TextChoices):
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Failed login"
    LOGOUT = "logout", "Logged out"
    TOKENS_REVOKED = "tokens_revoked", "API tokens revoked"
    CAMERA_CREATED = "camera_created", "Camera added"
    CAMERA_CHANGED = "camera_changed", "Camera changed"
    CAMERA_DELETED = "camera_deleted", "Camera deleted"
    USER_CREATED = "user_created", "User added"
    USER_CHANGED = "user_changed", "User changed"
    USER_DELETED = "user_deleted", "User deleted"
    ACCESS_GRANTED = "access_granted", "Camera access granted"
    ACCESS_REVOKED = "access_revoked", "Camera access revoked"
    PLAYBACK = "playback", "Recording played back"
    CLIP_DOWNLOAD = "clip_download", "Clip downloaded"
    LIVE_VIEW = "live_view", "Live video watched"
    ANALYTICS_CHANGED = "analytics_changed", "Zones or rules changed"
    ALARM_ACKNOWLEDGED = "alarm_acknowledged", "Alarm acknowledged"
    MASKS_CHANGED = "masks_changed", "Privacy masks changed"
    UNMASKED_VIEW = "unmasked_view", "Unmasked video watched"
    EXPORT_REQUESTED = "export_requested", "Export requested"
    EXPORT_REVIEWED = "export_reviewed", "Export's tracks reviewed"
    EXPORT_APPROVED = "export_approved", "Export approved for rendering"
    EXPORT_DOWNLOADED = "export_downloaded", "Export downloaded"
    EXPORT_RELEASED = "export_released", "Export's footage released"
    EXPORT_VERIFIED = "export_verified", "Export verified"
    RELAY_SWITCHED = "relay_switched", "Relay output switched"
    SITE_PLAN_CHANGED = "site_plan_changed", "Site plan added, changed or deleted"
    PTZ_CONTROL_STARTED = "ptz_control_started", "PTZ control taken"
    PTZ_CONTROL_ENDED = "ptz_control_ended", "PTZ control ended (handed back, taken over or expired)"
    PTZ_PRESET_CHANGED = "ptz_preset_changed", "PTZ preset saved, renamed or deleted"
    PTZ_SENT = "ptz_sent", "PTZ camera sent to a preset or home"
    PTZ_TOUR_CHANGED = "ptz_tour_changed", "PTZ tour created, changed or deleted"
    PTZ_TOUR_STARTED = "ptz_tour_started", "PTZ tour started"
    PTZ_TOUR_STOPPED = "ptz_tour_stopped", "PTZ tour stopped"
    TALK_STARTED = "talk_started", "Talked through a camera's speaker"
    TALK_ENDED = "talk_ended", "Talk through a camera's speaker ended"
    ANNOUNCEMENT_PLAYED = "announcement_played", "Announcement played on a camera's speaker"
    ANNOUNCEMENT_CHANGED = "announcement_changed", "Announcement added, changed or deleted"


class AuditEntry(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150, blank=True, help_text="Kept when the user is deleted")
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    camera = models.ForeignKey("devices.Camera", null=True, blank=True, on_delete=models.SET_NULL)
    camera_name = models.CharField(max_length=120, blank=True, help_text="Kept when the camera is deleted")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action}"


class Preferences(models.Model):
    """What a user's browser remembers on the server, e.g. their live-view layout."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences")
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
