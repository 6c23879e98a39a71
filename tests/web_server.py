"""The real ASGI server (daphne) run as a subprocess against the test database, for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from tests.recording_checks import wait_for
from tests.standins.rtsp_servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def server_env(media_root: Path, **extra: str) -> dict:
    """The environment that points a subprocess of the VMS at the test database and media folder."""
    db = connection.settings_dict
    return {**os.environ, "VMS_MEDIA_ROOT": str(media_root),
            "VMS_DATABASE_URL": f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}", **extra}


def answers(url: str) -> bool:
    """Whether an HTTP server answers at `url` (any status)."""
    try:
        urllib.request.urlopen(url, timeout=1)  # noqa: S310  (a local URL)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@contextmanager
def web_server(media_root: Path, **env: str) -> Iterator[str]:
    """Run daphne on a free port; `env` adds VMS_* settings (e.g. VMS_LOGIN_RATE for tests that log in often)."""
    port = free_port()
    # Its log goes to a file: a pipe nobody reads would fill up and stall the server mid-test.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "vms.asgi:application"],
        cwd=ROOT, env=server_env(media_root, **env), stdout=subprocess.DEVNULL, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: process.poll() is not None or answers(base + "/api/v1/health/"), 30, "daphne to answer")
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError("daphne exited: " + log.read().decode(errors="replace")[-3000:])
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@contextmanager
def celery_worker(media_root: Path, *queues: str, **env: str) -> Iterator[None]:
    """A real Celery worker (solo pool) on `queues`, against the test database and media folder."""
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "vms", "worker", "--pool=solo", "--loglevel=info",
         f"--queues={','.join(queues)}", f"--hostname=test-{os.getpid()}@%h"],
        cwd=ROOT, env=server_env(media_root, **env), stdout=subprocess.DEVNULL, stderr=log,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
