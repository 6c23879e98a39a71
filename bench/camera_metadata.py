"""The analytics' CPU per camera when cameras send their own scene metadata (AXIS Scene Metadata over MQTT), beside
the server's own analysis of the same footage (bench/analytics.py runs both in one run).

The boxes are the footage's own: the server's pipeline (FrameAnalyser with the packaged detector and the tracker)
runs once over the clip at 5 fps, and its tracks are kept in var/footage as the scene a camera would report. A
publisher in another process (its CPU is the cameras', not ours) replays that scene for `--metadata-cameras`
cameras at once, each on its own topic of Mosquitto (127.0.0.1:1883), 10 frames a second as Axis cameras send
them, stamped with the time each is sent. This process follows every camera as analytics.worker does: a
MetadataFeed (an MQTT client and JSON parsing) and, per frame, SceneTracks and a RuleEngine with the dwell zone
and the line of the server pipeline's run. %core per camera = this process's CPU time / wall time / cameras.
Latency: from a frame sent to the rules applied to it (MQTT, parsing, tracks, rules; the browser's part is the
same as for the server's boxes, measured by the latency run).
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standins.axis_scene_publisher import AxisScenePublisher, frame  # noqa: E402
from video.analysis import FrameAnalyser  # noqa: E402
from video.detection import load_detector  # noqa: E402
from video.rules import RuleEngine  # noqa: E402
from video.scene_metadata import SceneFrame, SceneTracks  # noqa: E402

METADATA_FPS = 10  # Axis cameras send a frame of metadata about every 100 ms
SCENE_FPS = 5
GOAL_CORE = 0.01  # of a core per camera: one core follows 100 cameras
_AXIS_CLASSES = {"person": "Human", "car": "Car", "bus": "Bus", "truck": "Truck", "bicycle": "Bike",
                 "motorcycle": "Motorcycle"}


def scene_of(clip: Path, seconds: float) -> Path:
    """The clip's tracks as the server's pipeline finds them at 5 fps, made once: [[t, [[id, label, score, box]]]]."""
    path = clip.with_suffix(f".scene{seconds:.0f}s.json")
    if path.exists():
        return path
    analyser = FrameAnalyser(load_detector(None), 2.0)
    frames, next_at = [], 0.0
    with av.open(str(clip)) as container:
        for picture in container.decode(video=0):
            t = float(picture.time)
            if t > seconds:
                break
            if t < next_at:
                continue
            next_at += 1 / SCENE_FPS
            tracks = analyser.analyse(picture.to_ndarray(format="bgr24"), t).tracks
            frames.append([round(t, 3), [[track.id, track.label, round(track.score, 3),
                                          [track.box.x, track.box.y, track.box.x2, track.box.y2]]
                                         for track in tracks if not track.missing]])
    path.write_text(json.dumps(frames))
    return path


def replay(scene: Path, cameras: int, prefix: str, seconds: float) -> None:
    """Publish the scene for `cameras` cameras (topics prefix/0 ...) at METADATA_FPS for `seconds`, looping."""
    frames = json.loads(scene.read_text())
    length = frames[-1][0] + 1 / SCENE_FPS
    publishers = [AxisScenePublisher(f"{prefix}/{n}").__enter__() for n in range(cameras)]
    begin = time.monotonic()
    for tick in range(round(seconds * METADATA_FPS)):
        due = begin + tick / METADATA_FPS
        time.sleep(max(0.0, due - time.monotonic()))
        position = (tick / METADATA_FPS) % length
        index = max(i for i, (t, _tracks) in enumerate(frames) if t <= position or i == 0)
        loop = tick // round(length * METADATA_FPS)
        for publisher in publishers:
            detections = [(f"{loop}-{track}", _AXIS_CLASSES.get(label, "Other"), _sides(box), score)
                          for track, label, score, box in frames[index][1]]
            publisher.client.publish(publisher.topic, frame(datetime.now(UTC), detections), qos=0)
    for publisher in publishers:
        publisher.__exit__()


def _sides(box: list[float]) -> dict[str, float]:
    left, top, right, bottom = (min(max(v, 0.0), 1.0) for v in box)
    return {"left": left, "top": top, "right": max(right, left + 0.001), "bottom": max(bottom, top + 0.001)}


@dataclass
class MetadataRun:
    cameras: int
    seconds: float
    cpu_seconds: float
    frames: int = 0
    boxes: int = 0
    tracks: set[tuple[int, int]] = field(default_factory=set)
    events: int = 0
    crossings: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def core_per_camera(self) -> float:
        return self.cpu_seconds / self.seconds / self.cameras


def measure(clip: Path, cameras: int, window: float, warmup: float, zones, rules) -> MetadataRun:
    """Follow `cameras` cameras' metadata for `warmup` + `window` seconds; measure the window."""
    import django

    django.setup()
    from devices.metadata_feed import Broker, MetadataFeed

    scene = scene_of(clip, 60.0)
    prefix = f"vms-bench/{time.time_ns()}"
    stop = threading.Event()
    run = MetadataRun(cameras, window, 0.0)
    measuring = threading.Event()
    lock = threading.Lock()

    def follow(number: int) -> None:
        items: queue.Queue = queue.Queue()
        MetadataFeed(number, Broker("mqtt://127.0.0.1:1883", "", "", f"{prefix}/{number}"), stop, items).start()
        tracks, engine = SceneTracks(), RuleEngine(zones, rules)
        while not stop.is_set():
            try:
                arrived, item = items.get(timeout=0.5)
            except queue.Empty:
                continue
            if not isinstance(item, SceneFrame):
                continue
            now = tracks.update(item, arrived)
            update = engine.update(arrived, now)
            if measuring.is_set():
                with lock:
                    run.frames += 1
                    run.boxes += len(now)
                    run.tracks.update((number, track.id) for track in now)
                    run.events += len(update.started)
                    run.crossings += sum(c.direction != "in" for c in update.counted)
                    run.latencies_ms.append((time.time() - item.camera_time.timestamp()) * 1000)

    followers = [threading.Thread(target=follow, args=(n,), daemon=True) for n in range(cameras)]
    for follower in followers:
        follower.start()
    time.sleep(1.0)  # subscribed before the first frame
    publisher = subprocess.Popen([sys.executable, "-m", "bench.camera_metadata", "--replay", str(scene),
                                  "--cameras", str(cameras), "--prefix", prefix, "--seconds", str(warmup + window + 1)],
                                 cwd=ROOT)
    try:
        time.sleep(warmup)
        measuring.set()
        began, cpu_began = time.monotonic(), time.process_time()
        time.sleep(window)
        run.seconds, run.cpu_seconds = time.monotonic() - began, time.process_time() - cpu_began
        measuring.clear()
    finally:
        stop.set()
        publisher.wait(timeout=30)
    return run


def print_report(run: MetadataRun, server_core: float | None) -> None:
    per_camera = run.core_per_camera()
    print(f"\ncamera metadata: {run.cameras} cameras at once, each sending {METADATA_FPS} frames/s of AXIS Scene "
          f"Metadata (the clip's own tracks, replayed) over Mosquitto, followed for {run.seconds:.0f} s by this "
          "process as analytics.worker does (MQTT client, parsing, SceneTracks, RuleEngine; no video)\n")
    print(f"{'run':<43}  {'%core/camera':>12}  {'cameras/core':>12}  {'frames/s/camera':>15}")
    print(f"{'camera metadata':<43}  {per_camera * 100:>12.2f}  {1 / per_camera:>12.0f}  "
          f"{run.frames / run.seconds / run.cameras:>15.1f}")
    if server_core:
        print(f"{'server analysis (full pipeline, above)':<43}  {server_core * 100:>12.2f}  {1 / server_core:>12.1f}"
              f"  {SCENE_FPS:>15.1f}")
        print(f"camera metadata costs {server_core / per_camera:.0f}x less CPU per camera than the server's analysis")
    verdict = "met" if per_camera < GOAL_CORE else "NOT met"
    print(f"goal: under {GOAL_CORE:.0%} of a core per camera with camera metadata: {verdict}")
    if len(run.latencies_ms) >= 2:
        values = sorted(run.latencies_ms)
        print(f"frame sent -> rules applied: median {statistics.median(values):.0f} ms, "
              f"p95 {statistics.quantiles(values, n=100)[94]:.0f} ms, max {values[-1]:.0f} ms")
    print(f"checks: {run.boxes / max(run.frames, 1):.1f} boxes per frame, {len(run.tracks)} track ids, "
          f"{run.events} rule firings, {run.crossings} line crossings")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the publisher half of this benchmark (run by it)")
    parser.add_argument("--replay", type=Path, required=True)
    parser.add_argument("--cameras", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    arguments = parser.parse_args()
    replay(arguments.replay, arguments.cameras, arguments.prefix, arguments.seconds)
