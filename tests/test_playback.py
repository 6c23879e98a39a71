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


def record_hall(settings, tmp_path, enough, what: str) -> Camera:
    """A camera recorded from a live RTSP camera in 2 s segments until `enough(camera)`."""
    settings.RECORDINGS_ROOT = tmp_path / "media" / "recordings"
    settings.SEGMENT_SECONDS = 2.0
    settings.RECORDER_LEASE_SECONDS = 4.0
    stop = threading.Event()
    with GstCamera("/hall", width=640, height=360) as hall:
        camera = Camera.objects.create(name="Hall", main_url=hall.url)
        recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
        recorder.start()
        wait_for(lambda: enough(camera), 90, what)
        stop.set()
        recorder.join(timeout=30)
    return camera


@pytest.fixture
def recorded_camera(settings, tmp_path):
    """A camera with about 12 s of footage in 2 s segments."""
    return record_hall(settings, tmp_path, lambda camera: Segment.objects.filter(camera=camera).count() >= 6,
                       "six segments")


@pytest.fixture
def longer_recorded_camera(settings, tmp_path):
    """A camera with 16 s of footage or more (in seconds: a camera slow to start writes short first segments)."""
    def enough(camera) -> bool:
        return sum((s.end - s.start).total_seconds() for s in Segment.objects.filter(camera=camera)) >= 16

    return record_hall(settings, tmp_path, enough, "16 s of footage")


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


WATCH_THE_PLAYER = """() => {
    const video = document.querySelector('[data-testid=player] video');
    const seen = {emptied: 0, back: 0, last: 0};
    video.addEventListener('emptied', () => { seen.emptied += 1; });
    video.addEventListener('timeupdate', () => {
        if (video.currentTime < seen.last - 0.01) seen.back += 1;
        seen.last = video.currentTime;
    });
    window.playerSeen = seen;
}"""


def test_chromium_plays_on_across_playlists_of_short_windows(longer_recorded_camera, investigator_user, settings):
    """Playlists of 4 s of footage: the page plays on from one into the next and the one after, in the same video
    (never emptied, never jumping back), asking for each next one as part of the one audited playback."""
    grant(longer_recorded_camera, user=investigator_user)
    segments = list(Segment.objects.filter(camera=longer_recorded_camera).order_by("start"))
    at = segments[0].start + timedelta(seconds=0.1)
    # A window holds the segments starting within its 4 s; the third starts after the first two.
    first_two = [s for s in segments if s.start < segments[0].start + timedelta(seconds=4)]
    second = [s for s in segments[len(first_two):] if s.start < segments[len(first_two)].start + timedelta(seconds=4)]
    boundaries = [sum(s.duration for s in first_two), sum(s.duration for s in first_two + second)]
    assert len(segments) > len(first_two) + len(second), "footage for a third window"
    playlists: list[str] = []
    with web_server(settings.RECORDINGS_ROOT.parent, VMS_PLAYBACK_WINDOW_SECONDS="4") as base, \
            chromium_page() as page:
        page.on("request", lambda asked: playlists.append(asked.url) if "playlist.m3u8" in asked.url else None)
        log_in(page, base, investigator_user.username, PASSWORD)
        page.goto(f"{base}/recordings/{longer_recorded_camera.pk}?at={at.isoformat().replace('+', '%2B')}")
        page.wait_for_selector("[data-testid=player] video", state="attached")
        page.evaluate(WATCH_THE_PLAYER)
        video = "document.querySelector('[data-testid=player] video')"
        page.wait_for_function(f"{video}.currentTime > {boundaries[1] + 0.5}", timeout=60_000)
        seen = page.evaluate("window.playerSeen")
    assert seen["emptied"] == 0 and seen["back"] == 0, f"one video played on without a reload: {seen}"
    assert len(playlists) >= 3, playlists
    entry = AuditEntry.objects.get(action=AuditAction.PLAYBACK, user=investigator_user)
    assert all(f"playback={entry.pk}" in url for url in playlists[1:]), playlists
