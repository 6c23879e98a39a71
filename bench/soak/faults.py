"""When the soak test strikes: a seeded schedule of faults, and the camera-offline episodes alarms must follow."""

from __future__ import annotations

import random
from dataclasses import dataclass

# What can be struck; "celery" is a worker killed while it renders an export, "disk" the recordings disk filled.
FAULT_KINDS = ("recorder", "analytics", "celery", "web", "postgres", "redis", "disk")
# No fault in the first and last minute of a long run (shorter runs scale this down): footage must exist to
# export, and the end must show that everything came back.
EDGE_SECONDS = 60.0
# Faults this far apart can be told apart in the logs and their recoveries do not overlap.
MIN_SPACING_SECONDS = 20.0
OFFLINE_SECONDS = (12.0, 18.0)
ONLINE_SECONDS = (25.0, 40.0)


@dataclass(frozen=True)
class Fault:
    at: float  # seconds from the start of the soak
    kind: str


def fault_schedule(rng: random.Random, seconds: float, kinds: list[str], each: int) -> list[Fault]:
    """`each` faults of every kind in random order, one at a random moment of each of as many equal slots,
    at least MIN_SPACING_SECONDS apart."""
    edge = min(EDGE_SECONDS, seconds / 6)
    order = [kind for kind in kinds for _ in range(each)]
    rng.shuffle(order)
    slot = (seconds - 2 * edge) / max(len(order), 1)
    if slot < MIN_SPACING_SECONDS:
        raise ValueError(f"{len(order)} faults do not fit in {seconds:.0f} s: run longer or strike fewer kinds")
    return [Fault(edge + i * slot + rng.uniform(0, slot - MIN_SPACING_SECONDS), kind) for i, kind in enumerate(order)]


def offline_episodes(rng: random.Random, seconds: float) -> list[tuple[float, float]]:
    """(from, to) seconds when the alarm camera is unplugged: each must raise exactly one offline alarm."""
    episodes, t = [], rng.uniform(*ONLINE_SECONDS) / 2
    while True:
        length = rng.uniform(*OFFLINE_SECONDS)
        if t + length > seconds - 10:
            return episodes
        episodes.append((t, t + length))
        t += length + rng.uniform(*ONLINE_SECONDS)
