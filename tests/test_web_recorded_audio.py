"""Recorded sound in Chromium: the recordings player plays it muted until the investigator unmutes it, and a redacted
export asked for with "Mute audio" ticked renders without sound, and its page and signed manifest say so."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from recordings.models import Segment
from redaction.models import Export
from tests.browser import chromium_page
from tests.recording_checks import ffprobe
from tests.test_audio_playback_export import heard_camera  # noqa: F401  (the fixture)
from tests.test_web_app import LOCAL_DAY, LOCAL_TIME, SERVER_ENV, log_in
from tests.web_server import celery_worker, web_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]
JOB_MS = 180_000


# Bytes of sound Chromium's decoder has taken from what the player plays (Chromium's own counter).
SOUND_DECODED = "document.querySelector('[data-testid=player] video').webkitAudioDecodedByteCount"
PLAYER_MUTED = "document.querySelector('[data-testid=player] video').muted"


def test_the_player_plays_the_recorded_sound_muted_until_unmuted(heard_camera, investigator_user,  # noqa: F811
                                                                 settings):
    camera = heard_camera
    first = Segment.objects.filter(camera=camera).order_by("start").first()
    with web_server(settings.RECORDINGS_ROOT.parent, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, investigator_user.username, "/recordings")
        at = (first.start + timedelta(seconds=0.5)).isoformat().replace("+", "%2B")
        page.goto(f"{base}/recordings/{camera.pk}?at={at}")
        switch = page.get_by_test_id("playback-sound")
        expect(switch).to_have_attribute("aria-pressed", "false")
        page.wait_for_function(f"{SOUND_DECODED} > 0", timeout=30_000)
        assert page.evaluate(PLAYER_MUTED) is True
        switch.click()
        expect(switch).to_have_attribute("aria-pressed", "true")
        assert page.evaluate(PLAYER_MUTED) is False


def test_an_investigator_mutes_the_sound_of_a_redacted_export(heard_camera, investigator_user,  # noqa: F811
                                                              settings, tmp_path):
    camera = heard_camera
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    env = {**SERVER_ENV, "VMS_SIGNING_KEY_FILE": str(settings.SIGNING_KEY_FILE)}
    media = settings.RECORDINGS_ROOT.parent
    with web_server(media, **env) as base, celery_worker(media, "redaction", **env), chromium_page() as page:
        log_in(page, base, investigator_user.username, "/recordings")
        day = page.evaluate(LOCAL_DAY, segments[0].start.isoformat())
        page.goto(f"{base}/recordings/{camera.pk}?day={day}")
        start, end = segments[1].start + timedelta(seconds=0.5), segments[3].end
        page.fill("input[name=clip-start]", page.evaluate(LOCAL_TIME, start.isoformat()))
        page.fill("input[name=clip-end]", page.evaluate(LOCAL_TIME, end.isoformat()))
        page.get_by_role("button", name="Redacted export…").click()
        mute = page.get_by_label(re.compile("Mute audio"))
        expect(mute).not_to_be_checked()
        mute.check()
        page.get_by_label("Reason for the export").fill("noise complaint")
        page.get_by_role("button", name="Start redacted export").click()
        page.wait_for_url(re.compile(r".*/exports/\d+$"))
        expect(page.get_by_test_id("export-status")).to_have_attribute("data-status", "done", timeout=JOB_MS)
        expect(page.get_by_test_id("export-sound")).to_contain_text("Muted")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download video (MP4)").click()
        video = tmp_path / "export.mp4"
        download.value.save_as(video)
    export = Export.objects.get()
    assert export.mute_audio is True
    assert export.manifest["manifest"]["audio"] == {"included": False, "muted": True}
    assert [stream["codec_name"] for stream in ffprobe(video)["streams"]] == ["h264"]
