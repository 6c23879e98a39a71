"""Where a camera's segment files go on the recorder's disk, and where those it holds apart wait."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

# Segments recorded while the lease of the camera could not be confirmed (the database out of reach: restarting, or
# this node cut off while another took the camera over) wait here, apart from those that recovery indexes.
HELD = "held"
# The end of the name of a segment rescued from what a recorder on another host put into the store of it (its pieces).
RESCUED = ".rescued.mp4"


def camera_directory(camera_id: int, unmasked: bool = False) -> Path:
    """Where a camera's segments go: <root>/<camera>, and its unmasked copy's <root>/<camera>-unmasked."""
    return settings.RECORDINGS_ROOT / (f"{camera_id}-unmasked" if unmasked else str(camera_id))


def segment_path(camera_id: int, start: datetime, unmasked: bool = False, held: bool = False) -> Path:
    """<camera directory>/<YYYY-MM-DD>/<HHMMSS.ffffff>.mp4, in UTC; a segment `held` (recorded while the recorder's
    lease of the camera was not confirmed) under <camera directory>/held/, until it is."""
    start = start.astimezone(UTC)
    directory = camera_directory(camera_id, unmasked)
    return (directory / HELD if held else directory) / f"{start:%Y-%m-%d}" / f"{start:%H%M%S.%f}.mp4"


def rescued_path(final: Path) -> Path:
    """Where a segment rescued from the pieces another recorder put into the store goes: beside the name that
    recorder gave it, never on it (back again, it may still hold the whole file, and upload it)."""
    return final.with_name(final.name.removesuffix(".mp4") + RESCUED)


def original_path(path: Path) -> Path:
    """The name the recorder that wrote it gave a segment (`path` itself, unless it is a rescued one)."""
    return path.with_name(path.name.removesuffix(RESCUED) + ".mp4") if path.name.endswith(RESCUED) else path


def held_files(camera_id: int, unmasked: bool) -> list[Path]:
    """The camera's held segments, finished or half-written, oldest first."""
    return sorted((camera_directory(camera_id, unmasked) / HELD).glob("*/*.mp4*"))


def is_held(path: Path, camera_id: int, unmasked: bool) -> bool:
    return path.is_relative_to(camera_directory(camera_id, unmasked) / HELD)
