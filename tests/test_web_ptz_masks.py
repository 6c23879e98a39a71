"""An admin draws a privacy mask on a PTZ camera's current view in Chromium: the editor says the mask is fixed to the
scene, and what is saved is the scene position of what was drawn on. After the camera zooms, the editor shows the mask
where that part of the scene now is. The camera is the PTZ stand-in with video (tests/standins/ptz_camera.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from django.db import connection
from playwright.sync_api import expect

from devices.models import PrivacyMask
from tests.browser import chromium_page
from tests.conftest import client_for
from tests.test_ptz_masks import camera_of, go, in_degrees, on_view
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.test_web_zones import click_at
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]
VIEW = {"pan": 0.5, "tilt": 0.2, "zoom": 0.4}
SCENE_SQUARE = [(0.60, 0.35), (0.70, 0.35), (0.70, 0.50), (0.60, 0.50)]  # fractions of the stand-in's scene


def saved_mask(camera) -> PrivacyMask:
    """The camera's one mask, read in a thread of its own, which then closes its database connection."""
    try:
        return PrivacyMask.objects.get(camera=camera)
    finally:
        connection.close()


def test_an_admin_draws_a_mask_on_the_current_view_of_a_ptz_camera(ptz_video_device, admin_user, tmp_path):
    admin = client_for(admin_user)
    camera = camera_of(ptz_video_device, admin)
    go(admin, camera, "position/", VIEW)
    drawn = [on_view(point, **VIEW) for point in SCENE_SQUARE]
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/privacy")
        editor = page.get_by_test_id("mask-editor")
        expect(editor.get_by_test_id("mask-fixed-to-scene")).to_contain_text("fixed to that part of the scene",
                                                                              timeout=WAIT_MS)
        expect(editor.get_by_test_id("mask-fixed-to-scene")).to_contain_text("pan 0.50, tilt 0.20, zoom 0.40",
                                                                             timeout=WAIT_MS)
        expect(page.get_by_test_id("camera-picture")).to_be_visible(timeout=WAIT_MS)
        layer = page.get_by_test_id("mask-layer")
        page.get_by_role("button", name="Draw a mask").click()
        for x, y in drawn:
            click_at(layer, x, y)
        page.keyboard.press("Enter")
        page.get_by_label("Mask name").fill("Neighbour's window")
        page.get_by_role("button", name="Save mask").click()
        expect(editor.get_by_role("list", name="Privacy masks")).to_contain_text("fixed to the scene", timeout=WAIT_MS)
        snap(page, "ptz-mask-drawn")

        # (From a thread: Playwright runs an event loop in this one, where Django refuses the ORM.)
        with ThreadPoolExecutor(1) as thread:
            mask = thread.submit(saved_mask, camera).result()
            assert np.allclose(mask.scene_points, [in_degrees(point) for point in SCENE_SQUARE], atol=0.6)
            # Zoomed out: the editor, on a new picture, shows the mask where that part of the scene now is.
            thread.submit(go, admin, camera, "position/", {"pan": 0.0, "tilt": 0.0, "zoom": 0.0}).result()
        page.get_by_role("button", name="Take a new picture").click()
        expect(editor.get_by_test_id("mask-fixed-to-scene")).to_contain_text("pan 0.00, tilt 0.00, zoom 0.00",
                                                                             timeout=WAIT_MS)
        shape = page.locator("[data-mask-id] polygon.mask-area").first
        expect(shape).to_be_visible(timeout=WAIT_MS)
        picture, outline = layer.bounding_box(), shape.bounding_box()
        left = (outline["x"] - picture["x"]) / picture["width"]
        right = (outline["x"] + outline["width"] - picture["x"]) / picture["width"]
        assert (left, right) == pytest.approx((0.60, 0.70), abs=0.02)
        snap(page, "ptz-mask-after-zoom")

        # The optics the masks are placed by are the camera's settings.
        page.goto(f"{base}/cameras/{camera.pk}/edit")
        optics = page.get_by_test_id("ptz-optics")
        expect(optics.locator("input[name='ptz_zoom_ratio']")).to_have_value("4", timeout=WAIT_MS)
        expect(optics.locator("input[name='ptz_digital']")).to_be_checked()
