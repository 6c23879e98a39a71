"""The VMS as a cluster of separate hosts (network namespaces on one bridge, tests/standins/cluster_hosts.py): a
database host with its own PostgreSQL and Redis, an object-store host (Ceph's RADOS Gateway), a cameras host, two
recorder hosts, a web host and a Celery host, each VMS process started as deploy/README.md's multi-node guide says.
A recorder host killed, and another cut off, hands its cameras to the other within the lease; no time is indexed
twice; every segment verifies from the store; a browser plays live and recorded video from both recorder hosts; an
export renders on the Celery host. The footage gaps are printed, not asserted (bench/cluster.py measures them)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta

import av
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser import chromium_page
from tests.recording_checks import assert_no_time_twice, ffprobe, footage_gap, wait_for
from tests.standins.deployed_units import ROOT
from tests.standins.object_store import missing_programs
from tests.standins.vms_cluster import RECORDERS, Cluster, running_cluster
from tests.test_web_app import WAIT_MS, log_in

pytestmark = [
    pytest.mark.rtsp,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(bool(missing_programs()), reason=f"Ceph programs missing: {missing_programs()}"),
]

CAMERAS = 4
# Short segments and lease, so that each failover takes seconds (the defaults are measured by bench/cluster.py).
TUNING = {"VMS_SEGMENT_SECONDS": "3", "VMS_RECORDER_LEASE_SECONDS": "2", "VMS_RECORDER_HEARTBEAT_SECONDS": "0.5",
          "VMS_CAMERA_READ_TIMEOUT": "3", "VMS_RECONNECT_MAX_SECONDS": "2"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    with running_cluster(folder, CAMERAS, TUNING) as cluster:
        try:
            yield cluster
        finally:
            for log in sorted(folder.glob("*.log")):
                print(f"--- {log.name} (last lines)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))


def indexed_paths(cluster: Cluster, cameras: list[int]) -> dict[int, set[str]]:
    return {camera: {segment.path for segment in cluster.segments(camera)} for camera in cameras}


def wait_for_failover(cluster: Cluster, gone: str, taker: str, indexed_before: dict[int, set[str]],
                      since: datetime) -> None:
    """Wait until `taker` holds and records each camera of `indexed_before` (what it had indexed before `since`);
    print each one's footage gap."""
    cameras = list(indexed_before)
    wait_for(lambda: set(cameras) <= set(cluster.cameras_of(taker)), 60, f"{taker} to take {gone}'s cameras")
    for camera in cameras:
        wait_for(lambda c=camera: cluster.segments(c, since), 60, f"a segment of camera {camera} by {taker}")
        gap = footage_gap(cluster.segments(camera), indexed_before[camera], since)
        print(f"camera {camera}: {gone} -> {taker}, footage gap " + (f"{gap:.2f} s" if gap is not None else "-"))


def test_both_recorder_hosts_record_their_share_of_the_cameras(cluster):
    wait_for(cluster.shared, 120, "the cameras shared by the two recorder hosts")
    for camera in cluster.camera_ids:
        wait_for(lambda c=camera: cluster.segments(c), 60, f"a segment of camera {camera}")


def test_a_killed_recorder_hosts_cameras_are_recorded_by_the_other(cluster):
    wait_for(cluster.shared, 120, "the cameras shared")
    indexed = indexed_paths(cluster, cluster.cameras_of("rec-a"))
    cluster.hosts.kill_processes("rec-a")  # kill -9, everything of the host
    wait_for_failover(cluster, "rec-a", "rec-b", indexed, timezone.now())
    cluster.start_recorder("rec-a")
    wait_for(cluster.shared, 120, "the cameras shared again once rec-a is back")


def test_a_cut_off_recorder_hosts_cameras_go_to_the_other_and_nothing_is_indexed_twice(cluster):
    wait_for(cluster.shared, 120, "the cameras shared")
    indexed = indexed_paths(cluster, cluster.cameras_of("rec-b"))
    cluster.hosts.cut("rec-b")
    cut_at = timezone.now()
    try:
        wait_for_failover(cluster, "rec-b", "rec-a", indexed, cut_at)
    finally:
        cluster.hosts.mend("rec-b")
    mended_at = timezone.now()
    assert cluster.recorders["rec-b"].poll() is None, "the recorder of the cut-off host carries on"
    wait_for(cluster.shared, 120, "the cameras shared again once rec-b is back")
    for camera in cluster.camera_ids:
        wait_for(lambda c=camera: cluster.segments(c, mended_at), 60,
                 f"a segment of camera {camera} after the link is back")
        assert_no_time_twice(cluster.segments(camera))


def test_every_indexed_segment_verifies_from_the_object_store(cluster, tmp_path):
    checked = 0
    for camera in cluster.camera_ids:
        segments = cluster.segments(camera)
        assert_no_time_twice(segments)
        for segment in segments:
            data = cluster.bucket.read(f"site/recordings/{segment.path}")
            assert (len(data), hashlib.sha256(data).hexdigest()) == (segment.size, segment.sha256), segment.path
            copy = tmp_path / "segment.mp4"
            copy.write_bytes(data)
            assert abs(float(ffprobe(copy)["format"]["duration"]) - segment.duration) < 0.2, segment.path
            with av.open(str(copy)) as container:
                assert next(p for p in container.demux(video=0) if p.size).is_keyframe, segment.path
            checked += 1
    print(f"{checked} segments verified from the object store")
    for host in RECORDERS:
        left = list(cluster.files[host].path("/srv/vms-media").rglob("*.mp4"))
        assert len(left) <= CAMERAS, f"{host} keeps segments it should have uploaded: {left}"


def test_a_viewer_on_the_web_host_plays_live_and_recorded_video_from_both_recorder_hosts(cluster):
    wait_for(cluster.shared, 120, "the cameras shared")
    watched = [cluster.cameras_of(host)[0] for host in RECORDERS]
    # Footage that each recorder host recorded itself: segments it made while holding the camera from now on.
    since = timezone.now()
    recorded = {camera: wait_for(lambda c=camera: len(cluster.segments(c, since)) >= 2 and cluster.segments(c, since),
                                 60, f"two segments of camera {camera} by its recorder host") for camera in watched}
    held = cluster.holders()
    assert {held[camera] for camera in watched} == set(RECORDERS), "one camera of each recorder host"
    video_of = "(id) => document.querySelector(`[data-testid=live-tile][data-camera-id='${id}'] video`).currentTime"
    with chromium_page() as page:
        log_in(page, cluster.base, "admin", "/live", cluster.admin_password)
        for camera in watched:
            tile = page.locator(f"[data-testid=live-tile][data-camera-id='{camera}']")
            expect(tile).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
            started = page.evaluate(video_of, camera)
            page.wait_for_function(f"({video_of})({camera}) > {started} + 1", timeout=WAIT_MS)
        for camera in watched:
            at = (recorded[camera][0].start + timedelta(seconds=0.5)).isoformat().replace("+", "%2B")
            page.goto(f"{cluster.base}/recordings/{camera}?at={at}")
            video = "document.querySelector('[data-testid=player] video')"
            page.wait_for_function(f"{video} && {video}.currentTime > 1.5", timeout=WAIT_MS)


def test_an_export_renders_on_the_celery_host_from_the_object_store(cluster, tmp_path):
    camera = cluster.camera_ids[0]
    segments = cluster.segments(camera)
    export = cluster.api("POST", "/api/v1/exports/", {
        "camera": camera, "start": (segments[1].start + timedelta(seconds=0.5)).isoformat(),
        "end": segments[3].end.isoformat(), "reason": "cluster test"})
    state = lambda: cluster.api("GET", f"/api/v1/exports/{export['id']}/")  # noqa: E731
    done = wait_for(lambda: (e := state())["status"] in ("done", "failed") and e, 180, "the export to render", every=1)
    assert done["status"] == "done", done
    video, manifest, key = tmp_path / "export.mp4", tmp_path / "export.manifest.json", tmp_path / "key.pem"
    video.write_bytes(cluster.call("GET", f"/api/v1/exports/{export['id']}/download/"))
    manifest.write_bytes(cluster.call("GET", f"/api/v1/exports/{export['id']}/manifest/"))
    key.write_text(cluster.api("GET", "/api/v1/signing-key/")["public_key_pem"])
    verified = subprocess.run([sys.executable, str(ROOT / "redaction" / "verify.py"), str(video), str(manifest),
                               "--key", str(key)], capture_output=True, text=True, timeout=60, check=False)
    assert verified.returncode == 0 and "valid" in verified.stdout, verified.stdout + verified.stderr
    assert re.search(r"Task redaction\.\S*render\S*\[.*\] succeeded", (cluster.logs / "celery.log").read_text()), \
        "the Celery host rendered it"
    celery_media = cluster.files["celery"].path("/srv/vms-media")
    assert not list(celery_media.rglob("*.mp4")), "the Celery host read the footage from the store, kept none"
    assert cluster.bucket.keys("site/exports/"), "the export is kept in the store"
