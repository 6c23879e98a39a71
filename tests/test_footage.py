"""The footage stand-in: vtest.avi as an H.264 clip the RTSP stand-in serves, its labels, and its fallback."""

import json
import os
from itertools import islice
from pathlib import Path

import av
import numpy as np
import pytest

from tests.standins import footage
from tests.standins.footage import PeopleClip
from tests.standins.rtsp_servers import FileRtspServer, run_without_network

FAST_OPEN = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "32"}
TIMEOUT = 10


def test_it_is_the_pedestrian_footage_as_camera_like_h264(real_people_clip: PeopleClip) -> None:
    with av.open(str(real_people_clip.path)) as container:
        stream = container.streams.video[0]
        shape = (stream.codec_context.name, stream.codec_context.profile, stream.codec_context.pix_fmt)
        size = (stream.width, stream.height, stream.average_rate)
        packets = [packet for packet in container.demux(stream) if packet.size]
    assert shape == ("h264", "Constrained Baseline", "yuv420p")
    assert size == (768, 576, 10)
    assert len(packets) == real_people_clip.frame_count == 795
    assert [i for i, p in enumerate(packets) if p.is_keyframe] == list(range(0, 795, 10))
    assert all(p.pts == p.dts for p in packets), "B-frames"


def test_it_transcodes_only_once(people_clip: PeopleClip) -> None:
    written = people_clip.path.stat().st_mtime_ns
    assert footage.people_clip() == people_clip
    assert people_clip.path.stat().st_mtime_ns == written


@pytest.mark.rtsp
def test_the_file_server_serves_it_frame_for_frame(
    people_clip: PeopleClip, footage_rtsp_server: FileRtspServer
) -> None:
    url = footage_rtsp_server.url_for(people_clip.path)
    with av.open(url, options=FAST_OPEN, timeout=TIMEOUT) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        served = [frame.to_ndarray(format="bgr24") for frame in islice(container.decode(stream), 15)]
    expected = footage.decode_frames(people_clip.path, range(15))
    assert codec == "h264"
    # The same bitstream decodes to the same pictures: nothing was dropped, reordered or damaged on the way.
    for index, frame in enumerate(served):
        assert np.array_equal(frame, expected[index]), f"frame {index} differs"
    assert not np.array_equal(served[0], served[-1]), "the people should have moved"


def test_the_labels_fit_the_footage(real_people_clip: PeopleClip) -> None:
    data = json.loads(footage.LABELS_PATH.read_text())
    frames = footage.labelled_frames()
    assert (data["width"], data["height"]) == (real_people_clip.width, real_people_clip.height)
    assert len(frames) >= 30
    assert all(0 <= frame.index < real_people_clip.frame_count for frame in frames)
    for frame in frames:
        for x, y, w, h in frame.people + frame.partial:
            assert w > 0 and h > 0 and x >= 0 and y >= 0
            assert x + w <= data["width"] and y + h <= data["height"], f"frame {frame.index}: {(x, y, w, h)}"


@pytest.mark.slow
def test_without_the_mirror_it_generates_walking_figures(tmp_path: Path) -> None:
    cache = tmp_path / "footage"
    script = (
        "from pathlib import Path\n"
        "from tests.standins import footage\n"
        "footage.SYSTEM_VTEST = Path('/nonexistent')\n"
        f"clip = footage.people_clip(Path({str(cache)!r}))\n"
        "print(clip.source, clip.path, sep='\\n')\n"
        "print(clip.fallback_reason)\n"
    )
    result = run_without_network(script, timeout=120)
    assert result.returncode == 0, result.stderr
    source, path, reason = result.stdout.splitlines()[-3:]
    assert source == footage.GENERATED_SOURCE
    assert reason.startswith("apt-get download opencv-doc failed"), reason
    frames = footage.decode_frames(Path(path), [0, 20])
    assert frames[0].shape == (576, 768, 3)
    assert np.abs(frames[0].astype(int) - frames[20]).mean() > 1, "the figures should move"
    assert sorted(os.listdir(cache)) == [".lock", Path(path).name], "leftovers from the failed fetch"
