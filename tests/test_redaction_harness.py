"""The redaction harness at test size: a few seconds of a generated scene (bench/redaction/scenes.py), its two leak
judges checked against unmasked and solid-masked faces, and one test per failure class of issue 10 run against
the current redactor (find_tracks + render). A failure class the redactor does not handle yet is marked xfail.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import av
import numpy as np
import pytest

from bench.redaction.evaluation import Evaluation, evaluate, person_of_track, tracks_per_person
from bench.redaction.judges import IDENTITY_LEAK, FaceFinder
from bench.redaction.scenes import FaceTruth, Scene, SceneSpec, make_scene
from video.faces import FaceDetector
from video.geometry import Box, iou
from video.redaction import FACE_SCALE, FACE_SCORE, RedactionTrack, find_tracks, render

SMALL = SceneSpec(seed=3, width=640, height=360, fps=12.5, seconds=4, people=5)
# Faces the cascade can judge: its window is 24 px, and it needs some margin around the features.
FINDER_REACH = 40 / 360
TAKES_KEPT = "kept" in inspect.signature(render).parameters


@pytest.fixture(scope="module")
def scene() -> Scene:
    return make_scene(SMALL)


@pytest.fixture(scope="module")
def finder() -> FaceFinder:
    return FaceFinder()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("harness")


@pytest.fixture(scope="module")
def reference(scene, outputs) -> Path:
    """The scene re-encoded with nothing masked: the unmasked faces, and the baseline for over-redaction."""
    path = outputs / "reference.mp4"
    render(scene.path, path)
    return path


def bystanders(scene: Scene) -> list[RedactionTrack]:
    return [scene.true_track(p.id) for p in scene.people if not p.of_interest]


def render_with(scene: Scene, output: Path, masked: list[RedactionTrack], kept: list[RedactionTrack],
                style: str) -> Path:
    render(scene.path, output, tracks=masked, style=style, **({"kept": kept} if TAKES_KEPT else {}))
    return output


@pytest.fixture(scope="module")
def judged_true_boxes(scene, outputs, reference, finder) -> dict[str, Evaluation]:
    """Every bystander masked on its true box (a perfect tracker), the person of interest kept, in each style;
    and the unmasked reference."""
    kept = [scene.true_track(scene.person_of_interest.id)]
    judged = {"none": evaluate(scene, reference, reference, finder)}
    for style in ("solid", "blur"):
        output = render_with(scene, outputs / f"true_{style}.mp4", bystanders(scene), kept, style)
        judged[style] = evaluate(scene, output, reference, finder)
    return judged


@pytest.fixture(scope="module")
def redactor_tracks(scene) -> list[RedactionTrack]:
    return find_tracks(scene.path, {"faces"})


@pytest.fixture(scope="module")
def redacted(scene, outputs, reference, finder, redactor_tracks) -> Evaluation:
    """The current redactor's default export: its face tracks on the person of interest kept, the rest blurred."""
    poi = scene.person_of_interest.id
    kept = [t for t in redactor_tracks if person_of_track(scene, t) == poi]
    masked = [t for t in redactor_tracks if t not in kept]
    return evaluate(scene, render_with(scene, outputs / "redacted.mp4", masked, kept, "blur"), reference, finder)


# --- the scene and its judges ---------------------------------------------------------------------------------------


def test_the_scene_has_what_the_issue_asks_for(scene):
    spec = scene.spec
    assert len(scene.faces) == spec.frame_count == 50
    assert sum(p.of_interest for p in scene.people) == 1
    heights = [f.box.h * spec.height for frame in scene.faces for f in frame]
    assert min(heights) >= 24
    # Faces come in through the frame's edges (cut by it) and go behind things (hidden, yet inside the frame).
    cut = [f for frame in scene.faces for f in frame if f.box.clipped().area < 0.9 * f.box.area]
    hidden = [f for frame in scene.faces for f in frame if f.shown < 0.9 * f.box.clipped().area / f.box.area]
    assert cut and hidden
    assert any(p.photo.endswith(("mirrored", "squashed", "half")) for p in scene.people)


def test_a_seed_makes_another_scene_and_the_same_seed_the_same(scene):
    again = make_scene(SMALL)
    other = make_scene(SceneSpec(4, SMALL.width, SMALL.height, SMALL.fps, SMALL.seconds, SMALL.people))
    assert again.faces == scene.faces and again.path == scene.path
    assert other.faces != scene.faces and other.path != scene.path


def test_an_unmasked_face_leaks_by_both_judges(judged_true_boxes):
    judged = judged_true_boxes["none"]
    assert judged.verdicts and judged.leak_rate() == 1.0
    identity = [v.identity for v in judged.verdicts]
    # A re-encoded face keeps its identity detail, far above the leak line.
    assert min(identity) >= IDENTITY_LEAK + 0.3
    assert np.median(identity) >= 0.95
    assert judged.leak_rate("identity") == 1.0


def test_the_face_finder_finds_unmasked_faces_within_its_reach(scene, judged_true_boxes):
    within = [v for v in judged_true_boxes["none"].verdicts
              if scene.face_of(v.person, v.frame).box.h >= FINDER_REACH
              and not scene.people[v.person - 1].photo.endswith(("squashed", "half"))]
    assert len(within) >= 20
    assert np.mean([v.found for v in within]) >= 0.8


def test_a_solid_masked_face_leaks_by_neither_judge(judged_true_boxes):
    judged = judged_true_boxes["solid"]
    assert judged.leak_rate("finder") == 0.0
    assert judged.leak_rate("identity") == 0.0
    assert max(v.finder for v in judged.verdicts) == 0


def test_blur_on_the_true_boxes_is_judged_by_both(judged_true_boxes):
    blur = judged_true_boxes["blur"]
    print(f"blur on true boxes: leak finder {blur.leak_rate('finder'):.1%}, identity {blur.leak_rate('identity'):.1%},"
          f" median identity detail {np.median([v.identity for v in blur.verdicts]):.2f}")
    assert np.median([v.identity for v in blur.verdicts]) < IDENTITY_LEAK


# --- the failure classes of issue 10, on the current redactor -------------------------------------------------------


def cut(face: FaceTruth) -> bool:
    """Whether the frame's edge or something in front hides part of the face (it is still judged: half in view)."""
    return face.shown < 0.8


def test_a_cut_face_masked_on_its_true_box_is_not_recognisable(scene, judged_true_boxes):
    judged = [v for v in judged_true_boxes["blur"].verdicts if cut(scene.face_of(v.person, v.frame))]
    assert len(judged) >= 5
    assert [(v.person, v.frame, round(v.identity, 2)) for v in judged if v.recognisable] == []


def test_a_face_cut_by_the_edge_or_an_occluder_is_blurred_beyond_recognition(scene, redacted, redactor_tracks):
    # Only frames where the redactor has a box on the face: a face it missed is another failure.
    covered = [v for v in redacted.verdicts if cut(scene.face_of(v.person, v.frame))
               and any(v.frame in t.boxes and iou(t.boxes[v.frame], scene.face_of(v.person, v.frame).box) > 0
                       for t in redactor_tracks)]
    assert len(covered) >= 5
    assert [(v.person, v.frame, round(v.identity, 2)) for v in covered if v.recognisable] == []


def test_a_face_dimmed_for_a_frame_stays_masked(scene, redacted):
    # The scene turns one bystander's contrast down on two frames at a turn and two as it leaves: a weak
    # detection or none there, and a box carried over from neighbouring frames.
    dimmed = [v for v in redacted.verdicts if scene.face_of(v.person, v.frame).dimmed]
    assert dimmed
    assert [(v.frame, v.finder, round(v.identity, 2)) for v in dimmed if v.leaked] == []


def test_a_kept_track_never_covers_the_person_crossing_behind(scene, redactor_tracks):
    poi, crosser = scene.person_of_interest.id, 2
    kept = [t for t in redactor_tracks if person_of_track(scene, t) == poi]
    assert kept
    switched = []
    for track in kept:
        for index, box in track.boxes.items():
            other = scene.face_of(crosser, index)
            mine = scene.face_of(poi, index)
            if other and other.shown > 0 and iou(box, other.box.clipped()) > iou(box, mine.box.clipped()):
                switched.append(index)
    assert switched == []


@pytest.mark.xfail(strict=True, reason="issue 10: 1.8 on this scene: tracks still split where a face turns or passes "
                   "behind a post")
def test_each_person_gets_at_most_one_and_a_half_tracks(scene, redactor_tracks):
    assert tracks_per_person(scene, redactor_tracks) <= 1.5


def test_a_masked_face_behind_the_person_of_interest_does_not_paint_over_them(scene, judged_true_boxes):
    # The crosser passes behind the person of interest: with a perfect tracker, only occlusion is judged here, on
    # the frames where a masked face's box overlaps the kept face.
    poi = scene.person_of_interest.id
    overlapped = [i for i, frame in enumerate(scene.faces) if (mine := scene.face_of(poi, i))
                  and any(f.person != poi and f.shown > 0 and iou(f.box, mine.box) > 0 for f in frame)]
    ssim = judged_true_boxes["blur"].poi_ssim
    assert len(overlapped) >= 3
    assert min(ssim[i] for i in overlapped if i in ssim) >= 0.95


def test_the_default_export_leaks_at_most_a_thousandth_of_face_frames(redacted):
    assert redacted.leak_rate() <= 0.001


def test_a_face_38_px_wide_at_720p_is_found():
    # A bystander of a 720p scene crossing the picture: at half its width (the person detector's) CenterFace
    # scored this face 0.06-0.17 on every frame, and it went unmasked; faces are searched at FACE_SCALE of it.
    scene = make_scene(SceneSpec(seed=1, width=1280, height=720, fps=12.5, seconds=15, people=8))
    face = scene.face_of(5, 100)
    assert face.shown == 1 and face.box.w * 1280 < 40
    width = round(1280 * FACE_SCALE)
    detector = FaceDetector(FACE_SCORE, width)
    with av.open(str(scene.path)) as container:
        frame = next(f for i, f in enumerate(container.decode(video=0)) if i == 100)
    picture = frame.reformat(width=width, height=detector.input_size(1280, 720)[1], format="bgr24").to_ndarray()
    assert any(iou(d.box, face.box) >= 0.4 for d in detector.detect(picture))


def test_a_face_blurred_on_its_true_box_leaves_no_layout_a_detector_finds(judged_true_boxes):
    # A blur of 3 cells across a face kept its eyes-over-cheeks layout: the independent detector still drew two or
    # more windows on 0.5-0.9 % of such face-frames of the bench's 720p scenes, and 2.6 % on 360p ones.
    assert judged_true_boxes["blur"].leak_rate("finder") == 0


def test_a_small_face_a_bystander_passes_over_is_not_counted_as_theirs(scene):
    # A pedestrian of the footage, 12 px, whose face a bystander's photo crosses: not a piece of the bystander's
    # track, so not counted in tracks per person (it was, when any overlap attributed a track).
    person = next(p.id for p in scene.people if not p.of_interest)
    frames = [i for i, frame in enumerate(scene.faces) for f in frame if f.person == person and f.shown == 1][:5]
    face = scene.face_of(person, frames[0]).box
    tiny = Box(face.x + face.w * 0.4, face.y + face.h * 0.4, face.w * 0.15, face.h * 0.15)
    track = RedactionTrack(99, "face", dict.fromkeys(frames, tiny), 0.0, 1.0)
    assert person_of_track(scene, track) is None
    assert person_of_track(scene, scene.true_track(person)) == person


def test_a_face_with_its_eyes_above_the_top_edge_is_masked(tmp_path, finder):
    # Seed 6 peeks a 66 px face in through the top edge and keeps it there, nose, mouth and chin in view: searched
    # at FACE_SCALE, CenterFace scored it 0.01-0.1 and it went unmasked for 5 s of a 15 s scene; the edge strips are
    # searched at full size.
    scene = make_scene(SceneSpec(seed=6, width=1280, height=720, fps=12.5, seconds=6, people=6))
    peek = [i for i in range(scene.spec.frame_count) if (f := scene.face_of(4, i)) and f.counted]
    assert peek and all(scene.face_of(4, i).box.y < 0 for i in peek)
    detector = FaceDetector(FACE_SCORE, round(1280 * FACE_SCALE))
    with av.open(str(scene.path)) as container:
        small = [f.reformat(*detector.input_size(1280, 720), format="bgr24", interpolation="AREA").to_ndarray()
                 for i, f in enumerate(container.decode(video=0)) if i in peek]
    found = [any(iou(d.box, scene.face_of(4, i).box) >= 0.2 for d in detector.detect(picture))
             for i, picture in zip(peek, small, strict=True)]
    assert sum(found) < len(peek) / 2, "the whole picture's search alone finds it: the scene no longer shows the case"

    reference = tmp_path / "reference.mp4"
    render(scene.path, reference)
    redacted = render_with(scene, tmp_path / "redacted.mp4", find_tracks(scene.path, {"faces"}), [], "blur")
    judged = [v for v in evaluate(scene, redacted, reference, finder).verdicts if v.person == 4]
    assert len(judged) == len(peek)
    assert [(v.frame, v.finder, round(v.identity, 2)) for v in judged if v.leaked] == []
