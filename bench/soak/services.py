"""The soak test's own PostgreSQL, Redis and recordings disk: each can be restarted or filled without
touching anything else on the machine. Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import redis

from tests.recording_checks import wait_for

START_TIMEOUT = 60.0
POSTGRES_USER = "postgres"


def postgres_binary(name: str) -> str:
    """The newest installed PostgreSQL's `name` (initdb, pg_ctl)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (/usr/lib/postgresql/*/bin)")
    return found[-1]


def as_postgres(argv: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    return ["runuser", "-u", POSTGRES_USER, "--", *argv] if os.geteuid() == 0 else argv


class Postgres:
    """A PostgreSQL cluster in `directory`, trust auth for 127.0.0.1, on a free port; database `vms`."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.data = directory / "data"
        self.log = directory / "postgres.log"
        self.port = port

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/vms"

    def create(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, POSTGRES_USER, POSTGRES_USER)
        subprocess.run(as_postgres([postgres_binary("initdb"), "-D", str(self.data), "-U", "postgres",
                                    "-A", "trust", "--no-sync", "-E", "UTF8"]),
                       check=True, capture_output=True, timeout=120)
        self.start()
        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
            connection.execute("CREATE DATABASE vms")

    def start(self) -> None:
        # The socket goes in the cluster's own folder, so it never meets the machine's PostgreSQL.
        options = f"-h 127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"
        subprocess.run(as_postgres([postgres_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                                    "-o", options, "-w", "-t", str(int(START_TIMEOUT)), "start"]),
                       check=True, capture_output=True, timeout=START_TIMEOUT + 10)

    def stop(self, mode: str = "fast") -> None:
        """Stop it: "immediate" is a crash (no checkpoint; recovery on the next start), "fast" a clean stop."""
        subprocess.run(as_postgres([postgres_binary("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
                       check=False, capture_output=True, timeout=START_TIMEOUT)

    def restart(self) -> None:
        self.stop("immediate")
        self.start()


class Redis:
    """redis-server on a free port of 127.0.0.1 without persistence: a restart empties it, as a crash would."""

    def __init__(self, directory: Path, port: int) -> None:
        self.directory = directory
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / "redis.log", "ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                 "--appendonly", "no", "--dir", str(self.directory)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port)
        wait_for(lambda: self._answers(client), START_TIMEOUT, "redis-server to answer")
        client.close()

    def _answers(self, client: redis.Redis) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {self.process.returncode}")
        try:
            return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


class RecordingsDisk:
    """A tmpfs of `size_mib` mounted at `path` for the VMS's media (recordings and exports); it can be filled."""

    def __init__(self, path: Path, size_mib: int) -> None:
        self.path = path
        self.size_mib = size_mib
        self.filler = path / "filler"

    def mount(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size_mib}m", "tmpfs", str(self.path)],
                       check=True, capture_output=True, timeout=30)

    def unmount(self) -> None:
        for _ in range(10):
            if subprocess.run(["umount", str(self.path)], capture_output=True, check=False).returncode == 0:
                return
            time.sleep(1)  # a process that still has a file open there is being stopped
        subprocess.run(["umount", "--lazy", str(self.path)], capture_output=True, check=False)

    def free_mib(self) -> float:
        return shutil.disk_usage(self.path).free / 2**20

    def used_mib(self) -> float:
        return shutil.disk_usage(self.path).used / 2**20

    def fill(self) -> None:
        """Write zeros until the disk refuses more."""
        chunk = bytes(2**20)
        with open(self.filler, "wb", buffering=0) as file:
            try:
                while True:
                    file.write(chunk)
            except OSError:
                pass

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)
