"""Django admin of segments and recorder processes (read-only: the recorder writes them)."""

from django.contrib import admin

from recordings.models import RecorderProcess, Segment


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["camera", "start", "end", "duration", "size", "locked"]
    list_filter = ["camera", "locked"]
    readonly_fields = ["camera", "start", "end", "duration", "size", "sha256", "path", "init_size", "created_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Footage goes only through retention, which deletes the files and keeps the timeline's spans with the index.
        return False


@admin.register(RecorderProcess)
class RecorderProcessAdmin(admin.ModelAdmin):
    list_display = ["name", "hostname", "pid", "started_at", "heartbeat_at"]
