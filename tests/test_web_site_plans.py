"""Site plans in Chromium: an admin uploads a plan, adds a radar, places and aims it on the plan, draws an area and a
speed rule for it there; an operator sees the plan with the radar's tracks moving live (an Axis-format stand-in radar
over Mosquitto on 127.0.0.1:1883, an analytics worker running) and the rule's alarm, but nothing to place or edit."""

from __future__ import annotations

import re
from collections.abc import Iterator

import cv2
import numpy as np
import pytest
from playwright.sync_api import Locator, Page, expect

from analytics.models import Rule, Zone
from analytics.worker import AnalyticsWorker
from devices.models import Camera, SitePlan
from tests.browser import chromium_page
from tests.conftest import grant
from tests.recording_checks import running, wait_for
from tests.standins.radar_publisher import SITE, AxisRadarPublisher
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True)]

# As tests/test_radar.py's site: the radar at the bottom middle of a 100 m square plan, looking up; the stand-in's
# car crosses the car park 45 m ahead of it at 72 km/h.
SIDE_PX = 600
RADAR_AT = (0.5, 0.9)
CAR_PARK = [[0.05, 0.40], [0.95, 0.40], [0.95, 0.50], [0.05, 0.50]]


def plan_png(path, side: int = SIDE_PX) -> None:
    """A plain floor plan: a light ground with the outline of a building and a car park."""
    image = np.full((side, side, 3), 235, np.uint8)
    cv2.rectangle(image, (side // 20, side // 20), (side - side // 20, side // 3), (90, 90, 90), 3)
    cv2.rectangle(image, (side // 20, side * 2 // 5), (side - side // 20, side // 2), (160, 160, 160), -1)
    assert cv2.imwrite(str(path), image)


def point_on(layer: Locator, x: float, y: float) -> tuple[float, float]:
    box = layer.bounding_box()
    return box["x"] + x * box["width"], box["y"] + y * box["height"]


def api(page: Page, base: str, path: str) -> dict:
    """What the API says, asked as the logged-in user (the ORM may not be used while Playwright's loop runs)."""
    response = page.request.get(base + path)
    assert response.ok, response.text()
    return response.json()


def click_at(layer: Locator, x: float, y: float) -> None:
    box = layer.bounding_box()
    layer.click(position={"x": x * box["width"], "y": y * box["height"]})


def test_an_admin_uploads_a_plan_places_a_radar_and_sets_its_speed_rule(admin_user, tmp_path):
    gate = Camera.objects.create(name="Gate", main_url="rtsp://127.0.0.1:9/gate")
    picture = tmp_path / "yard.png"
    plan_png(picture)
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, "/site-plans")
        expect(page.get_by_role("heading", name="No site plans yet")).to_be_visible(timeout=WAIT_MS)
        page.get_by_role("button", name="Upload a plan").click()
        page.get_by_label("Plan name").fill("Yard")
        page.get_by_label("Width in metres").fill("100")
        page.set_input_files("input[name=image]", str(picture))
        page.get_by_role("button", name="Upload plan").click()
        page.wait_for_url(re.compile(r"/site-plans/\d+$"), timeout=WAIT_MS)
        plan = int(page.url.rsplit("/", 1)[1])
        saved = api(page, base, f"/api/v1/site-plans/{plan}/")
        assert (saved["name"], saved["width_m"], saved["image_width"], saved["image_height"]) == (
            "Yard", 100, SIDE_PX, SIDE_PX)
        # The picture the server keeps is the one uploaded, served to the page.
        shown_width = "width => document.querySelector('[data-testid=plan-picture]')?.naturalWidth === width"
        page.wait_for_function(shown_width, arg=SIDE_PX, timeout=WAIT_MS)

        # Renamed, and its picture replaced by a sharper one: the page shows the new one at once.
        sharper = tmp_path / "yard-sharper.png"
        plan_png(sharper, 2 * SIDE_PX)
        page.get_by_role("button", name="Rename or replace").click()
        page.get_by_label("Plan name").fill("Yard east")
        page.set_input_files("input[name=image]", str(sharper))
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("heading", name="Yard east")).to_be_visible(timeout=WAIT_MS)
        page.wait_for_function(shown_width, arg=2 * SIDE_PX, timeout=WAIT_MS)

        # The radar: the small form (no stream), then the device list says what it is.
        page.goto(f"{base}/cameras")
        page.get_by_role("link", name="Add radar").click()
        form = page.get_by_test_id("radar-form")
        expect(form.locator("input[name=main_url]")).to_have_count(0)
        form.locator("input[name=name]").fill("Yard radar")
        form.get_by_label("Broker").fill("mqtt://127.0.0.1:1883")
        form.get_by_label("Topic").fill("axis/B8A44F000001/radar/frame")
        page.get_by_role("button", name="Save radar").click()
        page.wait_for_url(f"{base}/cameras", timeout=WAIT_MS)
        row = page.locator("[data-testid=camera-row][data-kind=radar]")
        expect(row).to_contain_text("Yard radar")
        radar = int(row.get_attribute("data-camera-id"))
        expect(row.get_by_test_id("radar-badge")).to_have_text("Radar")
        expect(row.get_by_test_id("camera-status")).to_be_visible()
        expect(row.get_by_role("link", name="Live")).to_have_count(0)
        expect(page.locator(f"[data-camera-id='{gate.pk}']").get_by_role("link", name="Live")).to_have_count(1)
        snap(page, "devices-with-a-radar")
        row.get_by_role("link", name="Edit").click()
        expect(page.get_by_test_id("radar-form").get_by_label("Topic")).to_have_value("axis/B8A44F000001/radar/frame")
        expect(page.get_by_test_id("camera-form")).to_have_count(0)

        # Placed by a click on the plan, then dragged to where it stands, then aimed.
        page.goto(f"{base}/site-plans/{plan}")
        layer = page.get_by_test_id("plan-layer")
        page.get_by_role("button", name="Place Yard radar").click()
        click_at(layer, 0.3, 0.7)
        device = page.locator(f"[data-testid=plan-device][data-device-id='{radar}']")
        expect(device).to_be_visible(timeout=WAIT_MS)
        wait_for(lambda: api(page, base, f"/api/v1/cameras/{radar}/")["site_plan"] == plan, 10,
                 "the placement to be saved")
        page.mouse.move(*point_on(layer, 0.3, 0.7))
        page.mouse.down()
        page.mouse.move(*point_on(layer, *RADAR_AT), steps=8)
        page.mouse.up()
        moved = wait_for(lambda: (lambda found: found if found["plan_y"] > 0.85 else None)(
            api(page, base, f"/api/v1/cameras/{radar}/")), 10, "the move to be saved")
        assert (moved["plan_x"], moved["plan_y"]) == (pytest.approx(RADAR_AT[0], abs=0.02),
                                                      pytest.approx(RADAR_AT[1], abs=0.02))
        # Aimed to the right by its handle: 30 m away, due east on the plan.
        handle = page.get_by_test_id("aim-handle").bounding_box()
        page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
        page.mouse.down()
        page.mouse.move(*point_on(layer, RADAR_AT[0] + 0.3, RADAR_AT[1]), steps=8)
        page.mouse.up()
        aimed = wait_for(lambda: (lambda found: found if found["plan_heading"] != 0 else None)(
            api(page, base, f"/api/v1/cameras/{radar}/")), 10, "the aim to be saved")
        assert (aimed["plan_heading"], aimed["plan_range_m"]) == (pytest.approx(90, abs=3), pytest.approx(30, abs=2))
        placement = page.get_by_test_id("device-placement")
        placement.get_by_label("Heading (degrees)").fill("0")
        placement.get_by_label("Field of view (degrees)").fill("120")
        placement.get_by_label("Range (metres)").fill("60")
        page.get_by_role("button", name="Save placement").click()
        wait_for(lambda: api(page, base, f"/api/v1/cameras/{radar}/")["plan_range_m"] == 60, 10, "the aim to be saved")
        expect(device).to_have_attribute("data-range", "60")
        snap(page, "site-plan-placed-radar")

        # Its area and rule, drawn on the plan.
        analytics = page.get_by_test_id("radar-analytics")
        expect(analytics).to_be_visible(timeout=WAIT_MS)
        expect(analytics.get_by_role("button", name="Draw a line")).to_have_count(0)
        analytics.get_by_role("button", name="Draw an area").click()
        zone_layer = analytics.get_by_test_id("zone-layer")
        for x, y in CAR_PARK:
            click_at(zone_layer, x, y)
        page.keyboard.press("Enter")
        analytics.get_by_label("Zone name").fill("Car park")
        analytics.get_by_role("button", name="Save zone").click()
        expect(analytics.locator("[data-zone-id]")).to_have_count(1, timeout=WAIT_MS)
        expect(page.locator("[data-plan-zone-id]")).to_have_count(1)

        analytics.get_by_role("button", name="Add rule").click()
        analytics.get_by_label("Rule name").fill("Speeding")
        condition = analytics.get_by_label("Condition")
        assert condition.locator("option").all_inner_texts() == [
            "An object enters the area (intrusion)", "An object in the area is faster than a speed",
            "An object in the area moves a given way"]
        condition.select_option("speed")
        analytics.get_by_label("Zone or line").select_option(label="Car park")
        analytics.get_by_label("Person", exact=True).uncheck()
        analytics.get_by_label("Vehicle", exact=True).check()
        analytics.get_by_label("Faster than (km/h)").fill("50")
        analytics.get_by_test_id("record-cameras").get_by_label("Gate").check()
        analytics.get_by_role("button", name="Save rule").click()
        expect(analytics.locator("[data-rule-id]")).to_have_count(1, timeout=WAIT_MS)
        snap(page, "site-plan-radar-rules")

    radar = Camera.objects.get(pk=radar)
    plan = SitePlan.objects.get(pk=plan)
    assert (plan.name, plan.image_width) == ("Yard east", 2 * SIDE_PX) and bytes(plan.image) == sharper.read_bytes()
    assert (radar.kind, radar.site_plan, radar.plan_heading, radar.plan_fov, radar.plan_range_m) == (
        "radar", plan, 0, 120, 60)
    assert (radar.metadata_broker, radar.metadata_topic, radar.analytics_enabled) == (
        "mqtt://127.0.0.1:1883", "axis/B8A44F000001/radar/frame", True)
    zone = Zone.objects.get(camera=radar)
    assert zone.kind == "area" and [pytest.approx(p, abs=0.02) for p in CAR_PARK] == zone.points
    rule = Rule.objects.get(camera=radar)
    assert (rule.condition, rule.zone, rule.object_classes, rule.speed_kmh) == ("speed", zone, ["vehicle"], 50)
    assert list(rule.record_cameras.all()) == [gate]


@pytest.fixture
def publisher() -> Iterator[AxisRadarPublisher]:
    with AxisRadarPublisher() as radar:
        yield radar


# Each plan track drawn, as the page changes: where it was and in which state.
RECORD_TRACKS = """layer => {
  window.seenTracks = [];
  new MutationObserver(() => {
    for (const track of layer.querySelectorAll("[data-testid=plan-track]")) {
      window.seenTracks.push({id: track.dataset.trackId, label: track.dataset.label, state: track.dataset.state,
                              text: track.dataset.text, x: Number(track.dataset.x),
                              trail: Number(track.dataset.trail)});
    }
  }).observe(layer, {attributes: true, childList: true, subtree: true});
}"""


def no_edit_controls(page: Page) -> None:
    for test_id in ("aim-handle", "device-placement", "unplaced-devices", "radar-analytics", "site-plan-form"):
        expect(page.get_by_test_id(test_id)).to_have_count(0)
    for button in ("Rename or replace", "Delete plan", "Save placement"):
        expect(page.get_by_role("button", name=button)).to_have_count(0)


def test_an_operator_sees_the_radars_tracks_move_on_the_plan_and_its_alarm(operator_user, publisher, settings,
                                                                            tmp_path):
    settings.RECORDER_LEASE_SECONDS = 3.0
    picture = tmp_path / "yard.png"
    plan_png(picture)
    plan = SitePlan.objects.create(name="Yard", image=picture.read_bytes(), image_type="image/png",
                                   image_width=SIDE_PX, image_height=SIDE_PX, width_m=100)
    radar = Camera.objects.create(name="Yard radar", kind="radar", main_url="", recording_mode="off",
                                  analytics_enabled=True, analysis_source="camera", metadata_transport="mqtt",
                                  metadata_broker="mqtt://127.0.0.1:1883", metadata_topic=publisher.topic,
                                  site_plan=plan, plan_x=RADAR_AT[0], plan_y=RADAR_AT[1], plan_heading=0,
                                  plan_fov=120, plan_range_m=60)
    hidden = Camera.objects.create(name="Back office", main_url="rtsp://127.0.0.1:9/office", site_plan=plan,
                                   plan_x=0.2, plan_y=0.2)
    car_park = Zone.objects.create(camera=radar, name="Car park", kind="area", points=CAR_PARK)
    Rule.objects.create(camera=radar, name="Speeding", condition="speed", zone=car_park, object_classes=["vehicle"],
                        speed_kmh=50, severity=3)
    grant(radar, group="Operator")
    with running(AnalyticsWorker(tick_seconds=0.5)):
        wait_for(lambda: Camera.objects.filter(pk=radar.pk, analyser__isnull=False).exists(), 30, "a lease")
        with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
            seen = watch_the_plan(page, base, operator_user, radar, hidden, publisher)
    check_the_tracks(seen)


def watch_the_plan(page: Page, base: str, operator_user, radar: Camera, hidden: Camera,
                   publisher: AxisRadarPublisher) -> list[dict]:
    """The operator opens the plan while the radar reports; what the page drew of its tracks."""
    log_in(page, base, operator_user.username, "/site-plans")
    page.get_by_role("link", name="Yard").click()
    device = page.locator(f"[data-testid=plan-device][data-device-id='{radar.pk}']")
    expect(device).to_be_visible(timeout=WAIT_MS)
    # Only the devices the operator may see.
    expect(page.locator(f"[data-testid=plan-device][data-device-id='{hidden.pk}']")).to_have_count(0)
    expect(page.get_by_test_id("plan-device")).to_have_count(1)
    page.get_by_role("button", name="Yard radar").click()
    expect(page.get_by_test_id("device-details")).to_contain_text("Yard radar")
    no_edit_controls(page)

    layer = page.get_by_test_id("plan-layer")
    layer.evaluate(RECORD_TRACKS)
    publisher.play(SITE)
    tracks = page.get_by_test_id("radar-tracks")
    expect(tracks).not_to_have_attribute("data-tracks", "0", timeout=WAIT_MS)
    expect(device).to_have_attribute("data-state", "online", timeout=WAIT_MS)
    expect(tracks).to_have_attribute("data-states", re.compile(r"\balarm\b"), timeout=WAIT_MS)
    snap(page, "site-plan-live-tracks")

    bell = page.locator("[data-alarm-count]")
    expect(bell).not_to_have_attribute("data-alarm-count", "0", timeout=WAIT_MS)
    bell.click()
    expect(page.locator("#alarm-panel li[data-severity='3']").first).to_contain_text("Speeding")
    # The car crosses the plan in 4 s: its dot follows it to the far side of the car park.
    page.wait_for_function("() => window.seenTracks.some(t => t.label === 'vehicle' && t.x > 0.7)", timeout=WAIT_MS)
    return page.evaluate("window.seenTracks")


def check_the_tracks(seen: list[dict]) -> None:
    cars = [entry for entry in seen if entry["label"] == "vehicle"]
    assert cars, f"the car is drawn on the plan: {seen[-5:]}"
    xs = [entry["x"] for entry in cars]
    assert max(xs) - min(xs) > 0.3, f"the car's dot moves across the plan: {xs}"
    assert any(entry["state"] == "alarm" and "km/h" in entry["text"] for entry in cars), cars[-5:]
    assert max(entry["trail"] for entry in cars) >= 5, "a trail follows the car"
    assert {entry["label"] for entry in seen} <= {"person", "vehicle", "unknown"}

