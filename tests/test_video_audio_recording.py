"""record() with sound: on a camera that rewinds its clock mid-stream, the timestamp repair closes the jump for the
sound as for the video, so they stay in sync after it; and the live fragments carry the sound in sync (measured on
the click and white frame the stand-in burns in every second)."""

from __future__ import annotations

import pytest

from tests.recording_checks import wait_for
from tests.sync_marks import sync_offsets
from tests.test_video_recording import Recording
from video.probe import probe_stream

pytestmark = pytest.mark.rtsp

SYNC_TOLERANCE = 0.05


def test_sound_stays_in_sync_when_the_camera_rewinds_its_clock(gst_camera, tmp_path):
    # Each new viewer's PLAY sends every viewer's timestamps, sound and video, back to 0.
    camera = gst_camera(path="/shared", audio="pcmu", clicks=True, rewind_on_play=True)
    run = Recording(camera.url, tmp_path).start(audio=True, segment_seconds=2.0)
    wait_for(lambda: len(run.segments) >= 2, 60, "two segments")
    before = len(run.segments)
    probe_stream(camera.url)  # a second viewer
    # The segment of the rewind loses up to a second of sound (FFmpeg re-times the tracks apart on the camera's next
    # RTCP reports, and sound further than 2 s from the video's clock is left out meanwhile); the ones after have it.
    wait_for(lambda: len(run.segments) >= before + 5, 60, "five segments after the rewind")
    run.finish()
    assert run.error is None, str(run.error)
    offsets = []
    for segment in run.segments[before:]:
        offsets += sync_offsets(segment.path)
    assert len(offsets) >= 3, offsets
    assert max(abs(offset) for offset in offsets) < SYNC_TOLERANCE, offsets
    assert all(a.end == b.start for a, b in zip(run.segments, run.segments[1:], strict=False))


def test_live_fragments_carry_the_sound_in_sync_with_the_video(gst_camera, tmp_path):
    camera = gst_camera(path="/live", audio="aac", clicks=True)
    chunks = []
    run = Recording(camera.url, tmp_path)
    run.segment_path = None
    run.start(audio=True, on_live=chunks.append)
    wait_for(lambda: sum(chunk.keyframe for chunk in chunks) >= 6, 60, "six seconds of live fragments")
    run.finish()
    assert chunks[0].init and chunks[0].audio and chunks[0].mime.endswith('mp4a.40.2"')
    watched = tmp_path / "live.mp4"
    watched.write_bytes(b"".join(chunk.data for chunk in chunks))
    offsets = sync_offsets(watched)
    assert len(offsets) >= 4, offsets
    assert max(abs(offset) for offset in offsets) < SYNC_TOLERANCE, offsets
