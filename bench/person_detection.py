"""Person detection accuracy on real CCTV footage: recall and precision against hand-made labels.

The detector (`video.detection.load_detector`) runs on the labelled frames of OpenCV's vtest.avi
(`tests/data/vtest_people.json`), once on the full frame (the baseline) and once only around motion found by
`video.motion.MotionDetector` fed at 5 fps, the rate analytics run at. Run it as
`.venv/bin/python bench/person_detection.py`; see README.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.standins.footage import LabelledFrame, labelled_frames, people_clip  # noqa: E402
from video.detection import PERSON, Detection, Detector, load_detector  # noqa: E402
from video.geometry import Box, iou  # noqa: E402

try:
    from video.motion import MotionDetector
except ImportError:  # the motion run is skipped, the full-frame figures still stand
    MotionDetector = None

PixelBox = tuple[int, int, int, int]
SMALL = 64  # px: people shorter than this are reported apart; SSD sees them at under 34 px of its 300


@dataclass
class FrameResult:
    """What one run found in one labelled frame, every person detection kept whatever its score."""

    frame: LabelledFrame
    detections: list[Detection]
    seconds: float  # detector time


@dataclass
class Score:
    """Matches at one score threshold over a set of frames."""

    hits: int = 0
    false_alarms: int = 0
    people: int = 0
    small_hits: int = 0
    small_people: int = 0
    missed: list[tuple[int, PixelBox]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.hits / self.people if self.people else float("nan")

    @property
    def precision(self) -> float:
        found = self.hits + self.false_alarms
        return self.hits / found if found else float("nan")


def normalised(box: PixelBox, width: int, height: int) -> Box:
    x, y, w, h = box
    return Box(x / width, y / height, w / width, h / height)


def mostly_inside(detection: Box, region: Box) -> bool:
    """Whether at least half the detection lies in `region` (a partly visible person's box)."""
    w = min(detection.x2, region.x2) - max(detection.x, region.x)
    h = min(detection.y2, region.y2) - max(detection.y, region.y)
    return w > 0 and h > 0 and w * h >= 0.5 * detection.area


def score(results: list[FrameResult], threshold: float, min_iou: float, width: int, height: int) -> Score:
    """Greedy matching, best score first: a detection is a hit on the unmatched labelled person it overlaps
    most (IoU >= min_iou), ignored if it lies mostly on a partly visible person, else a false alarm."""
    total = Score()
    for result in results:
        people = [normalised(box, width, height) for box in result.frame.people]
        partial = [normalised(box, width, height) for box in result.frame.partial]
        matched: set[int] = set()
        kept = sorted((d for d in result.detections if d.score >= threshold), key=lambda d: -d.score)
        for detection in kept:
            overlaps = [(iou(detection.box, person), i) for i, person in enumerate(people) if i not in matched]
            best, index = max(overlaps, default=(0.0, -1))
            if best >= min_iou:
                matched.add(index)
            elif not any(mostly_inside(detection.box, region) for region in partial):
                total.false_alarms += 1
        total.hits += len(matched)
        total.people += len(people)
        for i, box in enumerate(result.frame.people):
            small = box[3] < SMALL
            total.small_people += small
            total.small_hits += small and i in matched
            if i not in matched:
                total.missed.append((result.frame.index, box))
    return total


def run(
    clip_path: Path, frames: list[LabelledFrame], detector: Detector, motion_fps: float | None, fps: int
) -> tuple[list[FrameResult], list[FrameResult], dict[int, float]]:
    """Decode the clip once, in order; return the full-frame results and, with motion_fps, the motion-region
    results and how many seconds of frames each labelled frame's motion detector had seen before it."""
    by_index = {frame.index: frame for frame in frames}
    step = max(1, round(fps / motion_fps)) if motion_fps else 0
    # One motion detector per phase, so every labelled frame falls on the 5 fps grid of one of them, which
    # has seen every `step`-th frame before it, as a camera analysed at 5 fps would.
    motion = [MotionDetector() for _ in range(step)] if step else []
    full: list[FrameResult] = []
    gated: list[FrameResult] = []
    history: dict[int, float] = {}
    last = max(by_index)
    with av.open(str(clip_path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            if index > last:
                break
            if index not in by_index and not step:
                continue
            image = frame.to_ndarray(format="bgr24")
            regions = motion[index % step].update(image).regions if step else None
            if index not in by_index:
                continue
            full.append(detect(detector, image, None, by_index[index]))
            if step:
                gated.append(detect(detector, image, regions, by_index[index]))
                history[index] = index / fps
    return full, gated, history


def detect(detector: Detector, image: np.ndarray, regions: list[Box] | None, frame: LabelledFrame) -> FrameResult:
    started = time.perf_counter()
    detections = [d for d in detector.detect(image, regions) if d.label == PERSON]
    return FrameResult(frame, detections, time.perf_counter() - started)


def print_scores(
    rows: list[tuple[str, list[FrameResult]]], thresholds: list[float], min_iou: float, size: tuple[int, int]
) -> None:
    header = f"{'score >=':>9}" + "".join(f" | {name:^39}" for name, _ in rows)
    sub = f"{'':>9}" + " | recall  precision  hits  false  small" * len(rows)
    print(header)
    print(sub)
    print("-" * len(sub))
    for threshold in thresholds:
        line = f"{threshold:>9.2f}"
        for _, results in rows:
            s = score(results, threshold, min_iou, *size)
            small = f"{s.small_hits}/{s.small_people}"
            line += f" | {s.recall:6.1%}  {s.precision:9.1%}  {s.hits:4d}  {s.false_alarms:5d}  {small:>5}"
        print(line)
    line = f"{'detect ms':>9}"
    for _, results in rows:
        line += f" | {1000 * np.mean([r.seconds for r in results]):6.0f}" + " " * 33
    print(line)


def draw(directory: Path, clip_path: Path, results: list[FrameResult], threshold: float, name: str) -> None:
    """Write each labelled frame with its labels (green, partial yellow) and detections (red, with scores)."""
    from tests.standins.footage import decode_frames

    directory.mkdir(parents=True, exist_ok=True)
    images = decode_frames(clip_path, [r.frame.index for r in results])
    for result in results:
        image = images[result.frame.index]
        height, width = image.shape[:2]
        for boxes, colour in ((result.frame.people, (0, 255, 0)), (result.frame.partial, (0, 255, 255))):
            for x, y, w, h in boxes:
                cv2.rectangle(image, (x, y), (x + w, y + h), colour, 1)
        for d in result.detections:
            if d.score < threshold:
                continue
            x, y = round(d.box.x * width), round(d.box.y * height)
            x2, y2 = round(d.box.x2 * width), round(d.box.y2 * height)
            cv2.rectangle(image, (x, y), (x2, y2), (0, 0, 255), 1)
            cv2.putText(image, f"{d.score:.2f}", (x, y2 + 10), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 0, 255), 1)
        cv2.imwrite(str(directory / f"{name}_{result.frame.index:03d}.png"), image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a YOLOv5/v8 .onnx file; the packaged SSD-MobileNet-v2 if not given")
    parser.add_argument("--thresholds", type=float, nargs="+", default=[0.3, 0.4, 0.5, 0.6])
    parser.add_argument("--iou", type=float, default=0.5, help="IoU with a label that makes a detection a hit")
    parser.add_argument("--motion-fps", type=float, default=5, help="frame rate the motion detector is fed")
    parser.add_argument(
        "--warmup", type=float, default=3, help="seconds of motion history a frame needs to count in the comparison"
    )
    parser.add_argument("--draw", type=Path, help="write annotated frames (at the lowest threshold) to this folder")
    args = parser.parse_args()

    clip = people_clip()
    if not clip.real_people:
        sys.exit(f"vtest.avi is unavailable ({clip.fallback_reason}); the labels are of that footage only")
    frames = labelled_frames()
    size = (clip.width, clip.height)
    detector = load_detector(args.model, score_threshold=min(args.thresholds))
    motion_fps = args.motion_fps if MotionDetector is not None else None
    full, gated, history = run(clip.path, frames, detector, motion_fps, clip.fps)

    people = sum(len(f.people) for f in frames)
    partial = sum(len(f.partial) for f in frames)
    print(f"person detection on {clip.source}: {len(frames)} labelled frames, {people} people")
    print(f"  ({partial} partly visible people ignored: a detection on them is neither a hit nor a false alarm)")
    print(f"detector: {type(detector).__name__} ({args.model or 'packaged'}); a hit is IoU >= {args.iou}")
    print(f"'small': hits/people under {SMALL} px tall\n")
    print(f"Full frame, all {len(frames)} labelled frames")
    print_scores([("full frame", full)], args.thresholds, args.iou, size)
    if gated:
        warm = {index for index, seconds in history.items() if seconds >= args.warmup}
        print(
            f"\nMotion regions (MotionDetector at {args.motion_fps:g} fps) against the full frame, "
            f"on the {len(warm)} frames with >= {args.warmup:g} s of motion history"
        )
        rows = [
            ("full frame", [r for r in full if r.frame.index in warm]),
            ("motion regions", [r for r in gated if r.frame.index in warm]),
        ]
        print_scores(rows, args.thresholds, args.iou, size)
    else:
        print("\nvideo.motion.MotionDetector is not available: no motion-region run")
    if args.draw:
        lowest = min(args.thresholds)
        draw(args.draw, clip.path, full, lowest, "full")
        if gated:
            draw(args.draw, clip.path, gated, lowest, "motion")
        print(f"\nannotated frames in {args.draw}")


if __name__ == "__main__":
    main()
