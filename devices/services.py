"""Camera operations shared by the API, admin and commands: audited changes and deletion."""

from __future__ import annotations

import shutil

from django.conf import settings
from django.db import transaction

from accounts import audit
from accounts.models import AuditAction
from devices.models import Camera

AUDITED_FIELDS = ("name", "main_url", "sub_url", "username", "enabled", "recording_mode", "retention_days",
                  "retention_gib", "rotation")


def camera_directory(camera_id: int):
    return settings.RECORDINGS_ROOT / str(camera_id)


def changed_fields(camera: Camera, data: dict) -> list[str]:
    """Names of the fields `data` changes; the password only by name, never its value."""
    changed = [f for f in AUDITED_FIELDS if f in data and getattr(camera, f) != data[f]]
    if "password" in data:
        changed.append("password")
    return changed


def audit_created(camera: Camera, request) -> None:
    audit.record(AuditAction.CAMERA_CREATED, request=request, camera=camera, main_url=camera.main_url)


def audit_changed(camera: Camera, request, changed: list[str]) -> None:
    if changed:
        audit.record(AuditAction.CAMERA_CHANGED, request=request, camera=camera, fields=changed)


@transaction.atomic
def delete_camera(camera: Camera, request) -> None:
    """Delete the camera, its segment index and, once that is committed, its footage.

    Its recorder notices at the next lease renewal (a few seconds) and stops."""
    audit.record(AuditAction.CAMERA_DELETED, request=request, camera_id=camera.pk, camera_name=camera.name)
    directory = camera_directory(camera.pk)
    camera.delete()
    transaction.on_commit(lambda: shutil.rmtree(directory, ignore_errors=True))
