"""The VMS as a cluster of separate hosts (network namespaces on one bridge, tests/standins/cluster_hosts.py): a
database host with its own PostgreSQL and Redis, an object-store host (Ceph's RADOS Gateway), a cameras host, two
recorder hosts, a web host and a Celery host, each VMS process started as deploy/README.md's multi-node guide says.
A recorder host killed, and another cut off, hands its cameras to the other within the lease; no time is indexed
twice; every segment verifies from the store; a browser plays live and recorded video from both recorder hosts; an
export renders on the Celery host. The footage gaps are printed, not asserted (bench/cluster.py measures them)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import av
import psycopg
import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone
from playwright.sync_api import expect

from recordings.models import Segment
from tests.browser import chromium_page
from tests.recording_checks import assert_no_time_twice, ffprobe, wait_for
from tests.standins.cluster_hosts import Hosts
from tests.standins.database_host import DatabaseHost
from tests.standins.deployed_units import ROOT, HostFiles, manage, start_unit
from tests.standins.object_store import ACCESS_KEY, SECRET_KEY, CephObjectGateway, S3Bucket, missing_programs
from tests.standins.rtsp_servers import GstCamera
from tests.test_web_app import WAIT_MS, log_in
from tests.web_server import answers

pytestmark = [
    pytest.mark.rtsp,
    pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root"),
    pytest.mark.skipif(bool(missing_programs()), reason=f"Ceph programs missing: {missing_programs()}"),
]

RECORDERS = ("rec-a", "rec-b")
HOSTS = ("db", "store", "cameras", *RECORDERS, "web", "celery")
CAMERAS = 4
# Short segments and lease, so that each failover takes seconds (the defaults are measured by bench/cluster.py).
TUNING = {"VMS_SEGMENT_SECONDS": "3", "VMS_RECORDER_LEASE_SECONDS": "2", "VMS_RECORDER_HEARTBEAT_SECONDS": "0.5",
          "VMS_CAMERA_READ_TIMEOUT": "3", "VMS_RECONNECT_MAX_SECONDS": "2"}


@dataclass
class Cluster:
    """The running cluster, as its operator's workstation (this process) sees it."""

    hosts: Hosts
    database_url: str
    bucket: S3Bucket
    files: dict[str, HostFiles]
    logs: Path
    base: str = ""
    admin_password: str = ""
    token: str = ""
    recorders: dict[str, subprocess.Popen] = field(default_factory=dict)
    camera_ids: list[int] = field(default_factory=list)

    def start_recorder(self, host: str) -> None:
        self.recorders[host] = start_unit(self.hosts, host, self.files[host], "vms-recorder.service",
                                          self.logs / f"{host}.log")

    def call(self, method: str, path: str, body: dict | None = None) -> bytes:
        """A request to the web host as the admin (with their token, once they have one); the response's body."""
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(self.base + path, method=method, headers=headers,
                                         data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310  (the cluster's web host)
            return response.read()

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        return json.loads(self.call(method, path, body) or b"{}")

    def query(self, sql: str, *params: object) -> list[tuple]:
        """The cluster's database, read from the workstation (as an admin's psql would)."""
        with psycopg.connect(self.database_url, connect_timeout=10) as connection:
            return connection.execute(sql, params).fetchall()

    def holders(self) -> dict[int, str | None]:
        """camera id -> the recorder host holding it."""
        host_of = {process.pid: host for host, process in self.recorders.items()}
        rows = self.query("SELECT c.id, p.pid FROM devices_camera c "
                          "LEFT JOIN recordings_recorderprocess p ON p.id = c.recorder_id")
        return {camera: host_of.get(pid) for camera, pid in rows}

    def cameras_of(self, host: str) -> list[int]:
        return sorted(camera for camera, holder in self.holders().items() if holder == host)

    def segments(self, camera: int) -> list[Segment]:
        rows = self.query('SELECT start, "end", duration, size, sha256, path, init_size FROM recordings_segment '
                          "WHERE camera_id = %s AND NOT unmasked ORDER BY start", camera)
        return [Segment(camera_id=camera, start=r[0], end=r[1], duration=r[2], size=r[3], sha256=r[4], path=r[5],
                        init_size=r[6]) for r in rows]

    def shared(self) -> bool:
        """Both recorder hosts hold half of the cameras each."""
        held = self.holders()
        return all(len([h for h in held.values() if h == host]) == CAMERAS // len(RECORDERS) for host in RECORDERS)


def shared_secrets(folder: Path) -> dict[str, bytes]:
    """The files every machine of the cluster shares (the guide: make them once, copy them to each)."""
    signing = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {"/etc/vms/secret_key": secrets.token_urlsafe(50).encode(),
            "/etc/vms/credentials_key": Fernet.generate_key(),
            "/etc/vms/signing_key.pem": signing,
            "/etc/vms/storage_secret_key": SECRET_KEY.encode()}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    with Hosts(HOSTS) as hosts, DatabaseHost(hosts, "db") as database, \
            CephObjectGateway(hosts.addresses["store"], hosts.run_in("store")) as gateway:
        bucket = S3Bucket(gateway)
        web = hosts.addresses["web"]
        settings = {"VMS_DATABASE_URL": database.database_url, "VMS_REDIS_URL": database.redis_url,
                    "VMS_STORAGE_URL": bucket.url, "VMS_STORAGE_ACCESS_KEY": ACCESS_KEY,
                    "VMS_STORAGE_SECRET_KEY_FILE": "/etc/vms/storage_secret_key",
                    "VMS_ALLOWED_HOSTS": web, "VMS_CSRF_TRUSTED_ORIGINS": f"http://{web}",
                    "VMS_SECURE_COOKIES": "false", **TUNING}
        keys = shared_secrets(folder)
        files = {}
        for host in (*RECORDERS, "web", "celery"):
            files[host] = HostFiles(folder / host)
            for path, content in keys.items():
                files[host].path(path).write_bytes(content)
            files[host].write_environment(settings)
        cluster = Cluster(hosts, database.database_url, bucket, files, folder)
        manage(hosts, "web", files["web"], "migrate", "--no-input")
        printed = manage(hosts, "web", files["web"], "bootstrap", "--no-demo")
        cluster.admin_password = re.search(r"with password\s+(\S+)", printed)[1]
        # The web unit listens on 127.0.0.1:8000 behind a proxy (deploy/Caddyfile); socat stands in for Caddy.
        with open(folder / "proxy.log", "ab") as proxy_log:
            hosts.start("web", ["socat", f"TCP-LISTEN:80,bind={web},fork,reuseaddr", "TCP:127.0.0.1:8000"],
                        stdout=proxy_log, stderr=subprocess.STDOUT)
        start_unit(hosts, "web", files["web"], "vms-web.service", folder / "web.log")
        start_unit(hosts, "celery", files["celery"], "vms-worker.service", folder / "celery.log")
        start_unit(hosts, "celery", files["celery"], "vms-beat.service", folder / "beat.log")
        cluster.base = f"http://{web}"
        wait_for(lambda: answers(cluster.base + "/api/v1/health/"), 60, "the web host to answer")
        cluster.token = cluster.api("POST", "/api/v1/auth/token/",
                                    {"username": "admin", "password": cluster.admin_password})["token"]
        cameras = [GstCamera(f"/cam{i}", width=640, height=360, fps=10, gop=10, address=hosts.addresses["cameras"],
                             run_in=hosts.run_in("cameras")) for i in range(CAMERAS)]
        try:
            for camera in cameras:
                camera.start()
                cluster.camera_ids.append(cluster.api("POST", "/api/v1/cameras/", {
                    "name": f"Camera {camera.path[-1]}", "main_url": camera.url})["id"])
            for host in RECORDERS:
                cluster.start_recorder(host)
            yield cluster
        finally:
            for camera in cameras:
                camera.stop()
            for log in sorted(folder.glob("*.log")):
                print(f"--- {log.name} (last lines)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
            # The VMS processes go with their hosts (Hosts kills what runs in them), then the store and database.


def wait_for_failover(cluster: Cluster, gone: str, taker: str, cameras: list[int], since: datetime) -> None:
    """Wait until `taker` holds and records each of `cameras`; print each one's footage gap around `since`."""
    wait_for(lambda: set(cameras) <= set(cluster.cameras_of(taker)), 60, f"{taker} to take {gone}'s cameras")
    for camera in cameras:
        wait_for(lambda c=camera: any(s.start >= since for s in cluster.segments(c)), 60,
                 f"a segment of camera {camera} by {taker}")
        segments = cluster.segments(camera)
        before = max((s.end for s in segments if s.start < since), default=None)
        after = min(s.start for s in segments if s.start >= since)
        gap = f"{(after - before).total_seconds():.2f} s" if before else "(nothing before)"
        print(f"camera {camera}: {gone} -> {taker}, footage gap {gap}")


def test_both_recorder_hosts_record_their_share_of_the_cameras(cluster):
    wait_for(cluster.shared, 120, "the cameras shared by the two recorder hosts")
    for camera in cluster.camera_ids:
        wait_for(lambda c=camera: cluster.segments(c), 60, f"a segment of camera {camera}")


def test_a_killed_recorder_hosts_cameras_are_recorded_by_the_other(cluster):
    wait_for(cluster.shared, 120, "the cameras shared")
    moved = cluster.cameras_of("rec-a")
    cluster.hosts.kill_processes("rec-a")  # kill -9, everything of the host
    wait_for_failover(cluster, "rec-a", "rec-b", moved, timezone.now())
    cluster.start_recorder("rec-a")
    wait_for(cluster.shared, 120, "the cameras shared again once rec-a is back")


def test_a_cut_off_recorder_hosts_cameras_go_to_the_other_and_nothing_is_indexed_twice(cluster):
    wait_for(cluster.shared, 120, "the cameras shared")
    moved = cluster.cameras_of("rec-b")
    cluster.hosts.cut("rec-b")
    cut_at = timezone.now()
    try:
        wait_for_failover(cluster, "rec-b", "rec-a", moved, cut_at)
    finally:
        cluster.hosts.mend("rec-b")
    mended_at = timezone.now()
    assert cluster.recorders["rec-b"].poll() is None, "the recorder of the cut-off host carries on"
    wait_for(cluster.shared, 120, "the cameras shared again once rec-b is back")
    for camera in cluster.camera_ids:
        wait_for(lambda c=camera: any(s.start >= mended_at for s in cluster.segments(c)), 60,
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
    video_of = "(id) => document.querySelector(`[data-testid=live-tile][data-camera-id='${id}'] video`).currentTime"
    with chromium_page() as page:
        log_in(page, cluster.base, "admin", "/live", cluster.admin_password)
        for camera in watched:
            tile = page.locator(f"[data-testid=live-tile][data-camera-id='{camera}']")
            expect(tile).to_have_attribute("data-state", "playing", timeout=WAIT_MS)
            started = page.evaluate(video_of, camera)
            page.wait_for_function(f"({video_of})({camera}) > {started} + 1", timeout=WAIT_MS)
        for camera in watched:
            first = cluster.segments(camera)[0]
            at = (first.start + timedelta(seconds=0.5)).isoformat().replace("+", "%2B")
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
