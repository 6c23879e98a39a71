"""Camera operations shared by the API, admin and commands: audited changes and deletion."""

from __future__ import annotations

import logging
import shutil

from celery import current_app
from django.db import transaction

from accounts import audit
from accounts.models import AuditAction
from devices import ptz
from devices.models import Camera
from recordings.segment_files import camera_directory
from recordings.tiers import stores
from storage import StoreUnavailable

log = logging.getLogger(__name__)

SPEAKER_TASK = "devices.tasks.detect_speaker"
AUDITED_FIELDS = ("name", "main_url", "sub_url", "username", "enabled", "recording_mode", "retention_days",
                  "retention_gib", "cold_after_hours", "rotation", "ptz_wide_angle", "ptz_zoom_ratio", "ptz_pan_range",
                  "ptz_tilt_range", "ptz_digital", "ptz_max_speed", "record_audio")


class CameraHasEvidence(Exception):
    """The camera has exports: their source footage and manifests name it, so it stays."""

    def __init__(self, camera: Camera, exports: list[int]) -> None:
        self.exports = exports
        listed = ", ".join(str(pk) for pk in exports)
        super().__init__(f"{camera.name} has exports ({listed}): evidence made from its footage keeps the camera. "
                         "Disable it instead, or delete those exports first.")


class DeviceSwitchedByRules(Exception):
    """Rules of other devices switch this device's relay outputs or send it to a preset (gatekeeper): deleting it
    would leave them acting on nothing."""

    def __init__(self, device: Camera, rules: list) -> None:
        self.rules = [rule.pk for rule in rules]
        listed = ", ".join(str(pk) for pk in self.rules)
        super().__init__(f"Rules of other devices switch {device.name}'s relay outputs or steer it (rules {listed}): "
                         "change them first.")


def changed_fields(camera: Camera, data: dict) -> list[str]:
    """Names of the fields `data` changes; the password only by name, never its value."""
    changed = [f for f in AUDITED_FIELDS if f in data and getattr(camera, f) != data[f]]
    if "password" in data:
        changed.append("password")
    return changed


def camera_added(camera: Camera, request) -> None:
    """What follows adding a camera: the audit, and asking it whether it has a speaker."""
    audit.record(AuditAction.CAMERA_CREATED, request=request, camera=camera, main_url=camera.main_url)
    _detect_speaker_later(camera)


def camera_changed(camera: Camera, request, changed: list[str]) -> None:
    """What follows changing a camera's `changed` fields: the audit (turning audio recording on or off also says
    which, since audio is personal data), and, when its stream or login changed, asking it whether it has a
    speaker."""
    if changed:
        detail = {"record_audio": camera.record_audio} if "record_audio" in changed else {}
        audit.record(AuditAction.CAMERA_CHANGED, request=request, camera=camera, fields=changed, **detail)
    if {"main_url", "username", "password"} & set(changed):
        _detect_speaker_later(camera)


def _detect_speaker_later(camera: Camera) -> None:
    """Ask the camera whether it has a speaker once the change is committed (devices.tasks.detect_speaker)."""
    if camera.main_url:
        camera_id = camera.pk
        transaction.on_commit(lambda: current_app.send_task(SPEAKER_TASK, (camera_id,)))


@transaction.atomic
def delete_camera(camera: Camera, request) -> None:
    """Delete the camera, its segment index and, once that is committed, its footage and its unmasked copy (from the
    store, and from this machine's recordings folder).

    A camera with exports is refused (CameraHasEvidence), and a device whose relay outputs other devices' rules
    switch (DeviceSwitchedByRules). Its recorder notices at the next lease renewal
    (a few seconds) and stops."""
    exports = list(camera.exports.order_by("pk").values_list("pk", flat=True))
    if exports:
        raise CameraHasEvidence(camera, exports)
    rules = list((camera.relays_switched_by_rules.all() | camera.gatekeeper_rules.all()).exclude(camera=camera)
                 .distinct().order_by("pk"))
    if rules:
        raise DeviceSwitchedByRules(camera, rules)
    audit.record(AuditAction.CAMERA_DELETED, request=request, camera_id=camera.pk, camera_name=camera.name)
    directories = [camera_directory(camera.pk), camera_directory(camera.pk, unmasked=True)]
    camera.delete()
    transaction.on_commit(lambda: _delete_footage(directories))


def _delete_footage(directories) -> None:
    for directory in directories:
        shutil.rmtree(directory, ignore_errors=True)
        for store in stores().values():
            try:
                store.delete_under(f"{directory.name}/")
            except StoreUnavailable as exc:
                # The camera is gone from the index already; its objects are left for an administrator to remove.
                log.error("the footage of deleted camera %s stays in %s under %s/: %s", directory.name,
                          store.location, directory.name, exc)


def detect_ptz(camera: Camera, request) -> None:
    """Ask the camera whether it has PTZ and what it can do, and keep what it says (a change audited). Raises
    onvif.OnvifError, and then keeps what was known."""
    support = ptz.detect(camera)
    profile, capabilities = (support.profile, support.capabilities) if support else ("", [])
    if (profile, capabilities) != (camera.ptz_profile, camera.ptz_capabilities):
        camera.ptz_profile, camera.ptz_capabilities = profile, capabilities
        camera.save(update_fields=["ptz_profile", "ptz_capabilities"])
        camera_changed(camera, request, ["ptz"])


def forget_ptz_if_moved(camera: Camera, data: dict) -> dict:
    """What else changes with `data`: a camera given another ONVIF host or port is asked about its PTZ again."""
    if any(field in data and data[field] != getattr(camera, field) for field in ("onvif_host", "onvif_port")):
        return {"ptz_profile": "", "ptz_capabilities": []}
    return {}

