"""factory_boy factories of recorded segments (rows only; tests that need real files write them)."""

from __future__ import annotations

from datetime import timedelta

import factory

from recordings.models import Segment
from recordings.services import index_segments


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    duration = 10.0
    end = factory.LazyAttribute(lambda s: s.start + timedelta(seconds=s.duration))
    size = 5_000_000
    sha256 = "0" * 64
    init_size = 800
    path = factory.Sequence(lambda n: f"test/{n:08d}.mp4")


def record_run(camera, start, count: int, seconds: float = 10.0, **fields) -> list[Segment]:
    """`count` back-to-back segments from `start`, as the recorder writes them."""
    rows = [Segment(camera=camera, start=start + timedelta(seconds=i * seconds),
                    end=start + timedelta(seconds=(i + 1) * seconds), duration=seconds, size=fields.get("size", 1000),
                    sha256="0" * 64, init_size=800, path=f"{camera.pk}/{start:%Y%m%d%H%M%S}-{i:07d}.mp4",
                    locked=fields.get("locked", False))
            for i in range(count)]
    return index_segments(rows)
