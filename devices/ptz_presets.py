"""A PTZ camera's presets and home position as operators use them, and the turns a rule makes to follow an object.
The camera keeps its presets; names given to one later are kept here, because ONVIF has no rename (saving a preset
again moves it to where the camera looks now). Each preset saved, renamed or deleted, and each trip to a preset or
home, is audited. Raises onvif.OnvifError."""

from __future__ import annotations

from dataclasses import replace

from django.db import transaction

from accounts import audit
from accounts.models import AuditAction
from devices import onvif, ptz
from devices.models import Camera


def listed(camera: Camera) -> list[ptz.Preset]:
    """The camera's presets, under the names given here where one was."""
    names = camera.ptz_preset_names
    return [replace(preset, name=names.get(preset.token, preset.name)) for preset in ptz.presets(camera)]


def save(camera: Camera, name: str, request) -> ptz.Preset:
    """Save where the camera looks now as a new preset."""
    token = ptz.save_preset(camera, name)
    # A camera may give a deleted preset's token to a new one: a name given to the old one is not this one's.
    _set_name(camera, token, None)
    audit.record(AuditAction.PTZ_PRESET_CHANGED, request=request, camera=camera, change="saved", preset=token,
                 name=name)
    return _find(camera, token)


def rename(camera: Camera, token: str, name: str, request) -> ptz.Preset:
    old = _find(camera, token)
    _set_name(camera, token, name)
    audit.record(AuditAction.PTZ_PRESET_CHANGED, request=request, camera=camera, change="renamed", preset=token,
                 name=name, old_name=old.name)
    return replace(old, name=name)


def delete(camera: Camera, token: str, request) -> None:
    preset = _find(camera, token)
    ptz.remove_preset(camera, token)
    _set_name(camera, token, None)
    audit.record(AuditAction.PTZ_PRESET_CHANGED, request=request, camera=camera, change="deleted", preset=token,
                 name=preset.name)


def go_to(camera: Camera, token: str, request=None, by: str = "rule", **why) -> None:
    """Send the camera to a preset: by the person at `request`, or else by a rule or a tour (`by`; `why`: which rule
    and its event, which tour and step)."""
    # Looked up first: some cameras quietly ignore a token they do not have, and the audit names the preset.
    preset = _find(camera, token)
    ptz.go_to_preset(camera, token)
    audit.record(AuditAction.PTZ_SENT, request=request, camera=camera, username="" if request else by,
                 to="preset", preset=token, name=preset.name, **why)


def go_home(camera: Camera, request=None, **why) -> None:
    """Send the camera home: by the person at `request`, or by a rule (`why`)."""
    ptz.go_home(camera)
    audit.record(AuditAction.PTZ_SENT, request=request, camera=camera, username="" if request else "rule",
                 to="home", **why)


def point_at(camera: Camera, pan: float, zoom: float, *, audited: bool, **why) -> None:
    """Turn the camera to `pan` and `zoom` (ONVIF generic positions), its tilt kept as it is: a rule following an
    object. The first turn of an event is audited (`audited`; `why`: which rule and event), not each one after it."""
    status = ptz.status(camera)
    tilt = status.position.tilt if status.position is not None and status.position.tilt is not None else 0.0
    ptz.go_to(camera, pan, tilt, zoom)
    if audited:
        audit.record(AuditAction.PTZ_SENT, camera=camera, username="rule", to="object", **why)


def _find(camera: Camera, token: str) -> ptz.Preset:
    found = next((preset for preset in listed(camera) if preset.token == token), None)
    if found is None:
        raise onvif.OnvifError("no_preset", f"{camera.name} has no preset {token!r}: list its presets again.")
    return found


def _set_name(camera: Camera, token: str, name: str | None) -> None:
    with transaction.atomic():
        fresh = Camera.objects.select_for_update().only("ptz_preset_names").get(pk=camera.pk)
        if name is None:
            fresh.ptz_preset_names.pop(token, None)
        else:
            fresh.ptz_preset_names[token] = name
        fresh.save(update_fields=["ptz_preset_names"])
    camera.ptz_preset_names = fresh.ptz_preset_names
