"""A camera's stream kept reading ahead of its recording (video.buffered_stream, what a hot standby holds): it keeps
the last seconds from a keyframe on, and a recording of it begins with them, at the first keyframe at or after the
moment asked for."""

import threading
import time

import pytest

from tests.standins.rtsp_servers import GstCamera
from tests.test_video_recording import KEYFRAME_INTERVAL, Recording
from tests.test_video_segments import assert_valid_segment
from video.buffered_stream import BufferedStream
from video.recording import CAMERA_CLOCK_TOLERANCE
from video.source import open_stream

pytest_plugins = ["tests.standins.fixtures"]
pytestmark = [pytest.mark.rtsp]
KEEP_SECONDS = 3.0


def kept_stream(url: str) -> tuple[BufferedStream, threading.Event, threading.Thread]:
    """The camera's stream, filled in a thread until the event is set, once it kept KEEP_SECONDS and more."""
    stream = BufferedStream(open_stream(url), KEEP_SECONDS, max_bytes=64 * 1024 * 1024,
                            clock_tolerance=CAMERA_CLOCK_TOLERANCE)
    until = threading.Event()
    filling = threading.Thread(target=stream.fill, args=(until,), daemon=True)
    filling.start()
    deadline = time.monotonic() + 30
    while stream.kept_seconds < KEEP_SECONDS and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2)
    return stream, until, filling


def test_it_keeps_the_last_seconds_in_whole_groups_of_pictures():
    with GstCamera("/kept", slices=2) as camera:  # each keyframe in two packets
        stream, until, filling = kept_stream(camera.url)
        until.set()
        filling.join(10)
        try:
            assert KEEP_SECONDS <= stream.kept_seconds < KEEP_SECONDS + KEYFRAME_INTERVAL + 0.1
            packets = stream.demux(stream.streams.video[0])
            first = next(packets)
            second = next(packets)
            assert first.is_keyframe or second.is_keyframe
            assert first.dts == second.dts, "the keyframe's first packet was not kept"
        finally:
            stream.close()


def test_a_recording_of_it_begins_with_what_it_kept_at_the_first_keyframe_at_or_after_the_moment(tmp_path):
    with GstCamera("/recorded") as camera:
        stream, until, filling = kept_stream(camera.url)
        moment = time.time() - 2.5
        until.set()
        filling.join(10)
        stream.start_at(moment, tolerance=0.01)
        recording = Recording(camera.url, tmp_path).start(opened=stream, segment_seconds=2.0)
        deadline = time.monotonic() + 30
        while not recording.segments and time.monotonic() < deadline:
            time.sleep(0.2)
        recording.finish()
    first = recording.segments[0]
    assert moment - 0.01 <= first.start.timestamp() <= moment + KEYFRAME_INTERVAL + 0.01
    assert first.start.timestamp() < recording.started - 1, "the recording did not begin with what was kept"
    assert_valid_segment(first)
