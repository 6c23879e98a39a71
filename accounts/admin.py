"""Django admin of camera access entries and the audit log (read-only)."""

from django.contrib import admin

from accounts.models import AuditEntry, CameraAccess


@admin.register(CameraAccess)
class CameraAccessAdmin(admin.ModelAdmin):
    list_display = ["camera", "user", "group"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "action", "camera_name", "ip"]
    list_filter = ["action"]
    search_fields = ["username", "camera_name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
