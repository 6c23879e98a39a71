"""Privacy masks in the recorder: drawn through the API, burned into what is stored and sent live, changed
while recording without reopening the camera, and the transcode's cost shown on the camera."""

from __future__ import annotations

import threading

import av
import numpy as np
import pytest

from devices.models import Camera, PrivacyMask
from recordings.models import Segment
from recordings.recorder import Recorder
from tests.recording_checks import assert_segment_intact, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]
LEFT = [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]
RIGHT = [[0.5, 0.0], [1.0, 0.0], [1.0, 1.0], [0.5, 1.0]]
RED = np.array([0, 0, 255])  # BGR


def last_picture(segment: Segment) -> np.ndarray:
    with av.open(str(segment.file)) as container:
        frames = [frame for frame in container.decode(video=0)]
    return frames[-1].to_ndarray(format="bgr24")


def red_share(picture: np.ndarray) -> float:
    """How much of the picture is the mask's red (within H.264's error on a flat area)."""
    return float(np.mean(np.all(np.abs(picture.astype(int) - RED) <= 12, axis=2)))


def test_masks_are_burned_in_and_follow_changes_while_recording(settings, gst_camera, admin_client):
    settings.SEGMENT_SECONDS = 1.0
    settings.RECORDER_LEASE_SECONDS = 3.0
    gst = gst_camera(path="/street", width=320, height=180)
    camera = Camera.objects.create(name="Street", main_url=gst.url)
    response = admin_client.post(f"/api/v1/cameras/{camera.pk}/privacy-masks/",
                                 {"name": "Neighbours", "points": LEFT, "style": "solid", "color": "#ff0000"},
                                 format="json")
    assert response.status_code == 201
    stop = threading.Event()
    recorder = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
    recorder.start()
    try:
        first = wait_for(lambda: Segment.objects.filter(camera=camera).order_by("start").first(), 30,
                         "a masked segment")
        assert_segment_intact(first)
        picture = last_picture(first)
        width = picture.shape[1]
        assert red_share(picture[:, 4 : width // 2 - 4]) > 0.99, "the left half is the mask's colour"
        assert red_share(picture[:, width // 2 + 4 :]) < 0.05, "the right half is the camera's picture"

        mask = PrivacyMask.objects.get(camera=camera)
        changed = admin_client.patch(f"/api/v1/cameras/{camera.pk}/privacy-masks/{mask.pk}/", {"points": RIGHT},
                                     format="json")
        assert changed.status_code == 200
        count = Segment.objects.filter(camera=camera).count()

        def masked_on_the_right() -> list[np.ndarray]:
            """The last picture of the newest segment since the change, once it shows the changed mask (a loaded
            machine takes a few segments to apply it)."""
            since = list(Segment.objects.filter(camera=camera).order_by("start"))[count:]
            picture = last_picture(since[-1]) if since else None
            return [picture] if picture is not None and red_share(picture[:, width // 2 + 4 :]) > 0.99 else []

        [picture] = wait_for(masked_on_the_right, 30, "a segment recorded with the changed mask")
        assert red_share(picture[:, 4 : width // 2 - 4]) < 0.05, "the left half is the camera's picture again"
        segments = list(Segment.objects.filter(camera=camera).order_by("start"))
        assert all(a.end == b.start for a, b in zip(segments, segments[1:], strict=False)), "no reopening gap"
        camera = wait_for(lambda: Camera.objects.filter(pk=camera.pk, masking_cost__isnull=False).first(), 30,
                          "the masking cost to be measured")
        assert 0 < camera.masking_cost < 200
        assert admin_client.get(f"/api/v1/cameras/{camera.pk}/").json()["masking_cost"] == camera.masking_cost
    finally:
        stop.set()
        recorder.join(timeout=30)
