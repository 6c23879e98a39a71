"""Filters of the audit log: by user, action, camera and time."""

import django_filters

from accounts.models import AuditAction, AuditEntry
from vms.api.fields import InstantFilter
from vms.api.filters import IdFilter, IpAddressFilter, StrictFilterSet


class AuditEntryFilter(StrictFilterSet):
    start = InstantFilter(field_name="at", lookup_expr="gte", help_text="Entries at or after this time")
    end = InstantFilter(field_name="at", lookup_expr="lt", help_text="Entries before this time")
    username = django_filters.CharFilter(field_name="username")
    action = django_filters.MultipleChoiceFilter(choices=AuditAction.choices)
    camera = IdFilter(field_name="camera_id")
    ip = IpAddressFilter(field_name="ip")

    class Meta:
        model = AuditEntry
        fields = ["start", "end", "username", "action", "camera", "ip"]
