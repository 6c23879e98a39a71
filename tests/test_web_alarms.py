"""Analytics in Chromium on real footage of people: the operator's live tile draws boxes that turn to the alarm
colour when a loitering rule fires, the alarm is acknowledged from the list and audited; an investigator
replays an event with its boxes over the recording."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditAction, AuditEntry
from analytics.models import Alarm, Event, Rule, Zone
from analytics.worker import AnalyticsWorker
from devices.models import Camera
from recordings.models import Segment
from recordings.recorder import Recorder
from tests.browser import chromium_page
from tests.conftest import grant
from tests.recording_checks import wait_for
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp, pytest.mark.slow]

# Pixels of the alarm colour (#ef4444) drawn on the overlay canvas.
ALARM_PIXELS = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - 0xef) < 8 && Math.abs(data[i + 1] - 0x44) < 8 && Math.abs(data[i + 2] - 0x44) < 8
        && data[i + 3] > 200) n++;
  }
  return n;
}"""


@pytest.fixture
def analysed_campus(settings, tmp_path, real_people_clip, footage_rtsp_server, operator_user) -> Iterator[Camera]:
    settings.RECORDINGS_ROOT = tmp_path / "media" / "recordings"
    settings.RECORDINGS_ROOT.mkdir(parents=True)
    settings.RECORDER_LEASE_SECONDS = 4.0
    settings.CAMERA_READ_TIMEOUT = 3.0
    settings.RECONNECT_MAX_SECONDS = 1.0
    camera = Camera.objects.create(name="Campus", main_url=footage_rtsp_server.url_for(real_people_clip.path),
                                   analytics_enabled=True, recording_mode="off")
    grant(camera, group="Operator")
    walkway = Zone.objects.create(camera=camera, name="Walkway", kind="area",
                                  points=[[0.02, 0.25], [0.98, 0.25], [0.98, 0.99], [0.02, 0.99]])
    Rule.objects.create(camera=camera, name="Lingering", condition="dwell", zone=walkway,
                        object_classes=["person"], dwell_seconds=3, severity=3)
    stop = threading.Event()
    workers = [threading.Thread(target=worker(tick_seconds=0.5).run, args=(stop,), daemon=True)
               for worker in (Recorder, AnalyticsWorker)]
    for worker in workers:
        worker.start()
    yield camera
    stop.set()
    for worker in workers:
        worker.join(timeout=30)


def test_an_operator_sees_boxes_turn_to_alarm_and_acknowledges_the_alarm(analysed_campus, operator_user, settings):
    camera = analysed_campus
    with web_server(settings.RECORDINGS_ROOT.parent, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, operator_user.username, f"/live/{camera.pk}")
        tile = page.locator(f"[data-testid=live-tile][data-camera-id='{camera.pk}']")
        expect(tile).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
        overlay = tile.locator("canvas[data-testid=overlay]")
        # A box over someone walking, before anyone has been there 3 s.
        expect(overlay).to_have_attribute("data-overlay-boxes", re.compile(r"^[1-9]"), timeout=WAIT_MS)
        expect(overlay).to_have_attribute("data-overlay-states", re.compile(r"tracked"))
        # Someone stays in the walkway for 3 s: their box turns red while the video plays on.
        expect(overlay).to_have_attribute("data-overlay-states", re.compile(r"\balarm\b"), timeout=60_000)
        assert overlay.evaluate(ALARM_PIXELS) > 50, "the alarm colour is drawn on the canvas"
        snap(page, "live-alarm-overlay")

        bell = page.locator("[data-alarm-count]")
        expect(bell).not_to_have_attribute("data-alarm-count", "0", timeout=WAIT_MS)
        bell.click()
        first = page.locator("#alarm-panel li[data-severity='3']").first
        expect(first).to_contain_text("Lingering")
        alarm_id = int(first.get_attribute("data-alarm-id"))
        row = page.locator(f"#alarm-panel li[data-alarm-id='{alarm_id}']")  # more alarms come in meanwhile
        snap(page, "alarm-list")
        row.get_by_role("button", name="Acknowledge").click()
        row.get_by_label("Comment").fill("Student waiting for a lift")
        row.get_by_role("button", name="Acknowledge").click()
        expect(page.locator(f"#alarm-panel li[data-alarm-id='{alarm_id}']")).to_have_count(0, timeout=WAIT_MS)
    alarm = Alarm.objects.get(pk=alarm_id)
    assert alarm.acknowledged_by == operator_user and alarm.comment == "Student waiting for a lift"
    entry = AuditEntry.objects.get(action=AuditAction.ALARM_ACKNOWLEDGED, detail__alarm=alarm_id)
    assert entry.username == operator_user.username and entry.camera == camera


def test_an_investigator_replays_an_event_with_its_boxes_over_the_recording(
        analysed_campus, investigator_user, settings):
    camera = analysed_campus
    grant(camera, group="Investigator")
    settings.SEGMENT_SECONDS = 2.0
    Camera.objects.filter(pk=camera.pk).update(recording_mode="continuous")
    event = wait_for(lambda: Event.objects.filter(camera=camera, ended_at__isnull=False,
                                                  started_at__gt=timezone.now() - timedelta(minutes=5))
                     .filter(started_at__gt=F("camera__segments__start")).first(), 120,
                     "an event within the recorded footage")
    wait_for(lambda: Segment.objects.filter(camera=camera, end__gt=event.ended_at + timedelta(seconds=2)).exists(),
             60, "the footage after the event to be recorded")
    with web_server(settings.RECORDINGS_ROOT.parent, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, investigator_user.username, "/events")
        page.get_by_label(f"Replay {event.rule_name}").first.wait_for(timeout=WAIT_MS)
        page.goto(f"{base}/events/{event.pk}")
        overlay = page.get_by_test_id("replay-overlay")
        expect(overlay).to_have_attribute("data-replay-box", "shown", timeout=WAIT_MS)
        snap(page, "event-replay")
