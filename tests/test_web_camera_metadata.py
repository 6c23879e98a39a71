"""A camera analysed by its own analytics, in Chromium: an admin points a camera at its scene metadata over MQTT
(Mosquitto on 127.0.0.1:1883), and the operator's live tile draws the boxes the camera reports (an Axis-format
publisher, tests/standins/axis_scene_publisher.py) in step with the frame they came with."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from analytics.worker import AnalyticsWorker
from devices.models import Camera
from recordings.recorder import Recorder
from tests.browser import chromium_page
from tests.conftest import grant
from tests.recording_checks import wait_for
from tests.standins.axis_scene_publisher import AxisScenePublisher, Walker
from tests.test_web_app import SERVER_ENV, WAIT_MS, log_in, snap
from tests.web_server import web_server

pytestmark = [pytest.mark.django_db(transaction=True)]

CAMERA_SOURCE = "The camera's own analytics (its scene metadata; the video is not decoded)"
METADATA_PASSWORD = "mqtt-secret-4821"
# The site has no broker of its own: a camera's analytics need one given.
NO_SITE_BROKER = {**SERVER_ENV, "VMS_MQTT_URL": ""}


def test_an_admin_points_a_camera_at_its_own_analytics(admin_user, tmp_path):
    camera = Camera.objects.create(name="Entrance", main_url="rtsp://127.0.0.1:8554/entrance")
    with web_server(tmp_path, **NO_SITE_BROKER) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, f"/cameras/{camera.pk}/edit")
        page.get_by_label("Analyse this camera").check()
        expect(page.get_by_test_id("scene-metadata")).to_have_count(0)  # this server analyses it by default
        page.get_by_role("radio", name=CAMERA_SOURCE).check()
        # The server does not analyse frames then: no frame rate to choose.
        expect(page.locator("input[name=analytics_fps]")).to_have_count(0)
        metadata = page.get_by_test_id("scene-metadata")
        # Taken from its RTSP stream unless told otherwise; over MQTT, the broker and topic are asked for.
        in_stream = metadata.get_by_role("radio", name="In its RTSP stream (ONVIF Profile M metadata track)")
        expect(in_stream).to_be_checked()
        metadata.get_by_role("radio", name="Over MQTT (AXIS Scene Metadata)").check()
        page.get_by_role("button", name="Save changes").click()

        topic = metadata.locator(".field", has=page.locator("input[name=metadata_topic]"))
        expect(topic.locator(".field-error")).to_contain_text("give the topic it publishes its frame metadata on",
                                                              timeout=WAIT_MS)
        broker = metadata.locator(".field", has=page.locator("input[name=metadata_broker]"))
        expect(broker.locator(".field-error")).to_contain_text("Give the MQTT broker the camera publishes to")
        expect(page.locator("input[name=metadata_broker]")).to_be_focused()
        assert page.url == f"{base}/cameras/{camera.pk}/edit"
        snap(page, "camera-metadata-needs-a-topic")

        metadata.get_by_label("Broker").fill("mqtt://127.0.0.1:1883")
        metadata.get_by_label("Username").fill("entrance-cam")
        metadata.get_by_label("Password").fill(METADATA_PASSWORD)
        metadata.get_by_label("Topic").fill("axis/B8A44F000000/scene/frame")
        with page.expect_response(lambda r: r.url == f"{base}/api/v1/cameras/{camera.pk}/"
                                  and r.request.method == "PATCH") as saved:
            page.get_by_role("button", name="Save changes").click()
        page.wait_for_url(base + "/cameras")
        responses = {"save": saved.value.text()}
        for name, path in (("camera", f"/api/v1/cameras/{camera.pk}/"), ("list", "/api/v1/cameras/")):
            responses[name] = page.request.get(base + path).text()
        assert page.request.get(f"{base}/api/v1/cameras/{camera.pk}/").json()["has_metadata_password"] is True

        # Editing again without typing the password keeps it.
        page.goto(f"{base}/cameras/{camera.pk}/edit")
        expect(page.get_by_role("radio", name=CAMERA_SOURCE)).to_be_checked(timeout=WAIT_MS)
        expect(metadata.get_by_label("Topic")).to_have_value("axis/B8A44F000000/scene/frame")
        expect(metadata).to_contain_text("Leave empty to keep the saved password.")
        expect(metadata.get_by_label("Password")).to_have_value("")
        snap(page, "camera-metadata-form")
        page.get_by_role("button", name="Save changes").click()
        page.wait_for_url(base + "/cameras")
    for name, body in responses.items():
        assert METADATA_PASSWORD not in body and '"metadata_password"' not in body, name
    camera.refresh_from_db()
    assert (camera.analytics_enabled, camera.analysis_source, camera.metadata_transport, camera.metadata_broker,
            camera.metadata_username, camera.metadata_topic) == (True, "camera", "mqtt", "mqtt://127.0.0.1:1883",
                                                                 "entrance-cam", "axis/B8A44F000000/scene/frame")
    assert camera.metadata_password == METADATA_PASSWORD


@pytest.fixture
def publisher() -> Iterator[AxisScenePublisher]:
    with AxisScenePublisher() as axis:
        yield axis


@pytest.fixture
def workers(settings, tmp_path) -> Iterator[None]:
    """The recorder and the analytics worker running in this process, as their own processes would."""
    settings.RECORDINGS_ROOT = tmp_path / "media" / "recordings"
    settings.RECORDINGS_ROOT.mkdir(parents=True)
    settings.RECORDER_LEASE_SECONDS = 3.0
    settings.CAMERA_READ_TIMEOUT = 3.0
    settings.RECONNECT_MAX_SECONDS = 1.0
    stop = threading.Event()
    threads = [threading.Thread(target=worker(tick_seconds=0.5).run, args=(stop,), daemon=True)
               for worker in (Recorder, AnalyticsWorker)]
    for thread in threads:
        thread.start()
    yield
    stop.set()
    for thread in threads:
        thread.join(timeout=30)


# Each box set the overlay draws, with the playhead of the video under it at that moment.
RECORD_DRAWN = """canvas => {
  const video = canvas.closest("[data-testid=live-tile]").querySelector("video");
  window.drawnSets = [];
  new MutationObserver(() => {
    if (canvas.dataset.overlayPts) window.drawnSets.push(
      {pts: Number(canvas.dataset.overlayPts), time: video.currentTime, labels: canvas.dataset.overlayLabels});
  }).observe(canvas, {attributes: true, attributeFilter: ["data-overlay-pts"]});
}"""


@pytest.mark.rtsp
@pytest.mark.slow
def test_the_operators_live_tile_draws_the_cameras_own_boxes_in_step_with_the_frame(
        operator_user, gst_camera, publisher, workers, settings):
    gst = gst_camera(path="/porch", width=640, height=360)
    camera = Camera.objects.create(name="Porch", main_url=gst.url, recording_mode="off", analytics_enabled=True,
                                   analysis_source="camera", metadata_transport="mqtt",
                                   metadata_broker="mqtt://127.0.0.1:1883",
                                   metadata_topic=publisher.topic)
    grant(camera, group="Operator")
    wait_for(lambda: Camera.objects.filter(pk=camera.pk, status="online", analyser__isnull=False).exists(), 30,
             "the camera to be online and analysed")
    with web_server(settings.RECORDINGS_ROOT.parent, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, operator_user.username, f"/live/{camera.pk}")
        tile = page.locator(f"[data-testid=live-tile][data-camera-id='{camera.pk}']")
        expect(tile).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
        overlay = tile.locator("canvas[data-testid=overlay]")
        overlay.evaluate(RECORD_DRAWN)

        publisher.play([Walker("p1", "Human", (0.1, 0.5), (0.9, 0.5), seconds=8.0)])
        expect(overlay).to_have_attribute("data-overlay-labels", "person", timeout=WAIT_MS)
        expect(overlay).to_have_attribute("data-overlay-boxes", "1")
        snap(page, "live-camera-metadata-boxes")
        page.wait_for_timeout(3000)
        drawn = page.evaluate("window.drawnSets")
    people = [entry for entry in drawn if entry["labels"] == "person"]
    assert len(people) >= 10, f"the box is redrawn as the person walks: {drawn}"
    assert {entry["labels"] for entry in drawn} == {"person"}
    late = [entry for entry in people if abs(entry["time"] - entry["pts"]) > 1.0]
    assert not late, f"box sets drawn more than a second away from the frame on screen: {late}"
