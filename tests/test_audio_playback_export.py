"""Recorded sound in playback, clips and exports: in step with the video (a click and a white frame burned into both
by the stand-in camera, measured in what the user gets), and left out of an export that asked to mute it, as its
signed manifest says."""

from __future__ import annotations

import json
import subprocess
import threading
from datetime import timedelta

import pytest

from devices.models import Camera
from recordings.models import Segment
from recordings.recorder import Recorder
from redaction import signing, tasks
from redaction.verify import problems
from tests.conftest import api_key_for, grant
from tests.recording_checks import ffprobe, wait_for
from tests.standins.rtsp_servers import GstCamera
from tests.sync_marks import sync_offsets
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]

SYNC_TOLERANCE = 0.05


@pytest.fixture
def heard_camera(settings, tmp_path, investigator_user):
    """About 10 s of a G.711 camera with its sound recorded, in 2 s segments."""
    settings.RECORDINGS_ROOT = tmp_path / "media" / "recordings"
    settings.SIGNING_KEY_FILE = tmp_path / "signing_key.pem"
    settings.EXPORTS_ROOT = tmp_path / "exports"
    settings.SEGMENT_SECONDS = 2.0
    settings.RECORDER_LEASE_SECONDS = 4.0
    stop = threading.Event()
    with GstCamera("/desk", audio="pcmu", clicks=True) as desk:
        camera = Camera.objects.create(name="Desk", main_url=desk.url, record_audio=True)
        grant(camera, user=investigator_user)
        recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
        recorder.start()
        wait_for(lambda: Segment.objects.filter(camera=camera).count() >= 5, 60, "five segments")
        stop.set()
        recorder.join(timeout=30)
    return camera


def span(camera: Camera) -> str:
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    start, end = segments[0].start + timedelta(seconds=0.3), segments[4].end - timedelta(seconds=0.3)
    return f"start={start.isoformat()}&end={end.isoformat()}".replace("+", "%2B")


def assert_in_sync(path, seconds: float) -> None:
    """Sound and video within SYNC_TOLERANCE at each flash, one flash a second over all of `path`."""
    assert [stream["codec_name"] for stream in ffprobe(path)["streams"]] == ["h264", "aac"]
    offsets = sync_offsets(path)
    assert len(offsets) >= seconds - 2, offsets
    assert max(abs(offset) for offset in offsets) < SYNC_TOLERANCE, offsets


def test_playback_and_clips_have_the_sound_in_step_with_the_video(heard_camera, investigator_user, tmp_path,
                                                                   settings):
    header = f"Authorization: Token {api_key_for(investigator_user)}\r\n"
    camera = heard_camera
    with web_server(settings.RECORDINGS_ROOT.parent) as base:
        for name, url in (("hls", f"{base}/api/v1/cameras/{camera.pk}/playlist.m3u8?{span(camera)}"),
                          ("clip", f"{base}/api/v1/cameras/{camera.pk}/clip/?{span(camera)}")):
            played = tmp_path / f"{name}.mp4"
            subprocess.run(["ffmpeg", "-v", "error", "-headers", header, "-i", url, "-c", "copy", "-y", str(played)],
                           check=True, timeout=60)
            assert_in_sync(played, 8)


def test_an_export_keeps_the_sound_in_step_unless_muted_and_its_manifest_says_which(heard_camera, investigator_client,
                                                                                     tmp_path):
    camera = heard_camera
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    start, end = segments[0].start + timedelta(seconds=0.3), segments[4].end - timedelta(seconds=0.3)
    signed = {}
    for mute in (False, True):
        export = investigator_client.post("/api/v1/exports/", {
            "camera": camera.pk, "start": start.isoformat(), "end": end.isoformat(), "mute_audio": mute,
            "areas": [{"points": [[0.0, 0.0], [0.2, 0.0], [0.2, 0.2]]}], "reason": "noise complaint"},
            format="json").json()
        assert export["mute_audio"] is mute
        tasks.render(export["id"])
        done = investigator_client.get(f"/api/v1/exports/{export['id']}/").json()
        assert done["status"] == "done" and done["has_audio"] is not mute, done
        video = tmp_path / f"export-{mute}.mp4"
        video.write_bytes(b"".join(investigator_client.get(done["download_url"]).streaming_content))
        signed[mute] = json.loads(investigator_client.get(done["manifest_url"]).content)
        assert problems(video, signed[mute], signing.private_key().public_key()) == []
        if mute:
            assert [stream["codec_name"] for stream in ffprobe(video)["streams"]] == ["h264"]
        else:
            assert_in_sync(video, 8)
    assert signed[False]["manifest"]["audio"] == {"included": True, "muted": False}
    assert signed[True]["manifest"]["audio"] == {"included": False, "muted": True}


def test_an_export_request_with_a_bad_mute_audio_gets_a_clear_error(investigator_client, investigator_user):
    camera = Camera.objects.create(name="Desk", main_url="rtsp://127.0.0.1:9/desk", record_audio=True)
    grant(camera, user=investigator_user)
    response = investigator_client.post("/api/v1/exports/", {
        "camera": camera.pk, "start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:01:00Z", "mute_audio": "loud",
        "reason": "noise complaint"}, format="json")
    assert response.status_code == 400 and "mute_audio" in response.json()["errors"]
