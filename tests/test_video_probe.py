"""probe_stream on live RTSP stand-ins and files, and every way a camera address can fail, in plain words."""

import json
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tests.standins.rtsp_servers import free_port, run_without_network, silent_tcp_server
from video.probe import StreamError, StreamInfo, probe_stream

pytest_plugins = ["tests.standins.fixtures"]
pytestmark = pytest.mark.rtsp
ROOT = Path(__file__).resolve().parent.parent
USER = "viewer"
PASSWORD = "Tr0ub4dor&3:@/x"


@pytest.fixture
def camera(gst_camera):
    return gst_camera(path="/main", user=USER, password=PASSWORD, width=1280, height=720, bitrate_kbps=2000)


def failure(url: str, username: str | None = None, password: str | None = None, timeout=3.0) -> StreamError:
    with pytest.raises(StreamError) as caught:
        probe_stream(url, username, password, timeout=timeout)
    error = caught.value
    for secret in (PASSWORD, "Tr0ub4dor"):
        assert secret not in str(error) and secret not in repr(error)
    assert error.__cause__ is None, "the PyAV error names the URL with its password; it must not be chained"
    return error


def test_it_describes_a_live_h264_camera_that_needs_a_password(camera):
    info = probe_stream(camera.url, USER, PASSWORD)
    assert (info.codec, info.width, info.height, info.browser_playable) == ("h264", 1280, 720, True)
    assert info.fps == pytest.approx(25, rel=0.05)
    assert info.bitrate > 100_000


def test_it_takes_the_password_in_the_url_too(camera):
    url = camera.url_with_credentials
    assert probe_stream(url).codec == "h264"


def test_h265_is_recordable_but_not_browser_playable(gst_camera):
    info = probe_stream(gst_camera(codec="h265").url)
    assert (info.codec, info.width, info.height, info.browser_playable) == ("hevc", 640, 360, False)
    assert info.fps == pytest.approx(25, rel=0.05)


@pytest.mark.parametrize("codec", ["h264", "hevc"])
def test_it_measures_fps_and_bitrate_the_stream_does_not_say(codec, file_rtsp_server, h264_clip, hevc_clip):
    clip = {"h264": h264_clip, "hevc": hevc_clip}[codec]
    info = probe_stream(file_rtsp_server.url_for(clip))
    with av.open(str(clip)) as container:
        bitrate = container.bit_rate
    assert (info.codec, info.width, info.height) == (codec, 1280, 720)
    assert info.fps == pytest.approx(25, rel=0.05)
    assert info.bitrate == pytest.approx(bitrate, rel=0.3)


def test_a_file_says_what_it_is_with_a_snapshot(h264_clip):
    info = probe_stream(f"file://{h264_clip}")
    assert info == StreamInfo("h264", 1280, 720, 25.0, info.bitrate, True, info.snapshot) and info.bitrate > 0
    assert info.snapshot.startswith(b"\xff\xd8")  # a JPEG


def test_a_wrong_password_is_unauthorized(camera):
    error = failure(camera.url, USER, "wrong")
    assert error.reason == "unauthorized"
    assert f"127.0.0.1:{camera.port}" in str(error)
    assert failure(camera.url).reason == "unauthorized"


def test_an_unknown_path_is_not_found(camera):
    error = failure(camera.url.replace("/main", "/nothing-here"), USER, PASSWORD)
    assert error.reason == "not_found"
    assert f"127.0.0.1:{camera.port}" in str(error)


def test_a_closed_port_is_refused():
    port = free_port()
    error = failure(f"rtsp://{USER}:{PASSWORD.replace('/', '%2F')}@127.0.0.1:{port}/x")
    assert error.reason == "refused"
    assert str(error).startswith(f"127.0.0.1:{port} refused the connection")


def test_a_server_that_never_answers_times_out_in_time():
    with silent_tcp_server() as port:
        started = time.monotonic()
        error = failure(f"rtsp://127.0.0.1:{port}/x", USER, PASSWORD, timeout=2.0)
        took = time.monotonic() - started
    assert error.reason == "timeout"
    # It waited for the time-out and gave up then, rather than hanging (a bound, not a speed claim).
    assert 2.0 <= took < 10


def test_an_unreachable_network_is_unreachable():
    # In a network namespace without interfaces connect() fails with ENETUNREACH; no packet leaves the host.
    code = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
from video.probe import StreamError, probe_stream
try:
    probe_stream("rtsp://192.0.2.1:554/stream", {USER!r}, {PASSWORD!r}, timeout=3)
except StreamError as error:
    print(json.dumps({{"reason": error.reason, "message": str(error)}}))
"""
    result = run_without_network(code)
    assert result.returncode == 0, result.stderr
    error = json.loads(result.stdout)
    assert error["reason"] == "unreachable"
    assert "192.0.2.1:554" in error["message"] and "Tr0ub4dor" not in error["message"]


@pytest.mark.parametrize(
    "url",
    ["garbage", "http://192.0.2.1/stream", "rtsp://", f"rtsp://{USER}:Tr0ub4dor@:554/x", "rtsp://127.0.0.1:99999/x"],
)
def test_a_garbage_url_is_invalid(url):
    error = failure(url)
    assert error.reason == "invalid_url"
    assert "rtsp://" in str(error)  # it shows what a good one looks like


def test_a_missing_file_is_not_found(tmp_path):
    assert failure(f"file://{tmp_path}/none.mp4").reason == "not_found"


def test_a_codec_that_mp4_recording_cannot_take_is_unsupported(tmp_path):
    path = tmp_path / "mpeg4.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for index in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), index * 20, np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    error = failure(f"file://{path}")
    assert error.reason == "unsupported_codec"
    assert "H.264" in str(error)


def test_a_stream_without_video_is_no_video(tmp_path):
    path = tmp_path / "sound.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=48000, layout="mono")
        for index in range(20):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 48000, index * 1024, Fraction(1, 48000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    assert failure(f"file://{path}").reason == "no_video"
