"""Where a camera's recording CPU goes, counted by callgrind: user-space instructions of ffmpeg and of record().

One stand-in camera (bench/recording.py's clip) is recorded by `ffmpeg -c copy -f segment` and by record() of
each checkout given, one after the other, each under valgrind's callgrind for a window after a warm-up. Counting
instructions does not depend on how busy the machine is, so runs on a shared machine compare; the kernel's work
(receiving RTSP, writing files) is not in it. A process under valgrind may fall behind the camera, so the counts
are per second of video it wrote in the window (bytes written / the clip's bitrate), not per second of the window.
Run it as `.venv/bin/python bench/recording_profile.py`; see README.md.
"""

from __future__ import annotations

import argparse
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.recording import (  # noqa: E402
    FFMPEG,
    FPS,
    REDIS_URL,
    SEGMENT_SECONDS,
    TESTED_CORES,
    PinnedRtspServer,
    bytes_per_camera,
    make_clip,
    pinned,
)

# Library groups of the report, by a part of the shared object's file name.
GROUPS = {"libav": "FFmpeg libraries", "libc.so": "libc (copies, allocation)", "libpython": "Python",
          "libcrypto": "SHA-256 (libcrypto)"}


def record_one_camera(checkout: Path, url: str, directory: Path) -> None:
    """record() of `checkout` on one camera into `directory`, nobody watching it live, until killed (run under
    valgrind)."""
    sys.path.insert(0, str(checkout))
    from recordings.live import RedisHub
    from video.recording import record

    live = RedisHub(REDIS_URL).publisher("profile")
    # A checkout from before live_wanted existed made live fragments whether watched or not.
    wanted = {"live_wanted": live.wanted} if "live_wanted" in record.__code__.co_varnames else {}
    record(url, segment_seconds=SEGMENT_SECONDS, segment_path=lambda start: directory / f"{start:%H%M%S.%f}.mp4",
           on_segment=lambda segment: None, on_status=lambda status: None, stop=threading.Event(), on_live=live,
           **wanted)


def instructions_by_library(argv: list[str], warmup: float, window: float, output: Path,
                            directory: Path) -> tuple[dict[str, int], int]:
    """Run `argv`, which writes into `directory`, under callgrind, counting only during the window: user-space
    instructions by library, and the bytes it wrote meanwhile."""
    process = subprocess.Popen(
        pinned(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={output}", *argv],
               TESTED_CORES),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(warmup)
        subprocess.run(["callgrind_control", "--instr=on", str(process.pid)], check=True, capture_output=True)
        before = bytes_per_camera([directory])[0]
        time.sleep(window)
        subprocess.run(["callgrind_control", "--instr=off", str(process.pid)], check=True, capture_output=True)
        written = bytes_per_camera([directory])[0] - before
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    annotated = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", str(output)],
                               check=True, capture_output=True, text=True).stdout
    counts: dict[str, int] = defaultdict(int)
    for count, library in re.findall(r"^\s*([\d,]+) \([ \d.]+%\)\s+\S.*\[(.+)\]$", annotated, re.M):
        group = next((name for part, name in GROUPS.items() if part in Path(library).name), "other")
        counts[group] += int(count.replace(",", ""))
    return counts, written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkout", type=Path, nargs="+", default=[ROOT],
                        help="checkouts whose record() is profiled (another worktree, say main's)")
    parser.add_argument("--warmup", type=float, default=60, help="seconds before counting (valgrind starts slowly)")
    parser.add_argument("--window", type=float, default=20, help="seconds counted")
    # The child run under valgrind: record this URL into this directory.
    parser.add_argument("--record", nargs=2, metavar=("URL", "DIRECTORY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.record:
        record_one_camera(args.checkout[0], args.record[0], Path(args.record[1]))
        return

    clip, bitrate = make_clip(Path(tempfile.gettempdir()) / "vms-bench-clips")
    workdir = Path(tempfile.mkdtemp(prefix="vms-profile-"))
    results: dict[str, tuple[dict[str, int], int]] = {}
    with PinnedRtspServer(clip.parent, workers=4) as server:
        url = server.url_for(clip)
        runs = {"ffmpeg": [FFMPEG, "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url,
                           "-c", "copy", "-an", "-f", "segment", "-segment_time", str(SEGMENT_SECONDS),
                           "-segment_format", "mp4", "-reset_timestamps", "1", "{directory}/%05d.mp4"]}
        for checkout in args.checkout:
            runs[f"record() of {checkout}"] = [sys.executable, __file__, "--checkout", str(checkout),
                                               "--record", url, "{directory}"]
        for index, (name, argv) in enumerate(runs.items()):
            print(f"counting {name} ...", file=sys.stderr, flush=True)
            directory = workdir / str(index)
            directory.mkdir()
            argv = [part.replace("{directory}", str(directory)) for part in argv]
            results[name] = instructions_by_library(argv, args.warmup, args.window, workdir / "callgrind.out",
                                                    directory)
    print(f"\nuser-space instructions per second of video of one 1080p {FPS} fps camera at {bitrate / 1e6:.1f} "
          f"Mbit/s, in millions (counted over {args.window:g} s)")
    groups = [*GROUPS.values(), "other"]
    for name, (counts, written) in results.items():
        video_seconds = written * 8 / bitrate
        if not video_seconds:
            print(f"{name}: wrote nothing in the window")
            continue
        parts = ", ".join(f"{group} {counts[group] / video_seconds / 1e6:.1f}" for group in groups if counts[group])
        print(f"{name}: {sum(counts.values()) / video_seconds / 1e6:.1f} ({parts}); "
              f"{video_seconds:.1f} s of video written in the window")
    print("\nvalgrind hides the CPU's SHA instructions, so SHA-256 counts several times what it costs natively.")


if __name__ == "__main__":
    main()
