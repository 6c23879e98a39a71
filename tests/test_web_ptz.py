"""PTZ in Chromium: an operator steers a PTZ camera from its live view (the joystick while held, Home, a preset the
admin saved, click to centre) and is told who has control when an admin takes it over; an admin asks a camera whether
it has PTZ from its edit form, and makes a tour of two presets with a schedule and runs it. The camera is ipycam's
digital PTZ (tests/standins/ptz_camera.py), which serves no video: the PTZ panel must not wait for the picture to
play. Positions are read back from the stand-in itself."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from playwright.sync_api import expect

from devices import ptz_tours
from tests.browser import chromium_page
from tests.conftest import client_for
from tests.recording_checks import wait_for
from tests.test_ptz import camera_of, go, middle, scene_point, url
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True)]
# ipycam pans 0.5 a second at speed 0.5: one joystick move (1 s) reaches 0.5 at most, so beyond that the held button
# has repeated it.
ONE_MOVE = 0.5


def test_an_operator_steers_a_ptz_camera_from_its_live_view(ptz_device, admin_user, operator_user, tmp_path):
    camera = camera_of(ptz_device)
    admin = client_for(admin_user)
    assert admin.post(url(camera, "detect/")).status_code == 200
    go(admin, camera, "position/", {"pan": -0.4, "tilt": 0.25, "zoom": 0.6})
    gate = go(admin, camera, "presets/", {"name": "Gate"})["token"]
    go(admin, camera, "home/")
    assert admin.delete(url(camera, "control/")).status_code == 204

    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, operator_user.username, f"/live/{camera.pk}")
        panel = page.get_by_test_id("ptz-panel")
        control = panel.get_by_test_id("ptz-control")
        expect(control).to_contain_text("Nobody has control", timeout=WAIT_MS)
        expect(panel.locator(f"[data-preset='{gate}']")).to_contain_text("Gate", timeout=WAIT_MS)
        # An operator goes to presets but does not manage them.
        expect(panel.get_by_role("button", name="Save current position")).to_have_count(0)
        expect(panel.get_by_role("button", name="Delete")).to_have_count(0)

        panel.get_by_role("button", name="Pan right").hover()
        page.mouse.down()
        wait_for(lambda: ptz_device.state()["pan"] > ONE_MOVE + 0.15, 20, "the camera to pan right while held")
        expect(control).to_contain_text("You have control")
        snap(page, "ptz-joystick-held")
        page.mouse.up()
        wait_for(lambda: not ptz_device.state()["moving"], 10, "the camera to stop once let go")
        let_go = ptz_device.state()
        assert ONE_MOVE < let_go["pan"] < 1 and let_go["tilt"] == 0 and let_go["zoom"] == 0

        panel.get_by_role("button", name="Home").click()
        wait_for(lambda: ptz_device.state() == {"pan": 0, "tilt": 0, "zoom": 0, "moving": False}, 10,
                 "the camera to go home")

        panel.locator(f"[data-preset='{gate}']").get_by_role("button", name="Go").click()
        wait_for(lambda: ptz_device.state() == pytest.approx({"pan": -0.4, "tilt": 0.25, "zoom": 0.6, "moving": False}),
                 10, "the camera to go to the preset Gate")

        # Click to centre on a camera that plays no video: the frame is the picture; a click at 3/4 across and 1/4 down
        # brings that point of the scene to the middle.
        before = ptz_device.state()
        clicked = scene_point(before, 0.75, 0.25)
        panel.get_by_role("button", name="Click to centre").click()
        layer = page.get_by_test_id("centre-layer")
        box = layer.bounding_box()
        assert box is not None
        layer.click(position={"x": box["width"] * 0.75, "y": box["height"] * 0.25})
        wait_for(lambda: middle(ptz_device.state()) == pytest.approx(clicked, abs=0.01), 10,
                 "the clicked point to come to the middle")

        # An admin takes over (from a thread: Playwright runs an event loop in this one, where Django refuses the ORM):
        # the operator sees who has it, and a refused command says so.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(go, admin, camera, "control/").result()
        expect(control).to_contain_text(f"{admin_user.username} (Admin) has control", timeout=WAIT_MS)
        held = ptz_device.state()
        panel.get_by_role("button", name="Home").click()
        expect(panel.get_by_test_id("ptz-refusal")).to_contain_text(
            f"{admin_user.username} (Admin) has control of {camera.name}", timeout=WAIT_MS)
        snap(page, "ptz-control-held")
        assert ptz_device.state() == held


def test_an_admin_asks_a_camera_whether_it_has_ptz_from_its_edit_form(ptz_device, admin_user, tmp_path):
    camera = camera_of(ptz_device)
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/edit")
        check = page.get_by_test_id("ptz-check")
        expect(check).to_contain_text("Not known as a PTZ camera", timeout=WAIT_MS)
        check.get_by_role("button", name="Check for PTZ").click()
        expect(check.get_by_role("status")).to_contain_text("The camera has PTZ: joystick", timeout=WAIT_MS)
        check.scroll_into_view_if_needed()
        snap(page, "ptz-check")
    camera.refresh_from_db()
    assert camera.has_ptz and "centre" in camera.ptz_capabilities


def test_an_admin_makes_a_tour_with_a_schedule_and_runs_it_from_the_live_view(ptz_device, admin_user, tmp_path):
    camera = camera_of(ptz_device)
    admin = client_for(admin_user)
    assert admin.post(url(camera, "detect/")).status_code == 200
    positions = {"Door": {"pan": 0.5, "tilt": 0.1, "zoom": 0.2}, "Yard": {"pan": -0.5, "tilt": -0.1, "zoom": 0.4}}
    for name, position in positions.items():
        go(admin, camera, "position/", position)
        go(admin, camera, "presets/", {"name": name})
    go(admin, camera, "home/")
    assert admin.delete(url(camera, "control/")).status_code == 204

    def at(name: str) -> bool:
        state = ptz_device.state()
        return not state["moving"] and all(abs(state[axis] - v) < 0.01 for axis, v in positions[name].items())

    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page, ThreadPoolExecutor(1) as beat:
        log_in(page, base, admin_user.username, f"/live/{camera.pk}")
        tours = page.get_by_test_id("ptz-tours")
        expect(tours).to_contain_text("No tours yet", timeout=WAIT_MS)
        tours.get_by_role("button", name="New tour").click()
        editor = tours.get_by_role("form", name="Tour")
        editor.get_by_label("Name of the tour").fill("Round")
        for step, preset in ((1, "Door"), (2, "Yard")):
            editor.get_by_role("button", name="Add step").click()
            editor.get_by_label(f"Preset of step {step}").select_option(label=preset)
            editor.get_by_label(f"Seconds at step {step}").fill("1")
        expect(editor.get_by_test_id("schedule-always")).to_contain_text("Runs only when started")
        editor.get_by_role("button", name="Add time window").click()
        editor.get_by_label("Runs by itself in these time windows").uncheck()
        snap(page, "ptz-tour-editor")
        editor.get_by_role("button", name="Save tour").click()
        tour = tours.locator("li", has_text="Round")
        expect(tour).to_be_visible(timeout=WAIT_MS)

        saved = beat.submit(lambda: admin.get(url(camera, "tours/")).json()).result()
        assert [(t["name"], len(t["steps"]), t["enabled"]) for t in saved] == [("Round", 2, False)]
        assert saved[0]["schedule"] == [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}]

        tour.get_by_role("button", name="Start").click()
        expect(tours.get_by_test_id("ptz-tour-running")).to_contain_text("Running: Round", timeout=WAIT_MS)
        # The beat's tick, as Celery beat runs it, from a thread (Django refuses the ORM in Playwright's loop).
        for name in ("Door", "Yard", "Door"):
            beat.submit(wait_for, lambda name=name: ptz_tours.tick() or at(name), 30, f"the tour to reach {name}",
                        every=0.2).result()
        tour.get_by_role("button", name="Stop").click()
        expect(tours.get_by_test_id("ptz-tour-running")).to_have_count(0, timeout=WAIT_MS)
        beat.submit(lambda: connection.close()).result()
