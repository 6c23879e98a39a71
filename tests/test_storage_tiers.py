"""Storage tiers: real footage moves from the hot tier to the cold one by age and past the hot disk's high-water mark,
oldest first, checked whole; playback and clips cross the boundary; retention deletes in both tiers and never a
locked segment; a mover killed mid-move loses nothing; a cold object store that stops answering leaves recording on
the hot tier with a warning in words, and the moves catch up when it returns."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import av
import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone
from playwright.sync_api import expect

from devices.models import Camera
from recordings.choices import Tier
from recordings.models import Segment, StorageOutage, TierMove
from recordings.mover import MOVER_LOCK, move_to_cold
from recordings.recorder import Recorder
from recordings.retention import apply_retention
from recordings.segment_files import segment_path
from recordings.services import index_segments
from recordings.tiers import hot_used_percent, read_segment, tier_usage
from storage.configured import cold_store, recordings_store
from tests.browser import chromium_page, log_in
from tests.conftest import PASSWORD, api_key_for
from tests.factories import record_run
from tests.recording_checks import assert_contiguous, ffprobe, running, wait_for
from tests.standins.rtsp_servers import GstCamera
from tests.test_video_segments import T0, segments_from_clip
from tests.web_server import ROOT, server_env, web_server
from video.pattern_clip import make_clip

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def cold_folder(settings, tmp_path) -> Path:
    """A second folder as the cold tier, as VMS_COLD_STORAGE_URL=file:///... would say."""
    settings.COLD_STORAGE = {"backend": "filesystem", "root": tmp_path / "cold"}
    return tmp_path / "cold" / "recordings"


@pytest.fixture(scope="module")
def footage_clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("tier-clips"), width=640, height=360, seconds=12, gop_seconds=1.0)


def record_footage(camera: Camera, clip: Path, work: Path, unmasked: bool = False) -> list[Segment]:
    """The clip as the recorder leaves it: 2 s segments in the hot tier (the recordings folder), indexed; as the
    camera's unmasked copy when `unmasked`."""
    rows = []
    for recorded in segments_from_clip(clip, work, seconds=2.0):
        local = segment_path(camera.pk, recorded.start, unmasked)
        local.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(recorded.path, local)
        rows.append(Segment(camera=camera, start=recorded.start, end=recorded.end, duration=recorded.duration,
                            size=recorded.size, sha256=recorded.sha256, init_size=recorded.init_size,
                            unmasked=unmasked, path=str(local.relative_to(django_settings.RECORDINGS_ROOT))))
    index_segments(rows)
    return list(Segment.objects.filter(camera=camera, unmasked=unmasked).order_by("start"))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_in_its_tier_only(segments: list[Segment]) -> None:
    """Each segment's bytes are whole in the tier its row names, and absent from the other."""
    hot, cold = recordings_store(), cold_store()
    for segment in segments:
        segment.refresh_from_db()
        here, other = (hot, cold) if segment.tier == Tier.HOT else (cold, hot)
        assert sha256_of(here.read(segment.path)) == segment.sha256, segment.path
        assert not other.exists(segment.path), f"{segment.path} left in the other tier"


def tiers_of(segments: list[Segment]) -> list[str]:
    return list(Segment.objects.filter(pk__in=[s.pk for s in segments]).order_by("start")
                .values_list("tier", flat=True))


def test_footage_older_than_its_camera_hours_moves_checked_and_the_timeline_stays(
        camera, cold_folder, footage_clip, tmp_path, admin_client):
    camera.cold_after_hours = 1
    camera.save()
    segments = record_footage(camera, footage_clip, tmp_path / "cut")
    span = {"start": T0.isoformat(), "end": (T0 + timedelta(minutes=1)).isoformat()}
    timeline = admin_client.get(f"/api/v1/cameras/{camera.pk}/timeline/", span).json()
    # An hour after the third segment ended: the first three are old enough, the others not yet.
    report = move_to_cold(now=segments[2].end + timedelta(hours=1, seconds=0.1))
    assert report.moved == 3 and report.moved_bytes == sum(s.size for s in segments[:3])
    assert tiers_of(segments) == [Tier.COLD] * 3 + [Tier.HOT] * (len(segments) - 3)
    assert_in_its_tier_only(segments)
    assert all((cold_folder / s.path).is_file() for s in segments[:3])
    assert not TierMove.objects.exists()
    assert admin_client.get(f"/api/v1/cameras/{camera.pk}/timeline/", span).json() == timeline
    assert move_to_cold(now=segments[2].end + timedelta(hours=1, seconds=0.1)).moved == 0


def test_playback_and_clips_cross_the_boundary_without_a_seam(camera, cold_folder, footage_clip, tmp_path,
                                                               admin_user, settings):
    camera.cold_after_hours = 1
    camera.save()
    segments = record_footage(camera, footage_clip, tmp_path / "cut")
    move_to_cold(now=segments[2].end + timedelta(hours=1, seconds=0.1))
    assert tiers_of(segments)[2:4] == [Tier.COLD, Tier.HOT]
    start, end = segments[1].start + timedelta(seconds=0.5), segments[4].end
    header = f"Authorization: Token {api_key_for(admin_user)}\r\n"
    query = f"start={start.isoformat()}&end={end.isoformat()}".replace("+", "%2B")
    copies = {}
    with web_server(settings.RECORDINGS_ROOT.parent, VMS_COLD_STORAGE_URL=f"file://{cold_folder.parent}") as base:
        for name, url in (("clip", f"{base}/api/v1/cameras/{camera.pk}/clip/?{query}"),
                          ("hls", f"{base}/api/v1/cameras/{camera.pk}/playlist.m3u8?{query}")):
            copies[name] = tmp_path / f"{name}.mp4"
            subprocess.run(["ffmpeg", "-v", "error", "-headers", header, "-i", url, "-c", "copy", "-y",
                            str(copies[name])], check=True, timeout=60)
    for name, copy in copies.items():
        with av.open(str(copy)) as container:
            stream = container.streams.video[0]
            frames = [frame.pts for frame in container.decode(stream)]
        seconds = len(frames) / float(stream.average_rate)
        # Segments 1 to 4 (8 s, two of them cold), cut at keyframes for the clip: every frame decodes, in order.
        assert seconds >= (end - start).total_seconds() - 0.1, (name, seconds)
        assert frames == sorted(frames), name
        assert float(ffprobe(copy)["format"]["duration"]) >= seconds - 0.1


def test_the_unmasked_copy_moves_with_the_footage_and_plays_from_cold(
        camera, cold_folder, footage_clip, tmp_path):
    camera.cold_after_hours = 1
    camera.save()
    masked = record_footage(camera, footage_clip, tmp_path / "masked")
    unmasked = record_footage(camera, footage_clip, tmp_path / "unmasked", unmasked=True)
    stale = Segment.objects.get(pk=unmasked[0].pk)
    assert move_to_cold(now=masked[-1].end + timedelta(hours=2)).moved == len(masked) + len(unmasked)
    assert_in_its_tier_only(masked + unmasked)
    assert all(s.path.split("/")[0] != str(camera.pk) for s in unmasked)  # kept apart in cold too
    # A row read before the move (it still says hot) is read from cold: a reader that raced the move.
    assert stale.tier == Tier.HOT
    assert sha256_of(read_segment(stale)) == stale.sha256


def test_past_the_high_water_mark_the_oldest_footage_moves_until_the_disk_is_below_it(
        camera, cold_folder, footage_clip, small_disk, tmp_path, settings):
    settings.RECORDINGS_ROOT = small_disk
    segments = record_footage(camera, footage_clip, tmp_path / "cut")
    full = hot_used_percent()
    # A mark that the two oldest segments' bytes bring the disk under (the cameras have no hours: only the mark).
    settings.HOT_HIGH_WATER_PERCENT = full - 100 * (segments[0].size + segments[1].size / 2) / (3 * 2**20)
    report = move_to_cold()
    assert tiers_of(segments) == [Tier.COLD] * 2 + [Tier.HOT] * (len(segments) - 2)
    assert report.moved == 2
    assert hot_used_percent() <= settings.HOT_HIGH_WATER_PERCENT
    assert_in_its_tier_only(segments)


def test_retention_deletes_in_both_tiers_but_never_a_locked_segment(camera, cold_folder, footage_clip, tmp_path):
    camera.cold_after_hours = 1
    camera.save()
    segments = record_footage(camera, footage_clip, tmp_path / "cut")
    move_to_cold(now=segments[2].end + timedelta(hours=1, seconds=0.1))
    locked = [segments[1], segments[4]]  # one in each tier
    Segment.objects.filter(pk__in=[s.pk for s in locked]).update(locked=True)
    camera.retention_days = 1
    camera.save()
    report = apply_retention(now=segments[4].end + timedelta(days=1, seconds=0.1))
    assert report.deleted == 3  # 0 and 2 (cold), 3 (hot); 5 is younger than a day
    kept = list(Segment.objects.filter(camera=camera).order_by("start"))
    assert kept == [segments[1], segments[4], segments[5]]
    assert tiers_of(kept) == [Tier.COLD, Tier.HOT, Tier.HOT]
    assert_in_its_tier_only(kept)
    for gone in (segments[0], segments[2], segments[3]):
        assert not recordings_store().exists(gone.path) and not cold_store().exists(gone.path)
    # A locked segment moves too: the lock keeps it from deletion, wherever it is.
    move_to_cold(now=segments[5].end + timedelta(hours=1, seconds=0.1))
    assert tiers_of(kept) == [Tier.COLD] * 3
    assert_in_its_tier_only(kept)


def test_moves_cut_short_are_finished_by_the_next_pass(camera, cold_folder, footage_clip, tmp_path):
    """What a mover killed between the copy and the switch leaves (the copy in cold, the row hot), and one killed
    between the switch and the deletion (the row cold, the hot copy still there): the next pass removes the copy the
    row does not name."""
    segments = record_footage(camera, footage_clip, tmp_path / "cut")
    copied, switched = segments[0], segments[1]
    for segment in (copied, switched):
        TierMove.objects.create(path=segment.path)
        cold_store().put(segment.path, segment.file, segment.sha256)
    Segment.objects.filter(pk=switched.pk).update(tier=Tier.COLD)
    move_to_cold()  # no hours, below the mark: it only finishes what was cut short
    assert not TierMove.objects.exists()
    assert tiers_of([copied, switched]) == [Tier.HOT, Tier.COLD]
    assert_in_its_tier_only(segments)


def test_each_tier_shows_its_footage_free_space_and_days_left(camera, cold_folder, admin_client):
    now = timezone.now()
    assert [tier["days_left"] for tier in tier_usage(now)] == [None, None]  # nothing recorded: no rate to go by
    segments = record_run(camera, now - timedelta(hours=12), 10, size=1_000_000)
    Segment.objects.filter(pk__in=[s.pk for s in segments[:4]]).update(tier=Tier.COLD)
    rate = 10_000_000 / (12 * 3600) * 86400  # ten megabytes in the last twelve hours
    hot, cold = tier_usage(now)
    assert (hot["tier"], hot["location"], hot["used_bytes"], hot["ok"]) == (
        "hot", str(django_settings.RECORDINGS_ROOT), 6_000_000, True)
    assert (cold["tier"], cold["location"], cold["used_bytes"], cold["ok"]) == ("cold", str(cold_folder), 4_000_000,
                                                                                 True)
    for tier in (hot, cold):
        assert tier["days_left"] == round(tier["free_bytes"] / rate, 1)
    assert [tier["tier"] for tier in admin_client.get("/api/v1/health/").json()["storage"]["tiers"]] == ["hot", "cold"]


def test_with_one_tier_the_health_page_shows_only_it(admin_client):
    tiers = admin_client.get("/api/v1/health/").json()["storage"]["tiers"]
    assert [(tier["tier"], tier["used_bytes"]) for tier in tiers] == [("hot", 0)]


MOVE_IN_A_CHILD = """
import django; django.setup()
from recordings.mover import MOVER_LOCK, move_to_cold
move_to_cold()
"""


def test_a_mover_killed_between_copy_and_switch_loses_nothing(camera, cold_folder, footage_clip, tmp_path,
                                                                settings):
    """A real mover process, killed (SIGKILL) after it copied a segment and while it waits to switch the row (an
    export holds the row); its database session dies with it. The footage plays from hot meanwhile, and the next
    pass leaves every segment whole in exactly the tier its row names, no copy left over."""
    camera.cold_after_hours = 1
    camera.save()
    segments = record_footage(camera, footage_clip, tmp_path / "cut")
    held = segments[2]
    env = server_env(settings.RECORDINGS_ROOT.parent, VMS_COLD_STORAGE_URL=f"file://{cold_folder.parent}",
                     DJANGO_SETTINGS_MODULE="vms.settings")
    with transaction.atomic():
        Segment.objects.select_for_update().get(pk=held.pk)
        child = subprocess.Popen([sys.executable, "-c", MOVE_IN_A_CHILD], cwd=ROOT, env=env)
        try:
            wait_for(lambda: child.poll() is not None or waits_for_a_lock(), 60, "the child mover to wait on the row")
            assert TierMove.objects.filter(path=held.path).exists() and cold_store().exists(held.path)
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_terminate_backend(pid) FROM ({WAITING_ON_US}) AS waiting")
    # Its session ends a moment later, and only then lets go of the mover's lock (the next pass would skip).
    wait_for(lambda: not mover_lock_held(), 30, "the killed mover's session to end")
    assert tiers_of(segments) == [Tier.COLD] * 2 + [Tier.HOT] * (len(segments) - 2)
    # A pass that does not move the held segment (not old enough by then) removes its copy the kill left in cold.
    move_to_cold(now=segments[1].end + timedelta(hours=1, seconds=0.1))
    assert tiers_of(segments) == [Tier.COLD] * 2 + [Tier.HOT] * (len(segments) - 2)
    assert_in_its_tier_only(segments)
    move_to_cold(now=segments[-1].end + timedelta(hours=2))
    assert tiers_of(segments) == [Tier.COLD] * len(segments)
    assert_in_its_tier_only(segments)
    assert not TierMove.objects.exists()
    assert sorted(cold_store().keys()) == sorted(s.path for s in segments)


# The sessions waiting for a lock this test's session holds (pg_locks, unlike pg_stat_activity, is read afresh
# within a transaction; other sessions of the server are none of the test's business).
WAITING_ON_US = "SELECT DISTINCT pid FROM pg_locks WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"


def mover_lock_held() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("""SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
                          AND objid = %s
                          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())""",
                       [MOVER_LOCK])
        return cursor.fetchone()[0] > 0


def waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({WAITING_ON_US}) AS waiting")
        return cursor.fetchone()[0] > 0


def assert_the_health_page_says(user, bucket, words: str) -> None:
    """The health page in Chromium shows the cold tier's card with the outage in words."""
    env = {"VMS_COLD_STORAGE_URL": bucket.url, "VMS_COLD_STORAGE_ACCESS_KEY": bucket.setting["access_key"],
           "VMS_COLD_STORAGE_SECRET_KEY": bucket.setting["secret_key"]}
    with web_server(django_settings.RECORDINGS_ROOT.parent, **env) as base, chromium_page() as page:
        log_in(page, base, user.username, PASSWORD)
        page.goto(f"{base}/health")
        card = page.get_by_test_id("tier-cold")
        expect(card).to_contain_text("Cold storage")
        # The minute and the hot disk's use may have changed since the API was asked: the words up to them.
        expect(card).to_contain_text(words.split(" since ")[0] + " since ")
        expect(card).to_contain_text("footage stays on the hot tier (")
        expect(page.get_by_test_id("tier-hot")).to_contain_text("Room for more footage at the current rate")


@pytest.mark.rtsp
def test_a_cold_object_store_outage_keeps_recording_on_hot_and_the_moves_catch_up(
        settings, object_store, fast_recorder, admin_client, admin_user):
    from tests.standins.object_store import S3Bucket

    bucket = S3Bucket(object_store)
    settings.COLD_STORAGE = bucket.setting
    try:
        with GstCamera("/quay", width=640, height=360) as quay:
            camera = Camera.objects.create(name="Quay", main_url=quay.url, cold_after_hours=1 / 3600)  # after 1 s
            with running(Recorder(tick_seconds=0.5)):
                wait_for(lambda: Segment.objects.filter(camera=camera).count() >= 3, 60, "three segments")
                assert move_to_cold().moved >= 2
                object_store.stop_gateway()
                try:
                    indexed = Segment.objects.filter(camera=camera).count()
                    wait_for(lambda: Segment.objects.filter(camera=camera).count() >= indexed + 3, 60,
                             "recording and indexing going on in the hot tier")
                    report = move_to_cold()
                    assert report.moved == 0 and report.unreachable
                    cold_health = admin_client.get("/api/v1/health/").json()["storage"]["tiers"][1]
                    assert cold_health["tier"] == "cold" and not cold_health["ok"]
                    since = StorageOutage.objects.get(tier=Tier.COLD).since
                    assert cold_health["error"].startswith(
                        f"Cold storage {cold_store().location} cannot be reached since "
                        f"{timezone.localtime(since):%H:%M}; footage stays on the hot tier (")
                    assert Camera.objects.get(pk=camera.pk).storage_error == ""  # recording is untouched
                    assert_the_health_page_says(admin_user, bucket, cold_health["error"])
                finally:
                    object_store.start_gateway()
                wait_for(lambda: move_to_cold().moved >= 3, 60, "the moves to catch up")
        assert not StorageOutage.objects.exists()
        segments = list(Segment.objects.filter(camera=camera).order_by("start"))
        assert_contiguous(segments)  # nothing lost across the outage
        moved = [s for s in segments if s.tier == Tier.COLD]
        assert len(moved) >= 6
        for segment in moved:
            data = bucket.read(f"site/recordings/{segment.path}")
            assert sha256_of(data) == segment.sha256
            assert not recordings_store().exists(segment.path)
        health = admin_client.get("/api/v1/health/").json()["storage"]
        assert [(tier["tier"], tier["ok"]) for tier in health["tiers"]] == [("hot", True), ("cold", True)]
        assert health["tiers"][1]["used_bytes"] == sum(s.size for s in moved)
    finally:
        bucket.empty()
