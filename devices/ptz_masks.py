"""Privacy masks fixed to a PTZ camera's scene: where a polygon drawn on one of its views lies in its scene, and its
masks as the recorder's position follower (devices/ptz_position.py) takes them."""

from __future__ import annotations

from dataclasses import dataclass

from devices import ptz
from devices.models import Camera
from video.masking import Style, color_from_hex
from video.ptz_view import View, to_scene


@dataclass(frozen=True)
class SceneMask:
    """A privacy mask fixed to the scene: its polygon in scene degrees (video.ptz_view), style and BGR colour."""

    points: tuple[tuple[float, float], ...]
    style: Style
    color: tuple[int, int, int]


def scene_points(camera: Camera, points: list[list[float]], view: View | None) -> list[list[float]]:
    """A polygon drawn on a PTZ camera's picture, in its scene: drawn on `view`, or, when None, on where the camera
    looks now (asked). Raises onvif.OnvifError, and ValueError when the camera does not say where it looks."""
    if view is None:
        here = ptz.status(camera).position
        if here is None or None in (here.pan, here.tilt, here.zoom):
            raise ValueError(f"{camera.name} does not say where it looks (pan, tilt and zoom), so a mask drawn on its "
                             "picture cannot be fixed to its scene: give the view it was drawn on.")
        view = View(here.pan, here.tilt, here.zoom)
    return [[round(pan, 6), round(tilt, 6)] for pan, tilt in to_scene(points, view, camera.ptz_optics)]


def scene_masks_of(camera: Camera) -> list[SceneMask]:
    """The camera's privacy masks fixed to the scene (its others are masked as drawn)."""
    return [SceneMask(tuple((p, t) for p, t in mask.scene_points), mask.style, color_from_hex(mask.color))
            for mask in camera.privacy_masks.all() if mask.scene_points is not None]
