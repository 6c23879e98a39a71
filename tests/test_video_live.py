"""The recorder's live muxer: fragments only while someone wants them, and a late start from the GOP so far."""

import av
import pytest

from video.live import LiveMuxer
from video.live_decoder import LiveDecoder
from video.pattern_clip import make_clip
from video.timestamps import Sample


def test_no_fragment_is_made_while_unwanted_and_a_late_start_begins_with_the_gop_so_far(tmp_path):
    clip = make_clip(tmp_path, width=320, height=240, fps=10, seconds=3)
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        samples = [Sample(packet.dts, packet.pts, packet.duration, packet.is_keyframe, packet)
                   for packet in container.demux(video) if packet.dts is not None]
        wanted = False
        chunks = []
        muxer = LiveMuxer(video, chunks.append, wanted=lambda: wanted)
        for sample in samples[:14]:
            muxer.add(sample)
        assert chunks == [] and muxer.media_seconds(samples[13].pts) is None, "nothing made for nobody"
        keyframe = max(index for index in range(14) if samples[index].is_keyframe)
        assert 0 < keyframe < 13, "the clip has a keyframe, then frames before the start"
        wanted = True
        for sample in samples[14:20]:
            muxer.add(sample)
        muxer.close()
    init, fragments = chunks[0], chunks[1:]
    assert init.init and fragments[0].keyframe
    backlog = 14 - keyframe
    assert [chunk.backlog for chunk in fragments] == [True] * backlog + [False] * 6
    assert muxer.media_seconds(samples[keyframe].pts) is None  # closed: no live media time
    decoder = LiveDecoder(init.data)
    pictures = [picture for chunk in fragments for picture in decoder.decode(chunk.data)]
    assert len(pictures) >= backlog + 5, "every frame from the keyframe on decodes"
    assert pictures[0][0] == pytest.approx(0.0), "the live media time starts at that keyframe"
