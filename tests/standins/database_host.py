"""The database host of a namespaced test cluster: a PostgreSQL and a Redis of its own (not the machine's), listening
on the host's address with passwords, as deploy/README.md's multi-node guide sets them up."""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.standins.cluster_hosts import Hosts
from tests.standins.object_store import wait_until
from tests.standins.started import Started, stop_processes

POSTGRES_BIN = next(Path("/usr/lib/postgresql").glob("*/bin"), Path("/usr/lib/postgresql/15/bin"))
AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]  # PostgreSQL refuses root


class DatabaseHost(Started):
    """PostgreSQL (database and role `vms`) and Redis on `host`; `database_url` and `redis_url` are what every VMS
    machine's environment file says."""

    def __init__(self, hosts: Hosts, host: str) -> None:
        self.hosts, self.host, self.address = hosts, host, hosts.addresses[host]
        self.folder = Path(tempfile.mkdtemp(prefix="vms-dbhost-"))
        self.password = secrets.token_urlsafe(12)
        self.database_url = f"postgresql://vms:{self.password}@{self.address}:5432/vms"
        self.redis_url = f"redis://:{self.password}@{self.address}:6379/0"
        self.processes: list[subprocess.Popen] = []

    def set_up(self) -> None:
        self._start_postgresql()
        self._start_redis()

    def _start_postgresql(self) -> None:
        data, sockets = self.folder / "data", self.folder / "run"
        sockets.mkdir()
        shutil.chown(self.folder, "postgres", "postgres")
        shutil.chown(sockets, "postgres", "postgres")
        subprocess.run([*AS_POSTGRES, str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                        "--auth-local=trust", "--auth-host=reject"], check=True, capture_output=True, timeout=120)
        subnet = self.address.rsplit(".", 1)[0] + ".0/24"
        # The guide's two lines: listen on the host's address; the VMS role, by password, from the cluster's subnet.
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"listen_addresses = '{self.address}'\nunix_socket_directories = '{sockets}'\n"
                       "max_connections = 200\nfsync = off\n")
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write(f"host vms vms {subnet} scram-sha-256\n")
        self.processes.append(self.hosts.start(self.host, [*AS_POSTGRES, str(POSTGRES_BIN / "postgres"),
                                                           "-D", str(data)],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ready = [*AS_POSTGRES, str(POSTGRES_BIN / "pg_isready"), "-q", "-h", str(sockets)]
        wait_until(lambda: subprocess.run(ready, check=False).returncode == 0, 60, "PostgreSQL to start")
        psql = [*AS_POSTGRES, "psql", "-h", str(sockets), "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-c"]
        subprocess.run([*psql, f"CREATE ROLE vms LOGIN PASSWORD '{self.password}'"], check=True, capture_output=True)
        subprocess.run([*psql, "CREATE DATABASE vms OWNER vms"], check=True, capture_output=True)

    def _start_redis(self) -> None:
        self.processes.append(self.hosts.start(
            self.host, ["redis-server", "--bind", self.address, "--port", "6379", "--requirepass", self.password,
                        "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        ping = [*self.hosts.run_in(self.host), "redis-cli", "-h", self.address, "-a", self.password,
                "--no-auth-warning", "ping"]
        wait_until(lambda: subprocess.run(ping, capture_output=True, text=True, check=False).stdout.strip() == "PONG",
              30, "Redis to start")

    def close(self) -> None:
        stop_processes(reversed(self.processes))
        self.processes.clear()
        shutil.rmtree(self.folder, ignore_errors=True)
