"""Push to talk in Chromium: an operator holds the Talk button on a camera's live view and Chromium's fake microphone
(a tone made here, played from a WAV file) reaches the stand-in camera's speaker over the ONVIF audio back channel
(tests/standins/backchannel_camera.py), which decodes it: its frequency is checked, and the talk session audited.
While the operator talks, an admin who presses Talk is told who talks; a camera without a speaker has no Talk button,
nor does a user without the talk permission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import AuditAction, AuditEntry
from devices.models import Camera
from tests.audio_checks import dominant_frequency, loud_seconds, tone, wav_file
from tests.browser import chromium_page
from tests.conftest import grant
from tests.recording_checks import wait_for
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in
from tests.web_server import web_server

pytest_plugins = ["tests.standins.fixtures"]
pytestmark = [pytest.mark.django_db(transaction=True)]
TONE_HZ = 700


@pytest.fixture(autouse=True)
def speakers_free() -> None:
    cache.clear()


def fake_microphone(tmp_path) -> list[str]:
    wav = tmp_path / "tone.wav"
    wav.write_bytes(wav_file(tone(TONE_HZ, 5.0, 48000), 48000))
    return ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}"]


def test_an_operator_pushes_to_talk_and_the_camera_speaker_plays_the_microphone(
        operator_user, admin_user, speaker_camera, tmp_path):
    speaker = speaker_camera(user="cam", password="speaker-pw", digest=True)
    camera = Camera(name="Front gate", main_url=speaker.url, username="cam", speaker_codec="PCMU")
    camera.password = "speaker-pw"
    camera.save()
    grant(camera, group="Operator")
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page(*fake_microphone(tmp_path)) as page:
        log_in(page, base, operator_user.username, f"/live/{camera.pk}")
        talk = page.get_by_test_id("talk-button")
        talk.hover()
        page.mouse.down()
        expect(talk).to_have_attribute("data-state", "talking", timeout=WAIT_MS)
        expect(page.get_by_test_id("talk-note")).to_contain_text("Talking through Front gate's speaker")

        admin = page.context.browser.new_context().new_page()
        log_in(admin, base, admin_user.username, f"/live/{camera.pk}")
        admin.get_by_test_id("talk-button").hover()
        admin.mouse.down()
        expect(admin.get_by_test_id("talk-note")).to_contain_text(f"{operator_user.username} is talking",
                                                                  timeout=WAIT_MS)
        admin.mouse.up()

        wait_for(lambda: loud_seconds(speaker.heard(), speaker.RATE) >= 2.0, 60, "two seconds of the microphone")
        page.mouse.up()
        expect(talk).to_have_attribute("data-state", "idle", timeout=WAIT_MS)
    # Outside the browser's block: Playwright's sync API runs an event loop, in which Django refuses queries.
    wait_for(lambda: AuditEntry.objects.filter(action=AuditAction.TALK_ENDED).exists(), 30, "the talk's end")

    assert abs(dominant_frequency(speaker.heard(), speaker.RATE) - TONE_HZ) <= 10
    started = AuditEntry.objects.get(action=AuditAction.TALK_STARTED)
    ended = AuditEntry.objects.get(action=AuditAction.TALK_ENDED)
    assert (started.username, started.camera_id) == (operator_user.username, camera.pk)
    assert ended.detail["session"] == started.detail["session"] and ended.detail["seconds"] >= 2.0


def test_no_talk_button_without_a_speaker_or_without_the_talk_permission(operator_user, speaker_camera, tmp_path):
    speaker = speaker_camera()
    with_speaker = Camera.objects.create(name="Gate", main_url=speaker.url, speaker_codec="PCMU")
    without = Camera.objects.create(name="Yard", main_url="rtsp://127.0.0.1:8554/yard")
    for camera in (with_speaker, without):
        grant(camera, group="Operator")
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, operator_user.username, f"/live/{with_speaker.pk}")
        expect(page.get_by_test_id("talk-button")).to_be_visible(timeout=WAIT_MS)
        page.goto(f"{base}/live/{without.pk}")
        expect(page.get_by_test_id("live-tile")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_test_id("talk-button")).to_have_count(0)

    operator_user.groups.first().permissions.remove(Permission.objects.get(codename="talk"))
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, operator_user.username, f"/live/{with_speaker.pk}")
        expect(page.get_by_test_id("live-tile")).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_test_id("talk-button")).to_have_count(0)
