"""Recording benchmark: CPU per camera of `manage.py recorder` against `ffmpeg -c copy -f segment`.

N stand-in RTSP cameras (1080p, 25 fps, 4 Mbit/s H.264) are recorded first by one ffmpeg process per camera
(what Frigate runs), then by the recorder, on the same streams. It prints CPU per camera of both, their ratio,
and checks that both really wrote the video. The stand-ins run on the machine's last core, the processes under
test on the others (taskset), so that neither takes CPU from the other. Run it as
`.venv/bin/python bench/recording.py`; see README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.vms_under_test import bench_database, set_environment  # noqa: E402
from tests.standins.rtsp_servers import FileRtspServer  # noqa: E402

FFMPEG = "/usr/bin/ffmpeg"
DATABASE = "vms_bench"
# A Redis database of its own, so the recorder's camera.<id> status messages reach no test or dev server.
REDIS_URL = "redis://127.0.0.1:6379/14"
SEGMENT_SECONDS = 10
WIDTH, HEIGHT, FPS, BITRATE, GOP_SECONDS, CLIP_SECONDS = 1920, 1080, 25, 4_000_000, 2, 20
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Written Mbit/s per camera further than this from the clip's bitrate means a camera was not recorded in
# full, or a saturated stand-in sent packets twice (it does once its event loop falls behind).
RATE_TOLERANCE = 0.2
SATURATED = 0.9
# The stand-in cameras on the last core, the processes under test on the others (all of them on one core).
CORES = list(range(psutil.cpu_count()))
STANDIN_CORES = CORES[-1:]
TESTED_CORES = CORES[:-1] or CORES

started_at = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr, stamped with seconds since the start, to show where the time went."""
    print(f"[{time.monotonic() - started_at:6.1f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Setup:
    """What every run shares: the camera URLs, the stand-in servers' processes, and the timing."""

    urls: list[str]
    servers: list[psutil.Process]
    warmup: float
    window: float
    workdir: Path


@dataclass
class Snapshot:
    """Counters read at one end of the measured window."""

    at: float  # time.monotonic()
    cpu: float  # user + system seconds of the processes under test
    server_cpu: float  # of the stand-in servers
    box_busy: float  # busy seconds of all the machine's cores since boot
    box_total: float
    tested_busy: float  # the same, of the cores the processes under test run on
    tested_total: float
    bytes_per_camera: list[int]


@dataclass
class Window:
    """What one recording run did during the measured window."""

    seconds: float
    cpu_seconds: float
    server_cpu_seconds: float
    box_busy: float  # share of all the machine's cores that were busy
    tested_busy: float  # share of the cores under test that were busy
    load: float  # the machine's load average (1 minute) at the end
    bytes_per_camera: list[int]  # written during the window
    segments: int = 0  # finished in the whole run: indexed in the database (recorder) or files (ffmpeg)
    cameras_with_segments: int = 0

    @classmethod
    def between(cls, start: Snapshot, end: Snapshot) -> Window:
        written = zip(start.bytes_per_camera, end.bytes_per_camera, strict=True)
        return cls(
            seconds=end.at - start.at,
            cpu_seconds=end.cpu - start.cpu,
            server_cpu_seconds=end.server_cpu - start.server_cpu,
            box_busy=(end.box_busy - start.box_busy) / (end.box_total - start.box_total),
            tested_busy=(end.tested_busy - start.tested_busy) / (end.tested_total - start.tested_total),
            load=os.getloadavg()[0],
            bytes_per_camera=[after - before for before, after in written],
        )

    def core_per_camera(self) -> float:
        return self.cpu_seconds / (len(self.bytes_per_camera) * self.seconds)

    def mbit_per_camera(self) -> float:
        return sum(self.bytes_per_camera) * 8 / (len(self.bytes_per_camera) * self.seconds * 1e6)

    def cameras_writing(self) -> int:
        return sum(size > 0 for size in self.bytes_per_camera)

    def server_cores(self) -> float:
        return self.server_cpu_seconds / self.seconds

    def rest_of_box_cores(self) -> float:
        """Cores busy with neither the processes under test nor the stand-ins: PostgreSQL, Redis, others."""
        return self.box_busy * psutil.cpu_count() - self.cpu_seconds / self.seconds - self.server_cores()


@dataclass
class Result:
    """Both runs on one number of cameras; a run that failed has its error instead of a window."""

    cameras: int
    ffmpeg: Window | None = None
    recorder: Window | None = None
    errors: dict[str, str] = field(default_factory=dict)


class RunFailed(RuntimeError):
    """A process under test exited before the end of its window; the message holds the end of its log."""


def make_clip(directory: Path) -> tuple[Path, float]:
    """Return a looping camera clip and its bitrate in bit/s, encoding it only if it is not cached yet.

    video/pattern_clip.py's pattern compresses so well that it comes out near 1.3 Mbit/s whatever bitrate
    is asked; moving noise makes x264 spend the 4 Mbit/s that a real 1080p camera sends.
    """
    directory.mkdir(parents=True, exist_ok=True)
    name = f"h264_{WIDTH}x{HEIGHT}_{FPS}fps_{BITRATE // 1000}k_gop{GOP_SECONDS}s_{CLIP_SECONDS}s.mp4"
    path = directory / name
    if not path.exists():
        say(f"encoding the camera clip {path}")
        partial = path.with_suffix(".part.mp4")
        gop = str(GOP_SECONDS * FPS)
        subprocess.run(
            [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
             "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS},noise=alls=12:allf=t",
             "-t", str(CLIP_SECONDS), "-pix_fmt", "yuv420p",
             "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline", "-bf", "0",
             "-b:v", str(BITRATE), "-maxrate", str(BITRATE), "-bufsize", str(BITRATE),
             "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-movflags", "+faststart", str(partial)],
            check=True,
        )  # fmt: skip
        partial.rename(path)
    return path, path.stat().st_size * 8 / CLIP_SECONDS


def bytes_per_camera(directories: list[Path]) -> list[int]:
    """Bytes of the files under each camera's directory (a file renamed while listed counts as empty)."""
    sizes = []
    for directory in directories:
        total = 0
        for path in directory.rglob("*"):
            try:
                total += path.stat().st_size if path.is_file() else 0
            except FileNotFoundError:
                pass
        sizes.append(total)
    return sizes


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User + system CPU seconds of `processes`, all their threads included."""
    return sum(times.user + times.system for times in (process.cpu_times() for process in processes))


def snapshot(processes: list[psutil.Process], servers: list[psutil.Process], cameras: list[Path]) -> Snapshot:
    """Read the counters: CPU of `processes` and `servers`, of the whole box, and bytes under `cameras`."""
    box = psutil.cpu_times()
    total = sum(box)
    tested = [psutil.cpu_times(percpu=True)[core] for core in TESTED_CORES]
    tested_total = sum(sum(core) for core in tested)
    return Snapshot(
        at=time.monotonic(),
        cpu=cpu_seconds(processes),
        server_cpu=cpu_seconds(servers),
        box_busy=total - box.idle - box.iowait,
        box_total=total,
        tested_busy=tested_total - sum(core.idle + core.iowait for core in tested),
        tested_total=tested_total,
        bytes_per_camera=bytes_per_camera(cameras),
    )


def measure(
    setup: Setup,
    what: str,
    processes: list[psutil.Process],
    directories: list[Path],
    check_alive: Callable[[], None],
) -> Window:
    """Wait until every camera writes (at most START_TIMEOUT), warm up, then measure for the window."""
    waited = time.monotonic()
    while (writing := sum(size > 0 for size in bytes_per_camera(directories))) < len(directories):
        check_alive()
        if time.monotonic() - waited > START_TIMEOUT:
            break
        time.sleep(0.5)
    say(f"{what}: {writing}/{len(directories)} cameras writing after {time.monotonic() - waited:.1f} s")
    time.sleep(setup.warmup)
    check_alive()
    start = snapshot(processes, setup.servers, directories)
    time.sleep(setup.window)
    check_alive()
    end = snapshot(processes, setup.servers, directories)
    say(f"{what}: measured {end.at - start.at:.1f} s")
    return Window.between(start, end)


def pinned(argv: list[str], cores: list[int]) -> list[str]:
    """`argv` run on `cores` only (taskset)."""
    return ["taskset", "-c", ",".join(map(str, cores)), *argv]


class PinnedRtspServer(FileRtspServer):
    """The stand-in cameras' server, on the stand-ins' core."""

    def argv(self) -> list[str]:
        return pinned(super().argv(), STANDIN_CORES)


def log_tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:].strip() or "(empty)"


def stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM (ffmpeg and the recorder both close their current segment on it), then SIGKILL if hung."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"pid {process.pid} ignored SIGTERM for {STOP_TIMEOUT} s; killing it")
            process.kill()
            process.wait()


def run_ffmpeg(setup: Setup, cameras: int) -> Window:
    """Record every camera with its own `ffmpeg -c copy -f segment` process, with Frigate's options."""
    output = setup.workdir / f"ffmpeg-{cameras}"
    directories = [output / f"camera-{index}" for index in range(cameras)]
    for directory in directories:
        directory.mkdir(parents=True)
    log = output / "ffmpeg.log"
    processes: list[subprocess.Popen] = []
    with open(log, "wb") as log_file:
        try:
            for url, directory in zip(setup.urls[:cameras], directories, strict=True):
                processes.append(subprocess.Popen(pinned(
                    [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp",
                     "-i", url, "-c", "copy", "-an", "-f", "segment", "-segment_time", str(SEGMENT_SECONDS),
                     "-segment_format", "mp4", "-reset_timestamps", "1", str(directory / "%05d.mp4")], TESTED_CORES),
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file,
                ))  # fmt: skip

            def check_alive() -> None:
                exited = sum(process.poll() is not None for process in processes)
                if exited:
                    raise RunFailed(f"{exited} of {cameras} ffmpeg processes exited:\n{log_tail(log)}")

            measured = [psutil.Process(process.pid) for process in processes]
            window = measure(setup, f"ffmpeg x{cameras}", measured, directories, check_alive)
        finally:
            stop(processes)
    segment_counts = [len(list(directory.glob("*.mp4"))) for directory in directories]
    window.segments = sum(segment_counts)
    window.cameras_with_segments = sum(count > 0 for count in segment_counts)
    return window


def run_recorder(setup: Setup, cameras: int) -> Window:
    """Record every camera with one `manage.py recorder` process, and count the segments it indexed."""
    from django.conf import settings

    from devices.models import Camera
    from recordings.models import Segment

    Camera.objects.all().delete()
    urls = setup.urls[:cameras]
    rows = [Camera.objects.create(name=f"bench-{index}", main_url=url) for index, url in enumerate(urls)]
    directories = [settings.RECORDINGS_ROOT / str(camera.pk) for camera in rows]
    log = setup.workdir / f"recorder-{cameras}.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(
            pinned([sys.executable, str(ROOT / "manage.py"), "recorder"], TESTED_CORES), cwd=ROOT,
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:

        def check_alive() -> None:
            if process.poll() is not None:
                raise RunFailed(f"the recorder exited with code {process.returncode}:\n{log_tail(log)}")

        measured = [psutil.Process(process.pid)]
        window = measure(setup, f"recorder x{cameras}", measured, directories, check_alive)
    finally:
        stop([process])
    segments = Segment.objects.filter(camera__in=rows)
    window.segments = segments.count()
    window.cameras_with_segments = segments.values("camera").distinct().count()
    lines = log.read_text(errors="replace").splitlines()
    errors = [line for line in lines if "ERROR" in line or "Traceback" in line]
    if errors:
        say(f"the recorder logged {len(errors)} error lines, the first: {errors[0]}")
    return window


def percent_per_camera(window: Window | None) -> str:
    return f"{window.core_per_camera() * 100:.2f}" if window else "failed"


def busy_text(window: Window | None) -> str:
    if window is None:
        return "-"
    return f"{window.tested_busy:.0%}" + ("*" if window.tested_busy > SATURATED else "")


def print_report(results: list[Result], clip_bitrate: float, servers: int, streams_per_server: int) -> None:
    """The figures, then the checks that both runs really recorded, then any failure."""
    print(
        f"\nclip: {WIDTH}x{HEIGHT} {FPS} fps H.264, {clip_bitrate / 1e6:.2f} Mbit/s, keyframe every "
        f"{GOP_SECONDS} s; {servers} stand-in RTSP server(s) of up to {streams_per_server} streams; "
        f"{psutil.cpu_count()} cores: stand-ins on {STANDIN_CORES}, the processes under test on {TESTED_CORES}"
    )
    print(f"baseline: `ffmpeg -c copy -f segment -segment_time {SEGMENT_SECONDS}` per camera, as Frigate\n")
    print(
        f"{'cameras':>7}  {'recorder %core/cam':>18}  {'ffmpeg %core/cam':>16}  {'ratio':>5}  "
        f"{'cameras/core':>12}  {'core busy rec / ffmpeg':>22}"
    )
    for result in results:
        recorder, ffmpeg = result.recorder, result.ffmpeg
        ratio = f"{recorder.core_per_camera() / ffmpeg.core_per_camera():.2f}" if recorder and ffmpeg else "-"
        per_core = f"{1 / recorder.core_per_camera():.0f}" if recorder and recorder.cpu_seconds else "-"
        busy = " / ".join(busy_text(window) for window in (recorder, ffmpeg))
        print(
            f"{result.cameras:>7}  {percent_per_camera(recorder):>18}  {percent_per_camera(ffmpeg):>16}  "
            f"{ratio:>5}  {per_core:>12}  {busy:>22}"
        )
    print(
        "\ngoal: ratio at most 1.0, and at least 100 cameras per core."
        "\ncore busy: share of the cores under test in use during the window, anything else on them included;"
        f"\n  * above {SATURATED:.0%}: they were saturated, which distorts both figures."
    )
    print(
        f"\nchecks: the clip is {clip_bitrate / 1e6:.2f} Mbit/s; segments are those of the whole run "
        "(warm-up, window and stop)"
    )
    print(
        f"{'cameras':>7}  {'run':<8}  {'Mbit/s/cam written':>18}  {'cams writing':>12}  {'segments':>8}  "
        f"{'cams with one':>13}  {'stand-ins %core':>15}  {'rest of box %core':>17}  {'box busy':>8}  {'load':>5}"
    )
    for result in results:
        for name, window in (("recorder", result.recorder), ("ffmpeg", result.ffmpeg)):
            if window is None:
                continue
            rate = window.mbit_per_camera()
            off = abs(rate * 1e6 / clip_bitrate - 1) > RATE_TOLERANCE
            print(
                f"{result.cameras:>7}  {name:<8}  {rate:>18.2f}  {window.cameras_writing():>12}  "
                f"{window.segments:>8}  {window.cameras_with_segments:>13}  "
                f"{window.server_cores() * 100:>15.0f}  {window.rest_of_box_cores() * 100:>17.0f}  "
                f"{window.box_busy:>8.0%}  {window.load:>5.1f}"
                + ("  <- not the clip's bitrate" if off else "")
            )
    failures: dict[tuple[str, str], list[int]] = {}
    for result in results:
        for name, error in result.errors.items():
            failures.setdefault((name, error), []).append(result.cameras)
    for (name, error), counts in failures.items():
        print(f"\n{name} failed with {', '.join(map(str, counts))} cameras: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cameras", type=int, nargs="+", default=[4, 16, 64], help="camera counts to run")
    parser.add_argument("--window", type=float, default=30, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=10, help="seconds, once every camera writes")
    parser.add_argument(
        "--streams-per-server", type=int, default=16,
        help="streams per stand-in RTSP server (one Python process each; one with 64 falls behind)",
    )  # fmt: skip
    parser.add_argument("--skip-recorder", action="store_true", help="run only the ffmpeg baseline")
    args = parser.parse_args()

    clip, clip_bitrate = make_clip(Path(tempfile.gettempdir()) / "vms-bench-clips")
    server_count = math.ceil(max(args.cameras) / args.streams_per_server)
    results: list[Result] = []
    with ExitStack() as cleanup:
        workdir = Path(tempfile.mkdtemp(prefix="vms-bench-recording-"))
        cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        servers = [
            cleanup.enter_context(PinnedRtspServer(clip.parent, workers=args.streams_per_server + 4))
            for _ in range(server_count)
        ]
        # The servers are this process's only children so far.
        setup = Setup(
            urls=[servers[index % server_count].url_for(clip) for index in range(max(args.cameras))],
            servers=psutil.Process().children(),
            warmup=args.warmup,
            window=args.window,
            workdir=workdir,
        )
        say(f"{server_count} stand-in RTSP server(s) listening")
        runs: list[tuple[str, Callable[[Setup, int], Window]]] = [("ffmpeg", run_ffmpeg)]
        setup_errors: dict[str, str] = {}
        if not args.skip_recorder:
            set_environment(DATABASE, workdir / "media", REDIS_URL, VMS_SEGMENT_SECONDS=str(SEGMENT_SECONDS))
            try:
                cleanup.enter_context(bench_database(DATABASE))
                say(f"database {DATABASE} created and migrated")
                runs.append(("recorder", run_recorder))
            except Exception:
                # The baseline is still worth its figures when the project cannot even set up its database.
                setup_errors["recorder"] = f"the database setup failed:\n{traceback.format_exc()[-3000:]}"
                say("setting up the database failed; running the ffmpeg baseline only")
        for cameras in args.cameras:
            result = Result(cameras, errors=dict(setup_errors))
            for name, run in runs:
                try:
                    setattr(result, name, run(setup, cameras))
                except RunFailed as exc:
                    result.errors[name] = str(exc)
                    say(f"{name} x{cameras} failed")
            # Free the disk between runs: 64 cameras write about 2 GB a minute between them.
            shutil.rmtree(workdir / f"ffmpeg-{cameras}", ignore_errors=True)
            shutil.rmtree(workdir / "media" / "recordings", ignore_errors=True)
            results.append(result)
    print_report(results, clip_bitrate, server_count, args.streams_per_server)
    say("done")


if __name__ == "__main__":
    main()
