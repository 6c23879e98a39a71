"""A viewset of things that belong to one camera (zones, rules, privacy masks): the user must see the camera
(404 otherwise), the model permissions decide the rest, and every change is audited."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import viewsets

from accounts import audit
from accounts.access import cameras_visible_to
from accounts.models import AuditAction
from vms.api.permissions import ModelPermissionsByAction


class CameraScopedViewSet(viewsets.ModelViewSet):
    """Things of one camera the user may see (404 for others); changes are audited."""

    permission_classes = [ModelPermissionsByAction]
    audit_action: AuditAction
    what = ""

    @property
    def camera(self):
        if not hasattr(self, "_camera"):
            self._camera = get_object_or_404(cameras_visible_to(self.request.user), pk=self.kwargs["camera_id"])
        return self._camera

    def get_queryset(self):
        return self.queryset.filter(camera=self.camera)

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if "camera_id" in self.kwargs:
            context["camera"] = self.camera
        return context

    def _audit(self, change: str, instance) -> None:
        audit.record(self.audit_action, request=self.request, camera=self.camera, change=change,
                     what=self.what, id=instance.pk, name=instance.name)

    def perform_create(self, serializer) -> None:
        instance = serializer.save(camera=self.camera)
        self._audit("created", instance)

    def perform_update(self, serializer) -> None:
        self._audit("changed", serializer.save())

    def perform_destroy(self, instance) -> None:
        self._audit("deleted", instance)
        instance.delete()
