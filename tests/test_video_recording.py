"""record() on a file and live RTSP stand-ins: valid, contiguous, wall-clock segments; status; loss; kill."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest

from tests.standins.rtsp_servers import GstCamera, free_port
from tests.test_video_segments import assert_valid_segment
from video.probe import StreamError, probe_stream
from video.recording import StreamStatus, record
from video.segments import PART_SUFFIX, RecordedSegment, recover_partial

pytest_plugins = ["tests.standins.fixtures"]
pytestmark = [pytest.mark.rtsp, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
RECORD_SECONDS = 25
SEGMENT_SECONDS = 4.0
KEYFRAME_INTERVAL = 1.0  # of every source below


@dataclass
class Recording:
    """One record() call running in a thread, and what it reported."""

    url: str
    directory: Path
    segments: list[RecordedSegment] = field(default_factory=list)
    statuses: list[StreamStatus] = field(default_factory=list)
    error: StreamError | None = None
    started: float = 0.0
    ended: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self, **options) -> "Recording":
        self._thread = threading.Thread(target=self._run, kwargs=options, daemon=True)
        self.started = time.time()
        self._thread.start()
        return self

    def finish(self, timeout: float = 10) -> None:
        self.stop.set()
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "record() did not return after stop was set"

    def wait(self, timeout: float) -> None:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"record() still running after {timeout} s"

    def _run(self, **options) -> None:
        try:
            options = {"segment_seconds": SEGMENT_SECONDS, **options}
            record(
                self.url, segment_path=self.segment_path, on_segment=self.segments.append,
                on_status=self.statuses.append, stop=self.stop, **options,
            )  # fmt: skip
        except StreamError as error:
            self.error = error
        finally:
            self.ended = time.time()

    def segment_path(self, start: datetime) -> Path:
        return self.directory / f"{start:%Y-%m-%d}" / f"{start:%H%M%S.%f}.mp4"


@pytest.fixture(scope="module")
def recordings(tmp_path_factory, h264_clip, file_rtsp_server) -> dict[str, Recording]:
    """Record four sources at once for RECORD_SECONDS, then stop."""
    out = tmp_path_factory.mktemp("recordings")
    # Module-scoped, so the cameras are started here rather than by the per-test gst_camera fixture.
    with GstCamera("/h264") as h264, GstCamera("/h265", codec="h265") as h265:
        sources = {
            "file": f"file://{h264_clip}",
            "gst-h264": h264.url,
            "gst-h265": h265.url,
            "rtsp-file-server": file_rtsp_server.url_for(h264_clip),
        }
        runs = {name: Recording(url, out / name).start() for name, url in sources.items()}
        time.sleep(RECORD_SECONDS)
        for run in runs.values():
            run.stop.set()
        for run in runs.values():
            run.finish()
    return runs


SOURCES = ["file", "gst-h264", "gst-h265", "rtsp-file-server"]
PICTURES = {
    "file": (1280, 720), "gst-h264": (640, 360), "gst-h265": (640, 360), "rtsp-file-server": (1280, 720),
}


@pytest.mark.parametrize("source", SOURCES)
def test_segments_are_complete_and_start_on_a_keyframe(recordings, source):
    run = recordings[source]
    assert run.error is None, str(run.error)
    assert len(run.segments) >= RECORD_SECONDS // SEGMENT_SECONDS - 1
    for segment in run.segments:
        assert_valid_segment(segment)
    assert sorted(run.directory.rglob("*.mp4")) == sorted(s.path for s in run.segments)
    assert not list(run.directory.rglob(f"*{PART_SUFFIX}"))


@pytest.mark.parametrize("source", SOURCES)
def test_segments_are_contiguous_and_roll_over_at_the_first_keyframe_after_their_time(recordings, source):
    segments = recordings[source].segments
    for before, after in zip(segments, segments[1:], strict=False):
        assert before.end == after.start
    for segment in segments[:-1]:
        assert SEGMENT_SECONDS - 0.01 <= segment.duration <= SEGMENT_SECONDS + KEYFRAME_INTERVAL + 0.01


@pytest.mark.parametrize("source", SOURCES)
def test_recorded_time_is_wall_time(recordings, source):
    run = recordings[source]
    first, last = run.segments[0], run.segments[-1]
    # Recording begins at the first keyframe, within a keyframe interval of connecting.
    assert -0.5 < first.start.timestamp() - run.started < KEYFRAME_INTERVAL + 1.0
    assert abs(last.end.timestamp() - run.ended) < 1.0
    recorded = sum(s.duration for s in run.segments)
    wall = run.ended - first.start.timestamp()
    assert recorded == pytest.approx(wall, rel=0.03), f"recorded {recorded:.2f} s in {wall:.2f} s"


@pytest.mark.parametrize("source", SOURCES)
def test_status_comes_at_open_and_about_every_two_seconds(recordings, source):
    run = recordings[source]
    opened, *measured = run.statuses
    assert (opened.width, opened.height) == PICTURES[source]
    assert opened.codec == ("hevc" if source == "gst-h265" else "h264")
    assert RECORD_SECONDS / 2 - 2 <= len(measured) <= RECORD_SECONDS / 2 + 1
    for status in measured[1:]:
        assert status.fps == pytest.approx(25, rel=0.1)
        assert status.bitrate > 50_000
    assert all(status.masking_cost is None for status in run.statuses), "nothing is masked, nothing transcoded"
    assert abs(measured[-1].last_frame_at.timestamp() - run.ended) < 2.5


def test_a_camera_that_goes_away_raises_stream_lost_and_leaves_only_complete_segments(gst_camera, tmp_path):
    camera = gst_camera(path="/door")
    run = Recording(camera.url, tmp_path).start(read_timeout=3.0)
    deadline = time.monotonic() + 20
    while len(run.segments) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)
    camera.stop()
    lost_at = time.time()
    run.wait(timeout=10)
    assert run.error is not None and run.error.reason == "stream_lost"
    assert f"127.0.0.1:{camera.port}" in str(run.error)
    assert run.ended - lost_at < 3.0 + 2
    assert len(run.segments) == 2
    for segment in run.segments:
        assert_valid_segment(segment)
    assert run.segments[0].end == run.segments[1].start
    assert run.segments[1].duration > 1.0
    assert not list(tmp_path.rglob(f"*{PART_SUFFIX}"))


class FreezableProxy:
    """A TCP proxy in front of a camera that can stop forwarding without closing, like a pulled cable."""

    def __init__(self, port: int) -> None:
        self.upstream = port
        self.frozen = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = [self._listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with self._listener:
            client, _ = self._listener.accept()
        server = socket.create_connection(("127.0.0.1", self.upstream))
        self._sockets += [client, server]
        for source, sink in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self.frozen.is_set():
                    time.sleep(0.05)
                sink.sendall(data)
        except OSError:
            pass

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()


def test_a_camera_that_stops_sending_raises_stream_lost_after_read_timeout(gst_camera, tmp_path):
    proxy = FreezableProxy(gst_camera(path="/cable").port)
    try:
        run = Recording(f"rtsp://127.0.0.1:{proxy.port}/cable", tmp_path).start(read_timeout=3.0)
        time.sleep(6)
        proxy.frozen.set()
        frozen_at = time.time()
        run.wait(timeout=15)
    finally:
        proxy.close()
    assert run.error is not None and run.error.reason == "stream_lost"
    assert "no video arrived for 3 seconds" in str(run.error)
    # read_timeout runs from the last frame, which arrived up to a frame before the freeze.
    assert 3.0 - 0.1 <= run.ended - frozen_at < 3.0 + 1
    assert run.segments, "the segment being written when the camera froze is reported"
    for segment in run.segments:
        assert_valid_segment(segment)


def test_an_open_error_is_raised_as_is():
    port = free_port()
    with pytest.raises(StreamError) as caught:
        record(
            f"rtsp://127.0.0.1:{port}/x", segment_path=lambda start: Path("/nonexistent"),
            on_segment=lambda segment: None, on_status=lambda status: None, stop=threading.Event(),
        )  # fmt: skip
    assert caught.value.reason == "refused"


def test_a_killed_recorder_leaves_a_part_file_that_recover_partial_rescues(h264_clip, tmp_path):
    code = f"""
import sys, threading
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from video.recording import record
record("file://{h264_clip}", segment_seconds=60,
       segment_path=lambda start: Path({str(tmp_path)!r}) / "segment.mp4",
       on_segment=print, on_status=lambda status: print("RECORDING", flush=True), stop=threading.Event())
"""
    recorder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert recorder.stdout.readline().strip() == "RECORDING"
        time.sleep(4.5)
        os.kill(recorder.pid, signal.SIGKILL)
    finally:
        recorder.wait()
        recorder.stdout.close()
    part = tmp_path / f"segment.mp4{PART_SUFFIX}"
    assert part.exists() and not (tmp_path / "segment.mp4").exists()

    segment = recover_partial(part)

    assert segment.path == tmp_path / "segment.mp4"
    # Up to the last complete fragment (one a second), all but about the last second.
    assert 2.5 <= segment.duration <= 4.6
    assert_valid_segment(segment)


def test_a_camera_that_rewinds_its_clock_mid_stream_is_recorded_on_without_a_break(gst_camera, tmp_path):
    # Keyframes in three packets with one DTS; each new viewer's PLAY sends everyone's DTS back to 0.
    camera = gst_camera(path="/shared", slices=3, rewind_on_play=True)
    run = Recording(camera.url, tmp_path).start()
    time.sleep(7)
    probe_stream(camera.url)  # a second viewer
    time.sleep(7)
    run.finish()
    assert run.error is None, str(run.error)
    for segment in run.segments:
        assert_valid_segment(segment)
    assert all(a.end == b.start for a, b in zip(run.segments, run.segments[1:], strict=False))
    recorded = sum(s.duration for s in run.segments)
    wall = run.ended - run.segments[0].start.timestamp()
    assert recorded == pytest.approx(wall, rel=0.03), f"recorded {recorded:.2f} s in {wall:.2f} s"
