"""Django admin of cameras (the web UI is the main way; this is for operators of the server)."""

from django.contrib import admin

from devices.models import Camera


@admin.register(Camera)
class CameraAdmin(admin.ModelAdmin):
    list_display = ["name", "enabled", "recording_mode", "status", "codec", "width", "height", "last_frame_at"]
    list_filter = ["enabled", "recording_mode", "status"]
    search_fields = ["name"]
    exclude = ["password_encrypted"]
    readonly_fields = ["status", "codec", "width", "height", "fps", "bitrate", "last_frame_at", "last_error",
                       "status_changed_at", "recorder", "lease_epoch"]
