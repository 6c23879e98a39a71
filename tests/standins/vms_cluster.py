"""The VMS as a cluster of separate hosts on this one machine, for tests/test_cluster.py and bench/cluster.py: network
namespaces on one bridge (cluster_hosts.py) for a database host with its own PostgreSQL and Redis, an object-store
host (Ceph's RADOS Gateway), a cameras host (GStreamer stand-ins), two recorder hosts, a web host and a Celery host;
each VMS process started from deploy/systemd as deploy/README.md's multi-node guide says (deployed_units.py)."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from recordings.models import Segment
from tests.recording_checks import wait_for
from tests.standins.cluster_hosts import Hosts
from tests.standins.database_host import DatabaseHost
from tests.standins.deployed_units import HostFiles, manage, start_unit
from tests.standins.object_store import ACCESS_KEY, SECRET_KEY, CephObjectGateway, S3Bucket
from tests.standins.rtsp_servers import GstCamera
from tests.web_server import answers

RECORDERS = ("rec-a", "rec-b")
HOSTS = ("db", "store", "cameras", *RECORDERS, "web", "celery")


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
    cameras: list[GstCamera] = field(default_factory=list)

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

    def segments(self, camera: int, since: datetime | None = None) -> list[Segment]:
        """The camera's indexed segments (those starting at or after `since`, if given), in order."""
        rows = self.query('SELECT start, "end", duration, size, sha256, path, init_size FROM recordings_segment '
                          "WHERE camera_id = %s AND NOT unmasked AND start >= %s ORDER BY start", camera,
                          since or datetime.min.replace(tzinfo=UTC))
        return [Segment(camera_id=camera, start=r[0], end=r[1], duration=r[2], size=r[3], sha256=r[4], path=r[5],
                        init_size=r[6]) for r in rows]

    def shared(self) -> bool:
        """Both recorder hosts hold half of the cameras each."""
        held = list(self.holders().values())
        return all(held.count(host) == len(held) // len(RECORDERS) for host in RECORDERS)


def shared_secrets() -> dict[str, bytes]:
    """The files every machine of the cluster shares (the guide: make them once, copy them to each)."""
    signing = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return {"/etc/vms/secret_key": secrets.token_urlsafe(50).encode(),
            "/etc/vms/credentials_key": Fernet.generate_key(),
            "/etc/vms/signing_key.pem": signing,
            "/etc/vms/storage_secret_key": SECRET_KEY.encode()}


@contextmanager
def running_cluster(folder: Path, cameras: int, tuning: dict[str, str]) -> Iterator[Cluster]:
    """The cluster with `cameras` stand-in cameras added through the API, its files and logs in `folder`; `tuning`
    adds VMS_* settings to every machine's environment file. Everything is stopped and removed on exit."""
    with Hosts(HOSTS) as hosts, DatabaseHost(hosts, "db") as database, \
            CephObjectGateway(hosts.addresses["store"], hosts.run_in("store")) as gateway:
        bucket = S3Bucket(gateway)
        web = hosts.addresses["web"]
        settings = {"VMS_DATABASE_URL": database.database_url, "VMS_REDIS_URL": database.redis_url,
                    "VMS_STORAGE_URL": bucket.url, "VMS_STORAGE_ACCESS_KEY": ACCESS_KEY,
                    "VMS_STORAGE_SECRET_KEY_FILE": "/etc/vms/storage_secret_key",
                    "VMS_ALLOWED_HOSTS": web, "VMS_CSRF_TRUSTED_ORIGINS": f"http://{web}",
                    "VMS_SECURE_COOKIES": "false", **tuning}
        keys = shared_secrets()
        files = {}
        for host in (*RECORDERS, "web", "celery"):
            files[host] = HostFiles(folder / host)
            for path, content in keys.items():
                files[host].path(path).write_bytes(content)
            files[host].write_environment(settings)
        cluster = Cluster(hosts, database.database_url, bucket, files, folder)
        manage(hosts, "web", files["web"], "migrate", "--no-input")
        manage(hosts, "web", files["web"], "collectstatic", "--no-input", "--verbosity", "0")
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
        cluster.cameras = [GstCamera(f"/cam{i}", width=640, height=360, fps=10, gop=10,
                                     address=hosts.addresses["cameras"], run_in=hosts.run_in("cameras"))
                           for i in range(cameras)]
        try:
            for camera in cluster.cameras:
                camera.start()
                cluster.camera_ids.append(cluster.api("POST", "/api/v1/cameras/", {
                    "name": f"Camera {camera.path[-1]}", "main_url": camera.url})["id"])
            for host in RECORDERS:
                cluster.start_recorder(host)
            yield cluster
        finally:
            for camera in cluster.cameras:
                camera.stop()
            # The VMS machines go first: PostgreSQL stops on SIGTERM only once its clients are gone.
            for host in files:
                hosts.kill_processes(host)
