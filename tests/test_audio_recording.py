"""Recording a camera's sound with its video: in sync across segments, transcoded from G.711, never stored when the
switch is off, and the switch audited."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from accounts.models import AuditAction, AuditEntry
from devices.models import Camera
from recordings.models import Segment
from recordings.recorder import Recorder
from tests.conftest import client_for
from tests.recording_checks import ffprobe, wait_for
from tests.standins.rtsp_servers import GstCamera
from tests.sync_marks import sync_offsets

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]

SYNC_TOLERANCE = 0.05


@pytest.fixture
def fast_segments(settings, tmp_path):
    settings.RECORDINGS_ROOT = tmp_path / "recordings"
    settings.SEGMENT_SECONDS = 2.0
    settings.RECORDER_LEASE_SECONDS = 4.0


@contextmanager
def recording(camera: Camera, segments: int) -> Iterator[None]:
    """Run a recorder until the camera has `segments` segments."""
    stop = threading.Event()
    recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
    recorder.start()
    try:
        wait_for(lambda: Segment.objects.filter(camera=camera).count() >= segments, 60, f"{segments} segments")
        yield
    finally:
        stop.set()
        recorder.join(timeout=30)


def codecs(segment: Segment) -> list[str]:
    return [stream["codec_name"] for stream in ffprobe(segment.file)["streams"]]


@pytest.mark.parametrize(("sound", "recorded_as"), [("aac", "AAC"), ("pcmu", "G.711 mu-law (as AAC)")])
def test_sound_is_recorded_as_aac_in_sync_with_the_video_in_every_segment(fast_segments, sound, recorded_as):
    with GstCamera("/door", audio=sound, clicks=True) as door:
        camera = Camera.objects.create(name="Door", main_url=door.url, record_audio=True)
        with recording(camera, 4):
            pass
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    offsets = []
    for segment in segments:
        assert codecs(segment) == ["h264", "aac"]
        offsets += sync_offsets(segment.file)
    # A flash every second, in segments of 2 s; a click just before the flash that starts a segment is at the end of
    # the one before, so each segment has at least the flash in its middle measured.
    assert len(offsets) >= len(segments) - 1, offsets
    assert max(abs(offset) for offset in offsets) < SYNC_TOLERANCE, offsets
    camera.refresh_from_db()
    assert camera.last_error == "" and camera.audio_codec == recorded_as


def test_with_the_switch_off_no_sound_is_stored(fast_segments):
    with GstCamera("/door", audio="aac") as door:
        camera = Camera.objects.create(name="Door", main_url=door.url)
        with recording(camera, 2):
            pass
    for segment in Segment.objects.filter(camera=camera):
        assert codecs(segment) == ["h264"]


def test_a_camera_without_sound_is_recorded_and_its_status_says_so(fast_segments):
    with GstCamera("/door") as door:
        camera = Camera.objects.create(name="Door", main_url=door.url, record_audio=True)
        with recording(camera, 2):
            wait_for(lambda: "sends no sound" in Camera.objects.get(pk=camera.pk).last_error, 30, "the notice")
    assert all(codecs(segment) == ["h264"] for segment in Segment.objects.filter(camera=camera))


def test_sound_in_a_codec_not_recorded_leaves_the_video_recorded_and_the_status_says_so(fast_segments):
    with GstCamera("/door", audio="opus") as door:
        camera = Camera.objects.create(name="Door", main_url=door.url, record_audio=True)
        with recording(camera, 2):
            wait_for(lambda: "OPUS, which is not recorded" in Camera.objects.get(pk=camera.pk).last_error, 30,
                     "the notice")
    assert all(codecs(segment) == ["h264"] for segment in Segment.objects.filter(camera=camera))
    assert Camera.objects.get(pk=camera.pk).status == "online"


def test_turning_sound_recording_on_and_off_is_audited(admin_user):
    camera = Camera.objects.create(name="Door", main_url="rtsp://127.0.0.1:9/door")
    client = client_for(admin_user)
    assert client.get(f"/api/v1/cameras/{camera.pk}/").json()["record_audio"] is False
    for switch in (True, False):
        response = client.patch(f"/api/v1/cameras/{camera.pk}/", {"record_audio": switch}, format="json")
        assert response.status_code == 200 and response.json()["record_audio"] is switch
    entries = AuditEntry.objects.filter(action=AuditAction.CAMERA_CHANGED, camera=camera).order_by("at", "id")
    assert [(entry.detail["fields"], entry.detail["record_audio"]) for entry in entries] == [
        (["record_audio"], True), (["record_audio"], False)]
    assert all(entry.username == admin_user.username for entry in entries)
