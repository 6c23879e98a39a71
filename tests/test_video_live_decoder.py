"""The analytics' decoder of the live feed: every frame back, at the media time the browser shows it."""

from pathlib import Path

import av
import pytest

from video.live import LiveChunk, LiveMuxer
from video.live_decoder import LiveClock, LiveDecoder, parse_fragment, parse_init
from video.pattern_clip import make_clip
from video.timestamps import Sample


def live_chunks(clip: Path) -> tuple[list[LiveChunk], list[float]]:
    """The live feed of a clip as the recorder makes it, and each frame's presentation time in seconds."""
    chunks: list[LiveChunk] = []
    times = []
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        muxer = LiveMuxer(video, chunks.append)
        first = None
        for packet in container.demux(video):
            if packet.dts is None:
                continue
            first = packet.dts if first is None else first
            times.append(float((packet.pts - first) * video.time_base))
            muxer.add(Sample(dts=packet.dts, pts=packet.pts, duration=packet.duration, is_keyframe=packet.is_keyframe,
                             data=bytes(packet)))
        muxer.close()
    return chunks, times


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    return live_chunks(make_clip(tmp_path_factory.mktemp("clip"), width=320, height=240, fps=10, seconds=3))


def test_it_reads_the_codec_and_size_from_the_init_segment(feed):
    chunks, _times = feed
    track = parse_init(chunks[0].data)
    assert (track.codec, track.width, track.height) == ("h264", 320, 240)
    assert track.extradata[0] == 1  # avcC


def test_it_decodes_every_frame_with_the_media_time_of_its_fragment(feed):
    chunks, times = feed
    assert chunks[0].init
    decoder = LiveDecoder(chunks[0].data)
    pictures = [picture for chunk in chunks[1:] for picture in decoder.decode(chunk.data)]
    assert [round(t, 3) for t, _frame in pictures] == [round(t, 3) for t in times[: len(pictures)]]
    assert len(pictures) >= len(times) - 1  # the decoder may hold the last frame
    assert pictures[0][1].width == 320


def test_a_viewer_joining_mid_stream_starts_at_the_next_keyframe(feed):
    chunks, _times = feed
    decoder = LiveDecoder(chunks[0].data)
    later = chunks[5:]  # frames 4.. of a 10-frame GOP: no keyframe until frame 10
    pictures = [picture for chunk in later for picture in decoder.decode(chunk.data)]
    assert pictures and pictures[0][0] == pytest.approx(1.0)
    assert parse_fragment(chunks[11].data)[0].keyframe and not parse_fragment(chunks[12].data)[0].keyframe


def test_the_clock_places_what_arrives_with_a_fragment_at_its_media_time_without_decoding(feed):
    chunks, times = feed
    clock = LiveClock(chunks[0].data)
    assert clock.pts_at(100.0) is None, "no fragment yet"
    clock.fragment(chunks[8].data, arrived=100.0)  # frame 7
    assert clock.pts_at(100.0) == pytest.approx(times[7])
    assert clock.pts_at(100.25) == pytest.approx(times[7] + 0.25)
    assert clock.pts_at(103.0) is None, "the stream stopped: its last fragment says nothing of now"
