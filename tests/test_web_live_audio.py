"""Live sound in the browser: a camera whose sound is recorded gets a speaker button on its tile, and its sound
plays muted until the operator unmutes it; a camera without gets no button."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from devices.models import Camera
from recordings.recorder import Recorder
from tests.browser import chromium_page
from tests.conftest import grant
from tests.recording_checks import wait_for
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]

# Bytes of sound Chromium's decoder has taken from the live stream (Chromium's own counter).
SOUND_DECODED = "tile => tile.querySelector('video').webkitAudioDecodedByteCount"


@pytest.fixture
def recorder(settings, tmp_path) -> Iterator[None]:
    settings.RECORDINGS_ROOT = tmp_path / "media" / "recordings"
    settings.RECORDINGS_ROOT.mkdir(parents=True)
    settings.RECORDER_LEASE_SECONDS = 3.0
    stop = threading.Event()
    thread = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def test_the_live_tile_plays_the_cameras_sound_muted_until_the_operator_unmutes_it(
        operator_user, gst_camera, recorder, settings):
    gate = Camera.objects.create(name="Gate", main_url=gst_camera(path="/gate", audio="aac").url, record_audio=True)
    yard = Camera.objects.create(name="Yard", main_url=gst_camera(path="/yard", audio="aac").url)
    for camera in (gate, yard):
        grant(camera, group="Operator")
    wait_for(lambda: Camera.objects.filter(status="online").count() == 2, 30, "both cameras online")
    with web_server(settings.RECORDINGS_ROOT.parent, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, operator_user.username, f"/live/{yard.pk}")
        yard_tile = page.locator(f"[data-testid=live-tile][data-camera-id='{yard.pk}']")
        expect(yard_tile).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
        # Its sound is not recorded: none is sent, and there is nothing to unmute.
        expect(yard_tile.get_by_test_id("sound-switch")).to_have_count(0)

        page.goto(f"{base}/live/{gate.pk}")
        tile = page.locator(f"[data-testid=live-tile][data-camera-id='{gate.pk}']")
        expect(tile).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
        switch = tile.get_by_test_id("sound-switch")
        expect(switch).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
        assert tile.evaluate("tile => tile.querySelector('video').muted") is True
        page.wait_for_function(f"() => ({SOUND_DECODED})(document.querySelector("
                               f"\"[data-testid=live-tile][data-camera-id='{gate.pk}']\")) > 0", timeout=WAIT_MS)

        switch.click()
        expect(switch).to_have_attribute("aria-pressed", "true")
        assert tile.evaluate("tile => tile.querySelector('video').muted") is False
        switch.click()
        expect(switch).to_have_attribute("aria-pressed", "false")
        assert tile.evaluate("tile => tile.querySelector('video').muted") is True
