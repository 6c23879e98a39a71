"""`python -m bench.cluster failover`: kill -9 one of two recorder processes, again and again, and measure each of
its cameras' footage gap and how long until the camera's status said "recorder lost", with this version's default
lease and heartbeat beside the old defaults (a 15 s lease renewed every 5 s) in the same run; with `--hot-standby`,
hot standby (VMS_RECORDER_HOT_STANDBY) beside the defaults instead. See bench/README.md."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.vms_under_test import bench_database, set_environment
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
    from tests.recording_checks import wait_for

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
                indexed = set(Segment.objects.values_list("pk", flat=True))
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
                    gaps.append(footage_gap(list(Segment.objects.filter(camera_id=camera_id)), indexed, since))
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
            result.overlaps += sum(1 for a, b in zip(segments, segments[1:], strict=False)
                                   if (a.end - b.start).total_seconds() > 0.15)
    finally:
        for process in recorders:
            process.stop()
        os.environ.clear()
        os.environ.update(env_before)
    return result


def footage_gap(segments: list, indexed_before: set[int], since: datetime) -> float:
    """The longest hole in a camera's footage from the last segment indexed before the kill, through those indexed
    after it (the killed recorder's rescued half-written one, what a hot standby recorded from its memory), to the
    first that starts after the kill."""
    segments.sort(key=lambda s: s.start)
    first = max(i for i, s in enumerate(segments) if s.pk in indexed_before)
    last = min(i for i, s in enumerate(segments) if s.start >= since)
    return max((b.start - a.end).total_seconds() for a, b in zip(segments[first:last], segments[first + 1:last + 1],
                                                                  strict=True))


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


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__)
    parser.add_argument("what", choices=["failover"])
    parser.add_argument("--kills", type=int, default=10, help="kill -9 this many times per configuration (10)")
    parser.add_argument("--cameras", type=int, default=4, help="stand-in cameras shared by the two recorders (4)")
    parser.add_argument("--gop", type=float, default=1.0, help="the cameras' keyframe interval in seconds (1)")
    parser.add_argument("--segment-seconds", type=float, default=4.0,
                        help="VMS_SEGMENT_SECONDS (4; short, so that each round waits less for a segment's end)")
    parser.add_argument("--skip-baseline", action="store_true", help="measure this version's defaults only")
    parser.add_argument("--hot-standby", action="store_true",
                        help="measure hot standby beside the defaults (instead of the old 15 s lease)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vms-bench-cluster-"))
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
