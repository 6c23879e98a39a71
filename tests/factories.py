"""Recorded segments made for tests (rows only; tests that need real files write them), indexed as the recorder
indexes them."""

from __future__ import annotations

from datetime import timedelta

from recordings.models import Segment
from recordings.services import index_segments


def record_run(camera, start, count: int, seconds: float = 10.0, **fields) -> list[Segment]:
    """`count` back-to-back segments from `start`, as the recorder writes them."""
    rows = [Segment(camera=camera, start=start + timedelta(seconds=i * seconds),
                    end=start + timedelta(seconds=(i + 1) * seconds), duration=seconds, size=fields.get("size", 1000),
                    sha256="0" * 64, init_size=800, path=f"{camera.pk}/{start:%Y%m%d%H%M%S}-{i:07d}.mp4",
                    locked=fields.get("locked", False))
            for i in range(count)]
    return index_segments(rows)
