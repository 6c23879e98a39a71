"""Which cameras a user may see: all of them with access_all_cameras, else those on their access list."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from devices.models import Camera


def cameras_visible_to(user) -> QuerySet[Camera]:
    if not user.is_authenticated or not user.is_active:
        return Camera.objects.none()
    if user.has_perm("devices.access_all_cameras"):
        return Camera.objects.all()
    granted = Q(access_entries__user=user) | Q(access_entries__group__in=user.groups.all())
    return Camera.objects.filter(granted).distinct()


def can_access_camera(user, camera_id: int) -> bool:
    return cameras_visible_to(user).filter(pk=camera_id).exists()
