"""Redaction benchmark: seconds of 720p footage redacted (faces, blurred) per second of wall time, and how many
faces were left recognisable, for `video.redaction` beside the open-source tool deface 1.5.0 on the same clip.

The clip is the redaction test scene (tests/standins/redaction_scene.py: 12 s of 1280x720 25 fps, five real face
photographs on known paths over real CCTV footage), so recall is measured against known truth, by the tests'
criterion: a face on a frame counts as redacted when no quarter of it keeps its structure (SSIM < 0.8) and, on
every 5th frame, scikit-image's LBP face cascade does not find it. Our engine runs find_tracks + render with every
face track masked; deface runs as its CLI, from its own venv under var/bench-deface-venv (made from PyPI on first
use, with onnxruntime, which its README recommends for speed). Run it as `.venv/bin/python bench/redaction.py`.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standins.redaction_scene import (  # noqa: E402
    CascadeFaceFinder,
    FaceOutcome,
    RedactionScene,
    face_outcomes,
    redaction_scene,
)
from video.faces import FaceDetector  # noqa: E402
from video.redaction import DETECTION_WIDTH, FACE_RATE, FACE_SCORE, find_tracks, render  # noqa: E402

DEFACE_REQUIREMENTS = ["deface==1.5.0", "onnx", "onnxruntime"]
DEFACE_VENV = ROOT / "var" / "bench-deface-venv"
CASCADE_EVERY = 5

started_at = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr, stamped with seconds since the start."""
    print(f"[{time.monotonic() - started_at:6.1f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    name: str
    wall: float
    cpu: float  # user + system seconds, this process's threads or the child's
    outcomes: list[FaceOutcome]
    detail: str = ""
    error: str = ""

    def speed(self, footage_seconds: float) -> float:
        return footage_seconds / self.wall

    def recall(self) -> tuple[int, int]:
        """(faces redacted, faces) over every face on every frame."""
        return sum(not o.recognisable for o in self.outcomes), len(self.outcomes)

    def cascade(self) -> tuple[int, int]:
        """(faces the cascade still found, frames it looked at)."""
        checked = [o for o in self.outcomes if o.found is not None]
        return sum(bool(o.found) for o in checked), len(checked)


def cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(work: Callable[[], str], cpu: Callable[[], float]) -> tuple[float, float, str]:
    cpu_before, wall_before = cpu(), time.perf_counter()
    detail = work()
    return time.perf_counter() - wall_before, cpu() - cpu_before, detail


def run_ours(scene: RedactionScene, workdir: Path, face_rate: float, face_width: int,
             finder: CascadeFaceFinder) -> Run:
    output = workdir / f"ours_{face_rate:g}_{face_width}.mp4"

    def work() -> str:
        tracks = find_tracks(scene.path, {"faces"}, face_rate=face_rate, face_width=face_width)
        render(scene.path, output, tracks=tracks, style="blur")
        return f"{len(tracks)} tracks"

    wall, cpu, detail = timed(work, cpu_self)
    stride = max(1, round(scene.fps / face_rate))
    every = "frame" if stride == 1 else f"{stride} frames"
    name = f"ours: faces every {every} ({scene.fps / stride:.3g}/s) at {face_width} px"
    outcomes = face_outcomes(scene, output, cascade_every=CASCADE_EVERY, finder=finder)
    return Run(name, wall, cpu, outcomes, detail)


def deface_cli() -> Path | str:
    """The deface command of the bench's own venv, made on first use; or why it cannot be had."""
    command = DEFACE_VENV / "bin" / "deface"
    marker = DEFACE_VENV / ".installed"
    wanted = " ".join(DEFACE_REQUIREMENTS)
    if command.exists() and marker.exists() and marker.read_text().strip() == wanted:
        return command
    say(f"installing {wanted} into {DEFACE_VENV} (once)")
    shutil.rmtree(DEFACE_VENV, ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", str(DEFACE_VENV)],
        [str(DEFACE_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", *DEFACE_REQUIREMENTS],
    ]
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            lines = (result.stderr or result.stdout).strip().splitlines()
            return f"{' '.join(step[:4])} failed: {lines[-1] if lines else result.returncode}"
    marker.write_text(wanted + "\n")
    return command


def run_deface(scene: RedactionScene, workdir: Path, command: Path, scale: str | None,
               finder: CascadeFaceFinder) -> Run:
    output = workdir / f"deface_{scale or 'full'}.mp4"
    args = [str(command), str(scene.path), "-o", str(output), "--replacewith", "blur"]
    if scale:
        args += ["--scale", scale]
    name = f"deface 1.5.0{f' --scale {scale}' if scale else ''} (onnxruntime)"
    result: dict[str, subprocess.CompletedProcess] = {}

    def work() -> str:
        # Its defaults otherwise: threshold 0.2, masks 1.3 times the face, blurred ellipses, libx264.
        result["run"] = subprocess.run(args, capture_output=True, text=True, check=False,
                                       env={**os.environ, "TQDM_DISABLE": "1"})
        return ""

    wall, cpu, _ = timed(work, cpu_children)
    run = result["run"]
    if run.returncode != 0 or not output.exists():
        lines = (run.stderr or run.stdout).strip().splitlines()
        return Run(name, wall, cpu, [], error=lines[-1] if lines else f"exit {run.returncode}")
    detail = ""
    with av.open(str(output)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    if frames != scene.frame_count:
        # Faces are compared frame by frame: a dropped or doubled frame would misalign the rest.
        detail = f"{frames} frames written of {scene.frame_count}"
    outcomes = face_outcomes(scene, output, cascade_every=CASCADE_EVERY, finder=finder)
    return Run(name, wall, cpu, outcomes, detail)


def smallest_faces(scene: RedactionScene) -> list[tuple[str, int | None]]:
    """The smallest face (px high at 720p) CenterFace finds at each detection size, with the astronaut photo
    scaled down and pasted into a frame of the scene: faces this small are not in the scene, but are in CCTV."""
    import cv2
    from skimage import data

    with av.open(str(scene.path)) as container:
        background = next(container.decode(video=0)).to_ndarray(format="bgr24")
    photo = data.astronaut()[20:330, 90:370, ::-1]  # head and shoulders; the face is 125 px high, 88 px in
    sizes = list(range(16, 61, 4))
    probes = [
        (f"ours ({DETECTION_WIDTH} px, score >= {FACE_SCORE})", DETECTION_WIDTH, FACE_SCORE),
        (f"ours at 960 px (score >= {FACE_SCORE})", 960, FACE_SCORE),
        ("deface default (full frame, score >= 0.2)", scene.width, 0.2),
        ("deface --scale 640x352 (score >= 0.2)", 640, 0.2),
    ]
    found = []
    for name, width, threshold in probes:
        detector = FaceDetector(threshold, width)
        smallest = None
        for face_h in sizes:
            scale = face_h / 125
            card = cv2.resize(np.ascontiguousarray(photo), None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            frame = background.copy()
            x, y = 600, 300
            frame[y : y + card.shape[0], x : x + card.shape[1]] = card
            fx, fy = x + 88 * scale, y + 40 * scale
            if any(abs(d.box.x * scene.width - fx) < face_h and abs(d.box.y * scene.height - fy) < face_h
                   for d in detector.detect(frame)):
                smallest = face_h
                break
        found.append((name, smallest))
    return found


def print_table(runs: list[Run], scene: RedactionScene) -> None:
    footage = scene.frame_count / scene.fps
    faces = sum(len(s.faces) for s in scene.subjects)
    print(f"\nRedaction of faces, blurred: {footage:g} s of {scene.width}x{scene.height} {scene.fps} fps "
          f"({scene.background} with {len(scene.subjects)} face photos on known paths, {faces} faces in all frames)")
    header = (f"{'run':<48} {'footage s/s':>11} {'wall s':>7} {'cpu s':>6} {'%core':>6}  {'recall':>17}  "
              f"{'cascade finds':>13}  notes")
    print(header)
    print("-" * len(header))
    for run in runs:
        if run.error:
            print(f"{run.name:<48} {'-':>11} {run.wall:7.1f} {'-':>6} {'-':>6}  {'-':>17}  {'-':>13}  {run.error}")
            continue
        done, total = run.recall()
        found, looked = run.cascade()
        recall = f"{done / total:6.1%} ({done}/{total})" if total else "-"
        print(f"{run.name:<48} {run.speed(footage):10.2f}x {run.wall:7.1f} {run.cpu:6.1f} "
              f"{100 * run.cpu / run.wall:6.0f}  {recall:>17}  {f'{found}/{looked}':>13}  {run.detail}")
    print("\nfootage s/s: seconds of footage redacted per second of wall time (detection, masking, H.264 encoding,")
    print("writing). recall: faces on frames that are no longer recognisable (no quarter of the face with SSIM >= 0.8")
    print(f"against the original, nor found by the LBP cascade on every {CASCADE_EVERY}th frame). cascade finds: "
          "faces the cascade still found / faces it looked at.")
    default = f"({FACE_RATE:.3g}/s) at {DETECTION_WIDTH} px"
    ours = next((r for r in runs if r.name.startswith("ours") and r.name.endswith(default)), None)
    defaces = [r for r in runs if r.name.startswith("deface") and not r.error]
    print("Goal: faster than real time (footage s/s > 1) and faster than deface, with recall at least as high.")
    if ours and defaces:
        best = max(defaces, key=lambda r: r.speed(footage))
        best_recall = max(r.recall()[0] / max(r.recall()[1], 1) for r in defaces)
        ours_recall = ours.recall()[0] / max(ours.recall()[1], 1)
        speed = ours.speed(footage)
        met = speed > 1 and speed > best.speed(footage) and ours_recall >= best_recall
        print(f"  ours (default, {FACE_RATE:g}/s): {speed:.2f}x real time, {speed / best.speed(footage):.1f} times the "
              f"fastest deface run; recall {ours_recall:.1%} against deface's best {best_recall:.1%}: "
              f"{'met' if met else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--face-rates", type=float, nargs="+", default=[25.0, FACE_RATE, 25 / 3],
                        help="face detections per second of footage to run ours at, at the default detection width "
                             f"(the default rate is {FACE_RATE:g}; 25 is every frame)")
    parser.add_argument("--face-widths", type=int, nargs="*", default=[960],
                        help=f"other detection widths to run ours at, at the default rate ({DETECTION_WIDTH} is the "
                             "default width)")
    parser.add_argument("--deface-scales", nargs="*", default=["", "640x352"],
                        help="deface runs: '' for its default (detection at full resolution), WxH for --scale")
    parser.add_argument("--skip-deface", action="store_true")
    args = parser.parse_args()

    say("making the scene (cached in var/footage)")
    scene = redaction_scene()
    finder = CascadeFaceFinder()
    runs = []
    with tempfile.TemporaryDirectory(prefix="vms-bench-redaction-") as workdir:
        for rate in args.face_rates:
            say(f"ours at {rate:g} face detections/s")
            runs.append(run_ours(scene, Path(workdir), rate, DETECTION_WIDTH, finder))
        for width in args.face_widths:
            say(f"ours at {width} px")
            runs.append(run_ours(scene, Path(workdir), FACE_RATE, width, finder))
        if not args.skip_deface:
            command = deface_cli()
            if isinstance(command, str):
                runs.append(Run("deface 1.5.0", 0.0, 0.0, [], error=command))
            for scale in args.deface_scales:
                say(f"deface{f' --scale {scale}' if scale else ''}")
                if not isinstance(command, str):
                    runs.append(run_deface(scene, Path(workdir), command, scale or None, finder))
    say("smallest faces found")
    smallest = smallest_faces(scene)
    print_table(runs, scene)
    print("\nSmallest face found (the astronaut photo scaled down into a frame of the scene, 16-60 px high at 720p):")
    for name, size in smallest:
        print(f"  {name:<46} {f'{size} px' if size else 'none up to 60 px'}")
    say("done")


if __name__ == "__main__":
    main()
