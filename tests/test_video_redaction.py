"""Redaction engine: faces found and tracked on a scene with known truth, redacted so that no bystander's face is
left recognisable (by pixels and by an independent face detector) while the person of interest is kept, fixed
areas and hand-drawn boxes masked, and an MP4 that plays, with the source's timing and a true SHA-256.

The scene (tests/standins/redaction_scene.py) is real face photographs moving along known paths over real CCTV
footage; no Django here.
"""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import threading
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.standins.redaction_scene import (
    RECOGNISABLE_SSIM,
    CascadeFaceFinder,
    RedactionScene,
    Subject,
    face_outcomes,
    face_similarity,
)
from video.detection import ModelError
from video.faces import FaceDetector
from video.geometry import Box, iou
from video.redaction import (
    CAMERA,
    CAMERA_TRACK_GAP,
    EDGE_REACH,
    FACE_SCORE,
    SMALL,
    CameraSighting,
    ManualBox,
    RedactionCancelled,
    RedactionTrack,
    camera_tracks,
    find_tracks,
    render,
    track_boxes,
)

FFPROBE = "/usr/bin/ffprobe"
FFMPEG = "/usr/bin/ffmpeg"


# --- the scene's faces ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scene(redaction_scene: RedactionScene) -> RedactionScene:
    return redaction_scene


@pytest.fixture(scope="module")
def face_run(scene: RedactionScene) -> tuple[list[RedactionTrack], list[float]]:
    progress: list[float] = []
    tracks = find_tracks(scene.path, {"faces"}, on_progress=progress.append)
    return tracks, progress


@pytest.fixture(scope="module")
def face_tracks(face_run) -> list[RedactionTrack]:
    return face_run[0]


def tracks_of(subject: Subject, tracks: list[RedactionTrack], min_iou: float = 0.3) -> list[RedactionTrack]:
    """The tracks that follow this subject's face: on the frames they share, their boxes overlap it."""
    found = []
    for track in tracks:
        shared = [i for i in subject.faces if i in track.boxes]
        if shared and np.mean([iou(track.boxes[i], subject.faces[i]) for i in shared]) >= min_iou:
            found.append(track)
    return found


def grey_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="gray") for frame in container.decode(video=0)]


@pytest.fixture(scope="module")
def source_grey(scene: RedactionScene) -> list[np.ndarray]:
    return grey_frames(scene.path)


def crop(image: np.ndarray, box: Box) -> np.ndarray:
    h, w = image.shape[:2]
    return image[round(box.y * h) : round(box.y2 * h), round(box.x * w) : round(box.x2 * w)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


def test_it_follows_each_face_with_one_track(scene, face_tracks):
    assert {t.kind for t in face_tracks} == {"face"}
    assert [t.id for t in face_tracks] == list(range(1, len(face_tracks) + 1))
    for subject in scene.subjects:
        mine = tracks_of(subject, face_tracks)
        assert len(mine) == 1, f"{subject.name}: {len(mine)} tracks"
        track = mine[0]
        covered = [i for i in subject.faces if i in track.boxes]
        assert len(covered) == len(subject.faces), f"{subject.name}: {len(subject.faces) - len(covered)} frames lost"
        assert np.median([iou(track.boxes[i], subject.faces[i]) for i in covered]) >= 0.5
        assert track.first == track.times[min(track.boxes)] and track.last == track.times[max(track.boxes)]
        # The thumbnail is a JPEG of the face, for the investigator's review.
        image = cv2.imdecode(np.frombuffer(track.thumbnail, np.uint8), cv2.IMREAD_COLOR)
        assert track.thumbnail[:2] == b"\xff\xd8" and image is not None and min(image.shape[:2]) >= 24
        # Scores where the face was detected (every other frame at 25 fps); the boxes between were interpolated.
        assert set(track.scores) < set(track.boxes) and len(track.scores) >= 0.4 * len(covered)
        assert all(FACE_SCORE <= score <= 1 for score in track.scores.values())
        assert track.group == "", f"{subject.name}: faces of 50 px and more are not small"
    # Nobody comes near the person of interest: no frame of hers is in doubt.
    assert tracks_of(scene.person_of_interest, face_tracks)[0].uncertain == []
    # Other tracks are the footage's pedestrians' own faces, 12-20 px, and heads seen from behind: the long ones
    # are those pedestrians, grouped for review as small faces.
    others = [t for t in face_tracks if not any(t in tracks_of(s, face_tracks) for s in scene.subjects)]
    assert all(t.group == SMALL for t in others if t.last - t.first >= 3)
    assert any(t.group == SMALL for t in others)


def test_it_reports_progress_up_to_done(face_run):
    _, progress = face_run
    assert progress[-1] == 1.0 and len(progress) >= 10
    assert progress == sorted(progress) and all(0 < p <= 1 for p in progress)


@pytest.fixture(scope="module")
def kept_render(scene, face_tracks, tmp_path_factory) -> tuple[Path, object, list[RedactionTrack]]:
    """The scene redacted in blur, with the person of interest's track kept visible."""
    keep = tracks_of(scene.person_of_interest, face_tracks)
    masked = [t for t in face_tracks if t not in keep]
    output = tmp_path_factory.mktemp("redacted") / "blur.mp4"
    result = render(scene.path, output, tracks=masked, style="blur")
    return output, result, keep


def test_no_bystander_face_is_left_recognisable(scene, kept_render):
    output, _, _ = kept_render
    finder = CascadeFaceFinder()
    outcomes = face_outcomes(scene, output, subjects=list(scene.bystanders), cascade_every=5, finder=finder)
    assert len(outcomes) == sum(len(s.faces) for s in scene.bystanders)
    leaks = [(o.subject, o.frame, round(o.similarity, 2)) for o in outcomes if o.similarity >= RECOGNISABLE_SSIM]
    assert leaks == []
    checked = [o for o in outcomes if o.found is not None]
    assert len(checked) >= 150
    assert [(o.subject, o.frame) for o in checked if o.found] == []


def test_the_independent_detector_does_find_the_faces_in_the_original(scene, source_grey):
    # Otherwise "it finds no face after redaction" would prove nothing.
    finder = CascadeFaceFinder()
    checks = [(s, i) for s in scene.bystanders for i in sorted(s.faces)[::10]]
    found = sum(finder.finds(source_grey[i], s.faces[i]) for s, i in checks)
    assert found >= 0.8 * len(checks)


def test_the_person_of_interest_is_kept_as_recorded(scene, kept_render, source_grey):
    output, _, keep = kept_render
    assert keep, "no track followed the person of interest"
    redacted = grey_frames(output)
    poi = scene.person_of_interest
    for i, box in poi.faces.items():
        # Where a bystander's face passes in front of hers, it is masked over her face too: privacy first.
        assert not any(i in s.faces and iou(s.faces[i], box) > 0 for s in scene.bystanders)
        # Only the re-encoding differs: CRF 23 over the scene's CRF 18.
        assert psnr(crop(source_grey[i], box), crop(redacted[i], box)) >= 32, f"frame {i}"
        assert face_similarity(source_grey[i], redacted[i], box) >= 0.9


@pytest.mark.parametrize("style", ["mosaic", "solid"])
def test_every_style_leaves_no_face_recognisable(scene, face_tracks, style, tmp_path):
    output = tmp_path / f"{style}.mp4"
    render(scene.path, output, tracks=face_tracks, style=style)
    outcomes = face_outcomes(scene, output, cascade_every=10)
    assert [o for o in outcomes if o.recognisable] == []
    if style == "solid":
        redacted = grey_frames(output)
        for subject in scene.subjects:
            for i, box in list(subject.faces.items())[::25]:
                # The middle of the face (an LFW photo's corners are background): black, give or take the encoder.
                middle = Box(box.x + 0.15 * box.w, box.y + 0.15 * box.h, 0.7 * box.w, 0.7 * box.h)
                assert crop(redacted[i], middle).mean() < 12


# --- people and motion -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["people", "motion"])
def test_the_portrait_of_the_person_of_interest_is_a_track_of_people_and_of_motion(scene, kind):
    tracks = find_tracks(scene.path, {kind})
    poi = scene.person_of_interest
    assert {t.kind for t in tracks} == {"person" if kind == "people" else "motion"}
    best = max(tracks, key=lambda t: sum(iou(t.boxes[i], b) for i, b in poi.person.items() if i in t.boxes))
    shared = [i for i in poi.person if i in best.boxes]
    assert len(shared) >= 0.9 * len(poi.person)
    assert np.median([iou(best.boxes[i], poi.person[i]) for i in shared]) >= 0.5


# --- fixed areas and hand-drawn boxes ------------------------------------------------------------------------------

BUILDING = [(0.40, 0.0), (0.80, 0.0), (0.80, 0.09), (0.40, 0.09)]  # the brick building's wall and windows
LAWN = Box(0.02, 0.15, 0.2, 0.12)  # the car park at the top left, with the cones


def detail_left(original: np.ndarray, output: np.ndarray, box: Box) -> float:
    """The share of the original's fine detail (variance of the Laplacian) left in the output, inside `box`."""
    a, b = (cv2.Laplacian(crop(x, box).astype(np.float32), cv2.CV_32F).var() for x in (original, output))
    return float(b / a)


def test_fixed_areas_and_manual_boxes_are_masked_where_and_when_asked(scene, source_grey, tmp_path):
    fps = scene.fps
    manual = [ManualBox(start=40 / fps, end=80 / fps, box=LAWN)]
    output = tmp_path / "areas.mp4"
    render(scene.path, output, tracks=[], manual=manual, areas=[BUILDING], style="blur")
    redacted = grey_frames(output)
    area = Box(0.41, 0.005, 0.38, 0.075)  # inside the polygon, clear of its edge
    for i in range(0, scene.frame_count, 10):
        assert detail_left(source_grey[i], redacted[i], area) < 0.1, f"area, frame {i}"
    for i in range(scene.frame_count):
        if 40 <= i < 80:
            assert detail_left(source_grey[i], redacted[i], LAWN) < 0.1, f"manual box, frame {i}"
        else:
            assert psnr(crop(source_grey[i], LAWN), crop(redacted[i], LAWN)) >= 32, f"manual box, frame {i}"
    # Elsewhere the picture is as recorded.
    elsewhere = Box(0.05, 0.55, 0.15, 0.3)
    assert all(psnr(crop(a, elsewhere), crop(b, elsewhere)) >= 32 for a, b in zip(source_grey, redacted, strict=True))


# --- the output file -----------------------------------------------------------------------------------------------


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order."""
    types = []
    with open(path, "rb") as f:
        while header := f.read(8):
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", f.read(8))[0] - 8
            types.append(kind.decode("latin-1"))
            if size == 0:
                break
            f.seek(size - 8, 1)
    return types


def test_the_output_plays_anywhere_and_its_hash_is_true(scene, kept_render):
    output, result, _ = kept_render
    data = output.read_bytes()
    assert result.sha256 == hashlib.sha256(data).hexdigest() and result.size == len(data)
    assert (result.frames, result.width, result.height) == (scene.frame_count, scene.width, scene.height)
    assert result.seconds == pytest.approx(scene.frame_count / scene.fps, abs=0.01)
    boxes = top_level_boxes(output)
    assert boxes.index("moov") < boxes.index("mdat"), boxes  # faststart: playable while downloading
    probe = subprocess.run(
        [FFPROBE, "-v", "error", "-show_entries", "stream=codec_name,pix_fmt,width,height,avg_frame_rate,nb_frames",
         "-of", "json", str(output)], capture_output=True, text=True, check=True,
    )
    assert probe.stderr == ""
    stream = json.loads(probe.stdout)["streams"][0]
    assert stream == {"codec_name": "h264", "width": 1280, "height": 720, "pix_fmt": "yuv420p",
                      "avg_frame_rate": "25/1", "nb_frames": str(scene.frame_count)}
    decode = subprocess.run([FFMPEG, "-v", "error", "-i", str(output), "-f", "null", "-"], capture_output=True,
                            text=True, check=True)
    assert decode.stderr == ""


# --- small clips: margins, timing, manual frames, errors -----------------------------------------------------------


def write_clip(path: Path, pts: list[int], time_base: Fraction = Fraction(1, 90000), size=(320, 240)) -> Path:
    """A flat mid-grey H.264 clip with frames at these timestamps."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        grey = np.full((size[1], size[0], 3), 128, np.uint8)
        for p in pts:
            frame = av.VideoFrame.from_ndarray(grey, format="bgr24")
            frame.pts, frame.time_base = p, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def frame_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        return [float(f.time) for f in container.decode(video=0)]


def test_track_boxes_interpolate_between_detections_and_reach_beyond_the_ends():
    times = [i / 10 for i in range(30)]
    a, b = Box(0.3, 0.3, 0.1, 0.1), Box(0.34, 0.38, 0.2, 0.1)
    boxes = track_boxes([(10, a), (14, b)], times, extend=0.2)
    assert sorted(boxes) == list(range(8, 17))
    assert [tuple(vars(boxes[i]).values()) for i in (10, 14)] == [pytest.approx((0.3, 0.3, 0.1, 0.1)),
                                                                   pytest.approx((0.34, 0.38, 0.2, 0.1))]
    middle = boxes[12]
    assert (middle.x, middle.y, middle.w, middle.h) == pytest.approx((0.32, 0.34, 0.15, 0.1))
    # Beyond the ends it moves on at the speed between them (its centre: 0.225/s across, 0.2/s down), which
    # does not take it to the picture's edge within EDGE_REACH.
    assert (boxes[16].x, boxes[16].y) == pytest.approx((0.34 + 0.045, 0.38 + 0.04))
    assert (boxes[8].x, boxes[8].y) == pytest.approx((0.3 - 0.045, 0.3 - 0.04))
    # Clipped to the frame, and left out once nothing of it is inside.
    edge = track_boxes([(0, Box(-0.05, 0.0, 0.1, 0.1)), (1, Box(-0.09, 0.0, 0.1, 0.1))], times, extend=0.3)
    assert (edge[0].x, edge[0].w, edge[1].x, edge[1].w) == pytest.approx((0.0, 0.05, 0.0, 0.01))
    assert sorted(edge) == [0, 1]  # moving on at -0.4/s, it has left the picture by the next frame


def test_a_track_found_at_the_picture_edge_is_followed_out_of_it():
    times = [i / 10 for i in range(40)]
    # Coming down into the picture at 0.1/s, found once its brow is in (its hair still cut by the top edge):
    # followed back up for as long as any of it is in view, beyond the usual reach and up to EDGE_REACH.
    boxes = track_boxes([(20, Box(0.5, 0.01, 0.1, 0.15)), (25, Box(0.5, 0.06, 0.1, 0.15))], times, extend=0.2)
    assert min(boxes) == 20 - round(EDGE_REACH * 10)
    assert boxes[min(boxes)].y == 0.0 and boxes[min(boxes)].h == pytest.approx(0.06)
    # In the middle of the picture, the usual reach.
    inside = track_boxes([(20, Box(0.5, 0.4, 0.1, 0.15)), (25, Box(0.5, 0.45, 0.1, 0.15))], times, extend=0.2)
    assert (min(inside), max(inside)) == (18, 27)


def test_a_track_first_found_inside_the_picture_on_its_way_in_from_the_edge_is_followed_back_to_it():
    # A small face walking in from the left at 0.3/s, first found weakly 0.15 in (half a second after it came in)
    # and last found on its way out through the right: its boxes go back to the edge and on out of the picture.
    times = [i / 10 for i in range(60)]
    boxes = track_boxes([(20, Box(0.15, 0.5, 0.02, 0.04)), (25, Box(0.3, 0.5, 0.02, 0.04)),
                         (45, Box(0.9, 0.5, 0.02, 0.04))], times, extend=0.2)
    assert boxes[min(boxes)].x == 0.0 and min(boxes) < 20 - 2
    assert boxes[max(boxes)].x2 == 1.0 and max(boxes) > 45 + 2
    # Walking slowly away from the edge, it could not have come in through it within EDGE_REACH: the usual reach.
    slow = track_boxes([(20, Box(0.15, 0.5, 0.02, 0.04)), (25, Box(0.155, 0.5, 0.02, 0.04))], times, extend=0.2)
    assert (min(slow), max(slow)) == (18, 27)


def test_the_cameras_own_tracks_become_tracks_of_what_is_redacted():
    times = [i / 10 for i in range(60)]  # 10 fps
    walking = [CameraSighting(i / 25 + 0.004, 7, "person", 0.8, Box(0.1 + i / 250, 0.4, 0.1, 0.3)) for i in range(50)]
    car = [CameraSighting(i / 25, 8, "car", 0.9, Box(0.6, 0.6, 0.2, 0.1)) for i in range(25)]
    # The camera reuses number 7 for someone else after losing the first for longer than CAMERA_TRACK_GAP.
    later = 2.0 + CAMERA_TRACK_GAP + 0.5
    other = [CameraSighting(later + i / 25, 7, "person", 0.7, Box(0.7, 0.4, 0.1, 0.3)) for i in range(25)]
    sightings = walking + car + other

    people = camera_tracks(sightings, {"people"}, times, first_id=5)
    assert [(t.id, t.kind, t.group) for t in people] == [(5, "person", CAMERA), (6, "person", CAMERA)]
    first, second = people
    # Each sighting on its nearest frame; the boxes reach beyond the ends as a person track's do.
    assert first.boxes[10].x == pytest.approx(0.1 + 25 / 250)
    assert min(first.scores) == 0 and max(first.scores) == 20 and first.score == 0.8
    assert min(second.scores) == round(later * 10) and max(first.boxes) < min(second.boxes)
    # Everything the camera reported for moving objects, its car too; nothing for faces or text.
    moving = camera_tracks(sightings, {"motion"}, times, first_id=1)
    assert sorted(t.kind for t in moving) == ["motion"] * 3
    assert camera_tracks(sightings, {"faces", "text"}, times, first_id=1) == []
    # A sighting between frames further than a frame from any (after the clip) is not placed.
    assert camera_tracks([CameraSighting(9.0, 1, "person", 0.9, Box(0.1, 0.1, 0.1, 0.1))] * 2, {"people"}, times,
                         first_id=1) == []


def test_manual_boxes_are_masked_as_drawn(tmp_path):
    # How tracks are masked (a face as an oval, other kinds as enlarged boxes): tests/test_video_redaction_masks.py.
    source = write_clip(tmp_path / "grey.mp4", [i * 3600 for i in range(10)])
    manual = ManualBox(0.0, 1.0, Box(0.05, 0.05, 0.1, 0.1))
    output = tmp_path / "out.mp4"
    render(source, output, manual=[manual], style="solid")
    luma = grey_frames(output)[5].astype(int)

    def dark(x: float, y: float) -> bool:
        return luma[round(y * 240), round(x * 320)] < 30

    assert dark(0.06, 0.06) and dark(0.14, 0.14) and not dark(0.04, 0.1) and not dark(0.16, 0.1)


def test_a_manual_box_with_no_span_masks_one_frame(tmp_path):
    source = write_clip(tmp_path / "grey.mp4", [i * 3600 for i in range(10)])
    times = frame_times(source)
    box = Box(0.2, 0.2, 0.5, 0.5)
    output = tmp_path / "out.mp4"
    render(source, output, manual=[ManualBox(times[4], times[4], box), ManualBox(times[7], times[9], box)],
           style="solid")
    darkened = [i for i, f in enumerate(grey_frames(output)) if f[120, 140] < 30]
    assert darkened == [4, 7, 8]


def test_it_keeps_the_source_timing_even_when_irregular(tmp_path):
    # A camera's frames come at uneven times: 40 ms, then 60 ms, and a 0.5 s gap.
    pts = [0, 3600, 9000, 12600, 18000, 63000, 66600, 70200]
    source = write_clip(tmp_path / "uneven.mp4", pts)
    output = tmp_path / "out.mp4"
    result = render(source, output, style="blur")
    assert frame_times(output) == pytest.approx([p / 90000 for p in pts], abs=0.002)
    assert result.frames == len(pts)


def test_track_json_round_trip():
    track = RedactionTrack(3, "face", {7: Box(0.1, 0.2, 0.3, 0.4), 8: Box(0.15, 0.2, 0.3, 0.4)}, 0.28, 0.32,
                           b"jpeg", {7: 0.28, 8: 0.32}, 0.91, scores={7: 0.91}, uncertain=[(8, 8)], group="small")
    data = json.loads(json.dumps(track.to_json()))
    assert data["boxes"][0] == {"frame": 7, "t": 0.28, "x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4, "score": 0.91}
    assert data["boxes"][1]["score"] == 0  # interpolated
    assert (data["uncertain"], data["group"]) == ([[8, 8]], "small")
    assert RedactionTrack.from_json(data, thumbnail=b"jpeg") == track


def test_tracks_stored_before_scores_and_uncertain_spans_still_load():
    data = {"id": 3, "kind": "face", "first": 0.28, "last": 0.28, "score": 0.5,
            "boxes": [{"frame": 7, "t": 0.28, "x": 0.1, "y": 0.2, "w": 0.3, "h": 0.4}]}
    track = RedactionTrack.from_json(data)
    assert (track.scores, track.uncertain, track.group) == ({}, [], "")
    assert track.to_json()["boxes"][0]["score"] == 0


def test_stopping_abandons_the_work_and_leaves_no_file(scene, tmp_path):
    stop = threading.Event()
    stop.set()
    with pytest.raises(RedactionCancelled):
        find_tracks(scene.path, {"motion"}, stop=stop)
    output = tmp_path / "out.mp4"
    with pytest.raises(RedactionCancelled):
        render(scene.path, output, style="blur", stop=stop)
    assert not output.exists()


def test_bad_requests_get_clear_errors(tmp_path):
    source = write_clip(tmp_path / "grey.mp4", [0, 3600])
    with pytest.raises(ValueError, match="cannot redact cars"):
        find_tracks(source, {"faces", "cars"})
    with pytest.raises(ValueError, match="unknown redaction style"):
        render(source, tmp_path / "out.mp4", style="pixelate")
    with pytest.raises(ValueError, match="at least 3 points"):
        render(source, tmp_path / "out.mp4", areas=[[(0.1, 0.1), (0.2, 0.2)]])
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("not a video")
    with pytest.raises(ValueError, match="cannot read"):
        find_tracks(not_video, {"faces"})
    with pytest.raises(ValueError, match="cannot read"):
        render(not_video, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()
    with pytest.raises(ModelError, match="missing"):
        FaceDetector(model_path=tmp_path / "centerface.onnx")
