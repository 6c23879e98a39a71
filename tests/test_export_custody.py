"""Who may drive an export and when: exports belong to their requester (case leads see all), footage is released
only by a finished or failed export, four eyes when asked for, a job claimed once however often it is delivered,
and a camera with exports is not deleted. Also what an export may ask to redact."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import timezone

from accounts.models import AuditAction, AuditEntry
from accounts.roles import INVESTIGATOR
from recordings.models import Segment
from redaction import services, tasks
from redaction.models import Export, ExportStatus, ExportTrack, ExportTrackPicture
from tests.conftest import client_for, grant, make_user
from tests.factories import record_run
from tests.test_video_segments import segments_from_clip
from video.pattern_clip import make_clip

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ten_seconds(tmp_path_factory) -> bytes:
    clip = make_clip(tmp_path_factory.mktemp("clip"), width=320, height=180, seconds=10, gop_seconds=1.0)
    return segments_from_clip(clip, tmp_path_factory.mktemp("cut"), seconds=10.0)[0].path.read_bytes()


@pytest.fixture
def footage(camera, investigator_user, ten_seconds):
    """A minute of footage: six 10 s segments with real video in their files."""
    grant(camera, user=investigator_user)
    segments = record_run(camera, START, 6)
    for segment in segments:
        segment.file.parent.mkdir(parents=True, exist_ok=True)
        segment.file.write_bytes(ten_seconds)
    return segments


@pytest.fixture
def colleague(camera):
    """A second investigator who sees the same camera."""
    user = make_user("ian-investigator", INVESTIGATOR)
    grant(camera, user=user)
    return user


def ask(client, camera, *, redact=("faces",)) -> dict:
    response = client.post("/api/v1/exports/", {
        "camera": camera.pk, "start": (START + timedelta(seconds=5)).isoformat(),
        "end": (START + timedelta(seconds=35)).isoformat(), "redact": list(redact), "reason": "case 2026-207"},
        format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def in_status(export_id: int, status: str) -> Export:
    Export.objects.filter(pk=export_id).update(status=status)
    return Export.objects.get(pk=export_id)


def test_another_investigator_cannot_see_or_drive_my_export(footage, camera, investigator_client, colleague):
    export = ask(investigator_client, camera)
    in_status(export["id"], ExportStatus.REVIEW)
    other = client_for(colleague)
    url = f"/api/v1/exports/{export['id']}/"
    assert other.get("/api/v1/exports/").json()["count"] == 0
    for method, path in [("get", ""), ("get", "tracks/"), ("post", "render/"), ("post", "approve/"),
                         ("get", "download/"), ("get", "manifest/"), ("post", "release/")]:
        response = getattr(other, method)(url + path, {}, format="json")
        assert response.status_code == 404, (path, response.status_code)
    assert other.get(f"/api/v1/exports/{export['id']}/tracks/1/thumbnail.jpg").status_code == 404
    assert Export.objects.get(pk=export["id"]).status == ExportStatus.REVIEW


def test_a_tracks_strip_and_following_a_box_are_the_owners_only_and_follow_only_in_review(
        footage, camera, investigator_client, colleague):
    export = ask(investigator_client, camera)
    review = in_status(export["id"], ExportStatus.REVIEW)
    boxes = [{"frame": i, "t": review.lead_seconds + i / 10, "x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1,
              "score": 0.9 if i % 2 == 0 else 0.0} for i in range(30, 41)]
    track = ExportTrack.objects.create(export=review, number=1, kind="face", first=3.0, last=4.0, thumbnail=b"",
                                       boxes={"boxes": boxes, "uncertain": [[36, 38]], "group": "small"})
    ExportTrackPicture.objects.create(track=track, frame=30, t=3.0, picture=b"\xff\xd8picture")
    [listed] = investigator_client.get(f"/api/v1/exports/{export['id']}/tracks/").json()
    assert listed["strip"] == [{"frame": 30, "t": 3.0, "url": f"/api/v1/exports/{export['id']}/tracks/1/strip/30.jpg"}]
    assert (listed["weak"], listed["uncertain"], listed["group"]) == ([], [[3.6, 3.8]], "small")
    strip = listed["strip"][0]["url"]
    follow = f"/api/v1/exports/{export['id']}/follow/"
    box = {"t": 2.0, "x": 0.3, "y": 0.3, "w": 0.2, "h": 0.2}
    assert investigator_client.get(strip).content == b"\xff\xd8picture"
    followed = investigator_client.post(follow, box, format="json")
    assert followed.status_code == 200 and followed.json()["drawn"] == box, followed.json()
    too_late = investigator_client.post(follow, {**box, "t": 3600.0}, format="json")
    assert too_late.status_code == 400 and "no frame near 3600.00 s" in too_late.json()["detail"]
    other = client_for(colleague)
    assert other.get(strip).status_code == 404
    assert other.post(follow, box, format="json").status_code == 404
    in_status(export["id"], ExportStatus.RENDERING)
    assert investigator_client.post(follow, box, format="json").status_code == 409


def test_a_case_lead_sees_and_works_on_everyones_exports(footage, camera, investigator_client, admin_client):
    export = ask(investigator_client, camera)
    in_status(export["id"], ExportStatus.REVIEW)
    assert [e["id"] for e in admin_client.get("/api/v1/exports/").json()["results"]] == [export["id"]]
    response = admin_client.post(f"/api/v1/exports/{export['id']}/render/", {"keep_visible": []}, format="json")
    assert response.status_code == 202 and response.json()["approved_by"] == "alice-admin"


@pytest.mark.parametrize("status", [ExportStatus.DETECTING, ExportStatus.REVIEW, ExportStatus.APPROVAL,
                                    ExportStatus.RENDERING])
def test_footage_of_an_export_in_the_works_is_not_released(footage, camera, investigator_client, status):
    export = ask(investigator_client, camera)
    in_status(export["id"], status)
    response = investigator_client.post(f"/api/v1/exports/{export['id']}/release/")
    assert response.status_code == 409 and "done or failed" in response.json()["detail"]
    assert all(s.locked for s in Segment.objects.filter(exports=export["id"]))


@pytest.mark.parametrize("status", [ExportStatus.DONE, ExportStatus.FAILED])
def test_a_finished_or_failed_export_releases_its_footage(footage, camera, investigator_client, status):
    export = ask(investigator_client, camera)
    in_status(export["id"], status)
    response = investigator_client.post(f"/api/v1/exports/{export['id']}/release/")
    assert response.status_code == 200 and response.json()["source_locked"] is False
    assert not any(s.locked for s in Segment.objects.filter(exports=export["id"]))


def test_four_eyes_someone_else_approves_before_rendering(footage, camera, investigator_client, admin_client,
                                                           settings):
    settings.EXPORT_APPROVAL = "other"
    export = ask(investigator_client, camera)
    url = f"/api/v1/exports/{export['id']}/"
    in_status(export["id"], ExportStatus.REVIEW)
    response = investigator_client.post(url + "render/", {"keep_visible": []}, format="json")
    assert response.status_code == 202 and response.json()["status"] == "approval"
    assert response.json()["approved_by"] is None
    refused = investigator_client.post(url + "approve/")
    assert refused.status_code == 403 and "other than the requester" in refused.json()["detail"]
    assert Export.objects.get(pk=export["id"]).status == ExportStatus.APPROVAL

    approved = admin_client.post(url + "approve/")
    assert approved.status_code == 202 and approved.json()["status"] == "rendering"
    assert approved.json()["requested_by"] == "ivy-investigator" and approved.json()["approved_by"] == "alice-admin"
    assert admin_client.post(url + "approve/").status_code == 409  # once
    manifest = services.manifest_of(Export.objects.get(pk=export["id"]), [])
    assert (manifest["requested_by"], manifest["approved_by"], manifest["approval"]) == (
        "ivy-investigator", "alice-admin", "other")
    entry = AuditEntry.objects.get(action=AuditAction.EXPORT_APPROVED)
    assert entry.user.username == "alice-admin" and entry.detail["requested_by"] == "ivy-investigator"


def test_four_eyes_apply_to_exports_without_redaction(footage, camera, investigator_client, settings):
    settings.EXPORT_APPROVAL = "other"
    export = ask(investigator_client, camera, redact=())
    assert export["status"] == "approval" and export["approved_by"] is None


def test_by_default_the_requester_approves_by_rendering(footage, camera, investigator_client):
    export = ask(investigator_client, camera, redact=())
    assert export["status"] == "rendering" and export["approved_by"] == "ivy-investigator"


def claimed_by(export_id: int, worker: str, *, seconds_ago: float = 0.0) -> Export:
    Export.objects.filter(pk=export_id).update(
        status=ExportStatus.RENDERING, worker=worker, attempts=1,
        heartbeat=timezone.now() - timedelta(seconds=seconds_ago))
    return Export.objects.get(pk=export_id)


def test_a_job_delivered_again_while_it_runs_does_nothing(footage, camera, investigator_client):
    export = ask(investigator_client, camera)
    claimed_by(export["id"], "node-a:100:first")
    tasks.render(export["id"])  # the broker's redelivery, while node-a still renders
    export = Export.objects.get(pk=export["id"])
    assert (export.status, export.worker, export.attempts) == (ExportStatus.RENDERING, "node-a:100:first", 1)


def test_a_job_whose_worker_went_silent_is_taken_over(footage, camera, investigator_client):
    export = ask(investigator_client, camera)
    claimed_by(export["id"], "node-a:100:dead", seconds_ago=django_settings.EXPORT_STALE_SECONDS + 1)
    taken = services.claim(export["id"], ExportStatus.RENDERING, "node-b:200:next")
    assert taken is not None and taken.worker == "node-b:200:next" and taken.attempts == 2
    # The silent worker wakes up: its progress and its result are refused.
    stale = Export.objects.get(pk=export["id"])
    stale.worker = "node-a:100:dead"
    assert not services.still_claimed(stale)
    with pytest.raises(services.ClaimLost):
        services._report(stale, claimed=True, status=ExportStatus.DONE)
    assert Export.objects.get(pk=export["id"]).status == ExportStatus.RENDERING


def test_a_job_interrupted_too_often_fails_with_a_reason(footage, camera, investigator_client, settings):
    export = ask(investigator_client, camera)
    Export.objects.filter(pk=export["id"]).update(status=ExportStatus.RENDERING, worker="node-a:1:x",
                                                  attempts=settings.EXPORT_MAX_ATTEMPTS, heartbeat=START)
    assert services.claim(export["id"], ExportStatus.RENDERING, "node-b:2:y") is None
    export = Export.objects.get(pk=export["id"])
    assert export.status == ExportStatus.FAILED and "interrupted" in export.error


def test_stalled_jobs_are_sent_again(footage, camera, investigator_client):
    queue = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    queue.delete("redaction")
    lost = ask(investigator_client, camera)
    running = ask(investigator_client, camera)
    Export.objects.filter(pk=lost["id"]).update(heartbeat=START)  # its message was lost with a restarted Redis
    claimed_by(running["id"], "node-a:1:alive")
    assert services.resume_stalled() == 1
    messages = [json.loads(raw) for raw in queue.lrange("redaction", 0, -1)]
    sent = [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages]
    assert ("redaction.tasks.detect", f"[{lost['id']}]") in sent
    assert all(f"[{running['id']}]" != args for _task, args in sent)
    assert services.resume_stalled() == 0, "sent once per silent period"


def test_a_job_whose_worker_was_killed_is_sent_again_and_claimed(footage, camera, investigator_client):
    export = ask(investigator_client, camera)
    claimed_by(export["id"], "node-a:100:killed", seconds_ago=django_settings.EXPORT_STALE_SECONDS + 1)
    assert services.resume_stalled() == 1
    taken = services.claim(export["id"], ExportStatus.RENDERING, "node-b:200:next")
    assert taken is not None and taken.worker == "node-b:200:next"


def test_a_camera_with_exports_is_not_deleted(footage, camera, investigator_client, admin_client):
    export = ask(investigator_client, camera)
    response = admin_client.delete(f"/api/v1/cameras/{camera.pk}/")
    assert response.status_code == 409, response.content
    problem = response.json()
    assert problem["errors"]["exports"] == [export["id"]] and str(export["id"]) in problem["detail"]
    assert camera.__class__.objects.filter(pk=camera.pk).exists()


def test_deleting_a_camera_removes_its_unmasked_footage_too(camera, admin_client, recordings_root,
                                                            django_capture_on_commit_callbacks):
    for folder in (f"{camera.pk}", f"{camera.pk}-unmasked"):
        (recordings_root / folder / "2026-11-30").mkdir(parents=True)
        (recordings_root / folder / "2026-11-30" / "090000.000000.mp4").write_bytes(b"\0")
    with django_capture_on_commit_callbacks(execute=True):
        assert admin_client.delete(f"/api/v1/cameras/{camera.pk}/").status_code == 204
    assert not (recordings_root / str(camera.pk)).exists()
    assert not (recordings_root / f"{camera.pk}-unmasked").exists()


def test_an_export_of_footage_missing_from_disk_is_refused_in_words(footage, camera, investigator_client):
    footage[1].file.unlink()
    response = investigator_client.post("/api/v1/exports/", {
        "camera": camera.pk, "start": START.isoformat(), "end": (START + timedelta(seconds=30)).isoformat(),
        "reason": "case 2026-208"}, format="json")
    assert response.status_code == 404 and "missing from where the recordings are kept" in response.json()["detail"]
    assert not Export.objects.exists()


def test_an_export_may_ask_for_licence_plates_and_text_and_gets_them_for_review(footage, camera,
                                                                                investigator_client):
    export = ask(investigator_client, camera, redact=("text",))
    assert export["redact"] == ["text"]
    tasks.detect(export["id"])  # what the Celery worker runs
    url = f"/api/v1/exports/{export['id']}/"
    assert investigator_client.get(url).json()["status"] == "review"
    # The test pattern prints its frame number at the bottom left of every frame: one line of text, always there.
    tracks = investigator_client.get(url + "tracks/").json()
    assert [(t["kind"], t["masked"]) for t in tracks] == [("text", True)]
    boxes = tracks[0]["boxes"]
    assert len(boxes) >= 30 * 25 * 0.95 and all(b["x"] < 0.2 and b["y"] > 0.6 for b in boxes)
