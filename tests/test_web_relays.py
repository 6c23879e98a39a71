"""Relay outputs and thermal cameras in Chromium: an admin picks the relay output a rule switches from those the camera
lists over ONVIF (or types it when the camera cannot be asked), sees the last state of each output on the camera's
page, and is warned that this server's detector is not to be trusted on a thermal camera; an operator switches an
output by hand from the camera's live view. The camera is the ONVIF stand-in (tests/standins/onvif_event_camera.py),
which has the relay outputs AlarmOut_0 and AlarmOut_1."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditAction, AuditEntry
from accounts.roles import OPERATOR
from analytics.models import Rule
from devices.api.serializers import CameraSerializer
from devices.models import Camera
from tests.browser import chromium_page
from tests.conftest import grant
from tests.recording_checks import wait_for
from tests.test_camera_events import camera_of
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True)]
RELAY = "Switch the camera's relay output"


def test_an_admin_picks_the_relay_output_a_rule_switches_from_those_the_camera_lists(
        admin_user, onvif_event_camera, tmp_path):
    camera = camera_of(onvif_event_camera)
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/analytics")
        page.get_by_role("button", name="Add rule").click()
        page.get_by_label("Rule name").fill("Hot spot")
        page.get_by_label("Condition").select_option("camera_event")
        page.get_by_label("Kind of camera event").select_option(label="Temperature alarm (thermal camera)")
        relay = page.get_by_label(RELAY)
        expect(relay.locator("option")).to_have_text(
            ["None", "AlarmOut_0 (Monostable)", "AlarmOut_1 (Monostable)"], timeout=WAIT_MS)
        seconds = page.get_by_label("On for (seconds)")
        expect(seconds).to_be_disabled()  # no relay output chosen yet
        relay.select_option("AlarmOut_1")
        seconds.fill("3")
        snap(page, "relay-rule-form")
        page.get_by_role("button", name="Save rule").click()

        row = page.locator("[data-rule-id]")
        expect(row).to_have_count(1, timeout=WAIT_MS)
        expect(row).to_contain_text("Temperature alarm (thermal camera)")
        expect(row).to_contain_text("Relay AlarmOut_1 for 3 s")
        snap(page, "relay-rule")
    rule = Rule.objects.get(camera=camera)
    assert (rule.event_kind, rule.relay_output, rule.relay_seconds) == ("temperature", "AlarmOut_1", 3)


def test_a_relay_output_is_typed_when_the_camera_cannot_be_asked(admin_user, tmp_path):
    # Its ONVIF service does not answer (nothing listens on port 9): the admin types the output's token.
    camera = Camera.objects.create(name="Store", main_url="rtsp://127.0.0.1:8554/store", onvif_host="127.0.0.1",
                                   onvif_port=9)
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/analytics")
        page.get_by_role("button", name="Add rule").click()
        page.get_by_label("Rule name").fill("Camera lost")
        page.get_by_label("Condition").select_option("offline")
        relay = page.locator("input[name=relay_output]")
        expect(relay).to_be_visible(timeout=WAIT_MS)
        field = page.locator(".field", has=relay)
        expect(field.locator(".field-hint")).to_contain_text("refused")
        relay.fill("AlarmOut_0")
        relay.scroll_into_view_if_needed()
        snap(page, "relay-rule-typed")
        page.get_by_role("button", name="Save rule").click()
        expect(page.locator("[data-rule-id]")).to_contain_text("Relay AlarmOut_0 for 5 s", timeout=WAIT_MS)
    assert Rule.objects.get(camera=camera).relay_output == "AlarmOut_0"


def test_the_camera_page_shows_the_last_state_of_each_relay_output(admin_user, onvif_event_camera, tmp_path):
    camera = camera_of(onvif_event_camera)
    camera.relay_outputs = {"AlarmOut_1": {"active": True, "changed_at": timezone.now().isoformat(), "error": ""}}
    camera.save()
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/edit")
        cells = page.get_by_test_id("relay-outputs").locator("[data-relay=AlarmOut_1] td")
        expect(cells).to_have_text(["AlarmOut_1", "On", re.compile(r"just now|\d+ s ago"), "",
                                    re.compile(r"On\s*Off\s*Pulse 5 s")], timeout=WAIT_MS)
        cells.first.scroll_into_view_if_needed()
        snap(page, "relay-outputs")


def test_an_operator_switches_a_relay_output_by_hand_from_the_live_view(operator_user, onvif_event_camera, tmp_path):
    device = onvif_event_camera
    camera = camera_of(device)
    grant(camera, group=OPERATOR)
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, operator_user.username, f"/live/{camera.pk}")
        row = page.get_by_test_id("relay-outputs").locator("[data-relay=AlarmOut_0]")
        state = row.locator("td").nth(1)
        expect(state).to_have_text("Not switched yet", timeout=WAIT_MS)
        row.get_by_role("button", name="On", exact=True).click()
        expect(state).to_have_text("On", timeout=WAIT_MS)
        expect(row.get_by_role("button", name="On", exact=True)).to_have_attribute("aria-pressed", "true")
        wait_for(lambda: device.relays["AlarmOut_0"] == "active", 10, "the stand-in to see the output on")
        row.scroll_into_view_if_needed()
        snap(page, "relay-switched-by-hand")

        device.stop()  # the camera goes off the network: the operator is told, and the output is as it was
        row.get_by_role("button", name="Off", exact=True).click()
        expect(row.get_by_role("alert")).to_contain_text("refused the connection", timeout=WAIT_MS)
        expect(state).to_have_text("On")
        snap(page, "relay-switch-refused")
    assert [(token, state) for _at, token, state in device.switches] == [("AlarmOut_0", "active")]
    entries = AuditEntry.objects.filter(action=AuditAction.RELAY_SWITCHED).order_by("at", "pk")
    assert [(e.username, e.detail["state"], e.detail["by"], bool(e.detail["error"])) for e in entries] == [
        (operator_user.username, "on", "hand", False), (operator_user.username, "off", "hand", True)]


def test_an_admin_is_warned_that_this_servers_detector_is_not_for_a_thermal_camera(admin_user, tmp_path):
    camera = Camera.objects.create(name="Fence", main_url="rtsp://127.0.0.1:8554/fence")
    warning = CameraSerializer().get_analytics_notice(Camera(thermal=True, analytics_enabled=True))
    assert warning.startswith("This is a thermal camera")
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/edit")
        page.get_by_label("Thermal camera (shapes and temperatures, no faces)").check()
        page.get_by_label("Analyse this camera").check()
        expect(page.get_by_label("This server (it decodes the video and detects objects)")).to_be_checked()
        page.get_by_role("button", name="Save changes").click()
        page.wait_for_url(base + "/cameras")
        row = page.locator(f"[data-camera-id='{camera.pk}']")
        expect(row.get_by_test_id("analytics-notice")).to_have_text(warning, timeout=WAIT_MS)
        snap(page, "thermal-camera-list")

        row.get_by_role("link", name="Edit").click()
        notice = page.get_by_test_id("camera-form").get_by_test_id("analytics-notice")
        expect(notice).to_have_text(warning, timeout=WAIT_MS)
        notice.scroll_into_view_if_needed()
        snap(page, "thermal-camera-form")
    camera.refresh_from_db()
    assert (camera.thermal, camera.analytics_enabled, camera.analysis_source) == (True, True, "server")
