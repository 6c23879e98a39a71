"""An admin draws an area and a line over a camera's picture and sets a loitering rule with a schedule, in
Chromium; what the page saved is what the analytics will apply."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from analytics.models import Rule, Zone
from devices.models import Camera
from tests.browser import chromium_page
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]


def click_at(layer, x: float, y: float) -> None:
    box = layer.bounding_box()
    layer.click(position={"x": x * box["width"], "y": y * box["height"]})


def test_an_admin_draws_zones_and_sets_a_rule(admin_user, gst_camera, tmp_path):
    gst = gst_camera(path="/yard", width=640, height=360)
    camera = Camera.objects.create(name="Yard", main_url=gst.url, analytics_enabled=True)
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/analytics")
        expect(page.get_by_test_id("camera-picture")).to_be_visible(timeout=WAIT_MS)
        layer = page.get_by_test_id("zone-layer")

        page.get_by_role("button", name="Draw an area").click()
        for x, y in ((0.1, 0.2), (0.6, 0.2), (0.6, 0.9), (0.1, 0.9)):
            click_at(layer, x, y)
        page.keyboard.press("Enter")
        page.get_by_label("Zone name").fill("Loading bay")
        page.get_by_role("button", name="Save zone").click()
        expect(page.locator("[data-zone-id]")).to_have_count(1, timeout=WAIT_MS)

        page.get_by_role("button", name="Draw a line").click()
        click_at(layer, 0.8, 0.1)
        click_at(layer, 0.8, 0.9)
        page.get_by_label("Zone name").fill("Gate line")
        page.get_by_role("button", name="Save zone").click()
        expect(page.locator("[data-zone-id]")).to_have_count(2, timeout=WAIT_MS)

        page.get_by_role("button", name="Add rule").click()
        page.get_by_label("Rule name").fill("Loitering in the bay")
        page.get_by_label("Condition").select_option("dwell")
        page.get_by_label("Zone or line").select_option(label="Loading bay")
        page.get_by_label("Person", exact=True).check()
        page.get_by_label("Dwell time (seconds)").fill("30")
        page.get_by_label("Severity").select_option("3")
        page.get_by_role("button", name="Add time window").click()
        page.get_by_role("button", name="Save rule").click()
        expect(page.locator("[data-rule-id]")).to_have_count(1, timeout=WAIT_MS)
        snap(page, "zones-and-rules")

    bay = Zone.objects.get(camera=camera, name="Loading bay")
    assert bay.kind == "area" and len(bay.points) == 4
    assert bay.points[0] == pytest.approx([0.1, 0.2], abs=0.02) and bay.points[2] == pytest.approx([0.6, 0.9], abs=0.02)
    gate = Zone.objects.get(camera=camera, name="Gate line")
    assert gate.kind == "line" and [pytest.approx(p, abs=0.02) for p in ([0.8, 0.1], [0.8, 0.9])] == gate.points
    rule = Rule.objects.get(camera=camera)
    assert (rule.condition, rule.zone, rule.object_classes, rule.dwell_seconds, rule.severity) == (
        "dwell", bay, ["person"], 30, 3)
    assert len(rule.schedule) == 1 and rule.schedule[0]["days"]
