"""The soak run: cameras on the RTSP stand-ins, the VMS's real processes, exports asked for through the API,
an alarm camera unplugged now and then, and the seeded faults; then the checks (bench.soak.checks).

Imported once Django is set up (bench.soak.__main__ does it): the run reads the database through the ORM."""

from __future__ import annotations

import json
import random
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from django.contrib.auth.models import Group, User
from django.db import InterfaceError, OperationalError, connections

from accounts.roles import ADMIN
from analytics.choices import Condition
from analytics.models import Rule
from bench.soak.faults import Fault, fault_schedule, offline_episodes
from bench.soak.processes import VmsProcess
from bench.soak.services import Postgres, RecordingsDisk, Redis
from devices.choices import CameraStatus, RecordingMode
from devices.models import Camera
from recordings.models import RecorderProcess, Segment
from redaction.models import Export, ExportStatus
from tests.recording_checks import wait_for
from tests.standins.rtsp_servers import FileRtspServer

T = TypeVar("T")
EXPORT_EVERY_SECONDS = 40.0
EXPORT_SPAN_SECONDS = 30.0
# A Celery worker is killed once its render has reported progress and before it is nearly done.
MID_RENDER = (0.0, 0.9)
SETTLE_SECONDS = 180.0
CAMERAS_PER_SERVER = 4
started = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - started:7.1f} s] {message}", flush=True)


def with_database(query: Callable[[], T], timeout: float = 180.0) -> T:
    """Run an ORM query, waiting out a PostgreSQL restart (the harness's connection dies with it)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return query()
        except (OperationalError, InterfaceError):
            connections.close_all()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@dataclass
class Outage:
    """A fault as it happened: wall-clock seconds since the epoch; `until` is when the process or service was
    back (before its cameras are taken up again: checks add a lease where that applies)."""

    kind: str
    since: float
    until: float
    note: str = ""


@dataclass
class RunRecord:
    """What the run did, for the checks."""

    began: float = 0.0
    ended: float = 0.0
    outages: list[Outage] = field(default_factory=list)
    episodes: list[tuple[float, float]] = field(default_factory=list)
    exports: list[int] = field(default_factory=list)
    api_retries: int = 0
    alarm_camera: int = 0
    recording_cameras: list[int] = field(default_factory=list)


class Soak:
    """One soak run over services and processes that the caller has started."""

    def __init__(self, *, postgres: Postgres, redis: Redis, disk: RecordingsDisk, processes: dict[str, VmsProcess],
                 web_url: str, clip: Path, cameras: int, seconds: float, rng: random.Random, faults: list[str],
                 each: int) -> None:
        self.postgres, self.redis, self.disk, self.processes = postgres, redis, disk, processes
        self.web_url = web_url
        self.clip = clip
        self.camera_count = cameras
        self.seconds = seconds
        self.rng = rng
        self.schedule = fault_schedule(rng, seconds, faults, each)
        self.planned_episodes = offline_episodes(rng, seconds)
        self.record = RunRecord()
        self.token = ""
        self.password = ""
        self.servers: list[FileRtspServer] = []
        self.alarm_server: FileRtspServer | None = None
        self.unplugged_at = 0.0

    # Set-up

    def create_admin(self) -> None:
        self.password = secrets.token_urlsafe(16)
        admin = User.objects.create_superuser("soak", password=self.password)
        admin.groups.add(Group.objects.get(name=ADMIN))

    def log_in(self) -> None:
        """An API token for the admin, asked for as a client would (the web process must be up)."""
        status, answer = self.api("POST", "/api/v1/auth/token/", {"username": "soak", "password": self.password})
        if status != 200:
            raise RuntimeError(f"the admin cannot log in: {status} {answer}")
        self.token = answer["token"]

    def start_cameras(self) -> None:
        """Cameras on stand-in servers of CAMERAS_PER_SERVER each, and the alarm camera on a server of its own
        (unplugging it takes no other camera along). The alarm camera is read, not recorded, and analysed."""
        directory = self.clip.parent
        for first in range(0, self.camera_count, CAMERAS_PER_SERVER):
            server = FileRtspServer(directory).start()
            self.servers.append(server)
            for number in range(first, min(first + CAMERAS_PER_SERVER, self.camera_count)):
                camera = Camera.objects.create(name=f"Soak {number + 1}", main_url=server.url_for(self.clip))
                self.record.recording_cameras.append(camera.pk)
        self.alarm_server = FileRtspServer(directory).start()
        alarm = Camera.objects.create(name="Soak door", main_url=self.alarm_server.url_for(self.clip),
                                      recording_mode=RecordingMode.OFF, analytics_enabled=True, analytics_fps=2)
        Rule.objects.create(camera=alarm, name="Door camera offline", condition=Condition.OFFLINE)
        self.record.alarm_camera = alarm.pk

    def wait_until_recording(self) -> None:
        cameras = self.record.recording_cameras
        wait_for(lambda: Segment.objects.filter(camera_id__in=cameras).values("camera").distinct().count()
                 == len(cameras), 120, "every camera to write a segment")
        wait_for(lambda: Camera.objects.get(pk=self.record.alarm_camera).analyser_id, 120,
                 "an analytics worker to take the alarm camera")

    # The run

    def run(self) -> RunRecord:
        self.record.began = time.time()
        plan: list[tuple[float, str, Callable[[], None]]] = []
        for fault in self.schedule:
            plan.append((fault.at, f"fault: {fault.kind}", lambda fault=fault: self.strike(fault)))
        for since, until in self.planned_episodes:
            plan.append((since, "alarm camera unplugged", self.unplug))
            plan.append((until, "alarm camera plugged back", self.plug))
        moment = EXPORT_SPAN_SECONDS + 10
        while moment < self.seconds - 10:
            plan.append((moment, "export requested", self.request_export))
            moment += EXPORT_EVERY_SECONDS
        for at, what, action in sorted(plan, key=lambda item: item[0]):
            # Waiting for the planned moment, not for an outcome: outcomes are waited for as conditions.
            time.sleep(max(0.0, self.record.began + at - time.time()))
            say(what)
            action()
        time.sleep(max(0.0, self.record.began + self.seconds - time.time()))
        self.record.ended = time.time()
        return self.record

    def settle(self) -> None:
        """Let every export finish (or stay stuck: the checks say so), then stop the processes cleanly."""
        say(f"waiting up to {SETTLE_SECONDS:.0f} s for every export to finish")
        try:
            wait_for(lambda: with_database(lambda: not Export.objects.filter(pk__in=self.record.exports).exclude(
                status__in=(ExportStatus.DONE, ExportStatus.FAILED)).exists()), SETTLE_SECONDS, "every export")
        except AssertionError as exc:
            say(str(exc))
        for process in self.processes.values():
            process.stop()

    def stop_cameras(self) -> None:
        for server in [*self.servers, self.alarm_server]:
            if server is not None:
                server.stop()

    # Faults

    def strike(self, fault: Fault) -> None:
        since = time.time()
        note = ""
        if fault.kind in ("recorder", "analytics", "web"):
            self.processes[fault.kind].kill()
            self.processes[fault.kind].start()
            if fault.kind != "web":
                self.wait_until_registered(fault.kind)
        elif fault.kind == "celery":
            since, note = self.kill_celery_mid_render()
        elif fault.kind == "postgres":
            self.postgres.restart()
        elif fault.kind == "redis":
            self.redis.restart()
        elif fault.kind == "disk":
            note = self.fill_disk()
        self.record.outages.append(Outage(fault.kind, since, time.time(), note))
        say(f"  {fault.kind} back after {time.time() - since:.1f} s {note}")

    def wait_until_registered(self, kind: str) -> None:
        """A restarted recorder or analytics worker is back once it has said so in the database (it takes
        cameras from then on); starting Python and Django can take seconds on a busy machine."""
        pid = self.processes[kind].process.pid
        wait_for(lambda: with_database(lambda: RecorderProcess.objects.filter(kind=kind, pid=pid).exists()), 120,
                 f"the new {kind} process to register")

    def kill_celery_mid_render(self) -> tuple[float, str]:
        """Ask for an export and SIGKILL the worker while it renders; another try if a render slips by."""
        for _attempt in range(3):
            export_id = self.request_export(span=2 * EXPORT_SPAN_SECONDS)
            if export_id is None:
                continue

            def rendering(export_id: int = export_id) -> str | None:
                export = with_database(lambda: Export.objects.get(pk=export_id))
                if export.status != ExportStatus.RENDERING:
                    return export.status  # done or failed already: too late for this one
                return "mid-render" if MID_RENDER[0] < export.progress < MID_RENDER[1] else None

            if wait_for(rendering, 120, f"export {export_id} to render", every=0.05) == "mid-render":
                since = time.time()
                self.processes["celery"].kill()
                self.processes["celery"].start()
                return since, f"(export {export_id} killed mid-render)"
        return time.time(), "(no render caught in progress)"

    def fill_disk(self) -> str:
        self.disk.fill()
        cameras = self.record.recording_cameras

        def a_camera_says_so() -> bool:
            return with_database(lambda: Camera.objects.filter(
                pk__in=cameras, status=CameraStatus.ERROR, last_error__contains="disk").exists())

        wait_for(a_camera_says_so, 60, "a camera to report the full disk")
        self.disk.free()
        return "(a camera reported the full disk)"

    # The alarm camera and exports

    def unplug(self) -> None:
        self.alarm_server.stop()
        self.unplugged_at = time.time()

    def plug(self) -> None:
        self.alarm_server.start()
        self.record.episodes.append((self.unplugged_at, time.time()))

    def request_export(self, span: float = EXPORT_SPAN_SECONDS) -> int | None:
        """An export of a random camera's last `span` seconds, with a fixed area blurred: rendered at once."""
        camera = self.rng.choice(self.record.recording_cameras)
        end = datetime.now(UTC) - timedelta(seconds=5)
        body = {"camera": camera, "start": (end - timedelta(seconds=span)).isoformat(), "end": end.isoformat(),
                "areas": [{"points": [[0.0, 0.0], [0.3, 0.0], [0.3, 0.3], [0.0, 0.3]]}], "style": "blur",
                "reason": "soak test"}
        status, answer = self.api("POST", "/api/v1/exports/", body)
        if status != 201:
            say(f"  export refused: {status} {answer}")
            return None
        self.record.exports.append(answer["id"])
        return answer["id"]

    def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """Call the API as the admin, waiting out a restarting web process or database (a 5xx is retried)."""

        def call() -> tuple[int, dict] | None:
            request = urllib.request.Request(
                self.web_url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                headers={"Content-Type": "application/json",
                         **({"Authorization": f"Token {self.token}"} if self.token else {})})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (a local URL)
                    return response.status, json.loads(response.read() or b"{}")
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return exc.code, json.loads(exc.read() or b"{}")
            except OSError:
                pass
            self.record.api_retries += 1
            return None

        return wait_for(call, 180, f"the API to answer {method} {path}", every=0.5)

