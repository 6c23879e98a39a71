"""Filters of the audit log: by user, action, camera and time."""

import django_filters

from accounts.models import AuditAction, AuditEntry


class AuditEntryFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")
    username = django_filters.CharFilter(field_name="username")
    action = django_filters.MultipleChoiceFilter(choices=AuditAction.choices)
    camera = django_filters.NumberFilter(field_name="camera_id")
    ip = django_filters.CharFilter(field_name="ip")

    class Meta:
        model = AuditEntry
        fields = ["since", "until", "username", "action", "camera", "ip"]
