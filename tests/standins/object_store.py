"""A real S3 server for tests and benchmarks: Ceph's RADOS Gateway (Debian `radosgw`) on a single-node Ceph cluster
made in a temporary folder (one monitor, one OSD keeping its objects in memory), on 127.0.0.1 ports of its own.

Ceph 16 (Debian 12) has no gateway backend without a cluster (`dbstore` came with 17), so the cluster is made as
Ceph's own vstart.sh makes one: cephx keys, a monitor on messenger v1 only, a memstore OSD, pools of one copy. It
starts in about 15 s. `stop_gateway()` and `start_gateway()` make a store outage while the cluster keeps its data.
On a host of a namespaced test cluster, `run_in` prefixes every command (`ip netns exec HOST`) and `address` is the
host's own, where the monitor and the gateway listen.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from pathlib import Path

import boto3

from tests.standins.rtsp_servers import ServerStartError, free_port
from tests.standins.started import Started, stop_processes

ACCESS_KEY = "vms-test-access"
SECRET_KEY = "vms-test-secret-key-0123456789"
PROGRAMS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph", "ceph-authtool", "monmaptool")


def missing_programs() -> list[str]:
    return [program for program in PROGRAMS if shutil.which(program) is None]


class CephObjectGateway(Started):
    """The cluster and its gateway, as a context manager; `endpoint` is the S3 address."""

    def __init__(self, address: str = "127.0.0.1", run_in: Sequence[str] = ()) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="vms-ceph-"))
        self.address, self.run_in = address, list(run_in)
        self.mon_port, self.port = free_port(), free_port()
        self.endpoint = f"http://{address}:{self.port}"
        self.conf = self.folder / "ceph.conf"
        self.daemons: dict[str, subprocess.Popen] = {}

    def set_up(self) -> None:
        self._make_cluster()
        self.start_gateway()
        self._run("radosgw-admin", "user", "create", "--uid", "vms", "--display-name", "VMS tests",
                  "--access-key", ACCESS_KEY, "--secret", SECRET_KEY)

    def _make_cluster(self) -> None:
        fsid, keyring = str(uuid.uuid4()), self.folder / "keyring"
        for name in ("mon", "osd", "run", "log"):
            (self.folder / name).mkdir()
        self.conf.write_text(f"""[global]
fsid = {fsid}
mon host = [v1:{self.address}:{self.mon_port}]
ms bind msgr2 = false
keyring = {keyring}
run dir = {self.folder / "run"}
admin socket = {self.folder / "run"}/$name.asok
log file = {self.folder / "log"}/$name.log
osd objectstore = memstore
memstore device bytes = {2 * 2**30}
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon max pg per osd = 1000
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
[mon.a]
mon data = {self.folder / "mon"}
[osd.0]
osd data = {self.folder / "osd"}
[client.rgw]
rgw frontends = beast endpoint={self.address}:{self.port}
""")
        self._run("ceph-authtool", "--create-keyring", str(keyring), "--gen-key", "-n", "mon.", "--cap", "mon",
                  "allow *")
        for name, caps in (("client.admin", ["mon", "allow *", "osd", "allow *", "mgr", "allow *"]),
                           ("osd.0", ["mon", "allow profile osd", "osd", "allow *", "mgr", "allow profile osd"]),
                           ("client.rgw", ["mon", "allow rw", "osd", "allow rwx", "mgr", "allow rw"])):
            self._run("ceph-authtool", str(keyring), "--gen-key", "-n", name,
                      *[arg for cap, allowed in zip(caps[::2], caps[1::2], strict=True)
                        for arg in ("--cap", cap, allowed)])
        monmap = self.folder / "monmap"
        self._run("monmaptool", "--create", "--addv", "a", f"[v1:{self.address}:{self.mon_port}]", "--fsid", fsid,
                  str(monmap))
        self._run("ceph-mon", "-i", "a", "--mkfs", "--monmap", str(monmap), "--keyring", str(keyring))
        self._daemon("mon", "ceph-mon", "-i", "a")
        osd_uuid = str(uuid.uuid4())
        self._run("ceph", "--connect-timeout", "30", "osd", "new", osd_uuid, "0")
        self._run("ceph-osd", "-i", "0", "--mkfs", "--osd-uuid", osd_uuid)
        self._daemon("osd", "ceph-osd", "-i", "0")
        wait_until(lambda: "1 up" in self._run("ceph", "--connect-timeout", "10", "osd", "stat"), 60, "the OSD up")

    def start_gateway(self) -> None:
        self._daemon("rgw", "radosgw", "-n", "client.rgw")
        wait_until(self.answers, 90, "the RADOS Gateway to answer")

    def stop_gateway(self) -> None:
        """The S3 server goes away (connections refused) until start_gateway(); the cluster keeps the objects."""
        gateway = self.daemons.pop("rgw")
        gateway.terminate()
        gateway.wait(timeout=30)

    def answers(self) -> bool:
        try:
            urllib.request.urlopen(self.endpoint, timeout=2)  # noqa: S310  (a local URL)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    def _run(self, *command: str) -> str:
        done = subprocess.run([*self.run_in, command[0], "-c", str(self.conf), *command[1:]], capture_output=True,
                              text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def _daemon(self, name: str, *command: str) -> None:
        """A Ceph daemon in the foreground (-f), so that this process owns it and stops it."""
        self.daemons[name] = subprocess.Popen([*self.run_in, command[0], "-f", "-c", str(self.conf), *command[1:]],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def close(self) -> None:
        stop_processes(reversed(list(self.daemons.values())))
        self.daemons.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


class S3Bucket:
    """A new, empty bucket on the gateway, with what a VMS needs to use it: `setting` (settings.STORAGE), `env` (for a
    VMS subprocess) and a plain boto3 `client` for the test's own looks."""

    def __init__(self, gateway: CephObjectGateway) -> None:
        self.name = f"vms-{uuid.uuid4().hex[:12]}"
        self.client = boto3.client("s3", endpoint_url=gateway.endpoint, region_name="us-east-1",
                                   aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        self.client.create_bucket(Bucket=self.name)
        self.url = f"s3://{self.name}/site?endpoint={gateway.endpoint}"
        self.setting = {"backend": "s3", "bucket": self.name, "prefix": "site", "endpoint": gateway.endpoint,
                        "region": "us-east-1", "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}
        self.env = {"VMS_STORAGE_URL": self.url, "VMS_STORAGE_ACCESS_KEY": ACCESS_KEY,
                    "VMS_STORAGE_SECRET_KEY": SECRET_KEY}

    def keys(self, prefix: str = "site/") -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def empty(self) -> None:
        for key in self.keys(""):
            self.client.delete_object(Bucket=self.name, Key=key)
        self.client.delete_bucket(Bucket=self.name)


def wait_until(condition, timeout: float, what: str) -> None:
    """Poll until `condition()` holds (no Django here: benchmarks use this module too)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise ServerStartError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.25)
