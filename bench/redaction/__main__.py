"""Redaction benchmark: our redactor and deface 1.5.0 on the same generated clips, judged against known truth.

For every clip and seed (scenes.py: packaged face photos over real CCTV footage), ours finds the face tracks,
keeps the ones on the scene's person of interest and masks the rest in blur; deface runs as its CLI with its
defaults (from its own venv under var/bench-deface-venv, made from PyPI on first use). Both copies are judged by
the two leak judges (judges.py) and evaluation.py. Run it as `.venv/bin/python -m bench.redaction [--quick]`.
"""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.redaction.evaluation import Evaluation, evaluate, person_of_track, switched_tracks, tracks_per_person
from bench.redaction.judges import FINDER_LEAK_SCORE, IDENTITY_LEAK, FaceFinder
from bench.redaction.scenes import COUNTED_SHARE, Scene, SceneSpec, make_scene
from video.redaction import find_tracks, render

ROOT = Path(__file__).resolve().parents[2]
DEFACE_REQUIREMENTS = ["deface==1.5.0", "onnx", "onnxruntime"]
DEFACE_VENV = ROOT / "var" / "bench-deface-venv"
# The goals of issue 10, on every clip: leak rate, its share of deface's, POI SSIM, speed against deface.
GOAL_LEAK, GOAL_LEAK_SHARE, GOAL_POI_SSIM, GOAL_SPEEDUP = 0.001, 0.5, 0.95, 1.5

# The default clips; the others (12 and 25 fps) run with --clips.
DEFAULT_CLIPS = ["720p 12.5fps", "720p 30fps", "1080p 15fps", "720p 10fps pan"]
CLIPS = {
    "720p 12.5fps": SceneSpec(width=1280, height=720, fps=12.5, seconds=15, people=8),
    "720p 30fps": SceneSpec(width=1280, height=720, fps=30, seconds=12, people=8),
    "1080p 15fps": SceneSpec(width=1920, height=1080, fps=15, seconds=12, people=9),
    "720p 10fps pan": SceneSpec(width=1280, height=720, fps=10, seconds=15, people=8, pan=0.35),
    "720p 12fps": SceneSpec(width=1280, height=720, fps=12, seconds=12, people=10),
    "720p 25fps": SceneSpec(width=1280, height=720, fps=25, seconds=10, people=8),
}
QUICK = {"720p 12.5fps": SceneSpec(width=1280, height=720, fps=12.5, seconds=6, people=6),
         "720p 10fps pan": SceneSpec(width=1280, height=720, fps=10, seconds=6, people=6, pan=0.3)}

started_at = time.monotonic()


def say(message: str) -> None:
    """Progress on stderr, stamped with seconds since the start."""
    print(f"[{time.monotonic() - started_at:6.1f} s] {message}", file=sys.stderr, flush=True)


@dataclass
class Run:
    clip: str
    seed: int
    who: str
    wall: float
    footage: float  # seconds
    evaluation: Evaluation | None = None
    tracks_per_person: float | None = None
    switched: int | None = None
    error: str = ""

    @property
    def speed(self) -> float:
        return self.footage / self.wall if self.wall else 0.0


def timed(work: Callable[[], object]) -> tuple[float, object]:
    before = time.perf_counter()
    result = work()
    return time.perf_counter() - before, result


def run_ours(clip: str, scene: Scene, workdir: Path, reference: Path, finder: FaceFinder) -> Run:
    output = workdir / "ours.mp4"
    poi = scene.person_of_interest.id
    # `kept` (occlusion-aware rendering) arrives with the masker's change; before it, kept tracks are just left out.
    takes_kept = "kept" in inspect.signature(render).parameters

    def work() -> list:
        tracks = find_tracks(scene.path, {"faces"})
        kept = [t for t in tracks if person_of_track(scene, t) == poi]
        masked = [t for t in tracks if t not in kept]
        render(scene.path, output, tracks=masked, style="blur", **({"kept": kept} if takes_kept else {}))
        return tracks

    wall, tracks = timed(work)
    return Run(clip, scene.spec.seed, "ours", wall, scene.spec.seconds, evaluate(scene, output, reference, finder),
               tracks_per_person(scene, tracks), switched_tracks(scene, tracks))


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


def run_deface(clip: str, scene: Scene, workdir: Path, reference: Path, finder: FaceFinder,
               command: Path | str) -> Run:
    run = Run(clip, scene.spec.seed, "deface", 0.0, scene.spec.seconds)
    if isinstance(command, str):
        run.error = command
        return run
    output = workdir / "deface.mp4"
    # Its defaults: threshold 0.2, masks 1.3 times the face, blurred ellipses, detection at full resolution.
    args = [str(command), str(scene.path), "-o", str(output), "--replacewith", "blur"]
    run.wall, result = timed(lambda: subprocess.run(args, capture_output=True, text=True, check=False,
                                                     env={**os.environ, "TQDM_DISABLE": "1"}))
    if result.returncode != 0 or not output.exists():
        lines = (result.stderr or result.stdout).strip().splitlines()
        run.error = lines[-1] if lines else f"exit {result.returncode}"
        return run
    try:
        run.evaluation = evaluate(scene, output, reference, finder)
    except ValueError as error:
        run.error = str(error)
    return run


def percent(value: float) -> str:
    return f"{100 * value:6.2f}"


def print_table(runs: list[Run]) -> None:
    header = (f"{'clip':<15} {'seed':>4} {'who':<7} {'faces':>6} {'leak% det':>9} {'ident':>7} {'either':>7} "
              f"{'POI SSIM':>8} {'over%':>6} {'trk/pers':>8} {'switch':>6} {'speed':>7}")
    print(header)
    print("-" * len(header))
    for run in runs:
        e = run.evaluation
        if e is None:
            print(f"{run.clip:<15} {run.seed:>4} {run.who:<7} {'-':>6}  {run.error}")
            continue
        tracks = f"{run.tracks_per_person:8.2f}" if run.tracks_per_person is not None else f"{'-':>8}"
        tracks += f" {run.switched:>6}" if run.switched is not None else f" {'-':>6}"
        print(f"{run.clip:<15} {run.seed:>4} {run.who:<7} {len(e.verdicts):>6} {percent(e.leak_rate('finder')):>9} "
              f"{percent(e.leak_rate('identity')):>7} {percent(e.leak_rate()):>7} {e.poi_fidelity:8.3f} "
              f"{percent(e.over_redaction):>6} {tracks} {run.speed:6.2f}x")


def print_spread(runs: list[Run]) -> None:
    print("\nSpread over seeds (min / median / max), and the goals met on every seed:")
    for clip in dict.fromkeys(r.clip for r in runs):
        pairs = []
        for seed in sorted({r.seed for r in runs if r.clip == clip}):
            ours = next(r for r in runs if (r.clip, r.seed, r.who) == (clip, seed, "ours"))
            deface = next((r for r in runs if (r.clip, r.seed, r.who) == (clip, seed, "deface")), None)
            pairs.append((ours, deface if deface and deface.evaluation else None))
        columns = {
            "ours leak%": [100 * o.evaluation.leak_rate() for o, _ in pairs],
            "deface leak%": [100 * d.evaluation.leak_rate() for _, d in pairs if d],
            "POI SSIM": [o.evaluation.poi_fidelity for o, _ in pairs],
            "trk/pers": [o.tracks_per_person for o, _ in pairs],
            "speed vs deface": [o.speed / d.speed for o, d in pairs if d],
        }
        spread = "  ".join(f"{name} {min(v):.2f}/{statistics.median(v):.2f}/{max(v):.2f}"
                           for name, v in columns.items() if v)
        goals = [
            ("leak <= 0.1%", all(o.evaluation.leak_rate() <= GOAL_LEAK for o, _ in pairs)),
            ("POI SSIM >= 0.95", all(o.evaluation.poi_fidelity >= GOAL_POI_SSIM for o, _ in pairs)),
        ]
        if all(d for _, d in pairs):
            goals += [
                ("leak <= half deface's", all(o.evaluation.leak_rate() <= GOAL_LEAK_SHARE * d.evaluation.leak_rate()
                                              for o, d in pairs)),
                ("speed >= 1.5x deface", all(o.speed >= GOAL_SPEEDUP * d.speed for o, d in pairs)),
            ]
        print(f"  {clip:<15} {spread}")
        print(f"  {'':<15} goals: " + ", ".join(f"{name} {'met' if met else 'NOT met'}" for name, met in goals))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--clips", nargs="+", choices=list(CLIPS), default=DEFAULT_CLIPS)
    parser.add_argument("--quick", action="store_true", help="two 6 s clips, one seed")
    parser.add_argument("--skip-deface", action="store_true")
    args = parser.parse_args()
    clips = QUICK if args.quick else {name: CLIPS[name] for name in args.clips}
    seeds = args.seeds[:1] if args.quick else args.seeds

    command: Path | str = "skipped" if args.skip_deface else deface_cli()
    finder = FaceFinder()
    runs: list[Run] = []
    for name, spec in clips.items():
        for seed in seeds:
            spec_seeded = SceneSpec(seed, spec.width, spec.height, spec.fps, spec.seconds, spec.people, spec.pan)
            say(f"{name} seed {seed}: making the scene (cached in var/footage/redaction-scenes)")
            scene = make_scene(spec_seeded)
            with tempfile.TemporaryDirectory(prefix="vms-bench-redaction-") as tmp:
                workdir = Path(tmp)
                reference = workdir / "reference.mp4"
                render(scene.path, reference)
                say(f"{name} seed {seed}: ours")
                runs.append(run_ours(name, scene, workdir, reference, finder))
                if not args.skip_deface:
                    say(f"{name} seed {seed}: deface")
                    runs.append(run_deface(name, scene, workdir, reference, finder, command))
    print(f"\nRedaction of faces in blur, ours (person of interest kept) beside deface 1.5.0 (defaults), on scenes "
          f"over {scene.background}.")
    print_table(runs)
    print_spread(runs)
    print(f"\nfaces: bystanders' face-frames judged (at least {COUNTED_SHARE:.0%} of the face in view). leak% det: "
          f"the LBP cascade has >= {FINDER_LEAK_SCORE} windows on the true face; ident: its 2-13 cycles/face-width "
          f"detail correlates >= {IDENTITY_LEAK} with the original; either: one or both. POI SSIM: the kept face "
          "against the original (deface masks it too). over%: pixels outside the true faces (grown 30%) changed "
          "by more than encoding noise. trk/pers: face tracks matched to a real person, per person. switch: tracks "
          "that follow one person's face and then another's (each on 3 or more detected frames). speed: seconds "
          "of footage per wall second (detection, tracking, masking, encoding).")
    say("done")


if __name__ == "__main__":
    main()
