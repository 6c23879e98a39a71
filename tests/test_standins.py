"""The test stand-ins work: clips, RTSP servers (H.264, HEVC, auth, 404, restart, loops) and dead networks."""

import threading
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import NamedTuple

import av
import av.error
import numpy as np
import pytest

from tests.standins.rtsp_servers import (
    FileRtspServer,
    GstCamera,
    free_port,
    run_without_network,
    silent_tcp_server,
)
from video.pattern_clip import make_clip

FAST_OPEN = {"rtsp_transport": "tcp", "analyzeduration": "0", "probesize": "32"}
# Generous, for a busy machine: a healthy stand-in answers in well under a second.
TIMEOUT = 10


class Packet(NamedTuple):
    dts: int | None
    pts: int | None
    is_keyframe: bool
    size: int


def read_packets(url: str, count: int) -> tuple[str, list[Packet]]:
    """Return the stream's codec name and its first `count` video packets."""
    with av.open(url, options=FAST_OPEN, timeout=TIMEOUT) as container:
        stream = container.streams.video[0]
        packets = []
        for packet in container.demux(stream):
            packets.append(Packet(packet.dts, packet.pts, packet.is_keyframe, packet.size))
            if len(packets) == count:
                break
    print(url, stream.codec_context.name, *packets, sep="\n")
    return stream.codec_context.name, packets


def keyframe_dts(packets: list[Packet]) -> list[int | None]:
    """Return the DTS of the keyframe packets."""
    return [p.dts for p in packets if p.is_keyframe]


def test_it_makes_a_moving_pattern_with_a_fixed_gop_and_no_b_frames(h264_clip: Path) -> None:
    with av.open(str(h264_clip)) as container:
        stream = container.streams.video[0]
        shape = (stream.codec_context.name, stream.width, stream.height, stream.average_rate)
        packets = list(container.demux(stream))
        frames = [packet.decode() for packet in packets[:2]]
    assert shape == ("h264", 1280, 720, 25)
    assert [i for i, p in enumerate(packets) if p.is_keyframe] == list(range(0, 250, 25))
    assert all(p.pts == p.dts for p in packets if p.size)
    assert not np.array_equal(frames[0][0].to_ndarray(), frames[1][0].to_ndarray())


def test_it_encodes_each_clip_only_once(clip_dir: Path, h264_clip: Path) -> None:
    written = h264_clip.stat().st_mtime_ns
    assert make_clip(clip_dir, codec="h264") == h264_clip
    assert h264_clip.stat().st_mtime_ns == written


def test_it_makes_hevc_clips(hevc_clip: Path) -> None:
    with av.open(str(hevc_clip)) as container:
        packets = list(container.demux(video=0))
        assert container.streams.video[0].codec_context.name == "hevc"
    assert [i for i, p in enumerate(packets) if p.is_keyframe] == list(range(0, 250, 25))


@pytest.mark.parametrize("clip_fixture, codec", [("h264_clip", "h264"), ("hevc_clip", "hevc")])
def test_file_server_streams_clips(
    file_rtsp_server: FileRtspServer, request: pytest.FixtureRequest, clip_fixture: str, codec: str
) -> None:
    name, packets = read_packets(file_rtsp_server.url_for(request.getfixturevalue(clip_fixture)), 30)
    assert name == codec
    assert packets[0].is_keyframe
    assert len(keyframe_dts(packets)) == 2


def test_file_server_loops_forever(file_rtsp_server: FileRtspServer, clip_dir: Path) -> None:
    short = make_clip(clip_dir, width=320, height=240, seconds=1)
    _, packets = read_packets(file_rtsp_server.url_for(short), 40)
    dts = [p.dts for p in packets if p.dts is not None]
    assert dts == sorted(set(dts))
    assert dts[-1] > 90_000
    assert len(keyframe_dts(packets)) == 2


def test_file_server_plays_more_sessions_at_once_than_the_default_thread_pool(
    file_rtsp_server: FileRtspServer, h264_clip: Path
) -> None:
    url = file_rtsp_server.url_for(h264_clip)
    counts: list[int] = []
    # Every viewer stays until all have had their packets: a full pool would starve the last ones.
    all_served = threading.Barrier(10, timeout=15)

    def watch() -> None:
        with av.open(url, options=FAST_OPEN, timeout=TIMEOUT) as container:
            counts.append(len(list(islice(container.demux(video=0), 10))))
            all_served.wait()

    viewers = [threading.Thread(target=watch) for _ in range(10)]
    for viewer in viewers:
        viewer.start()
    for viewer in viewers:
        viewer.join()
    assert not all_served.broken
    assert counts == [10] * 10


@pytest.mark.parametrize("codec, name", [("h264", "h264"), ("h265", "hevc")])
def test_gst_camera_streams_live_video(gst_camera: Callable[..., GstCamera], codec: str, name: str) -> None:
    camera = gst_camera(codec=codec)
    stream_name, packets = read_packets(camera.url, 30)
    assert stream_name == name
    assert packets[0].is_keyframe
    assert any(keyframe_dts(packets)[1:]), "no second keyframe a second later"


@pytest.mark.parametrize("slices", [1, 2, 3])
def test_gst_camera_sends_a_keyframe_packet_per_h264_slice(
    gst_camera: Callable[..., GstCamera], slices: int
) -> None:
    _, packets = read_packets(gst_camera(slices=slices).url, 35)
    first, second = keyframe_dts(packets)[:slices], keyframe_dts(packets)[slices:]
    assert first == [None] + [0] * (slices - 1)
    assert len(second) == slices
    assert len(set(second)) == 1 and second[0] > 0


@pytest.mark.parametrize("rewind_on_play", [False, True])
def test_gst_camera_rewinds_viewers_when_another_joins_only_if_asked(
    gst_camera: Callable[..., GstCamera], rewind_on_play: bool
) -> None:
    camera = gst_camera(rewind_on_play=rewind_on_play)
    with av.open(camera.url, options=FAST_OPEN, timeout=TIMEOUT) as first:
        packets = first.demux(video=0)
        before = [p.dts for p in islice(packets, 30)]
        read_packets(camera.url, 5)
        after = [p.dts for p in islice(packets, 30)]
    dts = [d for d in before + after if d is not None]
    went_back = dts != sorted(dts)
    assert went_back == rewind_on_play


def test_gst_camera_asks_for_credentials(gst_camera: Callable[..., GstCamera]) -> None:
    camera = gst_camera(user="admin", password="s3cret:/@")
    wrong = camera.url.replace("rtsp://", "rtsp://admin:wrong@")
    for url in (camera.url, wrong):
        with pytest.raises(av.error.HTTPUnauthorizedError, match="401 Unauthorized"):
            av.open(url, options=FAST_OPEN, timeout=TIMEOUT)
    codec, _ = read_packets(camera.url_with_credentials, 1)
    assert codec == "h264"


def test_gst_camera_answers_404_for_an_unknown_path(gst_camera: Callable[..., GstCamera]) -> None:
    camera = gst_camera(path="/live")
    with pytest.raises(av.error.HTTPNotFoundError, match="404 Not Found"):
        av.open(camera.url.replace("/live", "/other"), options=FAST_OPEN, timeout=TIMEOUT)


def test_gst_camera_comes_back_on_the_same_port(gst_camera: Callable[..., GstCamera]) -> None:
    camera = gst_camera()
    url = camera.url
    camera.stop()
    with pytest.raises(av.error.ConnectionRefusedError):
        av.open(url, options=FAST_OPEN, timeout=TIMEOUT)
    camera.start()
    _, packets = read_packets(camera.url, 1)
    assert camera.url == url
    assert packets[0].is_keyframe


def test_nobody_listens_on_a_free_port() -> None:
    with pytest.raises(av.error.ConnectionRefusedError, match="Connection refused"):
        av.open(f"rtsp://127.0.0.1:{free_port()}/stream", options=FAST_OPEN, timeout=TIMEOUT)


def test_a_silent_server_makes_the_open_time_out() -> None:
    with silent_tcp_server() as port:
        started = time.monotonic()
        # FFmpeg reports an RTSP reply that never comes as invalid data, not as a timeout.
        with pytest.raises(av.error.InvalidDataError):
            av.open(f"rtsp://127.0.0.1:{port}/stream", options=FAST_OPEN, timeout=1)
        assert 0.9 < time.monotonic() - started < 4


def test_without_network_a_camera_is_unreachable_at_once() -> None:
    result = run_without_network(
        "import av\n"
        "try:\n"
        "    av.open('rtsp://192.0.2.1:554/stream', options={'rtsp_transport': 'tcp'}, timeout=5)\n"
        "except av.error.OSError as error:\n"
        "    print(type(error).__name__, error.errno, error.strerror)\n",
        timeout=20,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OSError 101 Network is unreachable"
