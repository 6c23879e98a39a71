"""Analytics that cannot run say so: a detector that does not load shows in the camera's status and in health,
and a camera whose analytics keep failing is restarted after a doubling, capped pause instead of spinning."""

from __future__ import annotations

import os
import socket

import pytest

from analytics.worker import AnalyticsWorker
from devices.models import Camera
from recordings.leases import HEALTHY_AFTER, RESTART_FIRST_PAUSE, RESTART_MAX_PAUSE, RestartBackoff
from recordings.models import RecorderProcess

pytestmark = pytest.mark.django_db(transaction=True)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_pause_doubles_up_to_its_cap_and_a_healthy_run_resets_it():
    clock = Clock()
    backoff = RestartBackoff(clock)
    pauses = [backoff.died(7, ran_for=0.1) for _ in range(10)]
    assert pauses[:3] == [RESTART_FIRST_PAUSE, 2 * RESTART_FIRST_PAUSE, 4 * RESTART_FIRST_PAUSE]
    assert max(pauses) == RESTART_MAX_PAUSE == pauses[-1]
    assert not backoff.may_start(7)
    clock.now += RESTART_MAX_PAUSE
    assert backoff.may_start(7) and backoff.may_start(8)
    assert backoff.died(7, ran_for=HEALTHY_AFTER) == RESTART_FIRST_PAUSE


@pytest.fixture
def broken_detector(settings, tmp_path):
    model = tmp_path / "detector.onnx"
    model.write_bytes(b"this is not an ONNX model")
    settings.DETECTOR_MODEL = str(model)
    settings.RECORDER_LEASE_SECONDS = 30.0
    return model


def died(worker: AnalyticsWorker, camera_id: int) -> None:
    thread = worker.threads[camera_id]
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_a_detector_that_cannot_load_is_told_and_retried_with_a_pause(broken_detector, admin_client):
    camera = Camera.objects.create(name="Gate", main_url="rtsp://127.0.0.1:9/gate", analytics_enabled=True)
    worker = AnalyticsWorker(tick_seconds=1)
    clock = worker.backoff.clock = Clock()
    worker.process = RecorderProcess.objects.create(name=worker.name, kind="analytics",
                                                    hostname=socket.gethostname(), pid=os.getpid(),
                                                    heartbeat_at="2026-12-03T00:00:00Z")
    starts = []
    start_camera = worker.start_camera
    worker.start_camera = lambda camera: starts.append(clock.now) or start_camera(camera)
    try:
        worker.tick()
        died(worker, camera.pk)
        camera.refresh_from_db()
        assert "cannot load" in camera.analytics_error and str(broken_detector) in camera.analytics_error

        status = admin_client.get(f"/api/v1/cameras/{camera.pk}/").json()["live_status"]
        assert status["analytics_error"] == camera.analytics_error
        health = admin_client.get("/api/v1/health/")
        assert health.status_code == 503
        assert health.json()["analytics_problems"] == [{"camera": "Gate", "error": camera.analytics_error}]

        for _ in range(3):  # rounds within the pause start nothing
            worker.tick()
        assert len(starts) == 1
        clock.now += RESTART_FIRST_PAUSE
        worker.tick()
        assert len(starts) == 2
        died(worker, camera.pk)
        worker.tick()
        clock.now += RESTART_FIRST_PAUSE
        worker.tick()
        assert len(starts) == 2, "the second pause is twice the first"
        clock.now += RESTART_FIRST_PAUSE
        worker.tick()
        assert len(starts) == 3
    finally:
        worker.shutdown()
