"""Who may change whom: only a superuser changes a superuser (or their tokens) or makes someone one."""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import User
from rest_framework.permissions import SAFE_METHODS, BasePermission

SUPERUSER_FIELDS = ("is_superuser", "is_staff")


class SuperusersProtected(BasePermission):
    """Refuses a non-superuser any change to a superuser, or to the fields that make one.

    The objects checked are users or rows that belong to one (`.user`), such as API tokens."""

    message = "Only a superuser may change a superuser or make one."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS or request.user.is_superuser:
            return True
        data = request.data
        return not (isinstance(data, Mapping) and any(field in data for field in SUPERUSER_FIELDS))

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS or request.user.is_superuser:
            return True
        target = obj if isinstance(obj, User) else obj.user
        return not target.is_superuser
