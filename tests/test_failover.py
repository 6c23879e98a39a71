"""Failover between real recorder processes (and analytics workers) on stand-in RTSP cameras: a killed one's cameras
are recorded by the other, a frozen one indexes nothing of the time the other took over (fencing), a joining one
takes cameras at segment boundaries, and no time of a camera is ever indexed twice."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from channels.layers import get_channel_layer
from django.db import connection
from django.utils import timezone

from devices.choices import AnalysisSource, CameraStatus, MetadataTransport
from devices.models import Camera
from recordings.models import RecorderProcess, Segment
from tests.recording_checks import assert_no_time_twice, assert_segment_intact, assert_segment_playable, wait_for
from tests.standins.rtsp_servers import GstCamera, free_port
from tests.web_server import server_env
from vms.realtime import camera_group

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.rtsp]
ROOT = Path(__file__).resolve().parent.parent
SEGMENT_SECONDS = 3.0
LEASE_SECONDS = 2.0
# Short, so that each failover takes seconds; the defaults are measured by bench/cluster.py.
FAST_FAILOVER = {"VMS_SEGMENT_SECONDS": str(SEGMENT_SECONDS), "VMS_RECORDER_LEASE_SECONDS": str(LEASE_SECONDS),
                 "VMS_RECORDER_HEARTBEAT_SECONDS": "0.5", "VMS_CAMERA_READ_TIMEOUT": "3",
                 "VMS_RECONNECT_MAX_SECONDS": "2", "VMS_LOG_LEVEL": "INFO"}


@pytest.fixture
def cluster(settings, tmp_path) -> Iterator[Cluster]:
    media = tmp_path / "media"
    settings.RECORDINGS_ROOT = media / "recordings"
    # The web side reads the lease the processes use: it says when a recorder is lost.
    settings.RECORDER_LEASE_SECONDS = LEASE_SECONDS
    cluster = Cluster(server_env(media, **FAST_FAILOVER), tmp_path, media)
    yield cluster
    cluster.stop_all()


class Cluster:
    """VMS worker processes of this test (`manage.py recorder` or `analytics`), each signalled by its own pid."""

    def __init__(self, env: dict, logs: Path, media: Path) -> None:
        self.env = env
        self.logs = logs
        self.media = media
        self.processes: list[subprocess.Popen] = []

    def start(self, command: str = "recorder", **env: str) -> subprocess.Popen:
        log = open(self.logs / f"{command}-{len(self.processes)}.log", "wb")  # noqa: SIM115  (the process's log)
        process = subprocess.Popen([sys.executable, "manage.py", command], cwd=ROOT, env={**self.env, **env},
                                   stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        wait_for(lambda: RecorderProcess.objects.filter(pid=process.pid).exists(), 60, f"{command} to register")
        return process

    def kill(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_of(self, process: subprocess.Popen) -> str:
        index = self.processes.index(process)
        return next(self.logs.glob(f"*-{index}.log")).read_text(errors="replace")


def holder_pid(camera: Camera, field: str = "recorder") -> int | None:
    return Camera.objects.filter(pk=camera.pk).values_list(f"{field}__pid", flat=True).first()


def segments_of(camera: Camera) -> list[Segment]:
    return list(Segment.objects.filter(camera=camera, unmasked=False).order_by("start"))


def segments_since(camera: Camera, moment: datetime) -> list[Segment]:
    return [s for s in segments_of(camera) if s.start >= moment]


def back_and_letting_go(cluster: Cluster, returned: subprocess.Popen, camera: Camera, other: subprocess.Popen) -> None:
    """A recorder that comes back (resumed, or reconnected to the database) finds the camera is not its own any more
    and lets its thread go, carrying on itself, while the other records on."""
    wait_for(lambda: "recording stopped" in cluster.log_of(returned), 30,
             "the returned recorder to stop recording the camera")
    returned_at = timezone.now()
    wait_for(lambda: len(segments_since(camera, returned_at)) >= 1, 30, "another segment by the other")
    assert returned.poll() is None, "the returned recorder should carry on"
    assert holder_pid(camera) == other.pid


def assert_whole_and_once(camera: Camera) -> None:
    segments = segments_of(camera)
    assert_no_time_twice(segments)
    for segment in segments:
        assert_segment_intact(segment)
        assert_segment_playable(segment)


@contextmanager
def status_messages(*cameras: Camera) -> Iterator[list[dict]]:
    """The `camera.status` messages of the cameras' realtime groups, as their watchers' sockets get them."""
    messages: list[dict] = []
    subscribed, done = threading.Event(), threading.Event()

    async def listen() -> None:
        layer = get_channel_layer()
        channel = await layer.new_channel()
        for camera in cameras:
            await layer.group_add(camera_group(camera.pk), channel)
        subscribed.set()
        while not done.is_set():
            try:
                event = await asyncio.wait_for(layer.receive(channel), timeout=0.5)
            except TimeoutError:
                continue
            if event["message"]["type"] == "camera.status":
                messages.append(event["message"]["data"])

    listener = threading.Thread(target=asyncio.run, args=(listen(),), daemon=True)
    listener.start()
    subscribed.wait(10)
    try:
        yield messages
    finally:
        done.set()
        listener.join(timeout=10)


def test_a_killed_recorders_cameras_are_recorded_by_the_other_and_no_time_twice(cluster):
    with GstCamera("/one") as one, GstCamera("/two") as two:
        cameras = [Camera.objects.create(name="One", main_url=one.url),
                   Camera.objects.create(name="Two", main_url=two.url)]
        recorders = [cluster.start()]
        wait_for(lambda: all(len(segments_of(c)) >= 1 for c in cameras), 60, "segments from the first recorder")
        for _ in range(2):
            # A recorder joins: one camera moves to it (at a segment's end); then the older one is killed.
            recorders.append(cluster.start())
            pids = {r.pid for r in recorders}
            wait_for(lambda p=pids: {holder_pid(c) for c in cameras} == p, 60, "one camera each")
            killed, survivor = recorders
            victim = next(c for c in cameras if holder_pid(c) == killed.pid)
            with status_messages(victim) as messages:
                cluster.kill(killed)
                killed_at = timezone.now()
                wait_for(lambda v=victim, p=survivor.pid: holder_pid(v) == p, 30, "the other recorder to take it over")
                wait_for(lambda v=victim, t=killed_at: len(segments_since(v, t)) >= 2, 40,
                         "the other recorder to record it")
            states = [m["live_status"]["state"] for m in messages if m["camera"] == victim.pk]
            assert CameraStatus.RECORDER_LOST in states, f"its watchers were told {states}"
            assert states[-1] == CameraStatus.ONLINE, f"its watchers were told {states}"
            recorders = [survivor]
    for camera in cameras:
        assert_whole_and_once(camera)
    leftovers = [p for p in Path(cluster.env["VMS_MEDIA_ROOT"]).rglob("*") if p.suffix in (".part", ".rescue")]
    assert leftovers == [], "each half-written segment of a killed recorder should have been rescued"


def test_a_frozen_recorder_says_lost_and_indexes_nothing_of_the_time_the_other_took_over(cluster, admin_client):
    with GstCamera("/frozen") as source:
        camera = Camera.objects.create(name="Frozen", main_url=source.url)
        frozen = cluster.start()
        wait_for(lambda: len(segments_of(camera)) >= 2, 60, "segments from the first recorder")
        frozen.send_signal(signal.SIGSTOP)  # cut off: it cannot renew, nor know that it cannot
        state = lambda: admin_client.get(f"/api/v1/cameras/{camera.pk}/").json()["live_status"]  # noqa: E731
        lost = wait_for(lambda: state()["state"] == CameraStatus.RECORDER_LOST and state(), 20,
                        "the camera's status to say its recorder is lost")
        assert "recorder" in lost["last_error"]
        other = cluster.start()
        wait_for(lambda: holder_pid(camera) == other.pid, 30, "the other recorder to take the camera over")
        taken_at = timezone.now()
        wait_for(lambda: len(segments_since(camera, taken_at)) >= 2, 40, "the other recorder to record")
        frozen.send_signal(signal.SIGCONT)
        back_and_letting_go(cluster, frozen, camera, other)
        assert state()["state"] == CameraStatus.ONLINE
    assert_whole_and_once(camera)


class DatabaseRelay:
    """A TCP relay to the test database (socat, a process per connection, in a session of its own): the network
    between a recorder and the database, cut by killing the relay (its connections break, new ones are refused)
    and mended by starting it again on the same port."""

    def __init__(self) -> None:
        db = connection.settings_dict
        self.port = free_port()
        self.upstream = f"TCP:{db['HOST']}:{db['PORT']}"
        self.url = f"postgresql://{db['USER']}@127.0.0.1:{self.port}/{db['NAME']}"
        self.relay: subprocess.Popen | None = None

    def mend(self) -> None:
        self.relay = subprocess.Popen(["socat", f"TCP-LISTEN:{self.port},bind=127.0.0.1,reuseaddr,fork",
                                       self.upstream], start_new_session=True)
        wait_for(lambda: answers_tcp(self.port), 10, "the relay to listen")

    def cut(self) -> None:
        if self.relay is not None and self.relay.poll() is None:
            os.killpg(self.relay.pid, signal.SIGKILL)
            self.relay.wait()

    def __enter__(self) -> DatabaseRelay:
        self.mend()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()


def answers_tcp(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_a_recorder_cut_off_from_the_database_indexes_nothing_of_the_time_the_other_took_over(cluster):
    with GstCamera("/cut") as source, DatabaseRelay() as relay:
        camera = Camera.objects.create(name="Cut off", main_url=source.url)
        cut_off = cluster.start(VMS_DATABASE_URL=relay.url)
        wait_for(lambda: len(segments_of(camera)) >= 2, 60, "segments from the first recorder")
        other = cluster.start()
        relay.cut()  # it records on, but cannot renew its lease nor index
        wait_for(lambda: holder_pid(camera) == other.pid, 30, "the other recorder to take the camera over")
        taken_at = timezone.now()
        wait_for(lambda: len(segments_since(camera, taken_at)) >= 2, 40, "the other recorder to record")
        relay.mend()
        back_and_letting_go(cluster, cut_off, camera, other)
    assert_whole_and_once(camera)


def test_a_lone_recorder_cut_off_from_the_database_holds_its_footage_and_indexes_it_once_back(cluster):
    # The database restarting, as far as the recorder can tell: nobody else could record the camera meanwhile.
    with GstCamera("/alone") as source, DatabaseRelay() as relay:
        camera = Camera.objects.create(name="Alone", main_url=source.url)
        recorder = cluster.start(VMS_DATABASE_URL=relay.url)
        wait_for(lambda: len(segments_of(camera)) >= 2, 60, "segments before the cut")
        relay.cut()
        cut_at = timezone.now()
        held = cluster.media / "recordings" / str(camera.pk) / "held"
        wait_for(lambda: len(list(held.glob("*/*.mp4"))) >= 2, 60, "segments held while the database is away")
        relay.mend()
        mended_at = timezone.now()
        wait_for(lambda: len(segments_since(camera, mended_at)) >= 1, 60, "segments after the database is back")
        assert recorder.poll() is None and holder_pid(camera) == recorder.pid
    assert not list(held.glob("*/*")), "every held segment is indexed"
    during = [s for s in segments_of(camera) if cut_at <= s.start < mended_at]
    assert len(during) >= 2 and all(s.path.startswith(f"{camera.pk}/{s.start:%Y-%m-%d}/") for s in during)
    segments = segments_of(camera)
    gaps = [(after.start - before.end).total_seconds() for before, after in zip(segments, segments[1:], strict=False)]
    # Where the lease lapsed the segment being written ends, and the next starts at the next keyframe (a second).
    assert max(gaps) < SEGMENT_SECONDS, gaps
    assert_whole_and_once(camera)


def test_a_joining_recorder_takes_cameras_only_at_segment_boundaries(cluster):
    with GstCamera("/a") as a, GstCamera("/b") as b:
        cameras = [Camera.objects.create(name="A", main_url=a.url), Camera.objects.create(name="B", main_url=b.url)]
        first = cluster.start()
        wait_for(lambda: all(len(segments_of(c)) >= 2 for c in cameras), 60, "segments from the first recorder")
        joined_at = timezone.now()
        second = cluster.start()
        moved = wait_for(lambda: next((c for c in cameras if holder_pid(c) == second.pid), None), 60,
                         "a camera to move to the joining recorder")
        wait_for(lambda: len(segments_since(moved, joined_at)) >= 3, 60, "segments by the joining recorder")
        assert holder_pid(next(c for c in cameras if c != moved)) == first.pid
    # The hand-over is the one gap after the join: the first recorder's last segment before it is whole.
    segments = segments_of(moved)
    gaps = [(after.start - before.end).total_seconds() for before, after in zip(segments, segments[1:], strict=False)]
    handover = max((i for i, s in enumerate(segments[1:]) if s.start >= joined_at), key=lambda i: gaps[i])
    last_of_first = segments[handover]
    assert gaps[handover] > 0, "the joining recorder starts where the first one stopped, not before"
    assert last_of_first.duration >= SEGMENT_SECONDS - 0.05, (
        f"the first recorder cut its segment at {last_of_first.duration:.2f} s to hand the camera over")
    for camera in cameras:
        assert_whole_and_once(camera)


def test_a_killed_analytics_workers_cameras_are_taken_over(cluster):
    # Analysed by their own metadata over MQTT: the worker decodes nothing and needs no recorder.
    camera = Camera.objects.create(name="Analysed", main_url="rtsp://127.0.0.1:9/none", analytics_enabled=True,
                                   analysis_source=AnalysisSource.CAMERA, metadata_transport=MetadataTransport.MQTT,
                                   metadata_broker="mqtt://127.0.0.1:1883", metadata_topic="failover/test")
    cluster.env["VMS_MQTT_URL"] = "mqtt://127.0.0.1:1883"
    first = cluster.start("analytics")
    wait_for(lambda: holder_pid(camera, "analyser") == first.pid, 30, "the first worker to take the camera")
    second = cluster.start("analytics")
    epoch = Camera.objects.get(pk=camera.pk).analysis_lease_epoch
    cluster.kill(first)
    wait_for(lambda: holder_pid(camera, "analyser") == second.pid, 30, "the other worker to take the camera over")
    assert Camera.objects.get(pk=camera.pk).analysis_lease_epoch == epoch + 1
    assert "analytics cannot start" not in cluster.log_of(second)
    assert second.poll() is None
