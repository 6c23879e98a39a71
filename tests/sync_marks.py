"""Where the white frames and clicks that the stand-in camera burns into its video and sound (GstCamera(clicks=True))
fall in a recorded file, and how far apart each flash and its click are."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

# The stand-in's flash lifts the mean luma from a few units to well over 100; its click is 50 times the noise.
FLASH_LUMA = 60
CLICK_LEVEL = 0.3


def flashes(path: Path) -> list[float]:
    """Media times (seconds) of the white frames."""
    times: list[float] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            at = float(frame.pts * frame.time_base)
            if frame.to_ndarray(format="gray").mean() > FLASH_LUMA and (not times or at - times[-1] > 0.5):
                times.append(at)
    return times


def clicks(path: Path) -> list[float]:
    """Media times (seconds) of the clicks' first loud sample."""
    times: list[float] = []
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            sound = frame.to_ndarray().astype(float).reshape(-1)
            if frame.format.name.startswith("s16"):
                sound /= 32768
            loud = np.nonzero(np.abs(sound) > CLICK_LEVEL)[0]
            if len(loud):
                at = float(frame.pts * frame.time_base) + loud[0] / frame.sample_rate
                if not times or at - times[-1] > 0.5:
                    times.append(at)
    return times


def sync_offsets(path: Path) -> list[float]:
    """For each flash with a click within half a second, the click's time minus the flash's (seconds)."""
    heard = clicks(path)
    offsets = []
    for seen in flashes(path):
        nearest = min(heard, key=lambda at: abs(at - seen), default=None)
        if nearest is not None and abs(nearest - seen) < 0.5:
            offsets.append(nearest - seen)
    return offsets
