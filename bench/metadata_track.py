"""What reading cameras' own analytics metadata from their RTSP session (ONVIF Profile M metadata track) costs the
server per camera, beside recording the same cameras without it; `--with-server`, beside the server's own analysis
of their live video too.

N stand-in cameras (tests/standins/onvif_metadata_camera.py, run by the system python: their CPU is the cameras',
not ours) each send H.264 and one tt:MetadataStream document per frame. This process records them with
video.recording.record as the recorder does (stream copy into segments in a temporary folder, live fragments to a
no-op callback), in phases one after the other, each measured with this process's CPU time after a warm-up:

  A  record(on_metadata=None): the baseline (the metadata track is not even set up);
  M  (--split) record(on_metadata=a no-op): reading the track alone, the recorder's share of the cost;
  B  record(on_metadata=...): and each document goes, through a queue, to a thread per camera doing what
     analytics.worker does with it: parse_metadata_stream, SceneTracks, RuleEngine with a dwell zone and a line;
  C  (--with-server) record(on_metadata=None) and the live fragments to bench/analytics.py's Pipeline (decoding,
     FrameAnalyser with the packaged detector at 5 fps within its budget, rules), a thread per camera.

Phases alternate (A [M] B [C], A [M] B [C], ...) so that the machine's noise shows in the spread. Run it as
`.venv/bin/python bench/metadata_track.py`; see README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.analytics import (  # noqa: E402
    ANALYTICS_FPS,
    DETECTIONS_PER_SECOND,
    MeteredDetector,
    Pipeline,
    say,
    scene_rules,
)
from bench.live import cpu_seconds  # noqa: E402
from tests.standins.rtsp_servers import OnvifMetadataCamera  # noqa: E402
from video.detection import load_detector  # noqa: E402
from video.live import LiveChunk  # noqa: E402
from video.onvif_metadata import parse_metadata_stream  # noqa: E402
from video.probe import StreamError  # noqa: E402
from video.recording import CameraMetadata, record  # noqa: E402
from video.rules import RuleEngine  # noqa: E402
from video.scene_metadata import MalformedMetadata, SceneTracks, frame_time, outside_masks  # noqa: E402

GOAL_CORE = 0.01  # of a core per camera for the metadata itself, as for metadata over MQTT (camera_metadata.py)
SEGMENT_SECONDS = 10.0  # VMS_SEGMENT_SECONDS' default
READY_TIMEOUT = 30.0  # for every camera's first live fragment
DRAIN_SECONDS = 1.5  # kept recording after the window, so documents of its last moments are handed over too
SATURATED = 0.9
# bench/analytics.py's last figure for the server's own analysis (README.md, 2026-12-04): 720p people clip, 5 fps,
# detector on OpenVINO, quiet machine. Printed when --with-server is not given.
SERVER_ANALYSIS_CORE = 0.103

A, M, B, C = "A", "M", "B", "C"
PHASE_NAMES = {
    A: "A: record, no metadata track",
    M: "M: record + metadata track, no-op",
    B: "B: record + metadata track + rules",
    C: f"C: record + server analysis ({ANALYTICS_FPS} fps)",
}


def _key(moment) -> str:
    """A frame's UtcTime to the millisecond, as the camera writes it: matches a document to the camera's truth."""
    return moment.isoformat(timespec="milliseconds")


@dataclass
class Camera:
    """What one camera's record() and its analysis did during one phase."""

    number: int
    fragments: int = 0  # live fragments in the window
    documents: int = 0  # handed over by record() in the window
    placed: int = 0  # of those, with a media time (pts) and a wall time (at)
    handled: set[str] = field(default_factory=set)  # UtcTimes of the frames the rules were applied to, all phase
    latencies_ms: list[float] = field(default_factory=list)  # handed over (in the window) -> rules applied
    analysed: int = 0  # C: frames analysed in the window
    segments: int = 0
    error: str = ""


@dataclass
class Phase:
    kind: str
    round: int
    cameras: list[Camera]
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process, all threads
    camera_cpu_seconds: float = 0.0  # the stand-in cameras' processes
    box_busy: float = 0.0  # share of all the machine's cores in use
    window: tuple[float, float] = (0.0, 0.0)  # wall clock (time.time())
    sent: int = 0  # documents the cameras sent during the window (their truth files)
    lost: int = 0  # of those, not handled
    detector_calls: int = 0

    def core_per_camera(self) -> float:
        return self.cpu_seconds / self.seconds / len(self.cameras)

    def per_camera_second(self, count: int) -> float:
        return count / self.seconds / len(self.cameras)


class MetadataAnalysis:
    """One camera's documents, as analytics.worker takes them from its recorder: parsed, into SceneTracks and the
    RuleEngine, on a thread of its own (the worker is another process; Redis between them is left out)."""

    def __init__(self, camera: Camera, measuring: threading.Event) -> None:
        self.camera = camera
        self.measuring = measuring
        self.items: queue.Queue[tuple[float, bool, CameraMetadata] | None] = queue.Queue()
        self.tracks = SceneTracks()
        self.engine = RuleEngine(*scene_rules())
        self.thread = threading.Thread(target=self._run, name=f"metadata-{camera.number}", daemon=True)
        self.thread.start()

    def hand_over(self, metadata: CameraMetadata) -> None:
        """record()'s on_metadata."""
        measured = self.measuring.is_set()
        self.items.put((time.perf_counter(), measured, metadata))
        if measured:
            self.camera.documents += 1
            self.camera.placed += metadata.pts is not None and metadata.at is not None

    def close(self) -> None:
        self.items.put(None)
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while (item := self.items.get()) is not None:
            handed, measured, metadata = item
            arrived = time.time()
            try:
                frames = parse_metadata_stream(metadata.document)
            except MalformedMetadata:
                continue
            for frame in frames:
                tracks = self.tracks.update(outside_masks(frame, []), arrived)
                self.engine.update(arrived, tracks)
                self.camera.handled.add(_key(frame.camera_time))
            if measured:
                self.camera.latencies_ms.append((time.perf_counter() - handed) * 1000)


class ServerAnalysis:
    """One camera's live fragments through bench/analytics.py's Pipeline (what analytics.worker does with the
    live video at 5 fps, publishing and the database left out), on a thread of its own."""

    def __init__(self, camera: Camera, measuring: threading.Event, detector: MeteredDetector) -> None:
        self.camera = camera
        self.measuring = measuring
        self.detector = detector
        self.items: queue.Queue[tuple[float, LiveChunk] | None] = queue.Queue()
        self.pipeline: Pipeline | None = None
        self.thread = threading.Thread(target=self._run, name=f"server-{camera.number}", daemon=True)
        self.thread.start()

    def take(self, chunk: LiveChunk) -> None:
        self.items.put((time.time(), chunk))

    def close(self) -> None:
        self.items.put(None)
        self.thread.join(timeout=10)

    def _run(self) -> None:
        while (item := self.items.get()) is not None:
            arrived, chunk = item
            if chunk.init:
                self.pipeline = Pipeline(chunk.data, self.detector, DETECTIONS_PER_SECOND)
            elif self.pipeline is not None:
                before = self.pipeline.tally.analysed
                self.pipeline.take(chunk.data, arrived, not self.items.empty())
                if self.measuring.is_set():
                    self.camera.analysed += self.pipeline.tally.analysed - before


def run_phase(kind: str, number: int, cameras: list[OnvifMetadataCamera], folder: Path, warmup: float,
              window: float, detector: MeteredDetector | None) -> Phase:
    """Record every camera as phase `kind` asks, and measure `window` seconds after every camera's video came and
    `warmup` seconds more."""
    phase = Phase(kind, number, [Camera(n) for n in range(len(cameras))])
    stop, measuring = threading.Event(), threading.Event()
    started = [threading.Event() for _ in cameras]
    analyses: list[MetadataAnalysis | ServerAnalysis] = []

    def recording(index: int, camera: OnvifMetadataCamera) -> None:
        tally = phase.cameras[index]
        directory = folder / f"{kind}{number}-camera{index}"
        directory.mkdir()
        on_metadata: Callable[[CameraMetadata], None] | None = None
        forward: Callable[[LiveChunk], None] | None = None
        if kind == B:
            analysis = MetadataAnalysis(tally, measuring)
            analyses.append(analysis)
            on_metadata = analysis.hand_over
        elif kind == M:
            def on_metadata(metadata: CameraMetadata) -> None:
                if measuring.is_set():
                    tally.documents += 1
        elif kind == C:
            server = ServerAnalysis(tally, measuring, detector)
            analyses.append(server)
            forward = server.take

        def on_live(chunk: LiveChunk) -> None:
            started[index].set()
            if measuring.is_set() and not chunk.init:
                tally.fragments += 1
            if forward is not None:
                forward(chunk)

        def on_segment(_segment) -> None:
            tally.segments += 1

        try:
            record(camera.url, segment_seconds=SEGMENT_SECONDS,
                   segment_path=lambda start: directory / f"{start:%Y%m%dT%H%M%S%f}.mp4", on_segment=on_segment,
                   on_status=lambda _status: None, stop=stop, on_live=on_live, on_metadata=on_metadata)
        except StreamError as exc:
            tally.error = str(exc)
            started[index].set()

    threads = [threading.Thread(target=recording, args=(n, camera), name=f"record-{n}", daemon=True)
               for n, camera in enumerate(cameras)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + READY_TIMEOUT
    for event in started:
        event.wait(max(0.0, deadline - time.monotonic()))
    time.sleep(warmup)

    children = psutil.Process().children()  # the stand-in cameras
    box_before, camera_before = psutil.cpu_times(), sum(cpu_seconds(child) for child in children)
    if detector is not None:
        detector.reset()
    measuring.set()
    wall_began, began, cpu_began = time.time(), time.monotonic(), time.process_time()
    time.sleep(window)
    phase.seconds, phase.cpu_seconds = time.monotonic() - began, time.process_time() - cpu_began
    measuring.clear()
    phase.window = (wall_began, wall_began + phase.seconds)
    phase.camera_cpu_seconds = sum(cpu_seconds(child) for child in children) - camera_before
    box_after = psutil.cpu_times()
    phase.box_busy = (_busy(box_after) - _busy(box_before)) / (sum(box_after) - sum(box_before))
    if detector is not None:
        phase.detector_calls = detector.calls

    time.sleep(DRAIN_SECONDS)
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    for analysis in analyses:
        analysis.close()
    return phase


def _busy(times) -> float:
    """Seconds all the machine's cores have spent busy."""
    return sum(times) - times.idle - times.iowait


def count_sent(phase: Phase, truths: list[Path]) -> None:
    """Documents each camera sent during the window (its truth file), and how many of them were not handled."""
    began, ended = phase.window
    for camera, truth in zip(phase.cameras, truths, strict=True):
        for line in truth.read_text().splitlines():
            moment = frame_time(json.loads(line)["utc"])
            if began <= moment.timestamp() < ended:
                phase.sent += 1
                phase.lost += _key(moment) not in camera.handled


def spread(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0] * 100:.2f}"
    return (f"{statistics.mean(values) * 100:.2f} (min {min(values) * 100:.2f}, max {max(values) * 100:.2f}, "
            f"{len(values)} rounds)")


def print_report(phases: list[Phase], args: argparse.Namespace, loads: tuple[tuple, tuple]) -> None:
    n = args.cameras
    print(f"\nmetadata track: {n} stand-in cameras ({args.width}x{args.height}, {args.fps} fps H.264, one "
          f"tt:MetadataStream document every {args.metadata_every} frame(s)) recorded by this process with "
          f"video.recording.record; {args.warmup:g} s warm-up, {args.window:g} s windows; {os.cpu_count()} cores, "
          f"load average {loads[0][0]:.2f} before, {loads[1][0]:.2f} after\n")
    header = (f"{'phase':<40} {'round':>5} {'%core/cam':>9} {'video fps':>9} {'docs/s sent':>11} {'handled':>7} "
              f"{'lost':>4} {'placed':>6} {'segments':>8} {'cameras %core':>13} {'box busy':>8}")
    print(header)
    for phase in phases:
        if phase.kind == B:
            handed = sum(c.documents for c in phase.cameras)
            sent = f"{phase.per_camera_second(phase.sent):.1f}"
            handled = f"{phase.per_camera_second(phase.sent - phase.lost):.1f}"
            lost, placed = str(phase.lost), f"{sum(c.placed for c in phase.cameras) / max(handed, 1):.0%}"
        else:
            sent = handled = lost = placed = "-"
        print(f"{PHASE_NAMES[phase.kind]:<40} {phase.round:>5} {phase.core_per_camera() * 100:>9.2f} "
              f"{phase.per_camera_second(sum(c.fragments for c in phase.cameras)):>9.1f} "
              f"{sent:>11} {handled:>7} {lost:>4} {placed:>6} {sum(c.segments for c in phase.cameras):>8} "
              f"{phase.camera_cpu_seconds / phase.seconds * 100:>13.0f} "
              f"{phase.box_busy:>7.0%}{'*' if phase.box_busy > SATURATED else ' '}")
        if phase.kind == C:
            analysed = phase.per_camera_second(sum(c.analysed for c in phase.cameras))
            behind = "  FELL BEHIND: frames skipped, the figure is low" if analysed < 0.9 * ANALYTICS_FPS else ""
            print(f"{'':<40} {'':>5} analysed {analysed:.1f} frames/s per camera, detector "
                  f"{phase.detector_calls / phase.seconds / n:.1f} calls/s per camera{behind}")
        for camera in phase.cameras:
            if camera.error:
                print(f"{'':<40} {'':>5} camera {camera.number} stopped: {camera.error}")

    by_kind = {kind: [p for p in phases if p.kind == kind] for kind in (A, M, B, C)}
    baseline = [p.core_per_camera() for p in by_kind[A]]
    metadata = [b.core_per_camera() - a.core_per_camera() for a, b in zip(by_kind[A], by_kind[B], strict=True)]
    print("\n%core per camera, mean over rounds (spread):")
    print(f"  A  recording alone (baseline)            {spread(baseline)}")
    print(f"  B  recording + metadata track + rules    {spread([p.core_per_camera() for p in by_kind[B]])}")
    print(f"  B-A  the metadata's own cost              {spread(metadata)}  (each round's B less the A before it)")
    if by_kind[M]:
        reading = [r.core_per_camera() - a.core_per_camera() for a, r in zip(by_kind[A], by_kind[M], strict=True)]
        analysis = [b.core_per_camera() - r.core_per_camera() for r, b in zip(by_kind[M], by_kind[B], strict=True)]
        print(f"  M  recording + metadata track, no-op     {spread([p.core_per_camera() for p in by_kind[M]])}")
        print(f"  M-A  reading the track (the recorder)     {spread(reading)}")
        print(f"  B-M  queue, parsing, tracks, rules        {spread(analysis)}")
    if by_kind[C]:
        server = [c.core_per_camera() - a.core_per_camera() for a, c in zip(by_kind[A], by_kind[C], strict=True)]
        print(f"  C  recording + server analysis           {spread([p.core_per_camera() for p in by_kind[C]])}")
        print(f"  C-A  the server's own analysis            {spread(server)}  (on the stand-in's moving rectangles)")
        server_core, source = statistics.mean(server), "C-A above"
    else:
        server_core = SERVER_ANALYSIS_CORE
        source = (f"bench/analytics.py's full pipeline, 720p footage of people at {ANALYTICS_FPS} fps, 2026-12-04; "
                  "--with-server measures it on these cameras")
    mean = statistics.mean(metadata)
    print(f"  server's own analysis, for comparison    {server_core * 100:.2f}  ({source})")
    if mean > 0:
        print(f"the metadata costs {server_core / mean:.0f}x less CPU per camera than the server's own analysis")
    verdict = "met" if mean < GOAL_CORE else "NOT met"
    print(f"goal: the metadata's own cost under {GOAL_CORE:.0%} of a core per camera: {verdict} ({mean * 100:.2f} %)")
    latencies = sorted(ms for phase in by_kind[B] for camera in phase.cameras for ms in camera.latencies_ms)
    if len(latencies) >= 2:
        print(f"document handed over by record() -> rules applied: median {statistics.median(latencies):.2f} ms, "
              f"p95 {statistics.quantiles(latencies, n=100)[94]:.2f} ms, max {latencies[-1]:.1f} ms "
              f"({len(latencies)} documents)")
    sent, lost = sum(p.sent for p in by_kind[B]), sum(p.lost for p in by_kind[B])
    print(f"documents sent during B windows: {sent}, handled {sent - lost}, lost {lost}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--metadata-every", type=int, default=1, help="one document every N video frames")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds after every camera's video came")
    parser.add_argument("--window", type=float, default=20.0, help="seconds measured per phase")
    parser.add_argument("--rounds", type=int, default=2, help="how many times A then B (then C) run")
    parser.add_argument("--split", action="store_true",
                        help="also M: the metadata track read by record() and handed to a no-op, to split B-A")
    parser.add_argument("--with-server", action="store_true",
                        help="also C: the server's own analysis of the same cameras' live video")
    args = parser.parse_args()

    loads_before = os.getloadavg()
    detector = MeteredDetector(load_detector(None)) if args.with_server else None
    kinds = [A, *([M] if args.split else []), B, *([C] if args.with_server else [])]
    phases: list[Phase] = []
    with tempfile.TemporaryDirectory(prefix="vms-bench-metadata-") as temporary:
        folder = Path(temporary)
        truths = [folder / f"truth{n}.jsonl" for n in range(args.cameras)]
        say(f"starting {args.cameras} stand-in cameras")
        cameras = [OnvifMetadataCamera(width=args.width, height=args.height, fps=args.fps, gop=args.fps,
                                       metadata_every=args.metadata_every, truth=truth, start_timeout=30)
                   for truth in truths]
        try:
            for camera in cameras:
                camera.start()
            for number in range(1, args.rounds + 1):
                for kind in kinds:
                    say(f"round {number}: {PHASE_NAMES[kind]}")
                    phase = run_phase(kind, number, cameras, folder, args.warmup, args.window, detector)
                    if kind == B:
                        count_sent(phase, truths)
                    phases.append(phase)
        finally:
            for camera in cameras:
                camera.stop()
    print_report(phases, args, (loads_before, os.getloadavg()))


if __name__ == "__main__":
    main()
