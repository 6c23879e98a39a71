"""A camera's own analytics in Chromium: the admin says how its metadata comes (in its RTSP stream or over MQTT), and
the boxes kept with its recording (recordings/scene_metadata.py) are drawn over the played-back footage in step with
the frame on screen, can be switched off, and reach nobody without access to the camera."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from devices.models import Camera
from recordings.models import SceneMetadata, Segment
from recordings.scene_metadata import SceneMetadataWriter
from tests.browser import chromium_page
from tests.conftest import grant
from tests.test_web_app import (
    SERVER_ENV,
    WAIT_MS,
    log_in,
    recorded_camera,  # noqa: F401  (the fixture)
    recorder,  # noqa: F401  (the fixture recorded_camera uses)
    snap,
)
from tests.web_server import web_server
from video.geometry import Box
from video.tracking import Track

pytestmark = [pytest.mark.django_db(transaction=True)]

CAMERA_SOURCE = "The camera's own analytics (its scene metadata; the video is not decoded)"
IN_STREAM = "In its RTSP stream (ONVIF Profile M metadata track)"
OVER_MQTT = "Over MQTT (AXIS Scene Metadata)"


def test_an_admin_chooses_how_the_cameras_metadata_comes(admin_user, tmp_path):
    camera = Camera.objects.create(name="Entrance", main_url="rtsp://127.0.0.1:8554/entrance")
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/edit")
        page.get_by_label("Analyse this camera").check()
        expect(page.get_by_role("radio", name=IN_STREAM)).to_have_count(0)  # this server analyses it
        page.get_by_role("radio", name=CAMERA_SOURCE).check()
        metadata = page.get_by_test_id("scene-metadata")
        expect(metadata.get_by_role("group", name="Metadata comes")).to_be_visible()
        expect(metadata.get_by_role("radio", name=IN_STREAM)).to_be_checked()
        # In the stream, the MQTT settings mean nothing: not asked.
        for name in ("metadata_broker", "metadata_username", "metadata_password", "metadata_topic"):
            expect(page.locator(f"input[name={name}]")).to_have_count(0)

        metadata.get_by_role("radio", name=OVER_MQTT).check()
        expect(metadata.get_by_label("Topic")).to_be_visible()
        page.get_by_role("button", name="Save changes").click()
        topic = metadata.locator(".field", has=page.locator("input[name=metadata_topic]"))
        expect(topic.locator(".field-error")).to_contain_text("give the topic", timeout=WAIT_MS)
        snap(page, "camera-metadata-over-mqtt")

        # Back to the stream: saved without a broker or topic.
        metadata.get_by_role("radio", name=IN_STREAM).check()
        expect(page.locator("input[name=metadata_topic]")).to_have_count(0)
        with page.expect_response(lambda r: r.url == f"{base}/api/v1/cameras/{camera.pk}/"
                                  and r.request.method == "PATCH") as saved:
            page.get_by_role("button", name="Save changes").click()
        page.wait_for_url(base + "/cameras", timeout=WAIT_MS)
        in_stream = saved.value.json()

        # Over MQTT, with its broker and topic; the form opens on them again.
        page.goto(f"{base}/cameras/{camera.pk}/edit")
        expect(metadata.get_by_role("radio", name=IN_STREAM)).to_be_checked(timeout=WAIT_MS)
        metadata.get_by_role("radio", name=OVER_MQTT).check()
        metadata.get_by_label("Broker").fill("mqtt://127.0.0.1:1883")
        metadata.get_by_label("Topic").fill("axis/cam/scene/frame")
        page.get_by_role("button", name="Save changes").click()
        page.wait_for_url(base + "/cameras", timeout=WAIT_MS)
        page.goto(f"{base}/cameras/{camera.pk}/edit")
        expect(metadata.get_by_role("radio", name=OVER_MQTT)).to_be_checked(timeout=WAIT_MS)
        expect(metadata.get_by_label("Topic")).to_have_value("axis/cam/scene/frame")
        snap(page, "camera-metadata-transport")
    assert (in_stream["analysis_source"], in_stream["metadata_transport"], in_stream["metadata_topic"]) == (
        "camera", "stream", "")
    camera.refresh_from_db()
    assert (camera.analysis_source, camera.metadata_transport, camera.metadata_broker, camera.metadata_topic) == (
        "camera", "mqtt", "mqtt://127.0.0.1:1883", "axis/cam/scene/frame")


# The person the camera reports walks right, 0.05 of the picture's width a second; it reports nothing for two
# seconds in the middle (seconds 6-8 of the footage), and ten frames a second otherwise.
TRACK = 7
FRAME_STEP = 0.1
GAP = (6.0, 8.0)
STALE = 0.5


def box_at(seconds: float) -> Box:
    return Box(round(0.05 + 0.05 * seconds, 4), 0.3, 0.15, 0.3)


def store_metadata(camera_id: int, start: datetime, end: datetime) -> list[float]:
    """The camera's frames from `start` to `end` as the recorder keeps them; returns their seconds from `start`."""
    writer = SceneMetadataWriter(camera_id)
    stored = []
    for step in range(int((end - start).total_seconds() / FRAME_STEP) + 1):
        seconds = round(step * FRAME_STEP, 3)
        if GAP[0] <= seconds < GAP[1]:
            continue
        at = start + timedelta(seconds=seconds)
        person = Track(TRACK, "person", 0.9, box_at(seconds), first_seen=0.0, last_seen=seconds, missing=False,
                       path=())
        writer.add(at, [person])
        stored.append(seconds)
    writer.flush()
    return stored


class Playlist:
    """The media timeline of the playlist the page plays: each segment at the sum of the EXTINF before it, showing
    the time of its EXT-X-PROGRAM-DATE-TIME."""

    def __init__(self, text: str) -> None:
        self.pieces: list[tuple[float, float, datetime]] = []
        media, wall = 0.0, None
        for line in text.splitlines():
            if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
                wall = datetime.fromisoformat(line.split(":", 1)[1])
            elif line.startswith("#EXTINF:"):
                duration = float(line.removeprefix("#EXTINF:").rstrip(","))
                self.pieces.append((media, duration, wall))
                media += duration

    def wall(self, media: float) -> datetime:
        found = self.pieces[0]
        for piece in self.pieces:
            if piece[0] <= media + 1e-3:
                found = piece
        start, duration, wall = found
        return wall + timedelta(seconds=max(0.0, min(media - start, duration)))

    def media(self, wall: datetime) -> float:
        for start, duration, piece_wall in self.pieces:
            if wall < piece_wall + timedelta(seconds=duration):
                return start + max(0.0, (wall - piece_wall).total_seconds())
        raise AssertionError(f"{wall} is after the playlist")


PLAYER = "document.querySelector('[data-testid=player] video')"
# Each change of what the overlay draws, with the video's playhead at that moment.
RECORD_DRAWN = """canvas => {
  const video = canvas.parentElement.querySelector("video");
  window.drawnSets = [];
  new MutationObserver(() => window.drawnSets.push({time: video.currentTime, boxes: Number(canvas.dataset.overlayBoxes),
    frameAt: canvas.dataset.overlayFrameAt, rects: canvas.dataset.overlayRects, labels: canvas.dataset.overlayLabels}))
    .observe(canvas, {attributes: true, attributeFilter: ["data-overlay-frame-at", "data-overlay-boxes"]});
}"""
# The alpha of the canvas at points of the picture (0-1 of the video as recorded, letterboxed in the player).
ALPHA_AT = """(canvas, points) => {
  const video = canvas.parentElement.querySelector("video");
  const scale = Math.min(canvas.width / video.videoWidth, canvas.height / video.videoHeight);
  const width = video.videoWidth * scale, height = video.videoHeight * scale;
  const context = canvas.getContext("2d");
  return points.map(([u, v]) => context.getImageData(Math.round((canvas.width - width) / 2 + u * width),
    Math.round((canvas.height - height) / 2 + v * height), 1, 1).data[3]);
}"""


# Seek the paused video; done once it has sought and painted twice since (the overlay follows on "seeked" and on
# the frame callback of the frame painted).
SEEK = """media => new Promise(resolve => {
  const video = document.querySelector("[data-testid=player] video");
  video.addEventListener("seeked", () => requestAnimationFrame(() => requestAnimationFrame(resolve)), {once: true});
  video.currentTime = media;
})"""


def show(page: Page, media: float) -> None:
    """Show the frame at `media` seconds of the paused video, as a seek there does."""
    page.evaluate(SEEK, media)


def drawn(overlay) -> tuple[float | None, list[dict]]:
    """The stored frame drawn (seconds since the epoch, or None) and its boxes, as the canvas says."""
    frame_at = overlay.get_attribute("data-overlay-frame-at")
    return (float(frame_at) if frame_at else None), json.loads(overlay.get_attribute("data-overlay-rects"))


@pytest.mark.rtsp
def test_the_cameras_own_boxes_are_replayed_over_the_frame_on_screen(
        recorded_camera, investigator_user, operator_user, settings):  # noqa: F811
    camera = recorded_camera
    grant(camera, user=investigator_user)
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    start = segments[0].start
    stored = store_metadata(camera.pk, start, segments[-1].end)
    assert stored[-1] >= 11.9, "the footage is long enough for the walk"

    def seconds_of(frame_at: float) -> float:
        """The stored frame drawn, in seconds from the start (the browser keeps times to the millisecond)."""
        seconds = frame_at - start.timestamp()
        nearest = min(stored, key=lambda value: abs(value - seconds))
        assert abs(nearest - seconds) < 0.002, f"{seconds} s is no stored frame"
        return nearest

    opened_at = (start + timedelta(seconds=2)).isoformat(timespec="milliseconds")
    playlists: list[str] = []
    with web_server(settings.RECORDINGS_ROOT.parent, **SERVER_ENV) as base:
        with chromium_page() as page:
            page.on("request", lambda asked: playlists.append(asked.url) if "playlist.m3u8" in asked.url else None)
            log_in(page, base, investigator_user.username, f"/recordings/{camera.pk}?at={quote(opened_at)}")
            overlay = page.locator("[data-testid=player] canvas[data-testid=overlay]")
            expect(overlay).to_have_attribute("data-overlay-boxes", "1", timeout=WAIT_MS)
            expect(overlay).to_have_attribute("data-overlay-labels", "person")
            switch = page.get_by_label("Camera's boxes")
            expect(switch).to_be_checked()
            playlist = Playlist(page.request.get(playlists[-1]).text())

            # While it plays: each box drawn is the stored one of the frame on screen, moving with it, and none in the
            # seconds the camera reported nothing.
            overlay.evaluate(RECORD_DRAWN)
            past_the_gap = playlist.media(start + timedelta(seconds=GAP[1] + 1.0))
            page.wait_for_function(f"{PLAYER}.currentTime > {past_the_gap}", timeout=WAIT_MS)
            sets = page.evaluate("window.drawnSets")
            snap(page, "recording-camera-boxes")
            page.get_by_test_id("play-pause").click()
            page.wait_for_function(f"{PLAYER}.paused")

            with_boxes = [entry for entry in sets if entry["boxes"]]
            assert len({entry["frameAt"] for entry in with_boxes}) >= 20, f"the box moves as it plays: {sets}"
            for entry in with_boxes:
                seconds = seconds_of(float(entry["frameAt"]))
                [rect] = json.loads(entry["rects"])
                assert rect == {"track": TRACK, **asdict(box_at(seconds))}, entry
                shown = (playlist.wall(entry["time"]) - start).total_seconds()
                assert -0.1 <= shown - seconds <= STALE + 0.2, f"drawn {seconds} s over the frame of {shown} s: {entry}"
            last_before_gap = max(s for s in stored if s < GAP[0])
            cleared = [(playlist.wall(entry["time"]) - start).total_seconds() for entry in sets if not entry["boxes"]]
            assert cleared, f"no boxes where none are stored: {sets}"
            assert all(last_before_gap + STALE - 0.1 <= shown <= GAP[1] + 0.1 for shown in cleared), (cleared, sets)

            # Paused, stepped to a frame: the box of that frame, where it was then, on the picture.
            for wanted in (4.03, 9.57, 3.0):
                show(page, playlist.media(start + timedelta(seconds=wanted)))
                shown = (playlist.wall(page.evaluate(f"{PLAYER}.currentTime")) - start).total_seconds()
                frame_at, rects = drawn(overlay)
                seconds = seconds_of(frame_at)
                # The frame painted may be the one before the time sought, a stored frame earlier.
                assert shown - FRAME_STEP - 0.05 <= seconds <= shown + 0.03, (shown, seconds)
                assert rects == [{"track": TRACK, **asdict(box_at(seconds))}]
            box = box_at(seconds)
            middle = box.y + box.h / 2
            # Its left edge is drawn where the picture shows it; not inside it, nor where it was two seconds before.
            left, inside, before = overlay.evaluate(ALPHA_AT, [
                [box.x, middle], [box.x + box.w / 2, middle], [box_at(seconds - 2).x, middle]])
            assert left > 0 and inside == 0 and before == 0, (left, inside, before)

            # Just after the camera stopped reporting, its last frame; more than half a second after, nothing.
            show(page, playlist.media(start + timedelta(seconds=GAP[0] + 0.3)))
            frame_at, rects = drawn(overlay)
            assert seconds_of(frame_at) == last_before_gap and len(rects) == 1
            show(page, playlist.media(start + timedelta(seconds=GAP[0] + 0.8)))
            expect(overlay).to_have_attribute("data-overlay-boxes", "0")
            assert drawn(overlay) == (None, [])

            # Switched off, the canvas goes; on again, the paused frame has its box at once.
            show(page, playlist.media(start + timedelta(seconds=5.0)))
            expect(overlay).to_have_attribute("data-overlay-boxes", "1")
            switch.uncheck()
            expect(overlay).to_have_count(0)
            snap(page, "recording-camera-boxes-off")
            switch.check()
            expect(overlay).to_have_attribute("data-overlay-boxes", "1", timeout=WAIT_MS)
            assert 4.85 <= seconds_of(drawn(overlay)[0]) <= 5.03

        # Footage without the camera's metadata: no switch, nothing drawn.
        SceneMetadata.objects.filter(camera=camera).delete()
        with chromium_page() as page:
            log_in(page, base, investigator_user.username, f"/recordings/{camera.pk}?at={quote(opened_at)}")
            page.wait_for_function(f"{PLAYER}.currentTime > {playlist.media(start + timedelta(seconds=3))}",
                                   timeout=WAIT_MS)
            expect(page.get_by_test_id("playback-controls")).to_be_visible()
            expect(page.get_by_label("Camera's boxes")).to_have_count(0)
            expect(page.locator("[data-testid=player] canvas")).to_have_count(0)

        # Someone who may play recordings, but not of this camera, gets none of its boxes.
        store_metadata(camera.pk, start, segments[-1].end)
        with chromium_page() as page:
            log_in(page, base, operator_user.username, f"/recordings/{camera.pk}?at={quote(opened_at)}")
            span = f"start={quote(start.isoformat())}&end={quote(segments[-1].end.isoformat())}"
            response = page.request.get(f"{base}/api/v1/cameras/{camera.pk}/scene-metadata/?{span}")
            assert response.status == 404 and "frames" not in response.json()
            expect(page.get_by_text("This camera cannot be shown.")).to_be_visible()
            expect(page.get_by_text("The recordings could not be loaded.")).to_be_visible()
            expect(page.locator("[data-testid=player] canvas")).to_have_count(0)
            expect(page.get_by_label("Camera's boxes")).to_have_count(0)
