"""Which frames of a track the investigator should look at twice: detected only weakly, not detected at all (boxes
carried over a longer gap than the track's usual one, or past its ends), or where the tracker is unsure it is still
the same person. From the redaction engine's track JSON (video.redaction.RedactionTrack.to_json)."""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter

# Boxes that left a chin or mouth visible came from detections scoring about 0.2; from 0.4 they were found to cover
# the whole face. The detector keeps detections from 0.1 (video.redaction.FACE_SCORE): all below 0.4 are weak.
WEAK_SCORE = 0.4


def weak_spans(track: dict) -> list[tuple[int, int]]:
    """Inclusive frame spans of the track's weak frames. A box without a score counts as not detected (tracks
    stored before boxes had scores are all weak: nothing says otherwise)."""
    frames = sorted((int(box["frame"]), float(box.get("score", 0.0))) for box in track["boxes"])
    detected = [(frame, score) for frame, score in frames if score > 0]
    gaps = Counter(b[0] - a[0] for a, b in zip(detected, detected[1:], strict=False))
    # Detections come every n-th frame by design; frames between two of them n apart are ordinary.
    usual = gaps.most_common(1)[0][0] if gaps else 1
    detected_frames = [frame for frame, _ in detected]
    weak = []
    for frame, score in frames:
        if score > 0:
            is_weak = score < WEAK_SCORE
        else:
            at = bisect_left(detected_frames, frame)
            if at == 0 or at == len(detected):
                is_weak = True  # carried past the track's first or last detection
            else:
                (before, before_score), (after, after_score) = detected[at - 1], detected[at]
                is_weak = after - before > usual or min(before_score, after_score) < WEAK_SCORE
        if is_weak:
            weak.append(frame)
    return _spans(weak)


def uncertain_spans(track: dict) -> list[tuple[int, int]]:
    """Inclusive frame spans where the tracker is not confident this is the same person as the rest of it."""
    return [(int(first), int(last)) for first, last in track.get("uncertain", [])]


def in_seconds(track: dict, spans: list[tuple[int, int]], lead: float) -> list[list[float]]:
    """Frame spans as [first, last] seconds from the export's start (its video starts `lead` seconds earlier),
    from the times of the track's boxes inside each span; a span holding none of its boxes is left out."""
    times = {int(box["frame"]): float(box["t"]) for box in track["boxes"]}
    found = []
    for first, last in spans:
        inside = [t for frame, t in times.items() if first <= frame <= last]
        if inside:
            found.append([round(min(inside) - lead, 4), round(max(inside) - lead, 4)])
    return found


def _spans(frames: list[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for frame in frames:
        if spans and frame == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], frame)
        else:
            spans.append((frame, frame))
    return spans
