"""An investigator in Chromium: selects a span of recorded footage, asks for a redacted export, reviews the faces
found over the video with a strip of pictures across each track, keeps one person of interest unmasked and says why,
masks every frame of a short span, has a box followed, renders, downloads, and the download verifies and lists what
was kept, by whom and why."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from recordings.models import Segment
from redaction.models import Export
from redaction.verify import load_public_key, problems
from tests.browser import chromium_page
from tests.test_exports import recorded_scene  # noqa: F401  (the fixture)
from tests.test_web_app import LOCAL_DAY, LOCAL_TIME, SERVER_ENV, log_in, snap
from tests.web_server import celery_worker, web_server

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp, pytest.mark.slow]
JOB_MS = 180_000
# The review's playhead, in seconds from the export's start ("1.23 s of 8 s").
SHOWN_SECONDS = "parseFloat(document.querySelector('[data-testid=review-time]').textContent)"


def test_an_investigator_redacts_keeps_a_person_of_interest_and_the_download_verifies(
        recorded_scene, investigator_user, settings, tmp_path):  # noqa: F811
    camera = recorded_scene
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    env = {**SERVER_ENV, "VMS_SIGNING_KEY_FILE": str(settings.SIGNING_KEY_FILE)}
    media = settings.RECORDINGS_ROOT.parent
    with web_server(media, **env) as base, celery_worker(media, "redaction", **env), chromium_page() as page:
        log_in(page, base, investigator_user.username, "/recordings")
        day = page.evaluate(LOCAL_DAY, segments[0].start.isoformat())
        page.goto(f"{base}/recordings/{camera.pk}?day={day}")
        start, end = segments[1].start + timedelta(seconds=1), segments[3].end
        page.fill("input[name=clip-start]", page.evaluate(LOCAL_TIME, start.isoformat()))
        page.fill("input[name=clip-end]", page.evaluate(LOCAL_TIME, end.isoformat()))
        page.get_by_role("button", name="Redacted export…").click()
        page.get_by_label("Faces").check()
        page.get_by_label("Reason for the export").fill("case 2026-114")
        page.get_by_role("button", name="Start redacted export").click()
        page.wait_for_url(re.compile(r".*/exports/\d+$"))
        status = page.get_by_test_id("export-status")
        expect(status).to_have_attribute("data-status", "review", timeout=JOB_MS)

        rows = page.locator("[data-track-id]")
        expect(rows.first).to_be_visible()
        kept = int(rows.first.get_attribute("data-track-id"))
        row = rows.first
        expect(row.get_by_test_id("track-strip").locator("img")).not_to_have_count(0)
        assert row.get_by_test_id("track-strip").locator("img").count() >= 2, "pictures across its span"
        expect(row.get_by_test_id("span-bar")).to_be_visible()
        page.get_by_label(f"Mask track {kept}", exact=True).uncheck()
        render = page.get_by_role("button", name="Render")
        expect(render).to_be_disabled()  # until the investigator says why the track stays visible
        expect(page.get_by_test_id("reasons-missing")).to_contain_text(str(kept))
        page.get_by_label(f"Why track {kept} stays visible").fill("the suspect")
        page.get_by_role("button", name="Play").first.click()
        expect(page.get_by_test_id("review-overlay")).not_to_have_attribute("data-boxes", "0", timeout=30_000)
        page.wait_for_function(SHOWN_SECONDS + " >= 1", timeout=30_000)
        page.get_by_role("button", name="Pause").click()
        page.get_by_role("button", name="Mask every frame from here").click()
        began = page.evaluate(SHOWN_SECONDS)
        for _ in range(5):
            page.get_by_role("button", name="One frame forward").click()
        page.wait_for_function(f"{SHOWN_SECONDS} > {began}")
        page.get_by_role("button", name=re.compile(r"until here")).click()
        expect(page.get_by_test_id("masked-range")).to_have_count(1)
        # A box dragged over a face on the paused frame, followed by the VMS through the clip.
        page.get_by_role("button", name="Add a box that follows").click()
        expect(page.get_by_test_id("review-overlay")).to_have_class(re.compile(r"\badding\b"))
        # Over the largest face box: small ones are distant faces and heads, a few pixels across.
        boxes = page.locator("svg rect.review-box:not(.review-manual)")
        face = max((boxes.nth(i).bounding_box() for i in range(boxes.count())), key=lambda b: b["width"] * b["height"])
        # A click draws no box, and says how to draw one.
        page.mouse.click(face["x"] + face["width"] / 2, face["y"] + face["height"] / 2)
        expect(page.get_by_test_id("drag-hint")).to_be_visible()
        expect(page.get_by_test_id("followed-box")).to_have_count(0)
        page.mouse.move(face["x"], face["y"])
        page.mouse.down()
        page.mouse.move(face["x"] + face["width"], face["y"] + face["height"], steps=5)
        page.mouse.up()
        expect(page.get_by_test_id("followed-box")).to_have_count(1, timeout=60_000)
        snap(page, "export-review-followed")
        snap(page, "export-review")
        render.click()
        expect(status).to_have_attribute("data-status", "done", timeout=JOB_MS)
        snap(page, "export-done")

        with page.expect_download() as download:
            page.get_by_role("link", name="Download video (MP4)").click()
        video = tmp_path / "export.mp4"
        download.value.save_as(video)
        with page.expect_download() as download:
            page.get_by_role("link", name="Manifest (signed JSON)").click()
        manifest = tmp_path / "export.manifest.json"
        download.value.save_as(manifest)
        key = tmp_path / "key.pem"
        key.write_text(page.request.get(base + "/api/v1/signing-key/").json()["public_key_pem"])

    assert problems(video, json.loads(manifest.read_text()), load_public_key(key)) == []
    export = Export.objects.get()
    assert export.kept_visible == [kept] and export.approved_by == investigator_user
    redaction = export.manifest["manifest"]["redaction"]
    assert redaction["tracks_kept"] == [kept]
    assert [(k["track"], k["kept_by"], k["reason"]) for k in redaction["kept"]] == [
        (kept, investigator_user.username, "the suspect")]
    [followed] = redaction["followed"]
    assert followed["boxes"] and any(abs(box["t"] - followed["drawn"]["t"]) < 0.05 for box in followed["boxes"])
    [masked_range] = redaction["masked_ranges"]
    assert 0 <= masked_range["start"] < masked_range["end"], masked_range
