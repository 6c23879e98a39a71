"""One box, as a newcomer runs it: `make run` with no PostgreSQL and no Redis (SQLite, the in-memory channel layer,
Celery over a folder, recorder and analytics in the web process), then the first-run flows in Chromium: the demo
camera's live video plays, a box turns to the alarm colour and the alarm rings, the privacy mask is burned into the
recording, the timeline answers from SQLite, and a redacted export shows its progress over the socket, downloads
and verifies. The run leaves nothing in the checkout.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from devices.management.commands.bootstrap import DEMO_CAMERA, DEMO_MASK_COLOR
from tests.browser import chromium_page
from tests.recording_checks import wait_for
from tests.standins.rtsp_servers import free_port
from tests.test_web_alarms import ALARM_PIXELS
from tests.test_web_app import LOCAL_DAY, LOCAL_TIME, WAIT_MS, snap
from tests.web_server import ROOT, answers
from video import demo_scene
from video.masking import color_from_hex

# The whole first run takes 1.5-3.5 minutes here; a loaded machine may need more than the 300 s default.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

JOB_MS = 180_000


@dataclass
class OneBox:
    base: str
    password: str
    data_root: Path
    untracked_before: set[str]


def _untracked() -> set[str]:
    status = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True)
    return {line[3:] for line in status.stdout.splitlines() if line.startswith("??")}


@pytest.fixture
def onebox(tmp_path) -> Iterator[OneBox]:
    """`make run` on a free port with a data root of its own, the environment free of every VMS_ setting but that.
    Setting up (the venv, the built app) is `make test`'s job and is taken as done."""
    data_root, log = tmp_path / "data", tmp_path / "make-run.log"
    env = {name: value for name, value in os.environ.items() if not name.startswith("VMS_")}
    # Short segments, so there is footage to export sooner; everything else as a newcomer gets it.
    env.update(VMS_DATA_ROOT=str(data_root), VMS_SEGMENT_SECONDS="4")
    port = free_port()
    untracked_before = _untracked()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            ["make", "-o", ".venv/.installed-run", "-o", "frontend/dist/index.html", "run", f"PORT={port}"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        found = wait_for(lambda: process.poll() is not None or re.search(
            r"with password  (\S+)", log.read_text(errors="replace")), 120, "bootstrap to print the admin's password")
        wait_for(lambda: process.poll() is not None or answers(base + "/api/v1/health/"), 60, "the VMS to answer")
        if process.poll() is not None:
            raise RuntimeError("make run exited:\n" + log.read_text(errors="replace")[-5000:])
        yield OneBox(base, found.group(1), data_root, untracked_before)
    finally:
        # make run's processes share its process group: stopped as Ctrl-C would, then whatever is left (Celery's
        # prefork parent can hang at exit once its children are gone) is killed.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=60)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _log_in(page: Page, box: OneBox, path: str) -> None:
    page.goto(box.base + path)
    page.fill("[data-testid=login-form] input[name=username]", "admin")
    page.fill("[data-testid=login-form] input[name=password]", box.password)
    page.click("[data-testid=login-form] button[type=submit]")
    expect(page.get_by_test_id("who")).to_contain_text("admin", timeout=WAIT_MS)


def _mask_colour_error(segment: Path) -> float:
    """How far, on average, the pixels well inside the demo's privacy mask are from the mask's colour in the
    segment's first picture (0-255 per channel)."""
    with av.open(str(segment)) as container:
        picture = next(container.decode(video=0)).to_ndarray(format="bgr24")
    height, width = picture.shape[:2]
    inside = np.zeros((height, width), np.uint8)
    polygon = np.array([[x * width, y * height] for x, y in demo_scene.PRIVACY_MASK], np.int32)
    cv2.fillPoly(inside, [polygon], 1)
    inside = cv2.erode(inside, np.ones((9, 9), np.uint8))  # the edge is blended by the encoder
    colour = np.array(color_from_hex(DEMO_MASK_COLOR), np.float32)
    return float(np.abs(picture[inside.astype(bool)].astype(np.float32) - colour).mean())


def _job_messages(page: Page) -> list[dict]:
    """The job.progress messages the page receives on /ws/jobs/, as they come."""
    messages: list[dict] = []

    def on_frame(payload: str | bytes) -> None:
        if isinstance(payload, str):
            messages.append(json.loads(payload))

    def on_socket(socket) -> None:
        if "/ws/jobs/" in socket.url:
            socket.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    return messages


def test_a_newcomer_sees_the_demo_alarm_the_mask_and_exports_a_clip_that_verifies(onebox, tmp_path):
    with chromium_page() as page:
        jobs = _job_messages(page)
        _log_in(page, onebox, "/live")
        camera = next(c for c in page.request.get(onebox.base + "/api/v1/cameras/").json()["results"]
                      if c["name"] == DEMO_CAMERA)

        # Live video with boxes over the people; the one who lingers turns red and the alarm rings.
        page.goto(f"{onebox.base}/live/{camera['id']}")
        tile = page.locator(f"[data-testid=live-tile][data-camera-id='{camera['id']}']")
        expect(tile).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
        overlay = tile.locator("canvas[data-testid=overlay]")
        expect(overlay).to_have_attribute("data-overlay-boxes", re.compile(r"^[1-9]"), timeout=90_000)
        expect(overlay).to_have_attribute("data-overlay-states", re.compile(r"\balarm\b"), timeout=120_000)
        assert overlay.evaluate(ALARM_PIXELS) > 50, "the alarm colour is drawn on the canvas"
        snap(page, "onebox-live-alarm")
        bell = page.locator("[data-alarm-count]")
        expect(bell).not_to_have_attribute("data-alarm-count", "0", timeout=WAIT_MS)
        bell.click()
        expect(page.locator("#alarm-panel li").first).to_contain_text("Loitering")

        # The timeline (merged in Python on SQLite) shows recordings long enough for an export.
        def recorded() -> dict | None:
            now = datetime.now().astimezone()
            query = {"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(minutes=1)).isoformat()}
            timeline = page.request.get(f"{onebox.base}/api/v1/cameras/{camera['id']}/timeline/", params=query)
            assert timeline.ok, timeline.text()
            spans = timeline.json()["recorded"]
            return spans[0] if spans and _seconds(spans[0]) >= 14 else None

        span = wait_for(recorded, 120, "14 s of recordings on the timeline")

        # The mask is burned into what is recorded.
        segments = sorted((onebox.data_root / "media" / "recordings" / str(camera["id"])).glob("*/*.mp4"))
        assert segments, "the demo camera records"
        assert _mask_colour_error(segments[-1]) < 25, "the windows are covered by the mask's colour"

        # A redacted export of 8 s: its progress comes over the socket, from the Celery worker through the web.
        start = datetime.fromisoformat(span["start"]).replace(microsecond=0) + timedelta(seconds=2)
        end = start + timedelta(seconds=8)
        page.goto(f"{onebox.base}/recordings/{camera['id']}?day={page.evaluate(LOCAL_DAY, start.isoformat())}")
        page.fill("input[name=clip-start]", page.evaluate(LOCAL_TIME, start.isoformat()))
        page.fill("input[name=clip-end]", page.evaluate(LOCAL_TIME, end.isoformat()))
        page.get_by_role("button", name="Redacted export…").click()
        page.get_by_label("Faces").check()
        page.get_by_label("Reason for the export").fill("first run")
        page.get_by_role("button", name="Start redacted export").click()
        page.wait_for_url(re.compile(r".*/exports/\d+$"))
        status = page.get_by_test_id("export-status")
        expect(status).to_have_attribute("data-status", "review", timeout=JOB_MS)
        page.get_by_role("button", name="Render").click()
        expect(status).to_have_attribute("data-status", "done", timeout=JOB_MS)
        snap(page, "onebox-export-done")
        export_id = int(status.get_attribute("data-export-id"))
        pushed = [m["data"] for m in jobs if m.get("type") == "job.progress" and m["data"]["export"] == export_id]
        # Review and done are saved by the worker, another process: only the relay brings them to this socket.
        assert {"review", "done"} <= {data["status"] for data in pushed}, pushed

        with page.expect_download() as download:
            page.get_by_test_id("download-export").click()
        video = tmp_path / "export.mp4"
        download.value.save_as(video)
        with page.expect_download() as download:
            page.get_by_test_id("download-manifest").click()
        manifest = tmp_path / "export.manifest.json"
        download.value.save_as(manifest)
        key = tmp_path / "key.pem"
        key.write_text(page.request.get(onebox.base + "/api/v1/signing-key/").json()["public_key_pem"])

    verified = subprocess.run([sys.executable, str(ROOT / "redaction" / "verify.py"), str(video), str(manifest),
                               "--key", str(key)], capture_output=True, text=True, timeout=60, check=False)
    assert verified.returncode == 0 and "valid" in verified.stdout, verified.stdout + verified.stderr
    assert _untracked() - onebox.untracked_before == set(), "make run left files in the checkout"


def _seconds(span: dict) -> float:
    return (datetime.fromisoformat(span["end"]) - datetime.fromisoformat(span["start"])).total_seconds()
