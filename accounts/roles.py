"""The three roles (Admin, Operator, Investigator) as groups, and the permissions each one holds."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

ADMIN = "Admin"
OPERATOR = "Operator"
INVESTIGATOR = "Investigator"

# app_label.codename of every permission each role holds; kept in step with the groups after each migrate.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    ADMIN: [
        "devices.view_camera", "devices.add_camera", "devices.change_camera", "devices.delete_camera",
        "devices.view_live", "devices.view_recording", "devices.export_clip",
        "devices.access_all_cameras", "devices.use_file_source", "devices.view_unmasked", "devices.switch_relay",
        "devices.control_ptz", "devices.manage_ptz_presets", "devices.talk",
        "devices.view_announcement", "devices.add_announcement", "devices.change_announcement",
        "devices.delete_announcement",
        "devices.view_privacymask", "devices.add_privacymask", "devices.change_privacymask",
        "devices.delete_privacymask", "devices.view_deviceevent",
        "devices.view_siteplan", "devices.add_siteplan", "devices.change_siteplan", "devices.delete_siteplan",
        "auth.view_user", "auth.add_user", "auth.change_user", "auth.delete_user", "auth.view_group",
        "accounts.view_cameraaccess", "accounts.add_cameraaccess", "accounts.delete_cameraaccess",
        "accounts.view_auditentry", "recordings.view_recorderprocess",
        "analytics.add_zone", "analytics.change_zone", "analytics.delete_zone",
        "analytics.add_rule", "analytics.change_rule", "analytics.delete_rule", "analytics.view_webhookdelivery",
        "analytics.view_zone", "analytics.view_rule", "analytics.view_event", "analytics.view_alarm",
        "analytics.acknowledge_alarm", "analytics.view_count", "redaction.work_on_all_exports",
    ],
    # Operators talk through cameras' speakers, as they steer PTZ and switch relays: they watch live and deal with
    # what happens on site. Investigators work on recordings after the fact: nobody to talk to.
    OPERATOR: [
        "devices.view_camera", "devices.view_live", "devices.view_recording", "devices.view_deviceevent",
        "devices.switch_relay", "devices.control_ptz", "devices.talk", "devices.view_siteplan",
        "analytics.view_zone", "analytics.view_rule", "analytics.view_event", "analytics.view_alarm",
        "analytics.acknowledge_alarm", "analytics.view_count",
    ],
    INVESTIGATOR: [
        "devices.view_camera", "devices.view_recording", "devices.export_clip", "devices.view_deviceevent",
        "devices.view_siteplan", "analytics.view_zone", "analytics.view_rule", "analytics.view_event",
        "analytics.view_alarm", "analytics.acknowledge_alarm", "analytics.view_count",
    ],
}


def sync_roles(**_: object) -> None:
    """Create the role groups and give each exactly its permissions (a post_migrate receiver)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            permissions.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(permissions)


def role_of(user) -> str | None:
    """The user's role name; superusers count as Admin."""
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in ROLE_PERMISSIONS if role in names), None)
