"""CPU per camera of recording a camera's video with its sound: our recording (video.recording.record, as the recorder
runs it, one thread per camera) beside ffmpeg's CLI doing the same (`-c:v copy -c:a copy|aac -f segment`), in the
same run, on the same stand-in cameras: AAC sound copied, and PCMU (G.711) sound transcoded to AAC. Our recording
without sound is measured too, so the cost of the sound alone shows.

Run it as `.venv/bin/python -m bench.audio recording`; see bench/README.md.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.standins.rtsp_servers import GstCamera  # noqa: E402

FFMPEG = "/usr/bin/ffmpeg"
SEGMENT_SECONDS = 10
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# What ffmpeg's CLI does with each camera's sound, as our recording does.
FFMPEG_AUDIO = {"aac": "copy", "pcmu": "aac"}

started_at = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - started_at:6.1f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    """One way of recording the cameras, measured over the window."""

    sound: str  # the cameras' sound codec
    how: str
    core_per_camera: float
    mbit_per_camera: float
    cameras_writing: int  # of the cameras, how many wrote during the window
    has_audio: bool  # a finished segment of the run has an AAC track


def ffmpeg_argv(url: str, sound: str, directory: Path) -> list[str]:
    return [FFMPEG, "-nostdin", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url,
            "-c:v", "copy", "-c:a", FFMPEG_AUDIO[sound], "-f", "segment", "-segment_time", str(SEGMENT_SECONDS),
            "-segment_format", "mp4", "-reset_timestamps", "1", str(directory / "%05d.mp4")]  # fmt: skip


def ours_argv(url: str, cameras: int, sound: bool, directory: Path) -> list[str]:
    return [sys.executable, "-m", "bench.audio", "recording", "--child", url, str(cameras), str(directory),
            "sound" if sound else "silent"]


def record_cameras(url: str, cameras: int, directory: Path, sound: bool) -> None:
    """The child process: record `url` `cameras` times at once, one thread each, as the recorder does, until
    SIGTERM."""
    from video.recording import record

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def one(index: int) -> None:
        folder = directory / f"camera-{index}"
        while not stop.is_set():
            try:
                record(url, segment_seconds=SEGMENT_SECONDS,
                       segment_path=lambda start: folder / f"{start:%H%M%S.%f}.mp4", on_segment=lambda _segment: None,
                       on_status=lambda _status: None, stop=stop, audio=sound)
            except Exception as exc:  # noqa: BLE001  (reconnect as the recorder does; the figures show a failure)
                print(f"camera {index}: {exc}", file=sys.stderr, flush=True)
                stop.wait(1)

    threads = [threading.Thread(target=one, args=(index,)) for index in range(cameras)]
    for thread in threads:
        thread.start()
        # GStreamer's server refuses (500) a session set up while another is being prepared on its shared media.
        time.sleep(0.5)
    for thread in threads:
        thread.join()


def written(directory: Path) -> int:
    total = 0
    for path in directory.rglob("*"):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except FileNotFoundError:
            pass
    return total


def cpu(processes: list[psutil.Process]) -> float:
    return sum(times.user + times.system for times in (process.cpu_times() for process in processes))


def has_aac(directory: Path) -> bool:
    """Whether a finished segment under `directory` has an AAC track (ffprobe reads it)."""
    for path in sorted(directory.rglob("*.mp4")):
        probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a", "-show_entries", "stream=codec_name",
                                "-of", "csv=p=0", str(path)], capture_output=True, text=True, timeout=30)
        if probe.stdout.strip() == "aac":
            return True
    return False


def measure(argvs: list[list[str]], folders: list[Path], warmup: float, window: float) -> tuple[float, float, int]:
    """Run `argvs` until each camera's folder has bytes, warm up, then return (share of a core per camera, Mbit/s
    written per camera, how many cameras wrote during the window)."""
    children = []
    for argv in argvs:
        children.append(subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.5)  # one session at a time, as in record_cameras
    try:
        processes = [psutil.Process(child.pid) for child in children]
        waited = time.monotonic()
        while not all(written(folder) for folder in folders):
            if any(child.poll() is not None for child in children) or time.monotonic() - waited > START_TIMEOUT:
                raise RuntimeError(f"{argvs[0][0]}: not every camera wrote within {START_TIMEOUT:g} s")
            time.sleep(0.5)
        time.sleep(warmup)
        cpu_before, bytes_before, at = cpu(processes), [written(folder) for folder in folders], time.monotonic()
        time.sleep(window)
        seconds = time.monotonic() - at
        grew = [written(folder) - before for folder, before in zip(folders, bytes_before, strict=True)]
        return ((cpu(processes) - cpu_before) / seconds / len(folders), sum(grew) * 8 / seconds / len(folders) / 1e6,
                sum(size > 0 for size in grew))
    finally:
        for child in children:
            child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def print_report(runs: list[Run], args: argparse.Namespace) -> None:
    print(f"\n{args.cameras} cameras, {args.width}x{args.height} 25 fps H.264 with sound, {args.window:g} s windows, "
          f"{psutil.cpu_count()} cores; segments of {SEGMENT_SECONDS} s")
    print(f"{'sound':<6} {'recorded by':<44} {'%core/cam':>9} {'Mbit/s/cam':>10} {'writing':>7} {'AAC in file':>11}")
    for run in runs:
        print(f"{run.sound:<6} {run.how:<44} {run.core_per_camera * 100:>9.2f} {run.mbit_per_camera:>10.2f} "
              f"{run.cameras_writing:>3}/{args.cameras:<3} {'yes' if run.has_audio else 'NO':>11}")
    for sound in FFMPEG_AUDIO:
        ffmpeg = next((run.core_per_camera for run in runs if run.sound == sound and run.how.startswith("ffmpeg")), 0)
        ours = next((run.core_per_camera for run in runs if run.sound == sound and run.how == "ours with sound"), 0)
        if ffmpeg and ours:
            print(f"{sound}: ours with sound / ffmpeg = {ours / ffmpeg:.2f}")


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        url, cameras, directory, sound = argv[1:5]
        record_cameras(url, int(cameras), Path(directory), sound == "sound")
        return
    parser = argparse.ArgumentParser(prog="python -m bench.audio recording", description=__doc__)
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--window", type=float, default=30, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=5, help="seconds once a run writes")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="vms-bench-audio-"))
    runs: list[Run] = []
    try:
        for sound in FFMPEG_AUDIO:
            for how in (f"ffmpeg -c:v copy -c:a {FFMPEG_AUDIO[sound]} -f segment", "ours with sound",
                        "ours without sound (reference)"):
                # A fresh stand-in for each run, shared by the run's N sessions as a real camera's encoder is; for
                # the reference one without sound (GStreamer's server refuses some of several sessions that set up
                # the video alone of a media with sound).
                codec = "none" if "without" in how else sound
                with GstCamera(f"/{sound}", audio=codec, width=args.width, height=args.height) as camera:
                    directory = workdir / sound / how.split(" ")[0] / ("silent" if "without" in how else "sound")
                    folders = [directory / f"camera-{index}" for index in range(args.cameras)]
                    if how.startswith("ffmpeg"):
                        for folder in folders:
                            folder.mkdir(parents=True)
                        argvs = [ffmpeg_argv(camera.url, sound, folder) for folder in folders]
                    else:
                        argvs = [ours_argv(camera.url, args.cameras, "without" not in how, directory)]
                    say(f"{sound}: {how}")
                    share, rate, writing = measure(argvs, folders, args.warmup, args.window)
                    runs.append(Run(sound, how, share, rate, writing, has_aac(folders[0])))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_report(runs, args)
