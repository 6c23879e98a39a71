"""Announcements: an admin uploads a short sound file (checked, with clear errors) or uses the built-in chime, and a
rule plays it on a camera's speaker (the stand-in camera's ONVIF audio back channel) through a real Celery worker;
each play and each change is audited. The camera's speaker is found in its SDP when it is probed."""

from __future__ import annotations

import base64

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from analytics import services
from devices.models import Announcement, Camera
from tests.audio_checks import dominant_frequency, loud_seconds, tone, wav_file
from tests.recording_checks import wait_for
from tests.web_server import celery_worker
from video.announcements import recording_chime

pytest_plugins = ["tests.standins.fixtures"]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def speakers_free() -> None:
    cache.clear()


def upload(client, name: str, data: bytes, **extra):
    return client.post("/api/v1/announcements/", {"name": name, "sound": base64.b64encode(data).decode(), **extra},
                       format="json")


def test_the_built_in_chime_is_there_without_any_download(admin_client):
    listed = admin_client.get("/api/v1/announcements/").json()
    chime = next(a for a in listed if a["built_in"])
    assert chime["name"] == "You are being recorded (chime)" and 2 < chime["seconds"] < 4
    wav = admin_client.get(chime["sound_url"])
    assert wav.status_code == 200 and wav["Content-Type"] == "audio/wav" and wav.content.startswith(b"RIFF")
    assert admin_client.delete(f"/api/v1/announcements/{chime['id']}/").status_code == 409


def test_an_uploaded_sound_is_kept_at_8_khz_and_the_change_audited(admin_client):
    created = upload(admin_client, "Leave the area", wav_file(tone(440, 2.0, 44100), 44100))
    assert created.status_code == 201, created.json()
    assert abs(created.json()["seconds"] - 2.0) < 0.05
    kept = Announcement.objects.get(name="Leave the area")
    assert abs(dominant_frequency(bytes(kept.sound), 8000) - 440) <= 5
    entry = AuditEntry.objects.get(action=AuditAction.ANNOUNCEMENT_CHANGED)
    assert entry.detail["change"] == "created" and entry.detail["name"] == "Leave the area"


@pytest.mark.parametrize(("data", "words"), [
    (b"", "may not be blank"),
    (b"this is a text file, not a sound" * 10, "not a sound file"),
    (wav_file(tone(440, 31.0, 8000), 8000), "longer than 30 s"),
    (wav_file(bytes(16000), 8000), "silent"),
])
def test_a_file_that_cannot_be_an_announcement_is_refused_in_words(admin_client, data, words):
    refused = upload(admin_client, "Bad", data)
    assert refused.status_code == 400
    assert words in str(refused.json()["errors"]["sound"])
    assert not Announcement.objects.filter(name="Bad").exists()


def test_only_admins_manage_announcements(operator_client):
    assert upload(operator_client, "Mine", wav_file(tone(440, 1.0, 8000), 8000)).status_code == 403


def test_the_speaker_is_found_in_the_sdp_when_the_camera_is_probed(admin_client, speaker_camera, gst_camera):
    with_speaker = speaker_camera(codec="PCMA")
    without = gst_camera()
    for name, stand_in, codec in (("Gate", with_speaker, "PCMA"), ("Yard", without, "")):
        camera = Camera.objects.create(name=name, main_url=stand_in.url)
        assert admin_client.post(f"/api/v1/cameras/{camera.pk}/probe/").status_code == 200
        assert admin_client.get(f"/api/v1/cameras/{camera.pk}/").json()["speaker"] == codec


def test_the_speaker_is_found_when_a_camera_is_added(admin_client, speaker_camera, tmp_path):
    speaker = speaker_camera(user="cam", password="pw-2", digest=True)
    with celery_worker(tmp_path, "celery"):
        created = admin_client.post("/api/v1/cameras/", {
            "name": "Gate", "main_url": speaker.url, "username": "cam", "password": "pw-2"}, format="json")
        assert created.status_code == 201, created.json()
        wait_for(lambda: Camera.objects.get(pk=created.json()["id"]).speaker_codec, 60, "the speaker to be found")
    assert Camera.objects.get(pk=created.json()["id"]).speaker_codec == "PCMU"


def test_a_rule_on_a_camera_without_speaker_cannot_announce(admin_client, camera):
    chime = Announcement.objects.get(built_in=True)
    refused = admin_client.post(f"/api/v1/cameras/{camera.pk}/rules/", {
        "name": "Dock camera lost", "condition": "offline", "announcement": chime.pk}, format="json")
    assert refused.status_code == 400 and "has no speaker" in str(refused.json())


def test_a_rule_plays_its_announcement_on_the_camera_speaker_and_it_is_audited(
        admin_client, tmp_path, speaker_camera, camera):
    speaker = speaker_camera(user="cam", password="speaker-pw")
    gate = Camera(name="Gate", main_url=speaker.url, username="cam", speaker_codec="PCMU")
    gate.password = "speaker-pw"
    gate.save()
    chime = Announcement.objects.get(built_in=True)
    created = admin_client.post(f"/api/v1/cameras/{camera.pk}/rules/", {
        "name": "Dock camera lost", "condition": "offline", "announcement": chime.pk,
        "announcement_camera": gate.pk}, format="json")
    assert created.status_code == 201, created.json()

    with celery_worker(tmp_path, "celery"):
        event = services.start_event(camera.pk, created.json()["id"], timezone.now(), "", None, None)
        wait_for(lambda: AuditEntry.objects.filter(action=AuditAction.ANNOUNCEMENT_PLAYED).exists(), 60,
                 "the announcement to be played")

    heard = speaker.heard()
    sent = recording_chime()
    assert loud_seconds(heard, speaker.RATE) >= loud_seconds(sent, 8000) - 0.1
    assert abs(dominant_frequency(heard, speaker.RATE) - dominant_frequency(sent, 8000)) <= 10
    entry = AuditEntry.objects.get(action=AuditAction.ANNOUNCEMENT_PLAYED)
    assert (entry.camera_id, entry.username) == (gate.pk, "rule")
    assert entry.detail == {"announcement": chime.name, "seconds": round(chime.seconds, 1), "played": True,
                            "error": "", "rule": "Dock camera lost", "event": event.pk}
