"""The frames a review marks for a second look, from a track's JSON: weak detections, boxes carried over a longer gap
than the track's usual one or past its ends, and the tracker's uncertain spans; old JSON without scores."""

from __future__ import annotations

from redaction.weak_frames import in_seconds, uncertain_spans, weak_spans


def track(scores: dict[int, float], **extra) -> dict:
    """Boxes on frames 0-19 at 10 fps; `scores` are the detections (every other frame), others carried over."""
    return {"id": 1, "kind": "face", "first": 0.0, "last": 1.9, **extra,
            "boxes": [{"frame": i, "t": i / 10, "x": 0.1, "y": 0.1, "w": 0.1, "h": 0.1, "score": scores.get(i, 0.0)}
                      for i in range(20)]}


def test_frames_between_confident_detections_at_the_usual_spacing_are_not_weak():
    assert weak_spans(track({i: 0.9 for i in range(0, 20, 2)})) == [(19, 19)], "only the frame past the last one"


def test_a_weak_detection_and_the_frames_carried_from_it_are_marked():
    scores = {i: 0.9 for i in range(0, 20, 2)} | {8: 0.25}
    assert weak_spans(track(scores)) == [(7, 9), (19, 19)]


def test_a_longer_gap_without_detections_is_marked():
    scores = {i: 0.9 for i in range(0, 20, 2) if not 6 < i < 14}
    assert weak_spans(track(scores)) == [(7, 13), (19, 19)]


def test_old_tracks_without_scores_are_weak_throughout_and_have_no_uncertain_spans():
    old = track({})
    for box in old["boxes"]:
        del box["score"]
    assert weak_spans(old) == [(0, 19)]
    assert uncertain_spans(old) == []


def test_spans_are_told_in_seconds_from_the_exports_start():
    uncertain = track({i: 0.9 for i in range(0, 20, 2)}, uncertain=[[5, 9], [30, 40]])
    assert in_seconds(uncertain, uncertain_spans(uncertain), lead=0.25) == [[0.25, 0.65]]
