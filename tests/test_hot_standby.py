"""Hot standby between real recorder processes on stand-in RTSP cameras: the standby reads the camera and indexes
nothing while the holder lives; when the holder is killed it records from what it kept, so the footage goes on
within a group of pictures of where the indexed footage ended, and no time is indexed twice."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.utils import timezone

from devices.models import Camera
from tests.recording_checks import assert_no_time_twice, wait_for
from tests.standins.rtsp_servers import GstCamera
from tests.test_failover import Cluster, assert_whole_and_once, cluster, holder_pid, segments_of
from tests.test_failover import segments_since as since

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]
__all__ = ["cluster"]  # the fixture, shared with test_failover
GOP_SECONDS = 1.0  # GstCamera's default: a keyframe every 25 frames at 25 fps
# How many segments the holder records after the standby came, before it is killed: the standby keeps a segment,
# the lease and a margin (recordings.standby.keep_seconds) once the camera's clock is known, a few seconds in.
SEGMENTS_BEFORE_KILL = 4


def standby_pid(camera: Camera) -> int | None:
    return Camera.objects.filter(pk=camera.pk).values_list("standby__pid", flat=True).first()


def start_pair(cluster: Cluster, camera: Camera) -> tuple[subprocess.Popen, subprocess.Popen]:
    """A recorder holding the camera and another standing by for it, and the standby's time to keep enough."""
    holder = cluster.start(VMS_RECORDER_HOT_STANDBY="true")
    wait_for(lambda: holder_pid(camera) == holder.pid and segments_of(camera), 60, "the first recorder to record")
    standby = cluster.start(VMS_RECORDER_HOT_STANDBY="true")
    wait_for(lambda: standby_pid(camera) == standby.pid, 30, "the second recorder to stand by for the camera")
    came = timezone.now()
    wait_for(lambda: len(since(camera, came)) >= SEGMENTS_BEFORE_KILL, 60, "the holder to record on")
    return holder, standby


def writing_for(disk: Path) -> float:
    """How long the newest half-written segment on a recorder's disk has been written (from its name's time)."""
    parts = sorted(disk.rglob("*.part"), key=lambda part: part.name)
    if not parts:
        return 0.0
    start = datetime.strptime(f"{parts[-1].parent.name} {parts[-1].name[:13]}", "%Y-%m-%d %H%M%S.%f")
    return time.time() - start.replace(tzinfo=UTC).timestamp()


def assert_goes_on_within_a_gop(segments: list) -> None:
    gaps = [(after.start - before.end).total_seconds() for before, after in zip(segments, segments[1:], strict=False)]
    assert max(gaps) <= GOP_SECONDS + 0.05, f"gaps between segments: {gaps}"
    assert_no_time_twice(segments)


def test_the_standby_records_from_its_memory_where_the_killed_holders_footage_ended(cluster):
    with GstCamera("/standby") as source:
        camera = Camera.objects.create(name="Stood by", main_url=source.url)
        holder, standby = start_pair(cluster, camera)
        assert holder_pid(camera) == holder.pid
        assert "recording from" not in cluster.log_of(standby), "the standby recorded while the holder lived"
        assert_no_time_twice(segments_of(camera))
        before = len(segments_of(camera))
        cluster.kill(holder)
        killed_at = timezone.now()
        wait_for(lambda: holder_pid(camera) == standby.pid, 30, "the standby to take the camera over")
        wait_for(lambda: len(since(camera, killed_at)) >= 2, 40, "the standby to record")
        assert standby_pid(camera) is None, "a recorder does not stand by for its own camera"
    log = cluster.log_of(standby)
    kept = float(log.split("recording from the ")[1].split(" s")[0])
    assert kept > 0, "the standby's recording began with what it kept"
    segments = segments_of(camera)
    assert len(segments) > before
    # From the first segment to the last, including the half-written one the killed holder left (rescued).
    assert_goes_on_within_a_gop(segments)
    assert_whole_and_once(camera)


def test_the_standby_stands_by_again_after_the_camera_was_away(cluster):
    source = GstCamera("/away").start()
    try:
        camera = Camera.objects.create(name="Away", main_url=source.url)
        holder, standby = start_pair(cluster, camera)
        source.stop()
        wait_for(lambda: "standby stream lost" in cluster.log_of(standby), 30, "the standby to lose the camera")
        source = GstCamera("/away", port=source.port).start()
        back_at = timezone.now()
        wait_for(lambda: len(since(camera, back_at)) >= SEGMENTS_BEFORE_KILL, 60, "the holder to record again")
        assert standby_pid(camera) == standby.pid
        cluster.kill(holder)
        killed_at = timezone.now()
        wait_for(lambda: holder_pid(camera) == standby.pid, 30, "the standby to take the camera over")
        wait_for(lambda: len(since(camera, killed_at)) >= 2, 40, "the standby to record")
    finally:
        source.stop()
    assert_goes_on_within_a_gop(since(camera, back_at))
    assert_whole_and_once(camera)


def test_a_standby_on_another_disk_records_what_the_killed_holder_left_there_and_that_is_not_indexed_again(cluster):
    disks = {name: cluster.media.parent / f"disk-{name}" for name in ("holder", "standby")}
    with GstCamera("/disks") as source:
        camera = Camera.objects.create(name="Two disks", main_url=source.url)
        holder = cluster.start(VMS_RECORDER_HOT_STANDBY="true", VMS_MEDIA_ROOT=str(disks["holder"]))
        wait_for(lambda: holder_pid(camera) == holder.pid and segments_of(camera), 60, "the first recorder to record")
        standby = cluster.start(VMS_RECORDER_HOT_STANDBY="true", VMS_MEDIA_ROOT=str(disks["standby"]))
        wait_for(lambda: standby_pid(camera) == standby.pid, 30, "the second recorder to stand by for the camera")
        came = timezone.now()
        wait_for(lambda: len(since(camera, came)) >= SEGMENTS_BEFORE_KILL, 60, "the holder to record on")
        # Killed with a group of pictures or more in its half-written segment (a whole fragment: rescuable), which
        # stays on its disk, where the standby cannot see it.
        wait_for(lambda: writing_for(disks["holder"]) >= 2 * GOP_SECONDS, 30, "the holder to be into a segment")
        cluster.kill(holder)
        killed_at = timezone.now()
        wait_for(lambda: len(since(camera, killed_at)) >= 2, 40, "the standby to record")
        left = list(disks["holder"].rglob("*.part"))
        assert left, "the killed holder left a half-written segment"
        # The holder's machine comes back, and gets the camera when the other dies in turn.
        back = cluster.start(VMS_RECORDER_HOT_STANDBY="true", VMS_MEDIA_ROOT=str(disks["holder"]))
        wait_for(lambda: standby_pid(camera) == back.pid, 30, "the returned recorder to stand by")
        cluster.kill(standby)
        wait_for(lambda: holder_pid(camera) == back.pid, 30, "the returned recorder to take the camera over")
        wait_for(lambda: not any(part.exists() for part in left), 30, "the left segment to be recovered")
        taken_at = timezone.now()
        wait_for(lambda: len(since(camera, taken_at)) >= 1, 40, "the returned recorder to record")
    assert "other footage covers its time" in cluster.log_of(back)
    assert_no_time_twice(segments_of(camera))
