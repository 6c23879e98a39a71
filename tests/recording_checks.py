"""Checks of recorded segments shared by the recorder and playback tests: intact, keyframe-first, contiguous."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

import av

from recordings.leases import LeasingProcess
from recordings.models import Segment


def wait_for(condition: Callable[[], object], timeout: float, what: str, every: float = 0.25):
    """Poll until `condition()` is truthy; fail naming `what` after `timeout` seconds (not a timing claim)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"gave up after {timeout} s waiting for {what}")


@contextmanager
def running(*processes: LeasingProcess) -> Iterator[None]:
    """Run leasing processes (recorders, analytics workers, event listeners) in threads of this process, and stop
    them afterwards."""
    stop = threading.Event()
    threads = [threading.Thread(target=process.run, args=(stop,), daemon=True) for process in processes]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)


def ffprobe(path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_name,width,height",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=False, timeout=30,
    )
    assert out.returncode == 0 and not out.stderr.strip(), f"ffprobe complains about {path}: {out.stderr}"
    return json.loads(out.stdout)


def assert_segment_intact(segment: Segment) -> None:
    data = segment.file.read_bytes()
    assert len(data) == segment.size
    assert hashlib.sha256(data).hexdigest() == segment.sha256, f"sha256 of {segment.path} does not match"
    assert data[4:8] == b"ftyp" and b"moof" in data[segment.init_size:segment.init_size + 8]
    info = ffprobe(segment.file)
    assert info["streams"][0]["codec_name"] == "h264"
    assert abs(float(info["format"]["duration"]) - segment.duration) < 0.2
    with av.open(str(segment.file)) as container:
        first = next(p for p in container.demux(video=0) if p.size)
        assert first.is_keyframe, f"{segment.path} does not start on a keyframe"


def assert_contiguous(segments: list[Segment], tolerance: float = 0.15) -> None:
    for before, after in zip(segments, segments[1:], strict=False):
        step = (after.start - before.end).total_seconds()
        assert abs(step) <= tolerance, f"{before.path} ends {step:+.3f} s from where {after.path} starts"


def assert_segment_playable(segment: Segment) -> None:
    """A player reads the segment: `ffprobe -v error` exits 0 and decodes at least one frame, of the picture size
    its init segment says (an init segment from before a camera changed resolution would mislead players)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
         "-show_entries", "stream=nb_read_frames,width,height", "-of", "json", str(segment.file)],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert out.returncode == 0, f"ffprobe cannot read {segment.path}: {out.stderr[-2000:]}"
    stream = json.loads(out.stdout)["streams"][0]
    assert int(stream["nb_read_frames"]) >= 1, f"no frame of {segment.path} decodes"
    decoded = (stream["width"], stream["height"])
    said = init_picture_size(segment.file.read_bytes()[: segment.init_size])
    assert said == decoded, f"{segment.path}: its init segment says {said}, its frames are {decoded}"


def init_picture_size(init: bytes) -> tuple[int, int]:
    """The picture size an MP4 init segment says (in its video track header, tkhd)."""
    at = init.index(b"tkhd") - 4
    box = init[at : at + int.from_bytes(init[at : at + 4], "big")]
    # A tkhd ends with the width and height as 16.16 fixed point.
    return int.from_bytes(box[-8:-4], "big") >> 16, int.from_bytes(box[-4:], "big") >> 16


def footage_gap(segments: list[Segment], indexed_before: set[str], since: datetime) -> float | None:
    """The longest hole in a camera's footage around a failover at `since`: from the last segment indexed before it
    (`indexed_before`: their paths), through those indexed after it (the killed recorder's rescued half-written one,
    what a hot standby recorded from its memory), to the first that starts after it. None without footage on both
    sides."""
    segments = sorted(segments, key=lambda s: s.start)
    before = [i for i, s in enumerate(segments) if s.path in indexed_before]
    after = [i for i, s in enumerate(segments) if s.start >= since]
    if not before or not after:
        return None
    first, last = max(before), min(after)
    return max(((b.start - a.end).total_seconds() for a, b in zip(segments[first:last], segments[first + 1:last + 1],
                                                                  strict=True)), default=0.0)


def assert_no_time_twice(segments: list[Segment], tolerance: float = 0.15) -> None:
    """No moment of a camera is in two of its segments (beyond `tolerance` seconds): whoever recorded them, one
    recorder at a time held the camera. `segments` are one camera's, of one kind (masked or unmasked)."""
    ordered = sorted(segments, key=lambda s: s.start)
    for before, after in zip(ordered, ordered[1:], strict=False):
        overlap = (before.end - after.start).total_seconds()
        assert overlap <= tolerance, f"{before.path} and {after.path} both hold {overlap:.3f} s of the same time"
