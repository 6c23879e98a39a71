"""How a redacted copy of a scene fares against its truth: leaks by each judge, the person of interest's fidelity,
over-redaction outside the faces, and how many tracks each real person got.

A bystander's face-frame is judged when at least half the face is in view (scenes.COUNTED_SHARE); it leaked when
either judge says so. The person of interest is kept, so their face is judged for fidelity, not leaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import av
import cv2
import numpy as np

from bench.redaction.judges import FINDER_LEAK_SCORE, IDENTITY_LEAK, MATCH_IOU, FaceFinder, identity_detail
from bench.redaction.scenes import FaceTruth, Scene
from video.geometry import Box, iou
from video.redaction import RedactionTrack

CHANGED = 24  # grey levels: a pixel changed by more than encoding noise
_FACE_GROWTH = 0.3  # over-redaction is counted outside the true faces grown by this much each way


@dataclass(frozen=True)
class FaceVerdict:
    person: int
    frame: int
    finder: int  # the detector's score
    identity: float

    @property
    def found(self) -> bool:
        return self.finder >= FINDER_LEAK_SCORE

    @property
    def recognisable(self) -> bool:
        return self.identity >= IDENTITY_LEAK

    @property
    def leaked(self) -> bool:
        return self.found or self.recognisable


@dataclass
class Evaluation:
    verdicts: list[FaceVerdict] = field(default_factory=list)  # bystanders' counted faces
    poi_ssim: dict[int, float] = field(default_factory=dict)  # frame -> SSIM of the kept face
    changed: int = 0  # pixels outside the grown faces that changed
    outside: int = 0  # pixels outside the grown faces
    frames: int = 0

    def leak_rate(self, which: str = "either") -> float:
        """The share of judged face-frames leaked by "finder", "identity" or "either"."""
        if not self.verdicts:
            return 0.0
        test = {"finder": lambda v: v.found, "identity": lambda v: v.recognisable, "either": lambda v: v.leaked}
        return sum(map(test[which], self.verdicts)) / len(self.verdicts)

    @property
    def poi_fidelity(self) -> float:
        return float(np.mean(list(self.poi_ssim.values()))) if self.poi_ssim else float("nan")

    @property
    def over_redaction(self) -> float:
        return self.changed / self.outside if self.outside else 0.0


def evaluate(scene: Scene, output: Path, reference: Path, finder: FaceFinder | None = None) -> Evaluation:
    """Judge `output` (a redacted copy of the scene) against the scene's clip, frame by frame; `reference` is the
    clip re-encoded with nothing masked, the baseline for over-redaction. Raises ValueError when the copy has a
    different number of frames (faces are compared frame by frame)."""
    from skimage.metrics import structural_similarity

    finder = finder or FaceFinder()
    poi = scene.person_of_interest.id
    result = Evaluation()
    w, h = scene.spec.width, scene.spec.height
    with av.open(str(scene.path)) as a, av.open(str(output)) as b, av.open(str(reference)) as c:
        streams = zip(a.decode(video=0), b.decode(video=0), c.decode(video=0), strict=True)
        for index, (original, redacted, plain) in enumerate(streams):
            grey_a, grey_b = original.to_ndarray(format="gray"), _sized(redacted, w, h)
            shown = [f for f in scene.faces[index] if f.shown > 0]
            for face in scene.counted(index):
                if face.person == poi:
                    x1, y1, x2, y2 = _pixels(face.visible, w, h)
                    if min(x2 - x1, y2 - y1) >= 7:
                        result.poi_ssim[index] = float(structural_similarity(
                            grey_a[y1:y2, x1:x2], grey_b[y1:y2, x1:x2], data_range=255))
                    continue
                result.verdicts.append(FaceVerdict(
                    face.person, index,
                    finder.score(grey_b, face.box, [f.box.clipped() for f in shown if f is not face]),
                    identity_detail(grey_a, grey_b, face.box.w * w, face.visible)))
            outside = _outside_faces(scene.faces[index], w, h)
            diff = np.abs(grey_b.astype(np.int16) - _sized(plain, w, h).astype(np.int16)) > CHANGED
            result.changed += int(np.count_nonzero(diff & outside))
            result.outside += int(np.count_nonzero(outside))
            result.frames += 1
    if result.frames != scene.spec.frame_count:
        raise ValueError(f"{output.name} has {result.frames} frames, the scene {scene.spec.frame_count}")
    return result


def _sized(frame: av.VideoFrame, w: int, h: int) -> np.ndarray:
    """The frame in grey at the clip's size: deface's writer scales 1080 lines to 1088 (a multiple of 16)."""
    grey = frame.to_ndarray(format="gray")
    return grey if grey.shape == (h, w) else cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA)


def _pixels(box: Box, w: int, h: int) -> tuple[int, int, int, int]:
    return (max(0, round(box.x * w)), max(0, round(box.y * h)), min(w, round(box.x2 * w)), min(h, round(box.y2 * h)))


def _outside_faces(faces: Sequence[FaceTruth], w: int, h: int) -> np.ndarray:
    outside = np.ones((h, w), bool)
    for face in faces:
        b = face.box
        grown = Box(b.x - b.w * _FACE_GROWTH, b.y - b.h * _FACE_GROWTH, b.w * (1 + 2 * _FACE_GROWTH),
                    b.h * (1 + 2 * _FACE_GROWTH))
        x1, y1, x2, y2 = _pixels(grown, w, h)
        outside[y1:y2, x1:x2] = False
    return outside


def person_of_track(scene: Scene, track: RedactionTrack) -> int | None:
    """The person whose face the track follows: its boxes overlap that face (whole, or the part in view) by IoU
    MATCH_IOU or more on average over the frames where both are there; of several, the one overlapped most. None
    for none: a face of the footage's own pedestrians, or no face at all, even where a bystander's photo passes
    over it."""
    overlaps: dict[int, list[float]] = {}
    for index, box in track.boxes.items():
        if index >= len(scene.faces):
            continue
        for face in scene.faces[index]:
            if face.shown > 0:
                overlaps.setdefault(face.person, []).append(max(iou(box, face.box.clipped()), iou(box, face.visible)))
    mean = {person: sum(values) / len(values) for person, values in overlaps.items()}
    best = max(mean.items(), key=lambda item: item[1], default=(None, 0.0))
    return best[0] if best[1] >= MATCH_IOU else None


def tracks_per_person(scene: Scene, tracks: Sequence[RedactionTrack]) -> float:
    """Tracks matched to a real person of the scene, per person with any face in view."""
    people = {f.person for frame in scene.faces for f in frame if f.counted}
    matched = [p for p in (person_of_track(scene, t) for t in tracks) if p is not None]
    return len(matched) / len(people) if people else 0.0


# A track switched people when the real face it overlaps most (by IoU MATCH_IOU or more) is one person on at least
# this many of its detected frames and another on at least as many.
SWITCH_FRAMES = 3


def switched_tracks(scene: Scene, tracks: Sequence[RedactionTrack]) -> int:
    """How many tracks follow one real person's face and then another's, on the frames they were detected on: the
    privacy failure of a kept track that carries a bystander."""
    switched = 0
    for track in tracks:
        frames: dict[int, int] = {}
        for index in track.scores:
            if index >= len(scene.faces) or index not in track.boxes:
                continue
            box = track.boxes[index]
            best = max(((max(iou(box, f.box.clipped()), iou(box, f.visible)), f.person)
                        for f in scene.faces[index] if f.shown > 0), default=(0.0, None))
            if best[0] >= MATCH_IOU:
                frames[best[1]] = frames.get(best[1], 0) + 1
        switched += sum(n >= SWITCH_FRAMES for n in frames.values()) >= 2
    return switched

