"""Cameras' own events (ONVIF) in Chromium: an admin sets a rule on a camera's digital input and switches on
receiving its events, an operator lists and filters what the cameras reported."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from analytics.models import Rule
from devices.models import Camera, DeviceEvent
from tests.browser import chromium_page
from tests.conftest import grant
from tests.recording_checks import wait_for
from tests.standins.rtsp_servers import free_port
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_an_admin_sets_a_rule_on_a_cameras_digital_input(admin_user, tmp_path):
    camera = Camera.objects.create(name="Back door", main_url="rtsp://127.0.0.1:8554/back-door")
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/analytics")
        page.get_by_role("button", name="Add rule").click()
        page.get_by_label("Rule name").fill("Door contact")
        page.get_by_label("Condition").select_option("camera_event")
        # The camera's own events have no zone and no objects.
        expect(page.get_by_label("Zone or line")).to_have_count(0)
        expect(page.get_by_label("Person", exact=True)).to_have_count(0)
        page.get_by_label("Kind of camera event").select_option("digital_input")
        items = page.get_by_test_id("event-items")
        items.get_by_role("button", name="Add item").click()
        items.get_by_label("Name").fill("InputToken")
        items.get_by_label("Value").fill("1")
        snap(page, "camera-event-rule-form")
        page.get_by_role("button", name="Save rule").click()

        row = page.locator("[data-rule-id]")
        expect(row).to_have_count(1, timeout=WAIT_MS)
        expect(row).to_contain_text("Camera event · Digital input, InputToken = 1")
        expect(page.get_by_test_id("camera-events-off")).to_be_visible()  # its events are not received yet
        snap(page, "camera-event-rule")
    rule = Rule.objects.get(camera=camera)
    assert (rule.condition, rule.zone, rule.object_classes, rule.event_kind, rule.event_topic, rule.event_items) == (
        "camera_event", None, [], "digital_input", "", {"InputToken": "1"})


def test_an_operator_lists_and_filters_what_the_cameras_reported(operator_user, tmp_path):
    gate = Camera.objects.create(name="Gate", main_url="rtsp://127.0.0.1:8554/gate")
    hidden = Camera.objects.create(name="Vault", main_url="rtsp://127.0.0.1:8554/vault")
    grant(gate, group="Operator")
    now = timezone.now()
    DeviceEvent.objects.create(camera=gate, at=now - timedelta(minutes=2), camera_time=now - timedelta(minutes=2),
                               topic="tns1:Device/Trigger/DigitalInput", kind="digital_input", operation="Changed",
                               state=True, source={"InputToken": "1"}, data={"LogicalState": "true"})
    DeviceEvent.objects.create(camera=gate, at=now - timedelta(minutes=1), camera_time=now - timedelta(minutes=1),
                               topic="tns1:VideoSource/MotionAlarm", kind="motion", operation="Changed",
                               state=False, source={"Source": "VideoSource_1"}, data={"State": "false"})
    DeviceEvent.objects.create(camera=hidden, at=now, camera_time=now, topic="tns1:VideoSource/MotionAlarm",
                               kind="motion", operation="Changed", state=True)
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, operator_user.username)
        page.click("nav.menu >> text=Camera events")
        rows = page.get_by_test_id("device-event-row")
        expect(rows).to_have_count(2, timeout=WAIT_MS)
        expect(rows.nth(0)).to_contain_text("Motion")  # newest first
        expect(rows.nth(0)).to_contain_text("tns1:VideoSource/MotionAlarm")
        expect(rows.nth(0)).to_contain_text("Off")
        expect(rows.nth(0)).to_contain_text("Source = VideoSource_1")
        expect(rows.nth(1)).to_contain_text("Digital input")
        expect(rows.nth(1)).to_contain_text("On")
        expect(rows.nth(1)).to_contain_text("InputToken = 1")
        expect(rows.nth(1)).to_contain_text("LogicalState = true")
        snap(page, "camera-events")

        page.get_by_test_id("device-event-filters").get_by_label("Kind").select_option("digital_input")
        page.get_by_role("button", name="Show").click()
        expect(rows).to_have_count(1)
        expect(rows).to_contain_text("Digital input")
        assert "kind=digital_input" in page.url


def test_receiving_a_cameras_events_needs_its_onvif_host(admin_user, tmp_path):
    camera = Camera.objects.create(name="Yard", main_url="rtsp://127.0.0.1:8554/yard")
    port = free_port()
    # The web process listens to the cameras' events itself (as on one box without Redis).
    with web_server(tmp_path, **SERVER_ENV, VMS_EVENTS_IN_WEB="true") as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/edit")
        page.get_by_label("Receive the camera's own events").check()
        page.get_by_role("button", name="Save changes").click()
        host = page.locator(".field", has=page.locator("input[name=onvif_host]"))
        expect(host.locator(".field-error")).to_contain_text("give its host", timeout=WAIT_MS)
        expect(page.locator("input[name=onvif_host]")).to_be_focused()
        assert page.url == f"{base}/cameras/{camera.pk}/edit"
        snap(page, "camera-events-need-a-host")

        # Given a host where no camera answers, the camera list says why its events are not received.
        page.locator("input[name=onvif_host]").fill("127.0.0.1")
        page.locator("input[name=onvif_port]").fill(str(port))
        page.get_by_role("button", name="Save changes").click()
        page.wait_for_url(base + "/cameras")
        error = page.locator(f"[data-camera-id='{camera.pk}'] [data-testid=events-error]")

        def error_shown() -> bool:
            page.reload()
            page.get_by_test_id("camera-row").first.wait_for()
            return error.count() > 0

        wait_for(error_shown, WAIT_MS / 1000, "the camera list to say why its events are not received", every=1)
        expect(error).to_contain_text("Camera events: ")
        snap(page, "camera-events-error")
    camera.refresh_from_db()
    assert (camera.listen_events, camera.onvif_host, camera.onvif_port) == (True, "127.0.0.1", port)
    assert camera.events_error
