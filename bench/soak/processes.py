"""The VMS's own processes as production runs them (see the Makefile's `run`): recorder, analytics, a Celery
worker on the queues celery and redaction, and daphne. Each can be killed with SIGKILL and started again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.recording_checks import wait_for
from tests.web_server import answers

ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT = 30.0


class VmsProcess:
    """One VMS process in a session of its own, so that SIGKILL takes its children too (Celery's pool)."""

    def __init__(self, name: str, argv: list[str], logs: Path, ready_url: str | None = None) -> None:
        self.name = name
        self.argv = argv
        self.log = logs / f"{name}.log"
        self.ready_url = ready_url
        self.process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        if self.ready_url:
            wait_for(lambda: self._exited() or answers(self.ready_url), 60, f"{self.name} to answer")
        if self._exited():
            raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")

    def _exited(self) -> bool:
        return self.process.poll() is not None

    def kill(self) -> None:
        """SIGKILL to its whole session: no clean-up runs, as when a machine dies."""
        if self.running:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it is still there after STOP_TIMEOUT seconds."""
        if not self.running:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, characters: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-characters:] if self.log.exists() else "(no log)"


def vms_processes(logs: Path, web_port: int, celery_schedule: Path) -> dict[str, VmsProcess]:
    """The four kinds of process, by name, as the Makefile's `run` starts them."""
    python = sys.executable
    return {
        "recorder": VmsProcess("recorder", [python, "manage.py", "recorder"], logs),
        "analytics": VmsProcess("analytics", [python, "manage.py", "analytics"], logs),
        "celery": VmsProcess("celery", [
            python, "-m", "celery", "-A", "vms", "worker", "--beat", "--loglevel=info", "--concurrency=2",
            "--queues=celery,redaction", "--schedule", str(celery_schedule), "--hostname=soak@%h"], logs),
        "web": VmsProcess("web", [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(web_port),
                                  "vms.asgi:application"], logs,
                          ready_url=f"http://127.0.0.1:{web_port}/api/v1/health/"),
    }
