"""Segment files: complete, hashed while written, keyframe first; and a .part cut anywhere is rescued."""

import errno
import gc
import hashlib
import itertools
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest

from video.pattern_clip import make_clip
from video.segments import START_TAG, RecordedSegment, SegmentWriter, part_path_of, recover_partial
from video.timestamps import Sample

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def ffprobe_duration(path: Path) -> float:
    """Return the file's duration; fail if ffprobe complains about anything."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert out.returncode == 0 and not out.stderr.strip(), f"ffprobe complains about {path}: {out.stderr}"
    return float(out.stdout)


def decode_all(path: Path) -> int:
    """Decode every frame (raises on a broken stream); return how many there are."""
    with av.open(str(path)) as container:
        container.streams.video[0].codec_context.options = {"err_detect": "explode"}
        return sum(1 for _ in container.decode(video=0))


def assert_valid_segment(segment: RecordedSegment, decode: bool = True) -> None:
    """A finished segment: its bytes are what was reported, it starts on a keyframe and players read it."""
    data = segment.path.read_bytes()
    assert len(data) == segment.size
    assert hashlib.sha256(data).hexdigest() == segment.sha256
    assert data[4:8] == b"ftyp" and data[segment.init_size + 4 : segment.init_size + 8] == b"moof"
    assert not part_path_of(segment.path).exists()
    assert ffprobe_duration(segment.path) == pytest.approx(segment.duration, abs=0.1)
    with av.open(str(segment.path)) as container:
        first = next(p for p in container.demux(video=0) if p.size)
        assert first.is_keyframe, f"{segment.path.name} does not start on a keyframe"
        assert datetime.fromisoformat(container.metadata[START_TAG]) == segment.start
    if decode:
        assert decode_all(segment.path) > 0


def segments_from_clip(clip: Path, directory: Path, seconds: float) -> list[RecordedSegment]:
    """Cut `clip` into segments of at least `seconds` by stream copy, as the recorder does, starting at T0."""
    segments = []
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        writer = None
        for packet in container.demux(video):
            if not packet.size:
                continue
            at = T0 + timedelta(seconds=float(packet.dts * video.time_base))
            if writer is None or (packet.is_keyframe and at - writer.start >= timedelta(seconds=seconds)):
                if writer is not None:
                    segments.append(writer.close(at))
                writer = SegmentWriter(directory / f"{at:%H%M%S.%f}.mp4", at, video)
            writer.write(Sample(packet.dts, packet.pts, packet.duration, packet.is_keyframe, bytes(packet)))
            end = at + timedelta(seconds=float(packet.duration * video.time_base))
        segments.append(writer.close(end))
    return segments


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips"), width=640, height=360, seconds=12, gop_seconds=1.0)


@pytest.fixture
def segments(clip, tmp_path) -> list[RecordedSegment]:
    return segments_from_clip(clip, tmp_path / "cam", seconds=4.0)


def test_segments_are_complete_hashed_and_start_on_a_keyframe(segments):
    assert [s.duration for s in segments] == pytest.approx([4.0, 4.0, 4.0])
    for segment in segments:
        assert_valid_segment(segment)
    assert all(a.end == b.start for a, b in zip(segments, segments[1:], strict=False))


def test_every_segment_plays_from_zero_on_its_own(segments):
    with av.open(str(segments[1].path)) as container:
        first = next(p for p in container.demux(video=0) if p.size)
    assert first.dts == 0


def test_it_never_overwrites_a_recording(segments, clip):
    with av.open(str(clip)) as container, pytest.raises(FileExistsError):
        SegmentWriter(segments[0].path, segments[0].start, container.streams.video[0])


def test_a_segment_must_start_with_a_keyframe(clip, tmp_path):
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        writer = SegmentWriter(tmp_path / "a.mp4", T0, video)
        with pytest.raises(ValueError, match="keyframe"):
            writer.write(Sample(0, 0, 512, False, b"\0\0\0\1\x41"))


@pytest.mark.parametrize("cut", [0.001, 0.3, 0.5, 0.77, 0.999, 1.0])
def test_a_part_file_cut_anywhere_is_rescued_up_to_its_last_complete_fragment(segments, cut):
    original = segments[0]
    data = original.path.read_bytes()
    part = part_path_of(original.path.with_name("crashed.mp4"))
    part.write_bytes(data[: round(len(data) * cut)])

    recovered = recover_partial(part)

    assert not part.exists()
    if cut < 0.1:  # not even the first fragment was complete
        assert recovered is None
        return
    assert recovered.path == original.path.with_name("crashed.mp4")
    assert recovered.start == original.start
    assert recovered.end == recovered.start + timedelta(seconds=recovered.duration)
    assert 0 < recovered.duration <= original.duration
    assert recovered.size <= round(len(data) * cut)
    assert_valid_segment(recovered)
    # What is left is exactly the original's beginning.
    assert data.startswith(recovered.path.read_bytes())
    if cut == 1.0:
        assert recovered.duration == pytest.approx(original.duration)


def test_a_segment_on_a_full_disk_raises_the_disks_error_and_what_fit_is_rescued(clip, small_disk):
    (small_disk / "ballast").write_bytes(b"\0" * (2560 * 1024))
    path = small_disk / "full.mp4"
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        packets = [p for p in container.demux(video) if p.size]
        length = packets[-1].dts + packets[-1].duration
        writer = SegmentWriter(path, T0, video)
        with pytest.raises(OSError) as failed:
            for lap in itertools.count():  # the clip again and again, until the disk is full
                for p in packets:
                    writer.write(Sample(p.dts + lap * length, p.pts + lap * length, p.duration, p.is_keyframe,
                                        bytes(p)))
        assert failed.value.errno == errno.ENOSPC
        with pytest.raises(OSError):
            writer.write(Sample(p.dts + (lap + 1) * length, p.pts + (lap + 1) * length, p.duration, False, bytes(p)))
    # Left unclosed, as a recorder that crashed on it would, and collected once space came back: it writes nothing
    # more into the file (what it would write after a failed one is out of place). FFmpeg's own output drops every
    # write after a failed one too, so this holds whether or not the error reaches FFmpeg: the test states what a
    # segment on a full disk must do, it does not show the crash that dropping writes in _HashingFile is meant to
    # prevent (that crash was seen once and never reproduced).
    size = part_path_of(path).stat().st_size
    (small_disk / "ballast").unlink()
    del writer
    gc.collect()
    assert part_path_of(path).stat().st_size == size

    rescued = recover_partial(part_path_of(path))

    assert rescued is not None and rescued.duration > 0
    assert_valid_segment(rescued)
