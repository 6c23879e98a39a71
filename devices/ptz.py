"""Talking PTZ to a camera over its ONVIF PTZ service: whether it has PTZ and what it can do, joystick moves (which stop
by themselves), stop, turning towards a point or a box of its picture, going to a position or home, presets, and where
it looks now. Failures come out as onvif.OnvifError in the admin's and operator's words.

Positions and speeds are ONVIF's generic spaces: pan and tilt -1 to 1 (right and up positive), zoom 0 (wide) to 1
(tele); speeds -1 to 1."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import zeep.exceptions
from django.conf import settings
from django.core.cache import cache
from onvif import ONVIFCamera, ONVIFService

from devices import onvif
from devices.choices import PtzCapability
from devices.models import Camera

TIMEOUT_SECONDS = 10
PTZ_SERVICE = "http://www.onvif.org/ver20/ptz/wsdl"
# Pan/tilt moves relative to the picture, -1 to 1 from edge to edge: what makes click-to-centre exact. The generic
# translation space is a share of the camera's whole range, which says nothing of how much of it the picture shows.
FOV_SPACE = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov"

T = TypeVar("T")
# What each command does to where the camera looks, for the recorder's masks fixed to the scene (devices/ptz_position):
# a joystick move turns it at a speed it can follow; the others may jump it anywhere at once.
STEERS = "steers"
JUMPS = "jumps"
_MOVES = {"ContinuousMove": STEERS, "Stop": STEERS, "AbsoluteMove": JUMPS, "RelativeMove": JUMPS,
          "GotoPreset": JUMPS, "GotoHomePosition": JUMPS}
# Kept a minute: long after the recorder has seen it (it looks a few times a second), short of piling up.
_COMMAND_KEEP_SECONDS = 60


@dataclass(frozen=True)
class PtzSupport:
    """A camera's PTZ: the media profile its commands name and what it can do."""

    profile: str
    capabilities: list[str]


@dataclass(frozen=True)
class Position:
    pan: float | None
    tilt: float | None
    zoom: float | None


@dataclass(frozen=True)
class Status:
    """Where the camera looks and whether it moves; None where the camera does not say."""

    position: Position | None
    moving: bool | None
    pan_tilt_moving: bool | None = None
    zoom_moving: bool | None = None


@dataclass(frozen=True)
class Command:
    """A move the VMS told a camera to make: when (time.time()), how (STEERS or JUMPS), and which of "pan_tilt" and
    "zoom" it moves."""

    at: float
    kind: str
    axes: tuple[str, ...]


@dataclass(frozen=True)
class Preset:
    token: str
    name: str
    position: Position | None


def detect(camera: Camera) -> PtzSupport | None:
    """The camera's PTZ, on the profile of its stream, or None when it has none. Raises onvif.OnvifError."""

    async def ask(client: ONVIFCamera) -> PtzSupport | None:
        if PTZ_SERVICE not in client.xaddrs:
            return None
        media = await client.create_media_service()
        profiles = [p for p in await media.GetProfiles() if p.PTZConfiguration is not None]
        if not profiles:
            return None
        profile = await _stream_profile(media, profiles, camera)
        service = await client.create_ptz_service()
        node = next((n for n in await service.GetNodes() if n.token == profile.PTZConfiguration.NodeToken), None)
        return PtzSupport(profile.token, _capabilities(node))

    return _run(camera, ask)


def move(camera: Camera, pan: float, tilt: float, zoom: float, seconds: float) -> None:
    """Pan, tilt and zoom at these speeds (-1 to 1) until stopped, moved otherwise, or `seconds` later: the camera
    stops by itself then, so a lost stop cannot leave it turning. A joystick held longer repeats the move."""
    _command(camera, "ContinuousMove", Velocity={"PanTilt": {"x": pan, "y": tilt}, "Zoom": {"x": zoom}},
             Timeout=datetime.timedelta(seconds=seconds))


def stop(camera: Camera) -> None:
    _command(camera, "Stop", PanTilt=True, Zoom=True)


def centre(camera: Camera, x: float, y: float, width: float | None = None, height: float | None = None) -> None:
    """Turn the camera so the point (x, y) of its picture (0-1 from the top left) comes to the middle; with a box
    (`width`, `height`, 0-1, centred on the point), zoom in too, about so far that the box fills the picture.

    Pan and tilt are exact on cameras that move relative to their picture (ONVIF's field-of-view space; refused with
    `ptz_refused` on others). ONVIF says nothing of how its generic zoom maps to magnification, so the zoom closes
    the share (1 - the box's larger side) of what is left towards tele: right in direction, near in amount."""
    if PtzCapability.CENTRE not in camera.ptz_capabilities:
        raise onvif.OnvifError("ptz_refused", f"{camera.name} cannot turn towards a point of its picture (it does not "
                                              "move relative to its picture): steer it with the joystick.")
    translation: dict[str, Any] = {"PanTilt": {"x": (x - 0.5) * 2, "y": (0.5 - y) * 2, "space": FOV_SPACE}}
    if width is not None and height is not None:
        here = status(camera).position
        zoom = here.zoom if here is not None and here.zoom is not None else 0.0
        translation["Zoom"] = {"x": (1 - zoom) * (1 - max(width, height))}
    _command(camera, "RelativeMove", Translation=translation)


def go_to(camera: Camera, pan: float | None, tilt: float | None, zoom: float | None) -> None:
    """Go to an absolute position: pan and tilt together, zoom, or all three; what is None stays as it is."""
    vector: dict[str, Any] = {}
    if pan is not None and tilt is not None:
        vector["PanTilt"] = {"x": pan, "y": tilt}
    if zoom is not None:
        vector["Zoom"] = {"x": zoom}
    _command(camera, "AbsoluteMove", Position=vector)


def go_home(camera: Camera) -> None:
    _command(camera, "GotoHomePosition")


def status(camera: Camera) -> Status:
    return status_of(_command(camera, "GetStatus"))


def status_of(answer: Any) -> Status:
    """The Status of a GetStatus answer."""
    position = getattr(answer, "Position", None)
    moves = getattr(answer, "MoveStatus", None)
    pan_tilt, zoom = (_moving(getattr(moves, axis, None)) for axis in ("PanTilt", "Zoom"))
    states = [state for state in (pan_tilt, zoom) if state is not None]
    return Status(_position(position), any(states) if states else None, pan_tilt, zoom)


def _moving(state: Any) -> bool | None:
    text = str(state).upper() if state is not None else ""
    return text == "MOVING" if text in ("IDLE", "MOVING") else None


def presets(camera: Camera) -> list[Preset]:
    """The presets the camera keeps, with the names it keeps."""
    return [Preset(str(p.token), p.Name or str(p.token), _position(p.PTZPosition))
            for p in _command(camera, "GetPresets") or []]


def go_to_preset(camera: Camera, token: str) -> None:
    _command(camera, "GotoPreset", PresetToken=token)


def save_preset(camera: Camera, name: str) -> str:
    """Save where the camera looks now as a new preset called `name`; returns its token."""
    return str(_command(camera, "SetPreset", PresetName=name))


def remove_preset(camera: Camera, token: str) -> None:
    _command(camera, "RemovePreset", PresetToken=token)


def last_command(camera_id: int) -> Command | None:
    """The last move the VMS told the camera to make; None if none lately."""
    found = cache.get(_command_key(camera_id))
    return Command(*found) if found else None


def _note_command(camera: Camera, operation: str, arguments: dict[str, Any]) -> None:
    axes = ("pan_tilt", "zoom")
    if operation == "ContinuousMove":  # only the axes it gives a speed move
        speeds = arguments["Velocity"]
        axes = tuple(axis for axis, key in (("pan_tilt", "PanTilt"), ("zoom", "Zoom"))
                     if any(speeds[key].values()))
    cache.set(_command_key(camera.pk), (time.time(), _MOVES[operation], axes), _COMMAND_KEEP_SECONDS)


def _command_key(camera_id: int) -> str:
    return f"ptz-command:{camera_id}"


def _command(camera: Camera, operation: str, **arguments: Any) -> Any:
    """Ask the camera's PTZ service `operation` on the camera's PTZ profile. A move is noted first (last_command), so
    the recorder knows before the picture changes."""
    if operation in _MOVES:
        _note_command(camera, operation, arguments)

    async def ask(client: ONVIFCamera) -> Any:
        if PTZ_SERVICE not in client.xaddrs:
            raise _no_ptz(camera)
        service = await client.create_ptz_service()
        try:
            answer = await getattr(service, operation)({"ProfileToken": camera.ptz_profile, **arguments})
            if operation in _MOVES:
                _note_command(camera, operation, arguments)
            return answer
        except zeep.exceptions.Fault as exc:
            error = _refusal(exc, camera)
            if error is None:
                raise  # the session explains the rest: a wrong password, or not ONVIF at all
            raise error from exc

    return _run(camera, ask)


def _run(camera: Camera, ask: Callable[[ONVIFCamera], Awaitable[T]]) -> T:
    if not camera.onvif_host:
        raise onvif.OnvifError("not_onvif", f"{camera.name} is steered over ONVIF: give its ONVIF host.")

    async def session() -> T:
        async with asyncio.timeout(TIMEOUT_SECONDS), onvif.session(
                camera.onvif_host, camera.onvif_port, camera.username, camera.password, settings.OUTBOUND_ALLOW,
                TIMEOUT_SECONDS) as client:
            await onvif.find_services(client)
            return await ask(client)

    try:
        return asyncio.run(session())
    except TimeoutError as exc:
        raise onvif.explain(exc, camera.onvif_host, camera.onvif_port, TIMEOUT_SECONDS) from exc


async def _stream_profile(media: ONVIFService, profiles: list, camera: Camera):
    """Of the profiles with PTZ, the one whose stream the camera records (main, else sub), else the first."""
    paths = {}
    for profile in profiles:
        answer = await media.GetStreamUri({"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                                           "ProfileToken": profile.token})
        paths[profile.token] = _stream_path(answer.Uri)
    for url in (camera.main_url, camera.sub_url):
        # By path and query: the camera may name itself by another address than the one it is reached at.
        found = next((p for p in profiles if url and paths[p.token] == _stream_path(url)), None)
        if found is not None:
            return found
    return profiles[0]


def _stream_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path.rstrip("/"), parts.query


def _capabilities(node) -> list[str]:
    if node is None:
        # A camera that names no node for its profile still answers the commands nearly all of them have.
        return [PtzCapability.CONTINUOUS, PtzCapability.HOME, PtzCapability.PRESETS]
    spaces = node.SupportedPTZSpaces
    relative = list(getattr(spaces, "RelativePanTiltTranslationSpace", None) or [])
    found = {
        PtzCapability.CONTINUOUS: bool(getattr(spaces, "ContinuousPanTiltVelocitySpace", None)
                                       or getattr(spaces, "ContinuousZoomVelocitySpace", None)),
        PtzCapability.ABSOLUTE: bool(getattr(spaces, "AbsolutePanTiltPositionSpace", None)),
        PtzCapability.RELATIVE: bool(relative),
        PtzCapability.CENTRE: any(space.URI == FOV_SPACE for space in relative),
        PtzCapability.HOME: node.HomeSupported is not False,
        PtzCapability.PRESETS: (node.MaximumNumberOfPresets or 0) > 0,
    }
    return [str(capability) for capability, has in found.items() if has]


def _position(vector) -> Position | None:
    if vector is None:
        return None
    pan_tilt, zoom = getattr(vector, "PanTilt", None), getattr(vector, "Zoom", None)
    if pan_tilt is None and zoom is None:
        return None
    return Position(pan_tilt.x if pan_tilt is not None else None, pan_tilt.y if pan_tilt is not None else None,
                    zoom.x if zoom is not None else None)


# ONVIF's fault subcodes for what a PTZ camera refuses, in the operator's words.
_REFUSALS = {
    "noprofile": "no_ptz", "noptzprofile": "no_ptz",
    "notoken": "no_preset",
    "toomanypresets": "The camera keeps no more presets: delete one first.",
    "presetexist": "The camera already has a preset of that name: choose another.",
    "invalidpresetname": "The camera does not take that name for a preset: try a shorter one, of letters and digits.",
    "movingptz": "The camera is still moving: stop it first.",
    "nohomeposition": "The camera has no home position set.",
}


def _refusal(fault: zeep.exceptions.Fault, camera: Camera) -> onvif.OnvifError | None:
    for name in onvif.fault_names(fault):
        meaning = _REFUSALS.get(name)
        if meaning == "no_ptz":
            return _no_ptz(camera)
        if meaning == "no_preset":
            return onvif.OnvifError("no_preset", f"{camera.name} has no such preset (deleted meanwhile?): list its "
                                                 "presets again.")
        if meaning is not None:
            return onvif.OnvifError("ptz_refused", meaning)
    return None


def _no_ptz(camera: Camera) -> onvif.OnvifError:
    return onvif.OnvifError("no_ptz", f"{camera.name} does not answer PTZ commands (any more): an admin can detect "
                                      "its PTZ again.")
