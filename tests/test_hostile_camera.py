"""The recorder against hostile cameras (tests/standins/hostile_camera.py) beside a healthy one: the healthy camera
records on without a break, every segment indexed for any camera plays, and each hostile camera's status says
what is wrong in plain words."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime

import av
import pytest

from devices.models import Camera
from recordings.models import Segment
from tests.recording_checks import (
    assert_contiguous,
    assert_segment_intact,
    assert_segment_playable,
    init_picture_size,
    wait_for,
)
from tests.standins.hostile_camera import split_annex_b
from tests.standins.rtsp_servers import FileRtspServer, HostileCamera
from tests.test_recorder import running_recorder, segments_of  # noqa: F401  (a fixture)
from tests.test_video_segments import segments_from_clip
from video.live import LiveChunk
from video.parameter_sets import START_CODE, PictureFormat, leading_parameter_sets
from video.pattern_clip import make_clip
from video.recording import StreamStatus, record
from video.segments import SegmentWriter, UnreadableSegment, part_path_of, recover_partial
from video.timestamps import Sample

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]

# What each hostile camera's status must say at some point, in words; None where the recorder cannot tell
# without decoding every frame (cut NAL units) or quietly mends it (clock jumps), and so need not.
SAYS = {
    "truncated": None,
    "garbage-parameter-sets": "damaged stream parameters (SPS/PPS)",
    "garbage-sdp": "sends video that cannot be decoded",
    "resolution-change": "changed its picture size from 320x240 to 480x272",
    "timestamp-jumps": None,
    "stall": "no video arrived for 3 seconds",
}
# Signs of a programmer's message rather than a sentence for an admin.
NOT_PLAIN = re.compile(r"Error\(|Exception|Traceback|Errno|errno|returned -?\d+|<|>|\b0x[0-9a-f]|\bav\.")


def test_the_recorder_survives_hostile_cameras_and_keeps_recording_a_healthy_one(
    running_recorder, admin_client, clip_dir, tmp_path  # noqa: F811  (the fixture imported above)
):
    clip = make_clip(tmp_path / "healthy", width=320, height=240, seconds=4, bitrate=300_000)
    with FileRtspServer(clip.parent) as healthy_server, HostileCamera(clip_dir, seed=9) as hostile:
        healthy = Camera.objects.create(name="Healthy", main_url=healthy_server.url_for(clip))
        cameras = {name: Camera.objects.create(name=name, main_url=hostile.url_for(name)) for name in SAYS}
        said: dict[str, set[str]] = {name: set() for name in SAYS}

        def statuses_said_it() -> bool:
            # As an admin sees them: each camera's live status in the API.
            for camera in admin_client.get("/api/v1/cameras/?limit=100").json()["results"]:
                if camera["name"] in said and camera["live_status"]["last_error"]:
                    said[camera["name"]].add(camera["live_status"]["last_error"])
            return all(any(words in error for error in said[name]) for name, words in SAYS.items() if words)

        wait_for(statuses_said_it, 60, "every hostile camera's status to say what is wrong", every=0.2)
        # Recording across what each camera does: its jumps, its new size, stalls and reconnections.
        wait_for(lambda: all(len(segments_of(cameras[name])) >= 4 for name in SAYS if name != "garbage-sdp"), 60,
                 "four segments of each hostile camera that sends pictures")
        stopped = time.time()
        running_recorder()

    recorded = segments_of(healthy)
    assert_contiguous(recorded)
    assert recorded[0].start.timestamp() < min(c.created_at.timestamp() for c in cameras.values()) + 5
    assert abs(stopped - recorded[-1].end.timestamp()) < 1.5, "the healthy camera recorded until the recorder stopped"
    # A camera's clock jumping back and forth leaves neither a gap nor a drift from the wall clock.
    jumpy = segments_of(cameras["timestamp-jumps"])
    assert_contiguous(jumpy)
    assert abs(stopped - jumpy[-1].end.timestamp()) < 1.5, "the clock jumps were closed, not recorded as time"
    for segment in recorded:
        assert_segment_intact(segment)
    for segment in Segment.objects.all():
        assert_segment_playable(segment)
    for name, errors in said.items():
        for error in errors:
            assert error[0].isupper() and error.endswith("."), f"{name}: not a sentence: {error!r}"
            assert not NOT_PLAIN.search(error), f"{name}: not in plain words: {error!r}"
    assert not segments_of(cameras["garbage-sdp"]), "nothing of a camera no decoder can read is indexed"
    assert Camera.objects.get(pk=cameras["garbage-sdp"].pk).status == "error"
    sizes = {init_picture_size(s.file.read_bytes()[: s.init_size]) for s in segments_of(cameras["resolution-change"])}
    assert sizes == {(320, 240), (480, 272)}


def test_live_viewers_get_a_new_init_segment_when_the_camera_changes_its_picture_size(clip_dir):
    chunks: list[LiveChunk] = []
    statuses: list[StreamStatus] = []
    stop = threading.Event()
    with HostileCamera(clip_dir, seed=9) as hostile:
        recording = threading.Thread(target=record, args=(hostile.url_for("resolution-change"),), kwargs={
            "segment_path": None, "on_segment": None, "on_status": statuses.append, "stop": stop,
            "read_timeout": 3.0, "on_live": chunks.append}, daemon=True)
        recording.start()
        try:
            wait_for(lambda: sum(chunk.init for chunk in chunks) == 2 and not chunks[-1].init, 30,
                     "live video after a second init segment")
        finally:
            stop.set()
            recording.join(10)
    inits = [chunk for chunk in chunks if chunk.init]
    assert [init_picture_size(chunk.data) for chunk in inits] == [(320, 240), (480, 272)]
    assert chunks[chunks.index(inits[1]) + 1].keyframe, "the new picture size starts on a keyframe"
    assert (statuses[-1].width, statuses[-1].height) == (480, 272)
    assert "changed its picture size from 320x240 to 480x272" in statuses[-1].notice


def test_a_segment_no_picture_of_which_decodes_is_deleted_not_handed_on(tmp_path):
    clip = make_clip(tmp_path / "clips", width=320, height=240, seconds=2)
    path = tmp_path / "camera" / "segment.mp4"
    with av.open(str(clip)) as container:
        video = container.streams.video[0]
        to_annex_b = av.BitStreamFilterContext("h264_mp4toannexb", video)
        samples = [Sample(out.dts, out.pts, out.duration, out.is_keyframe, bytes(out))
                   for packet in container.demux(video) if packet.size for out in to_annex_b.filter(packet)]
        sps = leading_parameter_sets("h264", samples[0].data).split(START_CODE)[1]
        # A good SPS and a PPS that names an SPS there is not (pps_id 0, sps_id 31), as from a camera whose SDP is
        # damaged and that sends no parameter sets in the stream.
        picture = PictureFormat(START_CODE + sps + START_CODE + b"\x68\x82\x08", 320, 240)
        writer = SegmentWriter(path, datetime.now(UTC), video, picture)
        for sample in samples:
            nals = [nal for nal in split_annex_b(sample.data) if nal[0] & 0x1F not in (7, 8)]
            writer.write(replace(sample, data=b"".join(START_CODE + nal for nal in nals)))
        with pytest.raises(UnreadableSegment, match="could not be played back"):
            writer.close(datetime.now(UTC))
    assert not path.exists() and not part_path_of(path).exists()


def test_a_segment_whose_first_picture_does_not_decode_is_discarded_not_rescued(tmp_path):
    clip = make_clip(tmp_path / "clips", width=320, height=240, seconds=2)
    segment = segments_from_clip(clip, tmp_path / "camera", seconds=10)[0]
    data = bytearray(segment.path.read_bytes())
    mdat = data.index(b"mdat", segment.init_size) + 4
    data[mdat:] = bytes(len(data) - mdat)  # every picture zeroed: NAL units of length 0
    part = part_path_of(segment.path)
    part.write_bytes(data)
    segment.path.unlink()

    assert recover_partial(part) is None
    assert not part.exists() and not segment.path.exists()
