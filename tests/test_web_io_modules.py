"""I/O modules in Chromium: an admin adds one through its form (the ONVIF stand-in,
tests/standins/onvif_event_camera.py, with its relay outputs AlarmOut_0 and AlarmOut_1), sees it in the devices list as
a device without video, and has a camera's rule switch one of the module's relay outputs, picked from those the module
lists; on the module's own page its rules watch only what it reports (a digital input), and a module whose outputs
other rules switch is not deleted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from analytics.models import Rule
from devices.models import Camera
from tests.browser import chromium_page
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_an_admin_adds_an_io_module_and_a_cameras_rule_switches_its_relay_output(
        admin_user, onvif_event_camera, tmp_path):
    device = onvif_event_camera
    # A camera without ONVIF: its own relay outputs cannot be listed, so the outputs listed are the module's.
    camera = Camera.objects.create(name="Store", main_url="rtsp://127.0.0.1:8554/store")
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, "/cameras")
        page.get_by_role("link", name="Add I/O module").click()
        form = page.get_by_test_id("io-module-form")
        form.locator("input[name=name]").fill("Store")  # taken: the API's message shows under the name
        form.get_by_label("ONVIF host").fill(device.host)
        form.get_by_label("ONVIF port").fill(str(device.port))
        form.get_by_label("Username").fill(device.username)
        form.get_by_label("Password").fill(device.password)
        form.get_by_role("button", name="Save I/O module").click()
        name_field = form.locator(".field", has=page.locator("input[name=name]"))
        expect(name_field.locator(".field-error")).to_contain_text("already exists", timeout=WAIT_MS)
        form.locator("input[name=name]").fill("Gate I/O")
        snap(page, "io-module-form")
        form.get_by_role("button", name="Save I/O module").click()

        page.wait_for_url(base + "/cameras")
        row = page.locator("[data-testid=camera-row]", has_text="Gate I/O")
        expect(row.get_by_test_id("io-module-badge")).to_have_text("I/O module", timeout=WAIT_MS)
        expect(row).to_have_attribute("data-kind", "io_module")
        expect(row.locator("td").nth(2)).to_have_text("No video")
        expect(row.get_by_test_id("camera-status")).to_be_visible()
        expect(row.get_by_role("link")).to_have_text(["Edit", "Rules"])
        expect(row.get_by_role("link", name="Live")).to_have_count(0)
        snap(page, "io-module-list")

        row.get_by_role("link", name="Edit").click()  # its form again, and its outputs to switch by hand
        expect(page.get_by_test_id("io-module-form").locator("input[name=onvif_host]")).to_have_value(device.host)
        outputs = page.get_by_test_id("relay-outputs").locator("[data-relay]")
        expect(outputs).to_have_count(2, timeout=WAIT_MS)
        expect(outputs.first.get_by_role("button", name="Pulse 5 s")).to_be_visible()
        outputs.first.scroll_into_view_if_needed()
        snap(page, "io-module-edit")

        page.goto(f"{base}/cameras/{camera.pk}/analytics")
        page.get_by_role("button", name="Add rule").click()
        page.get_by_label("Rule name").fill("Camera lost")
        page.get_by_label("Condition").select_option("offline")
        expect(page.locator("input[name=relay_output]")).to_be_visible(timeout=WAIT_MS)  # the camera cannot be asked
        page.get_by_label("Relay output of").select_option(label="Gate I/O (I/O module)")
        relay = page.get_by_label("Switch the I/O module's relay output")
        expect(relay.locator("option")).to_have_text(
            ["None", "AlarmOut_0 (Monostable)", "AlarmOut_1 (Monostable)"], timeout=WAIT_MS)
        relay.select_option("AlarmOut_1")
        relay.scroll_into_view_if_needed()
        snap(page, "io-module-relay-rule-form")
        page.get_by_role("button", name="Save rule").click()
        expect(page.locator("[data-rule-id]")).to_contain_text("Relay AlarmOut_1 of Gate I/O for 5 s", timeout=WAIT_MS)
        snap(page, "io-module-relay-rule")
    module = Camera.objects.get(name="Gate I/O")
    assert (module.kind, module.onvif_host, module.onvif_port, module.username, module.password) == (
        "io_module", device.host, device.port, device.username, device.password)
    rule = Rule.objects.get(camera=camera)
    assert (rule.relay_device_id, rule.relay_output) == (module.pk, "AlarmOut_1")


def test_an_io_modules_rules_watch_its_inputs_and_it_is_not_deleted_while_other_rules_switch_it(admin_user, tmp_path):
    camera = Camera.objects.create(name="Store", main_url="rtsp://127.0.0.1:8554/store")
    module = Camera.objects.create(name="Gate I/O", kind="io_module", onvif_host="127.0.0.1", listen_events=True,
                                   recording_mode="off")
    siren = Rule.objects.create(camera=camera, name="Siren", condition="offline", relay_device=module,
                                relay_output="AlarmOut_0")
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{module.pk}/analytics")
        expect(page.get_by_role("heading", name="Rules of Gate I/O")).to_be_visible(timeout=WAIT_MS)
        page.get_by_role("button", name="Add rule").click()
        expect(page.get_by_label("Condition").locator("option")).to_have_text(
            ["The I/O module reports an event (a digital input)"])
        for part in ("zone-editor", "camera-picture", "counts"):  # no picture, no zones, nothing counted
            expect(page.get_by_test_id(part)).to_have_count(0)
        expect(page.get_by_label("Kind of event")).to_have_value("digital_input")
        page.get_by_label("Rule name").fill("Door forced")
        page.get_by_role("button", name="Add item").click()
        page.locator("input[name=event-item-name]").fill("InputToken")
        page.locator("input[name=event-item-value]").fill("1")
        page.get_by_test_id("record-cameras").get_by_label("Store").check()
        expect(page.get_by_label("Relay output of").locator("option")).to_have_text(["This I/O module"])
        snap(page, "io-module-rule-form")
        page.get_by_role("button", name="Save rule").click()
        expect(page.locator("[data-rule-id]")).to_contain_text("Digital input", timeout=WAIT_MS)

        page.goto(base + "/cameras")
        page.locator("[data-testid=camera-row]", has_text="Gate I/O").get_by_role("button", name="Delete").click()
        dialog = page.locator("dialog[open]")
        dialog.get_by_role("button", name="Delete I/O module").click()
        expect(dialog.get_by_role("alert")).to_contain_text(f"rules {siren.pk}", timeout=WAIT_MS)
        snap(page, "io-module-delete-refused")
    door = Rule.objects.get(camera=module)
    assert (door.condition, door.event_kind, door.event_items, door.record_event) == (
        "camera_event", "digital_input", {"InputToken": "1"}, False)
    assert list(door.record_cameras.all()) == [camera]
    assert Camera.objects.filter(pk=module.pk).exists()
