"""iter_clip: one playable MP4 of a span over consecutive segments, streamed as it is remuxed."""

from pathlib import Path

import av
import pytest

from tests.test_video_segments import decode_all, ffprobe_duration, segments_from_clip
from video.clips import iter_clip
from video.pattern_clip import make_clip
from video.segments import RecordedSegment


@pytest.fixture(scope="module")
def segments(tmp_path_factory) -> list[RecordedSegment]:
    # Keyframes every second, segments of 4 s: 0-4, 4-8, 8-12.
    clip = make_clip(tmp_path_factory.mktemp("clips"), width=640, height=360, seconds=12, gop_seconds=1.0)
    return segments_from_clip(clip, tmp_path_factory.mktemp("cam"), seconds=4.0)


def write_clip(chunks, path: Path) -> list[bytes]:
    chunks = list(chunks)
    path.write_bytes(b"".join(chunks))
    return chunks


def test_a_span_from_the_middle_of_the_first_to_the_middle_of_the_third_segment(segments, tmp_path):
    path = tmp_path / "clip.mp4"
    chunks = write_clip(iter_clip([s.path for s in segments], 2.3, 8 + 2.5, chunk_size=64 * 1024), path)

    # From the keyframe at 2.0 s to the one at 11.0 s, the first after the end.
    assert ffprobe_duration(path) == pytest.approx(9.0, abs=0.05)
    assert len(chunks) > 1, "the clip should arrive in pieces, not all at the end"
    assert decode_all(path) == 9 * 25
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        packets = [p for p in container.demux(video) if p.size]
        time_base = video.time_base
    assert packets[0].is_keyframe and packets[0].dts == 0
    # Timestamps run on across both segment boundaries, a frame apart.
    steps = [float((b.dts - a.dts) * time_base) for a, b in zip(packets, packets[1:], strict=False)]
    assert steps == [pytest.approx(0.04)] * (len(packets) - 1)


def test_a_span_starting_on_a_keyframe_and_running_past_the_data(segments, tmp_path):
    path = tmp_path / "clip.mp4"
    write_clip(iter_clip([s.path for s in segments[1:]], 1.0, 100.0), path)
    assert ffprobe_duration(path) == pytest.approx(7.0, abs=0.05)
    assert decode_all(path) == 7 * 25


def test_a_span_in_the_last_second_of_the_recording(segments, tmp_path):
    path = tmp_path / "clip.mp4"
    write_clip(iter_clip([segments[-1].path], 3.5, 3.9), path)
    assert ffprobe_duration(path) == pytest.approx(1.0, abs=0.05)


def test_a_span_after_the_recording_has_no_video(segments):
    with pytest.raises(ValueError, match="no recorded video"):
        list(iter_clip([segments[0].path], 50.0, 60.0))
