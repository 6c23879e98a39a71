"""`python -m bench.cluster failover`: kill -9 one of two recorder processes, again and again, and measure each of
its cameras' footage gap and how long until the camera's status said "recorder lost", with this version's default
lease and heartbeat beside the old defaults (a 15 s lease renewed every 5 s) in the same run; with `--hot-standby`,
hot standby (VMS_RECORDER_HOT_STANDBY) beside the defaults instead; with `--netns`, kill -9
every process of one recorder host of the namespaced cluster of tests/test_cluster.py instead, with the defaults.
`python -m bench.cluster upload`: how fast a recorder puts its cameras' segments into the object store (Ceph's RADOS
Gateway), measured on the backlog it kept while the store was down, beside boto3's plain upload of the same files.
See bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.storage import plain_upload, timed
from bench.vms_under_test import bench_database, set_environment
from tests.standins.object_store import CephObjectGateway, S3Bucket
from tests.standins.rtsp_servers import GstCamera

DATABASE = "vms_bench_cluster"
REDIS_URL = "redis://127.0.0.1:6379/13"
# Lease and heartbeat of each configuration: this version's defaults, and the old ones (a lease renewed every third).
CONFIGURATIONS = {"defaults": {}, "old 15 s lease": {"VMS_RECORDER_LEASE_SECONDS": "15",
                                                     "VMS_RECORDER_HEARTBEAT_SECONDS": "5"}}
HOT_STANDBY = {"defaults": {}, "hot standby": {"VMS_RECORDER_HOT_STANDBY": "true"}}
started = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - started:7.1f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Failovers:
    """What the kills of one configuration did: per camera of a killed recorder, its footage gap and the time until
    its watchers were told that its recorder was lost (None: never told)."""

    gaps: list[float] = field(default_factory=list)
    lost_after: list[float | None] = field(default_factory=list)
    overlaps: int = 0
    segments: int = 0


class StatusWatch:
    """When each camera's watchers were told `recorder_lost`, as a browser's socket would be (the channel layer)."""

    def __init__(self, camera_ids: list[int]) -> None:
        self.camera_ids = camera_ids
        self.lost: dict[int, list[float]] = {camera_id: [] for camera_id in camera_ids}
        self.subscribed, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=asyncio.run, args=(self.listen(),), daemon=True)

    async def listen(self) -> None:
        from channels.layers import get_channel_layer

        from vms.realtime import camera_group

        layer = get_channel_layer()
        channel = await layer.new_channel()
        for camera_id in self.camera_ids:
            await layer.group_add(camera_group(camera_id), channel)
        self.subscribed.set()
        while not self.done.is_set():
            try:
                event = await asyncio.wait_for(layer.receive(channel), timeout=0.5)
            except TimeoutError:
                continue
            message = event["message"]
            if message["type"] == "camera.status" and message["data"]["live_status"]["state"] == "recorder_lost":
                self.lost[message["data"]["camera"]].append(time.time())

    def __enter__(self) -> StatusWatch:
        self.thread.start()
        self.subscribed.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(timeout=10)


def run_failovers(label: str, extra: dict[str, str], urls: list[str], kills: int, logs: Path) -> Failovers:
    # Imported once Django is set up (bench_database does it): they load the models.
    from django.db.models import Count

    from bench.soak.processes import VmsProcess
    from devices.models import Camera
    from recordings.models import RecorderProcess, Segment
    from tests.recording_checks import footage_gap, wait_for

    Camera.objects.all().delete()
    RecorderProcess.objects.all().delete()
    cameras = [Camera.objects.create(name=f"Camera {i}", main_url=url) for i, url in enumerate(urls)]
    argv = [sys.executable, "manage.py", "recorder"]
    env_before = dict(os.environ)
    os.environ.update(extra)  # the recorders' settings; VmsProcess passes its environment on
    serial = iter(range(1000))
    recorders = []
    result = Failovers()

    def start() -> VmsProcess:
        process = VmsProcess(f"{label.replace(' ', '-')}-recorder-{next(serial)}", argv, logs)
        process.start()
        recorders.append(process)
        return process

    def holders() -> dict[int, int]:
        """pid -> cameras held."""
        rows = Camera.objects.filter(recorder__isnull=False).values("recorder__pid").annotate(n=Count("pk"))
        return {row["recorder__pid"]: row["n"] for row in rows}

    def balanced() -> bool:
        alive = {r.process.pid for r in recorders if r.running}
        held = holders()
        return (set(held) == alive and sum(held.values()) == len(cameras)
                and max(held.values()) - min(held.values()) <= 1)

    try:
        start()
        start()
        wait_for(balanced, 120, "both recorders to hold cameras")
        wait_for(lambda: all(Segment.objects.filter(camera=c).exists() for c in cameras), 120, "a segment of each")
        with StatusWatch([c.pk for c in cameras]) as watch:
            for kill in range(1, kills + 1):
                if "VMS_RECORDER_HOT_STANDBY" in extra:
                    wait_for_standbys(cameras)
                indexed = set(Segment.objects.values_list("path", flat=True))
                held = holders()
                victim = max((r for r in recorders if r.running), key=lambda r: held.get(r.process.pid, 0))
                survivor = next(r for r in recorders if r.running and r is not victim)
                its_cameras = list(Camera.objects.filter(recorder__pid=victim.process.pid).values_list("pk", flat=True))
                killed_at = time.time()
                victim.kill()
                since = epoch(killed_at)
                for camera_id in its_cameras:
                    wait_for(lambda c=camera_id, p=survivor.process.pid: Camera.objects.filter(pk=c, recorder__pid=p)
                             .exists(), 120, f"camera {camera_id} to be taken over")
                    wait_for(lambda c=camera_id, t=since: Segment.objects.filter(camera_id=c, start__gte=t)
                             .exists(), 120, f"a segment of camera {camera_id} after the kill")
                gaps = []
                for camera_id in its_cameras:
                    gap = footage_gap(list(Segment.objects.filter(camera_id=camera_id)), indexed, since)
                    gaps += [] if gap is None else [gap]
                    told = [t - killed_at for t in watch.lost[camera_id] if t >= killed_at]
                    result.lost_after.append(told[0] if told else None)
                result.gaps += gaps
                say(f"{label}: kill {kill}: {len(its_cameras)} cameras moved, gaps "
                    + ", ".join(f"{g:.2f}" for g in gaps) + " s")
                start()
                wait_for(balanced, 120, "the cameras to be shared again")
        for camera in cameras:
            segments = list(Segment.objects.filter(camera=camera).order_by("start"))
            result.segments += len(segments)
            result.overlaps += overlaps(segments)
    finally:
        for process in recorders:
            process.stop()
        os.environ.clear()
        os.environ.update(env_before)
    return result


def overlaps(segments: list) -> int:
    """Pairs of a camera's segments (in order) that hold the same time, beyond 0.15 s."""
    return sum(1 for a, b in zip(segments, segments[1:], strict=False) if (a.end - b.start).total_seconds() > 0.15)


def run_netns_failovers(kills: int, cameras: int, segment_seconds: float, work: Path) -> tuple[Failovers, list[float],
                                                                                         list[float]]:
    """The kills in the namespaced cluster of tests/test_cluster.py (each host its own network namespace, each VMS
    process started from deploy/systemd): kill -9 everything of one recorder host, in turns, and start its recorder
    again once its cameras moved. Returns the failovers (gaps as they were once the other recorded), per kill the
    seconds until the other held them all, and the gaps again at the end of the run."""
    from tests.recording_checks import footage_gap, wait_for
    from tests.standins.vms_cluster import RECORDERS, running_cluster

    result, taken_over, moves = Failovers(), [], []
    with running_cluster(work / "cluster", cameras, {"VMS_SEGMENT_SECONDS": str(segment_seconds)}) as cluster:
        say("namespaced cluster up")
        wait_for(cluster.shared, 180, "the cameras shared by the two recorder hosts")
        for kill in range(1, kills + 1):
            victim, survivor = RECORDERS if kill % 2 else RECORDERS[::-1]
            moved = cluster.cameras_of(victim)
            indexed = {camera: {segment.path for segment in cluster.segments(camera)} for camera in moved}
            killed_at = time.time()
            cluster.hosts.kill_processes(victim)
            since = epoch(killed_at)
            wait_for(lambda m=moved, s=survivor: set(m) <= set(cluster.cameras_of(s)), 120,
                     f"{survivor} to take {victim}'s cameras", every=0.05)
            taken_over.append(time.time() - killed_at)
            for camera in moved:
                wait_for(lambda c=camera, t=since: cluster.segments(c, t), 120,
                         f"a segment of camera {camera} by {survivor}")
            moves += [(camera, indexed[camera], since) for camera in moved]
            gaps = [footage_gap(cluster.segments(camera), indexed[camera], since) for camera in moved]
            result.gaps += [gap for gap in gaps if gap is not None]
            say(f"netns kill {kill}: {victim} -> {survivor}, taken over after {taken_over[-1]:.2f} s, gaps "
                + ", ".join(f"{g:.2f}" for g in gaps if g is not None) + " s")
            cluster.start_recorder(victim)
            wait_for(cluster.shared, 180, "the cameras shared again")
        for camera in cluster.camera_ids:
            segments = cluster.segments(camera)
            result.segments += len(segments)
            result.overlaps += overlaps(segments)
        # What the pieces in the store did not hold of a killed host's open segment is on its disk: it is indexed only
        # if that host holds the camera again, and only where nothing covers its time.
        at_end = [footage_gap(cluster.segments(camera), before, since) for camera, before, since in moves]
    return result, taken_over, [gap for gap in at_end if gap is not None]


def report_netns(result: Failovers, taken_over: list[float], gaps_at_end: list[float], cameras: int) -> None:
    print(f"\nfailover after kill -9 of every process of one of two recorder hosts (network namespaces), {cameras} "
          "cameras, default lease and heartbeat")
    print(f"{'kills':>5} {'moves':>5} {'taken over s (median worst)':>28} {'gap s (median worst)':>21} "
          f"{'gap at end s':>14} {'time twice':>10}")
    print(f"{len(taken_over):>5} {len(result.gaps):>5} {figures(taken_over):>28} {figures(result.gaps):>21} "
          f"{figures(gaps_at_end):>14} {result.overlaps:>6}/{result.segments}")
    print("taken over: from the kill until the other recorder host held all its cameras (polled every 50 ms). gap: "
          "once the other recorded (with the killed host's open segment rescued from its pieces in the store); gap "
          "at end: the same at the end of the run, after the killed hosts came back. Load average "
          + " ".join(f"{load:.2f}" for load in os.getloadavg()))
def wait_for_standbys(cameras: list) -> None:
    """Until each camera has a live standby that kept enough of it: the holder recorded two more segments since (the
    standby keeps from a few seconds after it came, once the camera told its clock)."""
    from devices.models import Camera
    from recordings.models import Segment
    from tests.recording_checks import wait_for

    ids = [c.pk for c in cameras]
    wait_for(lambda: not Camera.objects.filter(pk__in=ids, standby__isnull=True).exists(), 120,
             "a standby for each camera")
    ready_at = datetime.now(UTC)
    wait_for(lambda: all(Segment.objects.filter(camera_id=i, start__gte=ready_at).count() >= 2 for i in ids), 120,
             "two segments since the standbys came")


def epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def figures(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} {max(values):6.2f}" if values else "     -      -"


def report(results: dict[str, Failovers], cameras: int, gop_seconds: float) -> None:
    print(f"\nfailover after kill -9 of one of two recorders, {cameras} cameras (GOP {gop_seconds:g} s), per camera "
          "of the killed recorder")
    print(f"{'configuration':<16} {'moves':>5} {'gap s (median worst)':>21} {'told lost s (median worst)':>27} "
          f"{'never told':>10} {'time twice':>10}")
    for label, result in results.items():
        told = [t for t in result.lost_after if t is not None]
        print(f"{label:<16} {len(result.gaps):>5} {figures(result.gaps):>21} {figures(told):>27} "
              f"{result.lost_after.count(None):>10} {result.overlaps:>6}/{result.segments}")
    print("gap: the longest hole in the footage from the last segment indexed before the kill, through the rescued "
          "half-written one (and what a hot standby recorded from memory), to the first segment that starts after "
          "the kill.\ntold lost: from the kill to the "
          "`camera.status` message saying recorder_lost; time twice: pairs of segments of a camera that overlap.")


@dataclass
class Uploads:
    """A backlog of finished segments and how long each way took to put all of it into the store."""

    segments: int
    size: int
    seconds: dict[str, float]


def measure_uploads(gateway: CephObjectGateway, bucket: S3Bucket, urls: list[str], backlog_seconds: float,
                    work: Path) -> Uploads:
    """The store goes down while a recorder records `urls`; what it kept on its disk meanwhile is the backlog. The
    recorder's time to upload, read back and index all of it once the store is back (a thread per camera) is
    measured beside boto3's plain upload of copies of the same files (a thread per camera too)."""
    from bench.soak.processes import VmsProcess
    from devices.models import Camera
    from recordings.models import Segment
    from tests.recording_checks import wait_for

    cameras = [Camera.objects.create(name=f"Camera {i}", main_url=url) for i, url in enumerate(urls)]
    recordings = Path(os.environ["VMS_MEDIA_ROOT"]) / "recordings"
    recorder = VmsProcess("upload-recorder", [sys.executable, "manage.py", "recorder"], work)
    recorder.start()
    try:
        wait_for(lambda: all(Segment.objects.filter(camera=c).exists() for c in cameras), 120, "a segment of each")
        gateway.stop_gateway()
        say(f"store down: {len(cameras)} cameras record onto the recorder's disk for {backlog_seconds:g} s")
        time.sleep(backlog_seconds)
        backlog = sorted(recordings.glob("*/*/*.mp4"))  # finished segments (the one being written is a .part)
        copies = work / "backlog"
        for path in backlog:
            copy = copies / path.relative_to(recordings)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
        keys = [str(path.relative_to(recordings)) for path in backlog]
        gateway.start_gateway()
        started = time.monotonic()
        wait_for(lambda: Segment.objects.filter(path__in=keys).count() == len(keys), 600,
                 "the backlog uploaded and indexed", every=0.05)
        recorder_seconds = time.monotonic() - started
        indexed = sorted(Segment.objects.filter(path__in=keys).values_list("created_at", flat=True))
    finally:
        recorder.stop()
    by_camera: dict[str, list[tuple[Path, str]]] = {}
    for key in keys:
        by_camera.setdefault(key.split("/")[0], []).append((copies / key, ""))
    upload = plain_upload(bucket.client, bucket.name, "plain")
    started = time.monotonic()
    threads = [threading.Thread(target=timed, args=(upload, files, 0)) for files in by_camera.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    plain_seconds = time.monotonic() - started
    # Without the recorder's pause before its next try (up to VMS_STORAGE_RETRY_MAX_SECONDS): the first segment of
    # the backlog indexed to the last, for all but one segment.
    after_first = (indexed[-1] - indexed[0]).total_seconds() * len(keys) / max(len(keys) - 1, 1)
    return Uploads(len(keys), sum(path.stat().st_size for path in copies.rglob("*.mp4")),
                   {"recorder: store back -> all indexed": recorder_seconds,
                    "recorder: without its retry pause": after_first,
                    "boto3 upload_file (baseline)": plain_seconds})


def report_uploads(uploads: Uploads, cameras: int, backlog_seconds: float) -> None:
    camera_kbps = uploads.size * 8 / 1000 / backlog_seconds / cameras
    print(f"\nupload of a recorder's backlog: {uploads.segments} segments, {uploads.size / 2**20:.1f} MiB, from "
          f"{cameras} cameras ({camera_kbps:.0f} kbit/s each) over {backlog_seconds:g} s, to Ceph's RADOS Gateway "
          "(memstore OSD) on this machine")
    print(f"{'way':40} {'seconds':>8} {'segments/s':>11} {'MiB/s':>7}")
    for way, seconds in uploads.seconds.items():
        print(f"{way:40} {seconds:8.2f} {uploads.segments / seconds:11.1f} {uploads.size / 2**20 / seconds:7.1f}")
    print("recorder: a thread per camera puts each segment, reads it back, checks its SHA-256 and indexes it, "
          "recording on meanwhile; its first try after the store is back waits up to VMS_STORAGE_RETRY_MAX_SECONDS "
          "(1 s here). boto3: upload_file of copies of the same files, a thread per camera. Load average "
          + " ".join(f"{load:.2f}" for load in os.getloadavg()))


def run_uploads(args: argparse.Namespace, work: Path) -> int:
    fps = 25
    with CephObjectGateway() as gateway:
        bucket = S3Bucket(gateway)
        set_environment(DATABASE, work / "media", REDIS_URL, VMS_SEGMENT_SECONDS=str(args.segment_seconds),
                        VMS_LOG_LEVEL="INFO", VMS_STORAGE_RETRY_MAX_SECONDS="1", **bucket.env)
        sources = [GstCamera(f"/cam{i}", fps=fps, gop=round(args.gop * fps), bitrate_kbps=args.bitrate).start()
                   for i in range(args.cameras)]
        say(f"{args.cameras} stand-in cameras and a Ceph gateway at {gateway.endpoint}; logs in {work}")
        try:
            with bench_database(DATABASE):
                uploads = measure_uploads(gateway, bucket, [s.url for s in sources], args.backlog_seconds, work)
        finally:
            for source in sources:
                source.stop()
    report_uploads(uploads, args.cameras, args.backlog_seconds)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("what", choices=["failover", "upload"])
    parser.add_argument("--kills", type=int, default=10, help="kill -9 this many times per configuration (10)")
    parser.add_argument("--cameras", type=int, default=4, help="stand-in cameras shared by the two recorders (4)")
    parser.add_argument("--gop", type=float, default=1.0, help="the cameras' keyframe interval in seconds (1)")
    parser.add_argument("--segment-seconds", type=float, default=4.0,
                        help="VMS_SEGMENT_SECONDS (4; short, so that each round waits less for a segment's end)")
    parser.add_argument("--skip-baseline", action="store_true", help="measure this version's defaults only")
    parser.add_argument("--netns", action="store_true",
                        help="failover: kill recorder hosts of the namespaced cluster of tests/test_cluster.py (root)")
    parser.add_argument("--backlog-seconds", type=float, default=60,
                        help="upload: how long the store is down, the recorder keeping segments on its disk (60)")
    parser.add_argument("--bitrate", type=int, default=4000, help="upload: the cameras' kbit/s (4000)")
    parser.add_argument("--hot-standby", action="store_true",
                        help="measure hot standby beside the defaults (instead of the old 15 s lease)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vms-bench-cluster-"))
    if args.what == "upload":
        return run_uploads(args, work)
    if args.netns:
        set_environment(DATABASE, work / "media", REDIS_URL)  # this process only reads the cluster's own database
        import django

        django.setup()
        result, taken_over, gaps_at_end = run_netns_failovers(args.kills, args.cameras, args.segment_seconds, work)
        report_netns(result, taken_over, gaps_at_end, args.cameras)
        return 0
    set_environment(DATABASE, work / "media", REDIS_URL, VMS_SEGMENT_SECONDS=str(args.segment_seconds),
                    VMS_LOG_LEVEL="INFO")
    configurations = {k: v for k, v in (HOT_STANDBY if args.hot_standby else CONFIGURATIONS).items()
                      if not (args.skip_baseline and v)}
    fps = 25
    sources = [GstCamera(f"/cam{i}", fps=fps, gop=round(args.gop * fps)).start() for i in range(args.cameras)]
    say(f"{args.cameras} stand-in cameras; logs in {work}")
    results: dict[str, Failovers] = {}
    try:
        with bench_database(DATABASE):
            say(f"database {DATABASE} created and migrated")
            for label, extra in configurations.items():
                results[label] = run_failovers(label, extra, [s.url for s in sources], args.kills, work)
    finally:
        for source in sources:
            source.stop()
    report(results, args.cameras, args.gop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
