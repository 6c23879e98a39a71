"""The web app (frontend/, built by Vite) in real Chromium against the real server: roles, cameras, recordings, live.

Build the app first: `cd frontend && npm ci && npm run build`. Screenshots of each page go to test-artifacts/.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from accounts.models import AuditAction, AuditEntry, Preferences
from devices.models import Camera
from recordings.models import Segment
from recordings.recorder import Recorder
from tests.browser import chromium_page
from tests.conftest import PASSWORD, grant
from tests.recording_checks import ffprobe, wait_for
from tests.standins.rtsp_servers import free_port
from tests.web_server import ROOT, web_server

pytestmark = [pytest.mark.django_db(transaction=True)]

ARTIFACTS = ROOT / "test-artifacts"
# Every test logs in through the app; the server's login throttle must not count them against each other.
SERVER_ENV = {"VMS_LOGIN_RATE": "1000/min"}
WAIT_MS = 30_000


@pytest.fixture(autouse=True, scope="module")
def built_app() -> None:
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        pytest.fail("The web app is not built: run `cd frontend && npm ci && npm run build` first.")


def snap(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def log_in(page: Page, base: str, username: str, path: str = "/", password: str = PASSWORD) -> None:
    """Log in through the app's own form; the page asked for appears once it knows who is there."""
    page.goto(base + path)
    page.fill("[data-testid=login-form] input[name=username]", username)
    page.fill("[data-testid=login-form] input[name=password]", password)
    page.click("[data-testid=login-form] button[type=submit]")
    expect(page.get_by_test_id("who")).to_contain_text(username, timeout=WAIT_MS)


def log_out(page: Page) -> None:
    page.click("[data-testid=who] >> text=Log out")
    expect(page.get_by_test_id("login-form")).to_be_visible()


def menu(page: Page) -> list[str]:
    return page.locator("nav.menu a").all_text_contents()


@pytest.fixture
def recorder(settings, tmp_path) -> Iterator[None]:
    """The recorder running in this process (as `manage.py recorder` would), in short segments."""
    settings.RECORDINGS_ROOT = tmp_path / "media" / "recordings"
    settings.RECORDINGS_ROOT.mkdir(parents=True, exist_ok=True)
    settings.SEGMENT_SECONDS = 2.0
    settings.RECORDER_LEASE_SECONDS = 4.0
    settings.CAMERA_READ_TIMEOUT = 3.0
    settings.RECONNECT_MAX_SECONDS = 1.0
    stop = threading.Event()
    thread = threading.Thread(target=Recorder(tick_seconds=0.5).run, args=(stop,), daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def test_each_role_sees_only_the_pages_it_may_use(admin_user, operator_user, investigator_user, camera, tmp_path):
    grant(camera, group="Operator")
    with web_server(tmp_path, **SERVER_ENV) as base, chromium_page() as page:
        page.goto(base + "/live")
        page.fill("input[name=username]", operator_user.username)
        page.fill("input[name=password]", "not the password")
        page.click("button[type=submit]")
        expect(page.get_by_role("alert")).to_contain_text("Wrong username or password.")
        snap(page, "login")

        log_in(page, base, admin_user.username)
        assert menu(page) == ["Live", "Cameras", "Site plans", "Announcements", "Recordings", "Events",
                              "Camera events", "Exports", "Users and access", "Audit log", "Health"]
        expect(page.get_by_test_id("who")).to_contain_text("Admin")
        page.click("nav.menu >> text=Users and access")
        expect(page.locator(f"tr[data-username={operator_user.username}]")).to_contain_text("Operator")
        expect(page.locator("tr[data-access-id]")).to_contain_text("Every Operator")
        snap(page, "users")
        page.click("nav.menu >> text=Audit log")
        expect(page.locator("tr[data-action=login]").first).to_contain_text(admin_user.username)
        snap(page, "audit")
        page.click("nav.menu >> text=Health")
        expect(page.get_by_test_id("check-database")).to_contain_text("Working")
        snap(page, "health")
        log_out(page)

        log_in(page, base, operator_user.username)
        page.wait_for_url(base + "/live")  # the first page the role may use
        assert menu(page) == ["Live", "Cameras", "Site plans", "Recordings", "Events", "Camera events"]
        expect(page.get_by_test_id("who")).to_contain_text("Operator")
        for admin_page in ("/users", "/health", "/audit", "/cameras/new", f"/cameras/{camera.pk}/analytics",
                           f"/cameras/{camera.pk}/privacy", "/exports"):
            page.goto(base + admin_page)
            expect(page.get_by_test_id("not-allowed")).to_be_visible()
            expect(page.locator("table")).to_have_count(0)
        snap(page, "not-allowed")
        page.goto(base + "/cameras")
        expect(page.locator(f"[data-camera-id='{camera.pk}']")).to_contain_text(camera.name)
        expect(page.get_by_role("link", name="Add camera")).to_have_count(0)
        expect(page.get_by_role("link", name="Edit")).to_have_count(0)
        page.goto(f"{base}/recordings/{camera.pk}")
        expect(page.get_by_test_id("player-message")).to_have_text("No recordings on this day")
        expect(page.get_by_test_id("clip-panel")).to_have_count(0)  # operators play back, never download
        log_out(page)

        log_in(page, base, investigator_user.username)
        assert menu(page) == ["Cameras", "Site plans", "Recordings", "Events", "Camera events", "Exports"]
        expect(page.get_by_test_id("who")).to_contain_text("Investigator")
        expect(page.get_by_role("heading", name="No cameras yet")).to_be_visible()  # none granted to them
        page.goto(base + "/live")
        expect(page.get_by_test_id("not-allowed")).to_be_visible()


@pytest.mark.rtsp
def test_an_admin_adds_a_camera_and_sees_it_come_online_without_a_reload(admin_user, gst_camera, recorder, settings):
    gate = gst_camera(path="/gate", width=640, height=360)
    with web_server(settings.RECORDINGS_ROOT.parent, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, admin_user.username, "/cameras")
        expect(page.get_by_role("heading", name="No cameras yet")).to_be_visible()
        snap(page, "cameras-empty")
        page.evaluate("window.sameDocument = true")  # gone if anything reloads the page

        page.click("text=Add camera")
        page.fill("input[name=main_url]", f"rtsp://127.0.0.1:{free_port()}/gate")
        page.click("text=Check stream")
        failed = page.locator("[data-testid=probe-result][data-state=failed]")
        expect(failed).to_contain_text("refused the connection")
        expect(failed).to_have_attribute("data-reason", "refused")

        page.fill("input[name=main_url]", gate.url)
        page.click("text=Check stream")
        expect(page.get_by_test_id("stream-facts")).to_contain_text("H.264 · 640 × 360 · 25 fps")
        expect(page.get_by_test_id("probe-result")).to_contain_text("Browsers can play it live.")
        # The admin sees what the camera sees: the snapshot is a decoded picture, 640 pixels wide.
        expect(page.get_by_test_id("snapshot")).to_be_visible()
        assert page.get_by_test_id("snapshot").evaluate("img => img.naturalWidth") == 640
        page.fill("input[name=name]", "Gate")
        snap(page, "add-camera")
        page.click("text=Save camera")

        row = page.locator("[data-testid=camera-row]", has_text="Gate")
        expect(row).to_be_visible()
        status = row.get_by_test_id("camera-status")
        expect(status).to_have_attribute("data-state", "online", timeout=WAIT_MS)
        expect(status).to_contain_text("H.264 · 640 × 360")
        assert page.evaluate("window.sameDocument") is True, "the status arrived without a reload"
        expect(page.get_by_test_id("status-connection")).to_have_text("Status updates live")
        snap(page, "cameras")

        gate.stop()  # and the list says so, pushed, with the reason in words
        expect(status).to_have_attribute("data-state", re.compile("offline|error"), timeout=WAIT_MS)
        expect(status.locator(".status-error")).not_to_be_empty()
        assert page.evaluate("window.sameDocument") is True

        row.get_by_role("button", name="Delete").click()  # asks first, saying what goes with it
        dialog = page.locator("dialog[open]")
        expect(dialog).to_contain_text("all its recordings")
        dialog.get_by_role("button", name="Delete camera and recordings").click()
        expect(page.get_by_role("heading", name="No cameras yet")).to_be_visible()
    created = AuditEntry.objects.get(action=AuditAction.CAMERA_CREATED)
    assert created.camera_name == "Gate" and created.detail["main_url"] == gate.url
    assert AuditEntry.objects.filter(action=AuditAction.CAMERA_DELETED, username=admin_user.username).exists()
    assert not Camera.objects.exists()


@pytest.fixture
def recorded_camera(settings, recorder, gst_camera) -> Camera:
    """A camera with at least 12 s of footage in 2 s segments, recorded from a live RTSP camera."""
    hall = gst_camera(path="/hall", width=640, height=360)
    camera = Camera.objects.create(name="Hall", main_url=hall.url)

    def recorded_seconds() -> float:
        return sum((s.end - s.start).total_seconds() for s in Segment.objects.filter(camera=camera))

    # Counted in seconds, not segments: a camera slow to start under load writes short first segments.
    wait_for(lambda: recorded_seconds() >= 12, 90, "12 s of footage")
    Camera.objects.filter(pk=camera.pk).update(enabled=False)  # the recorder lets go; the footage stays
    wait_for(lambda: not Camera.objects.get(pk=camera.pk).recorder_id, 30, "the recorder to release the camera")
    counts = [-1]

    def no_new_segments() -> bool:
        counts.append(Segment.objects.filter(camera=camera).count())
        return counts[-1] == counts[-2]

    wait_for(no_new_segments, 30, "the last segment to be written", every=1.0)
    return camera


LOCAL_DAY = """(iso) => { const d = new Date(iso); const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`; }"""
LOCAL_TIME = """(iso) => { const d = new Date(iso); const p = (n) => String(n).padStart(2, '0');
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`; }"""


def zoom_in_on(page: Page, selector: str, steps: int) -> None:
    """Scroll the wheel over an element of the timeline, aiming at it again before each notch as a person would."""
    track = page.get_by_test_id("timeline-track").bounding_box()
    for _ in range(steps):
        box = page.locator(selector).first.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, track["y"] + track["height"] / 2)
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(50)


def pan_into_view(page: Page, selector: str) -> None:
    """Scroll the timeline sideways (a tenth of the view a notch) until an element of it is not cut at either end:
    zooming in on a recording aimed at by its drawn part, which is a pixel wide on the whole day's timeline, can
    leave it running off an end."""
    track = page.get_by_test_id("timeline-track").bounding_box()
    for _ in range(20):
        box = page.locator(selector).first.bounding_box()
        cut_at_start = box["x"] <= track["x"] + 1
        if not cut_at_start and box["x"] + box["width"] < track["x"] + track["width"] - 1:
            return
        page.mouse.move(track["x"] + track["width"] / 2, track["y"] + track["height"] / 2)
        page.mouse.wheel(-300 if cut_at_start else 300, 0)
        page.wait_for_timeout(100)


@pytest.mark.rtsp
def test_an_investigator_finds_plays_and_downloads_a_recording(recorded_camera, investigator_user, settings,
                                                                tmp_path):
    grant(recorded_camera, user=investigator_user)
    segments = list(Segment.objects.filter(camera=recorded_camera).order_by("start"))
    with web_server(settings.RECORDINGS_ROOT.parent, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, investigator_user.username, "/recordings")
        page.click(f"a[data-camera-id='{recorded_camera.pk}']")
        day = page.evaluate(LOCAL_DAY, segments[0].start.isoformat())
        page.goto(f"{base}/recordings/{recorded_camera.pk}?day={day}")

        # The whole day shows one recording; zoom in on it until minutes fill the timeline.
        expect(page.get_by_test_id("recorded-span")).to_have_count(1)
        timeline = page.get_by_test_id("timeline")
        expect(timeline).to_contain_text("Whole day ·")
        zoom_in_on(page, "[data-testid=recorded-span]", 20)
        expect(timeline).to_contain_text("2 minutes shown")
        pan_into_view(page, "[data-testid=recorded-span]")
        span = page.get_by_test_id("recorded-span").bounding_box()
        assert span["width"] > 50, "zoomed in, the recording is wide enough to aim at"

        # Clicking in the recording plays from there: the video advances, the playhead tells the time.
        page.mouse.click(span["x"] + span["width"] * 0.3, span["y"] + span["height"] / 2)
        video = "document.querySelector('[data-testid=player] video')"
        page.wait_for_function(f"{video}.currentTime > 0.5 && !{video}.paused", timeout=WAIT_MS)
        started = page.evaluate(f"{video}.currentTime")
        page.wait_for_function(f"{video}.currentTime > {started} + 1.5", timeout=WAIT_MS)
        assert page.evaluate(f"{video}.videoWidth") == 640
        shown = page.get_by_test_id("playhead-time").text_content()
        first, last = (page.evaluate(LOCAL_TIME, m.isoformat()) for m in (segments[0].start, segments[-1].end))
        assert first <= shown.split()[-1] <= last, f"the playhead {shown} lies in the recording {first}-{last}"
        snap(page, "recordings")

        page.get_by_test_id("play-pause").click()  # pause, then step a frame
        page.wait_for_function(f"{video}.paused")
        paused_at = page.evaluate(f"{video}.currentTime")
        page.click("text=+1 frame")
        page.wait_for_function(f"Math.abs({video}.currentTime - {paused_at} - 0.04) < 0.01")

        # A span dragged on the clip lane, then typed exactly; the clip downloads as an MP4 of that span.
        lane = page.get_by_test_id("clip-lane").bounding_box()
        page.mouse.move(span["x"] + 5, lane["y"] + lane["height"] / 2)
        page.mouse.down()
        page.mouse.move(span["x"] + span["width"] - 5, lane["y"] + lane["height"] / 2, steps=5)
        page.mouse.up()
        expect(page.get_by_test_id("selection").first).to_be_visible()
        start, end = segments[1].start + timedelta(seconds=0.5), segments[4].end
        page.fill("input[name=clip-start]", page.evaluate(LOCAL_TIME, start.isoformat()))
        page.fill("input[name=clip-end]", page.evaluate(LOCAL_TIME, end.isoformat()))
        expect(page.get_by_test_id("clip-note")).to_contain_text("recorded")
        with page.expect_download() as download:
            page.get_by_test_id("download-clip").click()
        clip = tmp_path / "clip.mp4"
        download.value.save_as(clip)
        assert download.value.suggested_filename.startswith("Hall-")
    info = ffprobe(clip)
    assert info["streams"][0]["codec_name"] == "h264" and info["streams"][0]["width"] == 640
    wanted = (end.replace(microsecond=0) - start.replace(microsecond=0)).total_seconds()  # typed to the second
    assert wanted - 1 <= float(info["format"]["duration"]) <= wanted + 3.1
    assert AuditEntry.objects.filter(action=AuditAction.CLIP_DOWNLOAD, user=investigator_user).count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.PLAYBACK, user=investigator_user).exists()


def live_server_merged() -> bool:
    from vms.routing import websocket_urlpatterns

    return any(str(pattern.pattern).startswith("ws/live/") for pattern in websocket_urlpatterns)


TILE_TIMES = """(id) => { const v = document.querySelector(`[data-testid=live-tile][data-camera-id="${id}"] video`);
    const b = v.buffered; return {time: v.currentTime, lag: b.length ? b.end(b.length - 1) - v.currentTime : null}; }"""


@pytest.mark.rtsp
@pytest.mark.skipif(not live_server_merged(), reason="live server side not merged yet")
def test_an_operator_watches_live_cameras_in_a_grid_that_follows_them(operator_user, gst_camera, recorder, settings):
    lobby_gst = gst_camera(path="/lobby", width=640, height=360)
    corridor_gst = gst_camera(path="/corridor", width=640, height=360)
    lobby = Camera.objects.create(name="Lobby", main_url=lobby_gst.url)
    corridor = Camera.objects.create(name="Corridor", main_url=corridor_gst.url, rotation=90)
    for camera in (lobby, corridor):
        grant(camera, group="Operator")
    with web_server(settings.RECORDINGS_ROOT.parent, **SERVER_ENV) as base, chromium_page() as page:
        log_in(page, base, operator_user.username, "/live")
        tile = page.locator(f"[data-testid=live-tile][data-camera-id='{lobby.pk}']")
        expect(tile).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
        first = page.evaluate(TILE_TIMES, lobby.pk)
        page.wait_for_timeout(3000)
        later = page.evaluate(TILE_TIMES, lobby.pk)
        assert later["time"] > first["time"] + 2, "the live video plays on"
        assert later["lag"] is not None and later["lag"] < 1.5, "the picture stays near the live edge"

        portrait = page.locator(f"[data-testid=live-tile][data-camera-id='{corridor.pk}']")
        expect(portrait).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
        expect(portrait).to_have_attribute("data-rotation", "90")
        frame = portrait.locator(".tile-frame").bounding_box()
        assert frame["height"] > frame["width"], "a camera turned 90 degrees fills a portrait tile"
        snap(page, "live")

        # The layout is the operator's own: saved on the server, there again after a reload.
        page.click("button[data-grid='9']")
        # (Asked over HTTP: Playwright's event loop in this thread keeps Django's ORM out of here.)
        saved = lambda: page.request.get(base + "/api/v1/auth/me/preferences/").json()  # noqa: E731
        wait_for(lambda: saved().get("live", {}).get("grid") == 9, 10, "the layout to be saved")
        page.reload()
        expect(page.locator(".live-grid")).to_have_attribute("data-grid", "9")

        # The camera drops: the tile says why and keeps its socket; it comes back by itself.
        lobby_gst.stop()
        expect(tile).to_have_attribute("data-state", "offline", timeout=WAIT_MS)
        expect(tile).to_contain_text("Camera offline:")
        lobby_gst.start()
        expect(tile).to_have_attribute("data-state", "playing", timeout=WAIT_MS)

        tile.click()  # the single-camera view
        page.wait_for_url(f"{base}/live/{lobby.pk}")
        expect(page.locator("[data-testid=live-tile]")).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
        snap(page, "live-camera")
    assert Preferences.objects.get(user=operator_user).data["live"]["grid"] == 9
