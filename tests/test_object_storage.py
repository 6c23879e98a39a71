"""Footage kept on a real S3 server (Ceph's RADOS Gateway): the recorder uploads each finished segment and indexes it
once the object is whole; playback, clips and exports read it back through the authenticated API; an outage of the
store holds the segments on the recorder's disk without losing any; retention and camera deletion remove objects."""

from __future__ import annotations

import hashlib
import subprocess
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AuditAction, AuditEntry
from devices.models import Camera
from recordings.models import Segment
from recordings.recorder import Recorder
from recordings.retention import apply_retention
from recordings.segment_files import segment_path
from redaction import tasks
from redaction.models import Export
from storage import ChecksumMismatch
from storage.configured import exports_store, recordings_store
from tests.conftest import api_key_for, client_for, grant
from tests.factories import record_run
from tests.recording_checks import assert_contiguous, assert_no_time_twice, ffprobe, running, wait_for
from tests.standins.rtsp_servers import GstCamera
from tests.test_failover import FAST_FAILOVER, Cluster, segments_of, segments_since
from tests.test_video_segments import segments_from_clip
from tests.web_server import server_env, web_server
from video.pattern_clip import make_clip

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]


def object_key(segment: Segment) -> str:
    return f"site/recordings/{segment.path}"


def local_files(camera: Camera) -> list[Path]:
    return sorted((django_settings.RECORDINGS_ROOT / str(camera.pk)).glob("*/*.mp4"))


def assert_stored_whole(bucket, segments: list[Segment]) -> None:
    """Each indexed segment is an object of the bucket whose SHA-256 and size are the index's."""
    for segment in segments:
        data = bucket.read(object_key(segment))
        assert (len(data), hashlib.sha256(data).hexdigest()) == (segment.size, segment.sha256), segment.path


def test_the_recorder_uploads_each_segment_and_indexes_it_once_whole(s3_recordings, fast_recorder):
    with GstCamera("/yard", width=640, height=360) as yard:
        camera = Camera.objects.create(name="Yard", main_url=yard.url)
        with running(Recorder(tick_seconds=0.5)):
            wait_for(lambda: Segment.objects.filter(camera=camera).count() >= 4, 60, "four segments indexed")
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    assert_stored_whole(s3_recordings, segments)
    assert_contiguous(segments)
    assert set(s3_recordings.keys()) == {object_key(s) for s in segments}, "an object the index does not know"
    # The recorder's own copies go once indexed: the bucket holds the footage, not the recorder's disk.
    assert local_files(camera) == []
    assert all(s.file is None for s in segments)
    camera.refresh_from_db()
    assert camera.storage_error == ""


def test_an_outage_of_the_store_keeps_recording_on_disk_and_loses_nothing(
        s3_recordings, object_store, fast_recorder, admin_client):
    with GstCamera("/gate", width=640, height=360) as gate:
        camera = Camera.objects.create(name="Gate", main_url=gate.url)
        with running(Recorder(tick_seconds=0.5)):
            wait_for(lambda: Segment.objects.filter(camera=camera).count() >= 2, 60, "two segments indexed")
            object_store.stop_gateway()
            try:
                wait_for(lambda: Camera.objects.get(pk=camera.pk).storage_error, 60, "the outage in the status")
                indexed = Segment.objects.filter(camera=camera).count()
                wait_for(lambda: len(local_files(camera)) >= 3, 60, "three segments kept on the recorder's disk")
                status = admin_client.get(f"/api/v1/cameras/{camera.pk}/").json()["live_status"]
                assert status["state"] == "online", "recording stopped with the store"
                assert "kept on the recorder's disk" in status["storage_error"]
                health = admin_client.get("/api/v1/health/")
                assert health.status_code == 503 and not health.json()["storage"]["ok"]
                assert health.json()["storage"]["waiting"][0]["name"] == "Gate"
                assert Segment.objects.filter(camera=camera).count() == indexed, "indexed before it was stored"
            finally:
                object_store.start_gateway()
            waited = len(local_files(camera))
            wait_for(lambda: Segment.objects.filter(camera=camera).count() >= indexed + waited, 120,
                     "the segments that waited indexed")
            wait_for(lambda: Camera.objects.get(pk=camera.pk).storage_error == "", 60, "the status cleared")
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    assert_contiguous(segments)  # no footage lost across the outage
    assert_stored_whole(s3_recordings, segments)
    location = f"s3://{s3_recordings.name}/site/recordings at {object_store.endpoint}"
    assert admin_client.get("/api/v1/health/").json()["storage"] == {
        "ok": True, "location": location, "waiting": [],
        # A bucket has no free space to go by: how long it lasts is unknown.
        "tiers": [{"tier": "hot", "location": location, "ok": True, "error": "",
                   "used_bytes": sum(s.size for s in segments), "free_bytes": None, "days_left": None}]}


def test_segments_a_killed_recorder_left_on_its_disk_are_uploaded_and_indexed_on_the_next_start(
        s3_recordings, fast_recorder, tmp_path):
    camera = Camera.objects.create(name="Dock", main_url="rtsp://127.0.0.1:9/gone", enabled=True)
    clip = make_clip(tmp_path / "clip", width=320, height=180, seconds=6, gop_seconds=1.0)
    left = segments_from_clip(clip, tmp_path / "cut", seconds=2.0)
    for segment in left:
        local = segment_path(camera.pk, segment.start)
        local.parent.mkdir(parents=True, exist_ok=True)
        segment.path.rename(local)
    with running(Recorder(tick_seconds=0.5)):
        wait_for(lambda: Segment.objects.filter(camera=camera).count() == len(left), 60, "the segments indexed")
        wait_for(lambda: not local_files(camera), 30, "the recorder's copies removed")
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    assert [s.sha256 for s in segments] == [s.sha256 for s in left]
    assert_stored_whole(s3_recordings, segments)


def test_the_segment_a_dead_host_was_writing_is_rescued_from_the_store_by_the_recorder_that_takes_its_camera(
        s3_recordings, tmp_path):
    """Two recorder hosts (each its own disk) and one bucket: the one recording the camera is killed mid-segment.
    The other takes the camera, and first indexes the segment the dead one was writing from the pieces of it the dead
    one had put into the bucket (the dead host's disk is out of its reach): the footage goes on to about a second
    before the kill, not only to the end of the last finished segment."""
    # 6 s segments: time for three pieces of one (pieces go up every second; a fragment is complete at each keyframe).
    cluster = Cluster(server_env(tmp_path / "host-a", **{**FAST_FAILOVER, "VMS_SEGMENT_SECONDS": "6"},
                                 **s3_recordings.env), tmp_path, tmp_path / "host-a")
    try:
        with GstCamera("/quay", width=640, height=360) as quay:
            camera = Camera.objects.create(name="Quay", main_url=quay.url)
            first = cluster.start()
            wait_for(lambda: len(segments_of(camera)) >= 2, 60, "two segments from the first host")
            pieces = f"site/recordings/{camera.pk}/open/"
            wait_for(lambda: len({k.rsplit("/", 1)[0] for k in s3_recordings.keys(pieces)}) == 1
                     and len(s3_recordings.keys(pieces)) >= 3, 30, "three pieces of the segment being written",
                     every=0.1)
            cluster.kill(first)
            killed_at = timezone.now()
            cluster.start(VMS_MEDIA_ROOT=str(tmp_path / "host-b"))
            wait_for(lambda: segments_since(camera, killed_at), 60, "a segment from the other host")
    finally:
        cluster.stop_all()
    segments = segments_of(camera)
    # The open segment, and those the dead host had finished but not yet uploaded (a slow store), if any.
    rescued = [i for i, s in enumerate(segments) if s.path.endswith(".rescued.mp4")]
    assert rescued, [s.path for s in segments]
    before, first = segments[rescued[0] - 1], segments[rescued[0]]
    assert abs((first.start - before.end).total_seconds()) < 0.2, "the rescued footage goes on from the last segment"
    assert all(segments[i].start < killed_at and segments[i].duration > 0 for i in rescued)
    assert_no_time_twice(segments)
    assert_stored_whole(s3_recordings, segments)
    pieces_of_indexed = {f"site/recordings/{camera.pk}/open/{s.path.split('/', 1)[1].replace('.rescued', '')}/"
                         for s in segments}
    left = [key for key in s3_recordings.keys() if key.rsplit("/", 1)[0] + "/" in pieces_of_indexed]
    assert left == [], "the pieces of a segment go once it is indexed"


@pytest.fixture
def stored_footage(s3_recordings, fast_recorder, investigator_user):
    """About ten seconds of a live camera recorded into the bucket, granted to the investigator."""
    with GstCamera("/hall", width=640, height=360) as hall:
        camera = Camera.objects.create(name="Hall", main_url=hall.url)
        with running(Recorder(tick_seconds=0.5)):
            wait_for(lambda: Segment.objects.filter(camera=camera).count() >= 5, 60, "five segments")
    grant(camera, user=investigator_user)
    assert local_files(camera) == []
    return camera


def test_playback_and_clips_are_served_from_the_bucket_to_logged_in_users_only(
        stored_footage, s3_recordings, investigator_user, tmp_path):
    camera = stored_footage
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    client = client_for(investigator_user)
    span = {"start": (segments[1].start + timedelta(seconds=0.5)).isoformat(), "end": segments[3].end.isoformat()}
    playlist = client.get(f"/api/v1/cameras/{camera.pk}/playlist.m3u8", span).content.decode().splitlines()
    init_url = next(line for line in playlist if line.startswith("#EXT-X-MAP:")).split('"')[1]
    media_url = next(line for line in playlist if line.startswith("/api/v1/segments/"))
    init, media = client.get(init_url), client.get(media_url)
    assert init.status_code == media.status_code == 200
    assert init.content + media.content == s3_recordings.read(object_key(segments[1]))
    assert AuditEntry.objects.filter(action=AuditAction.PLAYBACK, camera=camera).count() == 1

    start, end = segments[1].start + timedelta(seconds=0.7), segments[3].start + timedelta(seconds=1.0)
    query = f"start={start.isoformat()}&end={end.isoformat()}".replace("+", "%2B")
    with web_server(django_settings.RECORDINGS_ROOT.parent, **s3_recordings.env) as base:
        for url in (f"{base}/api/v1/cameras/{camera.pk}/clip/?{query}", f"{base}{media_url}"):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url, timeout=30)  # noqa: S310  (the test's own server)
            assert refused.value.code in (401, 403)
        clip = tmp_path / "clip.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-headers", f"Authorization: Token {api_key_for(investigator_user)}"
                        "\r\n", "-i", f"{base}/api/v1/cameras/{camera.pk}/clip/?{query}", "-c", "copy", "-y",
                        str(clip)], check=True, timeout=60)
    wanted = (end - start).total_seconds()
    assert wanted <= float(ffprobe(clip)["format"]["duration"]) <= wanted + 2.1
    assert AuditEntry.objects.filter(action=AuditAction.CLIP_DOWNLOAD, camera=camera).count() == 1


def test_an_export_is_made_from_the_bucket_kept_in_it_and_downloaded_through_the_api(
        stored_footage, s3_recordings, investigator_client, settings, tmp_path):
    settings.SIGNING_KEY_FILE = tmp_path / "signing_key.pem"
    settings.EXPORTS_ROOT = tmp_path / "exports"
    camera = stored_footage
    segments = list(Segment.objects.filter(camera=camera).order_by("start"))
    export = investigator_client.post("/api/v1/exports/", {
        "camera": camera.pk, "start": (segments[1].start + timedelta(seconds=0.5)).isoformat(),
        "end": segments[3].end.isoformat(), "reason": "copy for the police"}, format="json").json()
    tasks.render(export["id"])
    done = Export.objects.get(pk=export["id"])
    assert done.status == "done", done.error
    stored = s3_recordings.read(f"site/exports/{done.file}")
    assert hashlib.sha256(stored).hexdigest() == done.sha256 == done.manifest["manifest"]["output"]["sha256"]
    assert not list(settings.EXPORTS_ROOT.glob("*")), "the rendered file stayed on the worker's disk"
    download = investigator_client.get(f"/api/v1/exports/{done.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == stored
    assert int(download["Content-Length"]) == len(stored)
    assert APIClient().get(f"/api/v1/exports/{done.pk}/download/").status_code in (401, 403)
    assert AuditEntry.objects.filter(action=AuditAction.EXPORT_DOWNLOADED, camera=camera).count() == 1


def test_retention_and_camera_deletion_remove_the_objects(s3_recordings, camera, admin_client, tmp_path):
    now = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    camera.retention_days = 7
    camera.save()
    old = record_run(camera, now - timedelta(days=9), 2)
    recent = record_run(camera, now - timedelta(days=6), 2)
    body = tmp_path / "segment.mp4"
    body.write_bytes(b"\0" * 1000)
    digest = hashlib.sha256(body.read_bytes()).hexdigest()
    for segment in old + recent:
        recordings_store().put(segment.path, body, digest)
    assert apply_retention(now).deleted == 2
    assert s3_recordings.keys() == sorted(object_key(s) for s in recent)
    assert admin_client.delete(f"/api/v1/cameras/{camera.pk}/").status_code == 204
    assert s3_recordings.keys() == []


def test_retention_waits_while_the_store_is_down(s3_recordings, object_store, camera):
    camera.retention_days = 7
    camera.save()
    record_run(camera, datetime(2026, 1, 1, tzinfo=UTC), 2)
    object_store.stop_gateway()
    try:
        assert apply_retention().deleted == 0
    finally:
        object_store.start_gateway()
    assert Segment.objects.filter(camera=camera).count() == 2, "rows deleted whose objects could not be"
    assert apply_retention().deleted == 2


def test_an_upload_the_store_holds_altered_is_refused_and_not_kept(s3_recordings, tmp_path):
    body = tmp_path / "segment.mp4"
    body.write_bytes(b"recorded bytes")
    store = recordings_store()
    with pytest.raises(ChecksumMismatch):
        store.put("9/2026-01-01/000000.000000.mp4", body, hashlib.sha256(b"other bytes").hexdigest())
    assert s3_recordings.keys() == []
    store.put("9/2026-01-01/000000.000000.mp4", body, hashlib.sha256(b"recorded bytes").hexdigest())
    assert store.read("9/2026-01-01/000000.000000.mp4", 9, 3) == b"byt"
    assert store.read("9/2026-01-01/000000.000000.mp4", 9) == b"bytes"
    with store.open("9/2026-01-01/000000.000000.mp4") as file:
        file.seek(-5, 2)
        assert file.read() == b"bytes"
    assert exports_store().location.endswith("/site/exports at " + s3_recordings.setting["endpoint"])
