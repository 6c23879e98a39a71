"""Privacy masks fixed to a PTZ camera's scene: drawn on a panned and zoomed view and kept in scene coordinates (API),
and masked on every recorded and live frame while the camera pans and zooms across them, whole while its position is
unknown.

The camera is the PTZ stand-in with video (tests/standins/ptz_camera.py): ipycam's digital PTZ, a crop of a large
scene with coloured squares at known places, in a network namespace of its own. What the camera shows is checked by
colour in the recorded frames; the unmasked copy the recorder keeps beside them shows the marker was in view."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import UTC, datetime

import av
import numpy as np
import pytest

from accounts.models import AuditAction, AuditEntry
from analytics.worker import CameraAnalytics
from devices import ptz_control
from devices.choices import AnalysisSource
from devices.models import Camera, PrivacyMask
from recordings.live import LiveFragment, LiveStart, hub
from recordings.models import Segment
from recordings.recorder import Recorder
from tests.recording_checks import wait_for
from tests.standins.ptz_camera import MARKER_SIZE, MARKERS, MAX_ZOOM, SCENE_HEIGHT, SCENE_WIDTH, PtzCamera
from video.geometry import Box
from video.ptz_view import WHOLE_PICTURE
from video.scene_metadata import SceneFrame, SceneObject, outside_masks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]
WIDE_ANGLE = 64.0  # any: the scene's degrees are the stand-in's wide picture's
BGR = {name: np.array(colour) for name, ((_x, _y), colour) in MARKERS.items()}


def camera_of(device: PtzCamera, admin_client, **fields) -> Camera:
    camera = Camera(name="Yard PTZ", main_url=device.rtsp_url, username=device.username, onvif_host=device.host,
                    onvif_port=device.port, ptz_digital=True, ptz_wide_angle=WIDE_ANGLE, ptz_zoom_ratio=MAX_ZOOM,
                    ptz_max_speed=1.0, **fields)
    camera.password = device.password
    camera.save()
    ptz_control.forget(camera.pk)
    assert admin_client.post(f"/api/v1/cameras/{camera.pk}/ptz/detect/").status_code == 200
    camera.refresh_from_db()
    return camera


def go(client, camera: Camera, path: str, body: dict) -> None:
    response = client.post(f"/api/v1/cameras/{camera.pk}/ptz/{path}", body, format="json")
    assert response.status_code == 200, response.json()


def on_view(point: tuple[float, float], pan: float, tilt: float, zoom: float) -> tuple[float, float]:
    """Where a point of the scene (fractions) is in the picture of the view, as ipycam crops it."""
    crop = 1 / (1 + zoom * (MAX_ZOOM - 1))
    centre_x, centre_y = 0.5 + pan * (1 - crop) / 2, 0.5 - tilt * (1 - crop) / 2
    return (point[0] - centre_x) / crop + 0.5, (point[1] - centre_y) / crop + 0.5


def around(marker: str, pan: float, tilt: float, zoom: float, margin: float = 0.01) -> list[list[float]]:
    """A square a little larger than the marker, as drawn on the view's picture."""
    (x, y), _ = MARKERS[marker]
    half_x = MARKER_SIZE / 2 + margin
    half_y = half_x * SCENE_WIDTH / SCENE_HEIGHT
    corners = [(x - half_x, y - half_y), (x + half_x, y - half_y), (x + half_x, y + half_y), (x - half_x, y + half_y)]
    return [list(on_view(corner, pan, tilt, zoom)) for corner in corners]


def in_degrees(point: tuple[float, float]) -> list[float]:
    """A scene point (fractions) in the stand-in's scene degrees: its wide picture spans WIDE_ANGLE across."""
    return [(point[0] - 0.5) * WIDE_ANGLE, (0.5 - point[1]) * WIDE_ANGLE * SCENE_HEIGHT / SCENE_WIDTH]


def shown(picture: np.ndarray, marker: str) -> int:
    """How many pixels of the picture are the marker's colour."""
    return int(np.count_nonzero(np.all(np.abs(picture.astype(int) - BGR[marker]) <= 60, axis=2)))


def recorded_pictures(camera: Camera, unmasked: bool) -> list[np.ndarray]:
    pictures = []
    for segment in Segment.objects.filter(camera=camera, unmasked=unmasked).order_by("start"):
        with av.open(str(segment.file)) as container:
            pictures += [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]
    return pictures


class LiveWatcher:
    """Watches a camera's live feed (as a browser's socket does, from the recorder's fan-out) in a thread of its own
    until stopped; `pictures()` decodes what came, from the first start of the stream on."""

    def __init__(self, camera_id: int) -> None:
        self.camera_id = camera_id
        self.received: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._watch()), daemon=True)
        self.thread.start()

    async def _watch(self) -> None:
        subscription = hub().subscribe(self.camera_id)
        try:
            while not self.stop.is_set():
                try:
                    item = await asyncio.wait_for(anext(subscription), 0.5)
                except TimeoutError:
                    continue
                if isinstance(item, LiveStart) and not self.received:
                    self.received = [item.init, *(data for _seq, _key, data in item.fragments)]
                elif isinstance(item, LiveFragment) and self.received:
                    self.received.append(item.data)
        finally:
            await subscription.aclose()

    def pictures(self) -> list[np.ndarray]:
        self.stop.set()
        self.thread.join(timeout=10)
        with av.open(io.BytesIO(b"".join(self.received))) as container:
            return [frame.to_ndarray(format="bgr24") for frame in container.decode(video=0)]


def test_a_mask_drawn_on_a_panned_and_zoomed_view_is_kept_in_scene_coordinates(ptz_video_device, admin_client):
    camera = camera_of(ptz_video_device, admin_client)
    go(admin_client, camera, "position/", {"pan": 0.6, "tilt": -0.4, "zoom": 0.5})
    expected = [in_degrees(point) for point in
                [(0.69, 0.43), (0.71, 0.43), (0.71, 0.47)]]
    drawn = [list(on_view(point, 0.6, -0.4, 0.5)) for point in [(0.69, 0.43), (0.71, 0.43), (0.71, 0.47)]]

    # Drawn on the view the camera shows now: the VMS asks the camera where it looks.
    created = admin_client.post(f"/api/v1/cameras/{camera.pk}/privacy-masks/",
                                {"name": "Window", "points": drawn}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["fixed_to_scene"] is True
    assert np.allclose(created.json()["scene_points"], expected, atol=1e-4)
    assert AuditEntry.objects.filter(action=AuditAction.MASKS_CHANGED, camera=camera).exists()

    # Drawn on a view the editor names (the camera has moved on since).
    again = [list(on_view(point, 0.4, 0.1, 0.8)) for point in [(0.69, 0.43), (0.71, 0.43), (0.71, 0.47)]]
    named = admin_client.post(f"/api/v1/cameras/{camera.pk}/privacy-masks/",
                              {"name": "Door", "points": again, "view": {"pan": 0.4, "tilt": 0.1, "zoom": 0.8}},
                              format="json")
    assert named.status_code == 201, named.json()
    assert np.allclose(named.json()["scene_points"], expected, atol=1e-4)

    # Renamed: where it is in the scene stays.
    mask = PrivacyMask.objects.get(camera=camera, name="Door")
    renamed = admin_client.patch(f"/api/v1/cameras/{camera.pk}/privacy-masks/{mask.pk}/", {"name": "Back door"},
                                 format="json")
    assert renamed.status_code == 200
    assert np.allclose(renamed.json()["scene_points"], expected, atol=1e-4)

    bad = admin_client.post(f"/api/v1/cameras/{camera.pk}/privacy-masks/",
                            {"name": "Bad", "points": drawn, "view": {"pan": 2, "tilt": 0, "zoom": 0}}, format="json")
    assert bad.status_code == 400
    assert "pan" in bad.json()["errors"]["view"]


def test_a_camera_without_ptz_takes_no_view(camera, admin_client):
    response = admin_client.post(f"/api/v1/cameras/{camera.pk}/privacy-masks/",
                                 {"name": "Window", "points": [[0, 0], [1, 0], [1, 1]],
                                  "view": {"pan": 0, "tilt": 0, "zoom": 0}}, format="json")
    assert response.status_code == 400
    assert "has no PTZ" in str(response.json()["errors"]["view"])


def test_a_masked_marker_never_shows_while_the_camera_pans_and_zooms_across_it(ptz_video_device, admin_client,
                                                                               settings):
    settings.SEGMENT_SECONDS = 1.0
    settings.RECORDER_LEASE_SECONDS = 3.0
    camera = camera_of(ptz_video_device, admin_client, keep_unmasked=True)
    go(admin_client, camera, "position/", {"pan": -1.0, "tilt": 0.0, "zoom": 0.6})
    created = admin_client.post(f"/api/v1/cameras/{camera.pk}/privacy-masks/",
                                {"name": "Neighbour", "points": around("red", -1.0, 0.0, 0.6)}, format="json")
    assert created.status_code == 201, created.json()
    stop = threading.Event()
    recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
    recorder.start()
    try:
        wait_for(lambda: Segment.objects.filter(camera=camera, unmasked=False).count() >= 2, 60, "recording")
        live = LiveWatcher(camera.pk)
        wait_for(lambda: live.received, 30, "live video")
        # Pan right across the marker (it leaves the view), jump back onto it (an absolute move: no speed to
        # follow), then zoom out until the whole scene shows again.
        go(admin_client, camera, "move/", {"pan": 0.5, "seconds": 4.0})
        wait_for(lambda: ptz_video_device.state()["pan"] >= 0.99 and not ptz_video_device.state()["moving"], 30,
                 "the pan to end")
        go(admin_client, camera, "position/", {"pan": -1.0, "tilt": 0.0, "zoom": 0.6})
        count = Segment.objects.filter(camera=camera, unmasked=False).count()
        wait_for(lambda: Segment.objects.filter(camera=camera, unmasked=False).count() >= count + 2, 60,
                 "footage after the jump")
        go(admin_client, camera, "move/", {"zoom": -0.5, "seconds": 1.5})
        wait_for(lambda: ptz_video_device.state()["zoom"] <= 0.01 and not ptz_video_device.state()["moving"], 30,
                 "the zoom to end")
        count = Segment.objects.filter(camera=camera, unmasked=False).count()
        wait_for(lambda: Segment.objects.filter(camera=camera, unmasked=False).count() >= count + 3, 60,
                 "footage of the camera standing still")
        watched = live.pictures()
    finally:
        stop.set()
        recorder.join(timeout=30)

    unmasked = recorded_pictures(camera, unmasked=True)
    assert sum(shown(picture, "red") > 100 for picture in unmasked) > 30, "the marker was in view, unmasked"
    masked = recorded_pictures(camera, unmasked=False)
    assert len(masked) > 100
    leaks = [(index, shown(picture, "red")) for index, picture in enumerate(masked) if shown(picture, "red") > 10]
    assert leaks == [], "frames (index, red pixels) where the masked marker shows"
    assert len(watched) > 100, "live video all through the moves"
    live_leaks = [(index, shown(picture, "red")) for index, picture in enumerate(watched)
                  if shown(picture, "red") > 10]
    assert live_leaks == [], "live frames (index, red pixels) where the masked marker shows"
    assert shown(watched[-1], "green") > 500
    # Standing still at the end, wide: the other markers show where they are, the masked one is covered.
    last = masked[-1]
    for marker in ("green", "blue"):
        (x, y), _ = MARKERS[marker]
        row, column = round(y * last.shape[0]), round(x * last.shape[1])
        assert shown(last[row - 3:row + 3, column - 3:column + 3], marker) == 36, f"{marker} shows"
    assert shown(last, "green") > 500


def test_the_whole_picture_is_masked_while_the_position_is_unknown(ptz_video_device, admin_client, settings):
    settings.SEGMENT_SECONDS = 1.0
    settings.RECORDER_LEASE_SECONDS = 3.0
    camera = camera_of(ptz_video_device, admin_client)
    go(admin_client, camera, "position/", {"pan": 0.0, "tilt": 0.0, "zoom": 0.0})
    created = admin_client.post(f"/api/v1/cameras/{camera.pk}/privacy-masks/",
                                {"name": "Neighbour", "points": around("red", 0.0, 0.0, 0.0)}, format="json")
    assert created.status_code == 201, created.json()
    # The camera's ONVIF service is no longer reached (a wrong port): where it looks is unknown.
    Camera.objects.filter(pk=camera.pk).update(onvif_port=ptz_video_device.port + 1)
    stop = threading.Event()
    recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
    recorder.start()
    try:
        wait_for(lambda: Segment.objects.filter(camera=camera, unmasked=False).count() >= 3, 60, "recording")
    finally:
        stop.set()
        recorder.join(timeout=30)
    masked = recorded_pictures(camera, unmasked=False)
    assert masked
    assert all(picture.max() < 40 for picture in masked), "every frame masked whole (black)"


def test_the_cameras_own_analytics_leave_out_objects_under_a_scene_mask_where_the_camera_looks(ptz_video_device,
                                                                                                admin_client):
    camera = camera_of(ptz_video_device, admin_client, analysis_source=AnalysisSource.CAMERA, analytics_enabled=True)
    go(admin_client, camera, "position/", {"pan": 0.0, "tilt": 0.0, "zoom": 0.0})
    created = admin_client.post(f"/api/v1/cameras/{camera.pk}/privacy-masks/",
                                {"name": "Neighbour", "points": around("red", 0.0, 0.0, 0.0)}, format="json")
    assert created.status_code == 201, created.json()
    # Zoomed in on the right: the red marker's part of the scene is now off to the left of the picture's middle.
    go(admin_client, camera, "position/", {"pan": -0.6, "tilt": 0.0, "zoom": 0.5})
    camera = Camera.objects.prefetch_related("privacy_masks").get(pk=camera.pk)
    analytics = CameraAnalytics(camera, detector=lambda: None)
    try:
        red_now = on_view(MARKERS["red"][0], -0.6, 0.0, 0.5)
        where_it_was = on_view(MARKERS["red"][0], 0.0, 0.0, 0.0)
        seen = SceneFrame(datetime.now(UTC), [
            SceneObject("under", "person", 0.9, Box(red_now[0] - 0.02, red_now[1] - 0.02, 0.04, 0.04)),
            SceneObject("drawn-here", "person", 0.9, Box(where_it_was[0] - 0.02, where_it_was[1] - 0.02, 0.04, 0.04)),
        ])
        # Until the camera's position is known and it has stood still a moment, the mask covers more (all of the
        # picture at first): what is left out settles to what lies under the mask.
        wait_for(lambda: [item.id for item in outside_masks(seen, analytics._masks()).objects] == ["drawn-here"], 20,
                 "only the object under the mask left out")
        assert analytics.position.masks()[0].points != WHOLE_PICTURE
    finally:
        analytics.position.close()
