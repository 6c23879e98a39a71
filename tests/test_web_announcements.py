"""Announcements in Chromium: an admin uploads a sound file (a tone made here) and is told in words when a file is no
sound; the built-in chime is there to listen to; a rule's form offers the announcements and the cameras with a
speaker, and the rule list says what it plays where."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from analytics.models import Rule
from devices.models import Announcement, Camera
from tests.audio_checks import tone, wav_file
from tests.browser import chromium_page
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_an_admin_uploads_an_announcement_and_a_rule_plays_it_on_a_speaker(admin_user, tmp_path):
    dock = Camera.objects.create(name="Dock", main_url="rtsp://127.0.0.1:8554/dock")
    gate = Camera.objects.create(name="Gate", main_url="rtsp://127.0.0.1:8554/gate", speaker_codec="PCMU")
    sound = tmp_path / "leave.wav"
    sound.write_bytes(wav_file(tone(500, 2.0, 22050), 22050))
    text = tmp_path / "notes.wav"
    text.write_text("not a sound at all, only words " * 20)
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, "/announcements")
        listed = page.get_by_test_id("announcement")
        expect(listed).to_have_count(1, timeout=WAIT_MS)
        expect(listed).to_contain_text("You are being recorded (chime)")

        form = page.get_by_test_id("announcement-form")
        form.get_by_label("Announcement name").fill("Notes")
        form.get_by_label("Sound file").set_input_files(str(text))
        form.get_by_role("button", name="Upload announcement").click()
        expect(form).to_contain_text("This is not a sound file", timeout=WAIT_MS)

        form.get_by_label("Announcement name").fill("Please leave the dock")
        form.get_by_label("Sound file").set_input_files(str(sound))
        form.get_by_role("button", name="Upload announcement").click()
        expect(listed).to_have_count(2, timeout=WAIT_MS)
        expect(page.locator("[data-testid=announcement]", has_text="Please leave the dock")).to_contain_text("2.0 s")

        page.goto(f"{base}/cameras/{dock.pk}/analytics")
        page.get_by_role("button", name="Add rule").click()
        page.get_by_label("Rule name").fill("Dock camera lost")
        page.get_by_label("Condition").select_option("offline")
        page.get_by_label("Play an announcement").select_option(label="Please leave the dock (2.0 s)")
        expect(page.get_by_label("On the speaker of")).to_have_value(str(gate.pk))
        page.get_by_role("button", name="Save rule").click()
        expect(page.locator("[data-rule-id]")).to_contain_text("Announcement on Gate's speaker", timeout=WAIT_MS)

    rule = Rule.objects.get(camera=dock)
    assert (rule.announcement, rule.announcement_camera) == (Announcement.objects.get(name="Please leave the dock"),
                                                             gate)
