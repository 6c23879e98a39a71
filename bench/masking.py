"""Masking benchmark: CPU per camera of recording with static privacy masks (decode, mask, encode) beside the plain
stream-copy recorder, in one run.

N stand-in RTSP cameras serve a 720p 15 fps H.264 clip of people walking (OpenCV's vtest.avi, scaled); this process
records them with `video.recording.record` (segments and live fragments, as the recorder service does), once by
stream copy and once with three static masks (solid, mosaic, blur), and optionally with dynamic masking. Run it as
`.venv/bin/python bench/masking.py`; see README.md.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standins.footage import people_clip  # noqa: E402
from tests.standins.rtsp_servers import FileRtspServer  # noqa: E402
from video.live import LiveChunk  # noqa: E402
from video.masking import Masker, PrivacyMask  # noqa: E402
from video.probe import StreamError  # noqa: E402
from video.recording import StreamStatus, record  # noqa: E402
from video.segments import RecordedSegment  # noqa: E402

FFMPEG = "/usr/bin/ffmpeg"
CLIP_DIR = ROOT / "var" / "footage"
WIDTH, HEIGHT, FPS, GOP, BITRATE_KBPS = 1280, 720, 15, 15, 1500
SEGMENT_SECONDS = 10
START_TIMEOUT = 30.0
SATURATED = 0.9
# What an admin might draw: a neighbour's window (solid), a walkway (mosaic), a doorway (blur); 19% of the picture.
MASKS = [
    PrivacyMask(((0.42, 0.05), (0.75, 0.05), (0.75, 0.2), (0.42, 0.2)), "solid"),
    PrivacyMask(((0.0, 0.55), (0.35, 0.45), (0.45, 0.75), (0.05, 0.9)), "mosaic"),
    PrivacyMask(((0.8, 0.25), (0.95, 0.25), (0.95, 0.55), (0.8, 0.55)), "blur"),
]

started_at = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr, stamped with seconds since the start, to show where the time went."""
    print(f"[{time.monotonic() - started_at:6.1f} s] {message}", file=sys.stderr, flush=True)


def make_clip() -> Path:
    """The footage at 1280x720 and 15 fps (frames in between blended, so each differs as a camera's do), H.264 at
    1.5 Mbit/s with a keyframe a second, made once with the ffmpeg CLI and cached in var/footage."""
    source = people_clip()
    path = CLIP_DIR / f"{source.path.stem}_{WIDTH}x{HEIGHT}_{FPS}fps_gop{GOP}_{BITRATE_KBPS}k.mp4"
    if path.exists():
        return path
    say(f"making {path.name} from {source.path.name} (once)")
    partial = path.with_suffix(".part.mp4")
    rate = f"{BITRATE_KBPS}k"
    subprocess.run(
        [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source.path),
         "-vf", f"scale={WIDTH}:{HEIGHT},framerate={FPS}", "-pix_fmt", "yuv420p",
         "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "baseline", "-bf", "0",
         "-b:v", rate, "-maxrate", rate, "-bufsize", rate,
         "-g", str(GOP), "-keyint_min", str(GOP), "-sc_threshold", "0", str(partial)],
        check=True,
    )  # fmt: skip
    partial.rename(path)
    return path


@dataclass
class Camera:
    """One record() call in a thread of this process, and what it reported."""

    url: str
    directory: Path
    masker: Masker | None
    stop: threading.Event = field(default_factory=threading.Event)
    segments: list[RecordedSegment] = field(default_factory=list)
    statuses: list[StreamStatus] = field(default_factory=list)
    live_bytes: int = 0
    error: str | None = None

    def start(self) -> Camera:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        self._thread.join(30)

    def written(self) -> int:
        """Bytes of finished and unfinished segments so far."""
        return sum(path.stat().st_size for path in self.directory.rglob("*") if path.is_file())

    def _live(self, chunk: LiveChunk) -> None:
        self.live_bytes += len(chunk.data)

    def _run(self) -> None:
        try:
            record(
                self.url, segment_seconds=SEGMENT_SECONDS,
                segment_path=lambda start: self.directory / f"{start:%H%M%S.%f}.mp4",
                on_segment=self.segments.append, on_status=self.statuses.append, stop=self.stop,
                on_live=self._live, masker=self.masker,
            )  # fmt: skip
        except StreamError as exc:
            self.error = str(exc)


@dataclass
class Run:
    name: str
    cameras: int
    core_per_camera: float = 0.0
    reported: float | None = None  # mean StreamStatus.masking_cost over the window, % of a core
    mbit_per_camera: float = 0.0  # segments written during the window
    box_busy: float = 0.0
    errors: list[str] = field(default_factory=list)


def box_counters() -> tuple[float, float]:
    times = psutil.cpu_times()
    total = sum(times)
    return total - times.idle - times.iowait, total


def measure(name: str, urls: list[str], workdir: Path, masker_for, warmup: float, window: float) -> Run:
    """Record every URL in its own thread (as the recorder service does) and measure this process's CPU."""
    cameras = [Camera(url, workdir / name / str(index), masker_for()) for index, url in enumerate(urls)]
    run = Run(name, len(cameras))
    for camera in cameras:
        camera.directory.mkdir(parents=True)
        camera.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not all(camera.written() for camera in cameras) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(warmup)
        process = psutil.Process()
        cpu_before, busy_before = sum(process.cpu_times()[:2]), box_counters()
        written_before = [camera.written() for camera in cameras]
        statuses_before = [len(camera.statuses) for camera in cameras]
        started = time.monotonic()
        time.sleep(window)
        seconds = time.monotonic() - started
        cpu_after, busy_after = sum(process.cpu_times()[:2]), box_counters()
        written = sum(camera.written() - before for camera, before in zip(cameras, written_before, strict=True))
        costs = [
            status.masking_cost
            for camera, before in zip(cameras, statuses_before, strict=True)
            for status in camera.statuses[before:]
            if status.masking_cost is not None
        ]
    finally:
        for camera in cameras:
            camera.finish()
            if camera.masker is not None:
                camera.masker.close()
    run.core_per_camera = (cpu_after - cpu_before) / seconds / len(cameras)
    run.reported = statistics.mean(costs) if costs else None
    run.mbit_per_camera = written * 8 / seconds / len(cameras) / 1e6
    run.box_busy = (busy_after[0] - busy_before[0]) / (busy_after[1] - busy_before[1])
    run.errors = [camera.error for camera in cameras if camera.error]
    say(f"{name} x{len(cameras)}: {run.core_per_camera * 100:.1f}% of a core per camera")
    return run


def print_report(runs: list[Run], clip: Path, cameras: int, window: float) -> None:
    print(
        f"\nclip: {clip.name}, {WIDTH}x{HEIGHT} {FPS} fps H.264 {BITRATE_KBPS / 1000:.1f} Mbit/s, a keyframe a "
        f"second; {cameras} camera(s) from one stand-in RTSP server; {window:.0f} s windows; "
        f"{psutil.cpu_count()} cores"
    )
    print("baseline: the same recorder by stream copy (segments + live fragments, no decoding)\n")
    print(f"{'run':<34}  {'%core/cam':>9}  {'reported masking_cost':>21}  {'Mbit/s/cam written':>18}  {'box busy':>8}")
    baseline = runs[0].core_per_camera
    for run in runs:
        reported = f"{run.reported:.1f}" if run.reported is not None else "-"
        busy = f"{run.box_busy:.0%}" + ("*" if run.box_busy > SATURATED else "")
        extra = f"  (+{(run.core_per_camera - baseline) * 100:.1f})" if run is not runs[0] else ""
        print(
            f"{run.name:<34}  {run.core_per_camera * 100:>9.1f}  {reported:>21}  {run.mbit_per_camera:>18.2f}  "
            f"{busy:>8}{extra}"
        )
        for error in run.errors:
            print(f"  error: {error}")
    print(
        "\n%core/cam: this process's CPU (all threads) / (cameras x window). reported masking_cost: the mean of what"
        "\nthe recorder put in StreamStatus (decode + mask + encode, and the people analysis thread) over the window."
        f"\nbox busy: share of all cores in use (the stand-in server included); above {SATURATED:.0%} (*) figures"
        " are distorted."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, default=4, help="cameras recorded at once in each run")
    parser.add_argument("--window", type=float, default=30, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds after every camera writes")
    parser.add_argument("--dynamic", action="store_true", help="also runs with motion and people masking")
    args = parser.parse_args()

    clip = make_clip()
    runs: list[Run] = []
    with ExitStack() as cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="vms-bench-masking-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        server = cleanup.enter_context(FileRtspServer(clip.parent, workers=args.cameras + 4))
        urls = [server.url_for(clip) for _ in range(args.cameras)]
        plans = [
            ("stream copy (baseline)", lambda: None),
            ("static masks (solid, mosaic, blur)", lambda: Masker(MASKS)),
        ]
        if args.dynamic:
            plans += [
                ("static + motion masking (blur)", lambda: Masker(MASKS, "motion", "blur")),
                ("static + people masking (blur)", lambda: Masker(MASKS, "people", "blur")),
            ]
        for name, masker_for in plans:
            runs.append(measure(name, urls, workdir, masker_for, args.warmup, args.window))
    print_report(runs, clip, args.cameras, args.window)


if __name__ == "__main__":
    main()
