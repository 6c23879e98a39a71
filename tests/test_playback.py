"""Playback of real recorded footage: HLS playlist and segment parts, and clips, through the real server."""

from __future__ import annotations

import subprocess
import threading
from datetime import timedelta

import pytest

from accounts.models import AuditAction, AuditEntry
from devices.models import Camera
from recordings.models import Segment
from recordings.recorder import Recorder
from tests.browser import chromium_page, log_in
from tests.conftest import PASSWORD, api_key_for, client_for, grant
from tests.recording_checks import ffprobe, wait_for
from tests.standins.rtsp_servers import GstCamera
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]


@pytest.fixture
def recorded_camera(settings, tmp_path):
    """A camera with about 12 s of footage in 2 s segments, recorded from a live RTSP camera."""
    settings.RECORDINGS_ROOT = tmp_path / "media" / "recordings"
    settings.SEGMENT_SECONDS = 2.0
    settings.RECORDER_LEASE_SECONDS = 4.0
    stop = threading.Event()
    with GstCamera("/hall", width=640, height=360) as hall:
        camera = Camera.objects.create(name="Hall", main_url=hall.url)
        recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
        recorder.start()
        wait_for(lambda: Segment.objects.filter(camera=camera).count() >= 6, 60, "six segments")
        stop.set()
        recorder.join(timeout=30)
    return camera


def iso(moment) -> str:
    return moment.isoformat()


def test_hls_playlist_covers_the_span_and_its_parts_are_audited_once(recorded_camera, investigator_user):
    grant(recorded_camera, user=investigator_user)
    client = client_for(investigator_user)
    segments = list(Segment.objects.filter(camera=recorded_camera).order_by("start"))
    span = {"start": iso(segments[1].start + timedelta(seconds=0.5)), "end": iso(segments[3].end)}
    playlist = client.get(f"/api/v1/cameras/{recorded_camera.pk}/playlist.m3u8", span)
    assert playlist.status_code == 200 and playlist["Content-Type"] == "application/vnd.apple.mpegurl"
    lines = playlist.content.decode().splitlines()
    media = [line for line in lines if line.startswith("/api/v1/segments/")]
    assert len(media) == 3 and lines[-1] == "#EXT-X-ENDLIST"
    assert sum(1 for line in lines if line.startswith("#EXT-X-MAP:")) == 3
    init_url = next(line for line in lines if line.startswith("#EXT-X-MAP:")).split('"')[1]
    init = client.get(init_url)
    part = client.get(media[0])
    assert init.status_code == part.status_code == 200
    assert init.content + part.content == segments[1].file.read_bytes()
    assert AuditEntry.objects.filter(action=AuditAction.PLAYBACK).count() == 1
    client.get(f"/api/v1/segments/{segments[2].pk}/media.mp4")  # not through an audited playlist
    assert AuditEntry.objects.filter(action=AuditAction.PLAYBACK).count() == 2


def test_players_read_the_playlist_and_the_clip_over_http(recorded_camera, admin_user, tmp_path, settings):
    segments = list(Segment.objects.filter(camera=recorded_camera).order_by("start"))
    start, end = segments[1].start + timedelta(seconds=0.7), segments[4].start + timedelta(seconds=1.0)
    header = f"Authorization: Token {api_key_for(admin_user)}\r\n"
    query = f"start={iso(start)}&end={iso(end)}".replace("+", "%2B")
    with web_server(settings.RECORDINGS_ROOT.parent) as base:
        clip_file = tmp_path / "clip.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-headers", header, "-i",
                        f"{base}/api/v1/cameras/{recorded_camera.pk}/clip/?{query}", "-c", "copy", "-y",
                        str(clip_file)], check=True, timeout=60)
        hls_copy = tmp_path / "hls.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-headers", header, "-i",
                        f"{base}/api/v1/cameras/{recorded_camera.pk}/playlist.m3u8?{query}", "-c", "copy", "-y",
                        str(hls_copy)], check=True, timeout=60)
    clip = ffprobe(clip_file)
    # Cut at keyframes (one a second here): the clip holds the span, and at most a GOP more at each end.
    wanted = (end - start).total_seconds()
    assert wanted <= float(clip["format"]["duration"]) <= wanted + 2.1
    assert clip["streams"][0]["codec_name"] == "h264"
    assert float(ffprobe(hls_copy)["format"]["duration"]) >= 6
    assert AuditEntry.objects.filter(action=AuditAction.CLIP_DOWNLOAD, username=admin_user.username).count() == 1


PLAY_IN_A_VIDEO_ELEMENT = """async (url) => {
    const video = document.createElement('video');
    video.muted = true;
    document.body.appendChild(video);
    const failed = new Promise((_, reject) => {
        video.onerror = () => reject(new Error('video error ' + video.error.code));
    });
    video.src = url;
    await Promise.race([video.play(), failed]);
    while (video.currentTime < 1.5) {
        await Promise.race([new Promise(r => setTimeout(r, 100)), failed]);
    }
    return {time: video.currentTime, frames: video.getVideoPlaybackQuality().totalVideoFrames,
            width: video.videoWidth};
}"""


def test_chromium_plays_a_clip_after_a_browser_login(recorded_camera, investigator_user, settings):
    grant(recorded_camera, user=investigator_user)
    segments = list(Segment.objects.filter(camera=recorded_camera).order_by("start"))
    query = f"start={iso(segments[0].start)}&end={iso(segments[3].end)}".replace("+", "%2B")
    with web_server(settings.RECORDINGS_ROOT.parent) as base, chromium_page() as page:
        clip_url = f"{base}/api/v1/cameras/{recorded_camera.pk}/clip/?{query}"
        assert page.request.get(clip_url).status == 401  # the media needs a login too
        log_in(page, base, investigator_user.username, PASSWORD)
        played = page.evaluate(PLAY_IN_A_VIDEO_ELEMENT, clip_url)
    assert played["time"] >= 1.5 and played["frames"] > 10 and played["width"] == 640
