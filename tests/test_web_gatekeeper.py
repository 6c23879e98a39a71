"""Gatekeeper in Chromium: an admin makes a rule on one camera send a PTZ camera to one of its presets, picked from
those the PTZ camera lists; the rule as saved names them. The PTZ camera is ipycam's digital PTZ
(tests/standins/ptz_camera.py), as in tests/test_web_ptz.py. A radar's rule, set on the site plan, has a PTZ camera
placed there follow its object instead. And the whole of it: a rule made in the browser sends the PTZ camera to its
preset when a person enters the zone, and its live view says an alarm has control."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from analytics.models import Rule, Zone
from analytics.worker import AnalyticsWorker
from devices.models import Camera, SitePlan
from recordings.recorder import Recorder
from tests.browser import chromium_page
from tests.conftest import client_for
from tests.recording_checks import running, wait_for
from tests.test_gatekeeper import GATE, at
from tests.test_ptz import camera_of, go, url
from tests.test_radar import CAR_PARK
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.test_web_site_plans import SIDE_PX, plan_png
from tests.web_server import celery_worker, web_server

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_an_admin_makes_a_rule_send_a_ptz_camera_to_a_preset(ptz_device, admin_user, tmp_path):
    ptz = camera_of(ptz_device)
    admin = client_for(admin_user)
    assert admin.post(url(ptz, "detect/")).status_code == 200
    go(admin, ptz, "position/", {"pan": 0.5, "tilt": -0.3, "zoom": 0.4})
    gate = go(admin, ptz, "presets/", {"name": "Gate"})["token"]
    admin.delete(url(ptz, "control/"))
    door = Camera.objects.create(name="Door", main_url="rtsp://127.0.0.1:9/door")

    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{door.pk}/analytics")
        page.get_by_role("button", name="Add rule").click()
        page.get_by_label("Rule name").fill("Door opened")
        page.get_by_label("Condition").select_option("offline")
        gatekeeper = page.get_by_test_id("gatekeeper")
        gatekeeper.get_by_label("Send a PTZ camera").select_option(str(ptz.pk))
        preset = gatekeeper.get_by_label("To its preset")
        expect(preset.locator(f"option[value='{gate}']")).to_have_text("Gate", timeout=WAIT_MS)
        preset.select_option(gate)
        gatekeeper.get_by_label("Home after (seconds without an event)").fill("20")
        gatekeeper.scroll_into_view_if_needed()
        snap(page, "gatekeeper-rule")
        page.get_by_role("button", name="Save rule").click()
        expect(page.locator("[data-rule-id]")).to_contain_text("Sends Yard PTZ to a preset", timeout=WAIT_MS)

    rule = Rule.objects.get(camera=door, name="Door opened")
    assert (rule.ptz_camera_id, rule.ptz_preset, rule.ptz_hold_seconds) == (ptz.pk, gate, 20)


def test_an_admin_makes_a_radars_rule_have_a_ptz_camera_follow_the_object(admin_user, tmp_path):
    picture = tmp_path / "yard.png"
    plan_png(picture)
    plan = SitePlan.objects.create(name="Yard", image=picture.read_bytes(), image_type="image/png",
                                   image_width=SIDE_PX, image_height=SIDE_PX, width_m=100)
    radar = Camera.objects.create(name="Yard radar", kind="radar", main_url="", recording_mode="off",
                                  site_plan=plan, plan_x=0.5, plan_y=0.9)
    dome = Camera.objects.create(name="Dome", main_url="rtsp://127.0.0.1:9/dome", ptz_profile="profile_1",
                                 site_plan=plan, plan_x=0.4, plan_y=0.9)
    Zone.objects.create(camera=radar, name="Car park", kind="area", points=CAR_PARK)

    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/site-plans/{plan.pk}")
        page.get_by_role("button", name="Yard radar").click()
        analytics = page.get_by_test_id("radar-analytics")
        analytics.get_by_role("button", name="Add rule").click()
        analytics.get_by_label("Rule name").fill("Car in the car park")
        analytics.get_by_label("Zone or line").select_option(label="Car park")
        gatekeeper = analytics.get_by_test_id("gatekeeper")
        gatekeeper.get_by_label("Send a PTZ camera").select_option(str(dome.pk))
        gatekeeper.get_by_label("Follow the object").check()
        expect(gatekeeper.get_by_label("To its preset")).to_have_count(0)
        gatekeeper.scroll_into_view_if_needed()
        snap(page, "gatekeeper-follow-rule")
        analytics.get_by_role("button", name="Save rule").click()
        expect(analytics.locator("[data-rule-id]")).to_contain_text("Follows the object with Dome", timeout=WAIT_MS)

    rule = Rule.objects.get(camera=radar)
    assert (rule.ptz_camera_id, rule.ptz_follow, rule.ptz_preset) == (dome.pk, True, "")


def test_a_person_entering_a_zone_sends_the_ptz_camera_to_its_preset_and_the_live_view_says_why(
        settings, ptz_device, onvif_metadata_camera, admin_user, tmp_path):
    # The rule is made in the browser on a camera whose own analytics report people (an ONVIF Profile M stand-in
    # whose first person walks in at once); the operator's view of the PTZ camera then says an alarm steers it.
    settings.RECORDER_LEASE_SECONDS = 3.0
    ptz = camera_of(ptz_device)
    admin = client_for(admin_user)
    assert admin.post(url(ptz, "detect/")).status_code == 200
    go(admin, ptz, "position/", GATE)
    gate = go(admin, ptz, "presets/", {"name": "Gate"})["token"]
    go(admin, ptz, "home/")
    admin.delete(url(ptz, "control/"))
    porch = Camera.objects.create(name="Porch", main_url=onvif_metadata_camera(fps=10, pixel_coordinates=True).url,
                                  analytics_enabled=True, analysis_source="camera")
    Zone.objects.create(camera=porch, name="Path", kind="area", points=[[0, 0], [1, 0], [1, 1], [0, 1]])

    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{porch.pk}/analytics")
        page.get_by_role("button", name="Add rule").click()
        page.get_by_label("Rule name").fill("Someone on the path")
        page.get_by_label("Condition").select_option("enter")
        page.get_by_label("Zone or line").select_option(label="Path")
        gatekeeper = page.get_by_test_id("gatekeeper")
        gatekeeper.get_by_label("Send a PTZ camera").select_option(str(ptz.pk))
        expect(gatekeeper.get_by_label("To its preset").locator(f"option[value='{gate}']")).to_have_count(
            1, timeout=WAIT_MS)
        gatekeeper.get_by_label("To its preset").select_option(gate)
        page.get_by_role("button", name="Save rule").click()
        expect(page.locator("[data-rule-id]")).to_contain_text("Sends Yard PTZ to a preset", timeout=WAIT_MS)

        with celery_worker(tmp_path, "celery"), running(Recorder(tick_seconds=0.5), AnalyticsWorker(tick_seconds=0.5)):
            page.goto(f"{base}/live/{ptz.pk}")
            control = page.get_by_test_id("ptz-panel").get_by_test_id("ptz-control")
            expect(control).to_contain_text("An alarm has control (rule Someone on the path)", timeout=60_000)
            wait_for(lambda: at(ptz_device, GATE), 60, "the PTZ camera at the gate preset")
            snap(page, "gatekeeper-fired")
