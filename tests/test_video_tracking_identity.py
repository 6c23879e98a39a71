"""Tracks that never switch people: faces told apart by appearance, tracks split where nothing tells two people
apart, uncertain spans, and the pieces of one face's track joined again. Synthetic frames with real face photos
(scikit-image's Labeled Faces in the Wild subset) on a noisy background, with the detections where they are drawn.
"""

from collections.abc import Callable

import cv2
import numpy as np
import pytest

from video.detection import Detection
from video.geometry import Box, center, iou
from video.tracking import (
    MIN_LIKENESS,
    Appearance,
    Sighting,
    Tracker,
    TrackHistory,
    appearance,
    likeness,
    relink,
)

WIDTH, HEIGHT, SIDE, FPS = 320, 240, 60, 10
Path = Callable[[int], tuple[int, int] | None]  # frame -> face's top-left in pixels, None when not seen


@pytest.fixture(scope="module")
def lfw() -> np.ndarray:
    from skimage import data

    return data.lfw_subset()


def face_photo(lfw: np.ndarray, index: int) -> np.ndarray:
    grey = cv2.resize((lfw[index] * 255).astype(np.uint8), (SIDE, SIDE), interpolation=cv2.INTER_CUBIC)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)


def box_at(x: int, y: int) -> Box:
    return Box(x / WIDTH, y / HEIGHT, SIDE / WIDTH, SIDE / HEIGHT)


def film(faces: list[tuple[np.ndarray, Path]], frames: int, hidden: float = 0.8):
    """(frame, picture, detections, face index of each detection) for every frame: faces drawn in list order (the
    first in front); a face more than `hidden` covered by one in front is not detected, as a detector would miss it."""
    background = np.random.default_rng(1).integers(90, 140, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    for k in range(frames):
        picture = background.copy()
        where = [path(k) for _, path in faces]
        for (photo, _), at in reversed(list(zip(faces, where, strict=True))):
            if at is not None:
                picture[at[1] : at[1] + SIDE, at[0] : at[0] + SIDE] = photo
        detections, who = [], []
        for i, at in enumerate(where):
            if at is None:
                continue
            covered = max((overlap(at, front) for front in where[:i] if front is not None), default=0.0)
            if covered <= hidden:
                detections.append(Detection("face", 0.9, box_at(*at)))
                who.append(i)
        yield k, picture, detections, who


def overlap(a: tuple[int, int], b: tuple[int, int]) -> float:
    w, h = SIDE - abs(a[0] - b[0]), SIDE - abs(a[1] - b[1])
    return max(w, 0) * max(h, 0) / SIDE**2


def ids_by_face(tracker: Tracker, scenes, with_pictures: bool = True) -> dict[int, set[int]]:
    """The ids reported for each face over the frames where it is detected apart from the others (while two
    faces overlap, neither can be seen well enough to say who is who)."""
    ids: dict[int, set[int]] = {}
    for k, picture, detections, who in scenes:
        tracks = tracker.update(detections, k / FPS, picture if with_pictures else None)
        for detection, i in zip(detections, who, strict=True):
            if any(iou(detection.box, other.box) > 0 for other in detections if other is not detection):
                continue
            here = [t for t in tracks if not t.missing and _near(t.box, detection.box)]
            ids.setdefault(i, set()).update(t.id for t in here)
    return ids


def _near(a: Box, b: Box) -> bool:
    return abs(center(a)[0] - center(b)[0]) < 0.01 and abs(center(a)[1] - center(b)[1]) < 0.01


def meet_and_turn_back(speed: int = 10) -> tuple[Path, Path]:
    """Two people walk towards each other, the second a little behind the first, meet, and go back the way they
    came: while they are together the one behind is hidden, and moving on as before puts each where the other is."""
    meet = 100 // speed

    def a(k: int) -> tuple[int, int]:
        return 30 + speed * (k if k <= meet else 2 * meet - k), 90

    def b(k: int) -> tuple[int, int]:
        return 230 - speed * (k if k <= meet else 2 * meet - k), 100

    return a, b


def test_two_people_who_meet_and_turn_back_keep_their_ids(lfw):
    a, b = meet_and_turn_back()
    faces = [(face_photo(lfw, 0), a), (face_photo(lfw, 1), b)]
    ids = ids_by_face(Tracker(), film(faces, 24))
    assert len(ids[0]) == 1 and len(ids[1]) == 1 and ids[0] != ids[1], ids


def test_by_position_alone_the_same_people_switch_ids(lfw):
    # What the tracker did before it looked at faces, and still does without pictures: the test above is not easy.
    a, b = meet_and_turn_back()
    faces = [(face_photo(lfw, 0), a), (face_photo(lfw, 1), b)]
    ids = ids_by_face(Tracker(), film(faces, 24), with_pictures=False)
    assert ids[0] & ids[1], ids


def walking(start: int, end: int) -> Path:
    """A face walking right at 12 px a frame, seen from frame `start` until `end` (excluded)."""

    def where(k: int) -> tuple[int, int] | None:
        return (20 + 12 * k, 90) if start <= k < end else None

    return where


@pytest.mark.parametrize("same_face", [True, False])
def test_a_face_where_a_lost_one_was_heading_continues_it_only_if_it_is_the_same_face(lfw, same_face):
    # A face is lost for 3 frames (turned away), then a face walks on from where it was heading.
    faces = [(face_photo(lfw, 0), walking(0, 8)), (face_photo(lfw, 0 if same_face else 1), walking(11, 18))]
    ids = ids_by_face(Tracker(), film(faces, 18))
    assert len(ids[0]) == 1 and len(ids[1]) == 1
    assert (ids[0] == ids[1]) == same_face, ids


def offline(faces: list[tuple[np.ndarray, Path]], frames: int, max_missing: float = 1.0) -> list[TrackHistory]:
    tracker = Tracker(max_missing_seconds=max_missing, tentative_seconds=max_missing, history=True)
    for k, picture, detections, _ in film(faces, frames):
        tracker.link(detections, k / FPS, picture, frame=k)
    return tracker.finish()


def whose(history: TrackHistory, faces: list[tuple[np.ndarray, Path]], *, sure_only: bool) -> set[int]:
    """Which faces a track's sightings are on (only those outside its unsure spans, with `sure_only`)."""
    found = set()
    for s in history.sightings:
        if sure_only and any(first <= s.frame <= last for first, last in history.unsure):
            continue
        found.update(i for i, (_, path) in enumerate(faces)
                     if path(s.frame) is not None and _near(box_at(*path(s.frame)), s.box))
    return found


@pytest.mark.parametrize("same_face", [True, False])
def test_the_pieces_of_a_face_lost_behind_a_pillar_are_joined_only_if_it_is_the_same_face(lfw, same_face):
    # Walking slowly, lost for 2 s: longer than a track waits, so the tracker ends it; relinking knows the clip.
    def walk(k: int) -> tuple[int, int]:
        return 20 + 3 * k, 90

    faces = [(face_photo(lfw, 0), lambda k: walk(k) if k < 8 else None),
             (face_photo(lfw, 0 if same_face else 1), lambda k: walk(k) if k >= 28 else None)]
    pieces = offline(faces, 40)
    assert len(pieces) == 2
    joined = relink(pieces, max_gap=3.0)
    if same_face:
        assert len(joined) == 1
        # Nobody saw the face between its last sighting before the pillar and its first after it.
        assert joined[0].unsure == [(7, 28)]
    else:
        assert len(joined) == 2 and all(h.unsure == [] for h in joined)


def test_pieces_are_not_joined_when_two_could_continue_one(lfw):
    # After the pillar, two alike faces come out side by side, both where the lost one was heading.
    def walk(k: int, y: int = 90) -> tuple[int, int]:
        return 20 + 3 * k, y

    photo = face_photo(lfw, 0)
    faces = [(photo, lambda k: walk(k) if k < 8 else None),
             (photo, lambda k: walk(k, 60) if k >= 28 else None),
             (photo, lambda k: walk(k, 122) if k >= 28 else None)]
    pieces = offline(faces, 40)
    assert len(pieces) == 3
    assert len(relink(pieces, max_gap=3.0)) == 3


def test_where_nothing_tells_two_people_apart_no_track_switches_unnoticed(lfw):
    # Twins (the same photo) meet and turn back: no appearance can say who is who afterwards.
    a, b = meet_and_turn_back()
    twin = face_photo(lfw, 0)
    faces = [(twin, a), (twin, b)]
    histories = offline(faces, 24)
    assert all(len(whose(h, faces, sure_only=True)) <= 1 for h in histories), [h.unsure for h in histories]
    # Nor are the pieces joined again by a guess.
    assert all(len(whose(h, faces, sure_only=True)) <= 1 for h in relink(histories, max_gap=3.0))
    # The frames where they are together are unsure on every track that covers them.
    together = [k for k in range(24) if overlap(a(k), b(k)) > 0]
    assert together
    for h in histories:
        for k in together:
            if h.sightings[0].frame <= k <= h.sightings[-1].frame:
                assert any(first <= k <= last for first, last in h.unsure), (k, h.unsure)


def test_different_people_look_different_and_one_face_looks_like_itself(lfw):
    rng = np.random.default_rng(7)
    same, other = [], []
    for index in range(0, 60, 3):
        photo = face_photo(lfw, index)
        picture = np.random.default_rng(index).integers(90, 140, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        picture[90 : 90 + SIDE, 100 : 100 + SIDE] = photo
        picture[90 : 90 + SIDE, 200 : 200 + SIDE] = face_photo(lfw, index + 1)
        model = appearance(picture, box_at(100, 90))
        # The same face found a few pixels off, as a detector's boxes wobble from frame to frame.
        dx, dy = rng.integers(-4, 5, 2)
        same.append(likeness(model, appearance(picture, box_at(100 + dx, 90 + dy))))
        other.append(likeness(model, appearance(picture, box_at(200 + dx, 90 + dy))))
    assert min(same) >= MIN_LIKENESS
    assert np.mean(np.array(other) < MIN_LIKENESS) >= 0.8


@pytest.mark.parametrize("short", [0, 3])
def test_a_face_coming_in_through_the_picture_edge_stays_one_track(lfw, short):
    # Its boxes are cut by the edge until it is all in: half a face does not look like the whole one. A detector's
    # box on a cut face may stop a few pixels short of the edge.
    photo = face_photo(lfw, 0)
    background = np.random.default_rng(1).integers(90, 140, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    tracker = Tracker()
    ids = set()
    for k in range(12):
        x = WIDTH - 6 * (k + 1)
        picture = background.copy()
        seen = min(SIDE, WIDTH - x)
        picture[90 : 90 + SIDE, x : x + seen] = photo[:, :seen]
        box = Box(x / WIDTH, 90 / HEIGHT, (seen - (short if seen < SIDE else 0)) / WIDTH, SIDE / HEIGHT)
        ids.update(t.id for t in tracker.update([Detection("face", 0.9, box)], k / FPS, picture) if not t.missing)
    assert ids == {1}


def test_a_piece_found_while_a_track_was_lost_in_a_crossing_is_taken_into_it():
    # The tracker lost a face for 0.8 s where another crossed in front of it (frames 10-18) and found it again;
    # meanwhile a new piece followed it. A smaller face's track, lost at the same time, does not take the piece.
    def history(key: int, frames: list[int], x0: float, size: float) -> TrackHistory:
        sightings = [Sighting(f, f / 10, Box(x0 + 0.01 * f, 0.3, size, size * 1.2), 0.8) for f in frames]
        return TrackHistory(key, "face", sightings, None, pieces=[key])

    host = history(1, [0, 2, 4, 6, 8, 10, 18, 20, 22], 0.2, 0.06)
    small = history(2, [0, 2, 4, 6, 8, 10, 18, 20], 0.22, 0.03)
    piece = history(3, [12, 14, 16], 0.2, 0.065)
    joined = relink([host, small, piece], max_gap=3.0)
    assert sorted(len(t.sightings) for t in joined) == [8, 12]
    whole = next(t for t in joined if len(t.sightings) == 12)
    assert whole.pieces == [1, 3] and whole.unsure == [(10, 18)]


def test_a_face_alone_that_passes_a_post_stays_sure(lfw):
    # Nobody else is near: a post hiding part of the face changes its look, but not who it is.
    photo = face_photo(lfw, 0)
    background = np.random.default_rng(1).integers(90, 140, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    tracker = Tracker(history=True)
    for k in range(14):
        x = 20 + 12 * k
        picture = background.copy()
        picture[90 : 90 + SIDE, x : x + SIDE] = photo
        picture[:, 130:146] = (60, 60, 60)  # the post, a quarter of the face wide
        tracker.link([Detection("face", 0.9, box_at(x, 90))], k / FPS, picture, frame=k)
    [history] = tracker.finish()
    assert history.unsure == []


def test_a_face_in_front_of_a_farther_one_stays_sure(lfw):
    # A distant face (half the size) passes behind a near one standing still: the near one shows all of itself.
    near = cv2.resize(face_photo(lfw, 0), (80, 80))
    far = cv2.resize(face_photo(lfw, 1), (40, 40))
    background = np.random.default_rng(1).integers(90, 140, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    tracker = Tracker(history=True)
    for k in range(16):
        picture = background.copy()
        x = 10 + 18 * k
        picture[110:150, x : x + 40] = far
        picture[80:160, 120:200] = near
        detections = [Detection("face", 0.9, Box(120 / WIDTH, 80 / HEIGHT, 80 / WIDTH, 80 / HEIGHT))]
        if not 120 <= x <= 160:  # wholly behind
            detections.append(Detection("face", 0.9, Box(x / WIDTH, 110 / HEIGHT, 40 / WIDTH, 40 / HEIGHT)))
        tracker.link(detections, k / FPS, picture, frame=k)
    near_track = next(h for h in tracker.finish() if h.sightings[0].box.w > 60 / WIDTH)
    assert len(near_track.sightings) == 16 and near_track.unsure == []


def test_a_small_face_passing_over_a_larger_one_stays_one_track(lfw):
    # A farther face (half the size, and alike: the same photo) walks across a near one's box, drawn over it
    # (over its shoulder, say): the near face's box holds much of the small one's, so its look cannot pair it
    # there, but by size it is plainly not the near face. It stays one track.
    near = cv2.resize(face_photo(lfw, 0), (80, 80))
    far = cv2.resize(face_photo(lfw, 0), (40, 40))
    background = np.random.default_rng(1).integers(90, 140, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    tracker = Tracker(history=True)
    near_box = Box(120 / WIDTH, 80 / HEIGHT, 80 / WIDTH, 80 / HEIGHT)
    for k in range(16):
        picture = background.copy()
        x = 10 + 18 * k
        picture[80:160, 120:200] = near
        picture[110:150, x : x + 40] = far
        far_box = Box(x / WIDTH, 110 / HEIGHT, 40 / WIDTH, 40 / HEIGHT)
        tracker.link([Detection("face", 0.9, near_box), Detection("face", 0.9, far_box)], k / FPS, picture, frame=k)
    far_tracks = [h for h in tracker.finish() if h.sightings[0].box.w < 60 / WIDTH]
    assert len(far_tracks) == 1 and len(far_tracks[0].sightings) == 16, [len(h.sightings) for h in far_tracks]


def test_a_face_in_front_of_one_its_size_stays_sure_and_the_one_behind_does_not(lfw):
    # Another face of the same size walks behind one standing still. Both boxes overlap, so neither can be paired
    # by its look; the one in front still shows all of itself and still looks like itself, the one behind does not.
    front = face_photo(lfw, 0)
    behind = face_photo(lfw, 1)
    background = np.random.default_rng(1).integers(90, 140, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    tracker = Tracker(history=True)
    still = box_at(130, 90)
    overlapping = []
    for k in range(16):
        picture = background.copy()
        x = 10 + 16 * k
        picture[100 : 100 + SIDE, x : x + SIDE] = behind
        picture[90 : 90 + SIDE, 130 : 130 + SIDE] = front
        walker = Box(x / WIDTH, 100 / HEIGHT, SIDE / WIDTH, SIDE / HEIGHT)
        detections = [Detection("face", 0.9, still)]
        if overlap((x, 100), (130, 90)) <= 0.5:  # a face more than half hidden is not found
            detections.append(Detection("face", 0.9, walker))
            if iou(walker, still) > 0:
                overlapping.append(k)
        tracker.link(detections, k / FPS, picture, frame=k)
    histories = tracker.finish()
    front_track = next(h for h in histories if h.sightings[0].box == still)
    assert len(front_track.sightings) == 16 and front_track.unsure == []
    unsure = {k for h in histories if h is not front_track for a, b in h.unsure for k in range(a, b + 1)}
    assert overlapping and set(overlapping) <= unsure, (overlapping, [h.unsure for h in histories])


def test_a_face_lost_twice_on_its_way_is_joined_into_one_track(lfw):
    # Behind two pillars: each piece could be continued by the next one or the one after it. Both pairings go one
    # way, so neither stands against the other.
    def walk(k: int) -> tuple[int, int]:
        return 20 + 3 * k, 90

    photo = face_photo(lfw, 0)
    faces = [(photo, lambda k: walk(k) if k < 8 else None),
             (photo, lambda k: walk(k) if 18 <= k < 26 else None),
             (photo, lambda k: walk(k) if k >= 36 else None)]
    pieces = offline(faces, 44, max_missing=0.5)
    assert len(pieces) == 3
    [joined] = relink(pieces, max_gap=3.0)
    assert joined.unsure == [(7, 18), (25, 36)]


def test_a_piece_that_looks_unlike_a_lost_face_but_lies_on_its_way_does_not_keep_it_apart(lfw):
    # Half hidden by something passing in front, the face was followed apart for a while between being lost and
    # found again: that piece, alike enough to continue only the later track, is no rival to their join; it is
    # taken in, and the whole gap is unsure.
    def history(key: int, frames: range, look: tuple[float, float, float]) -> TrackHistory:
        sightings = [Sighting(f, f / 10, Box(0.1 + 0.01 * f, 0.3, 0.08, 0.1), 0.8) for f in frames]
        shape = np.array([*look, *[0.0] * 69], np.float32)
        return TrackHistory(key, "face", sightings, Appearance(shape, np.ones(1, np.float32)), pieces=[key])

    # Likeness of the first piece to the last 0.62, of the middle one to the first 0.41 and to the last 0.57.
    before = history(1, range(0, 8), (1.0, 0.0, 0.0))
    half = history(2, range(12, 16), (0.41, 0.4026, 0.8180))
    after = history(3, range(20, 30), (0.62, 0.7846, 0.0))
    assert likeness(before.appearance, half.appearance) < MIN_LIKENESS <= likeness(half.appearance, after.appearance)
    [joined] = relink([before, half, after], max_gap=3.0)
    assert sorted(joined.pieces) == [1, 2, 3]
    assert joined.unsure == [(7, 20)]


def test_a_much_smaller_face_where_a_lost_one_was_heading_does_not_continue_it(lfw):
    # A face does not halve in size within a second: the small one beyond is someone farther away.
    photo = face_photo(lfw, 0)
    background = np.random.default_rng(1).integers(90, 140, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    tracker = Tracker(max_missing_seconds=0.5, tentative_seconds=0.5, history=True)
    for k in range(26):
        picture, detections = background.copy(), []
        if k < 8 or k >= 18:  # between, behind a pillar
            side, x, y = SIDE if k < 8 else 40, 20 + 3 * k, 90
            picture[y : y + side, x : x + side] = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
            detections.append(Detection("face", 0.9, Box(x / WIDTH, y / HEIGHT, side / WIDTH, side / HEIGHT)))
        tracker.link(detections, k / FPS, picture, frame=k)
    pieces = tracker.finish()
    assert len(pieces) == 2
    assert len(relink(pieces, max_gap=3.0)) == 2


@pytest.mark.parametrize("same_frame", [False, True])
def test_a_piece_found_on_frames_a_track_missed_here_and_there_is_taken_into_it(same_frame):
    # Half hidden by a box carried in front of it, a face looked unlike itself now and then: the tracker gave those
    # frames' detections to a piece of their own. Found on a frame the track was found on too, it is another face.
    def history(key: int, frames: list[int]) -> TrackHistory:
        sightings = [Sighting(f, f / 10, Box(0.2 + 0.01 * f, 0.3, 0.06, 0.072), 0.8) for f in frames]
        return TrackHistory(key, "face", sightings, None, pieces=[key])

    piece_frames = [11, 13, 16] + ([20] if same_frame else [])
    host = history(1, [f for f in range(30) if f not in piece_frames[:3]])
    piece = history(2, piece_frames)
    joined = relink([host, piece], max_gap=3.0)
    if same_frame:
        assert len(joined) == 2
        return
    [whole] = joined
    assert whole.pieces == [1, 2] and [s.frame for s in whole.sightings] == list(range(30))
    assert whole.unsure == [(10, 17)]


def test_a_face_whose_last_boxes_jumped_about_while_half_hidden_is_continued_where_it_was_heading():
    # Going behind something, a face was found for three more frames on what was left of it, smaller and lower:
    # two of them by a piece of their own, taken into the track. Where it was heading is judged from where it
    # surely was, so the track found again on its way continues it.
    look = Appearance(np.array([1.0, *[0.0] * 71], np.float32), np.ones(1, np.float32))

    def sighting(frame: int, *, hidden: bool = False, sure: bool = True) -> Sighting:
        box = (Box(0.1 + 0.01 * frame, 0.42, 0.06, 0.07) if hidden else Box(0.1 + 0.01 * frame, 0.3, 0.08, 0.1))
        return Sighting(frame, frame / 10, box, 0.8, sure)

    host = TrackHistory(1, "face", [*(sighting(f) for f in range(10)), sighting(12, hidden=True, sure=False)],
                        look, pieces=[1])
    piece = TrackHistory(2, "face", [sighting(10, hidden=True), sighting(11, hidden=True)], None, pieces=[2])
    after = TrackHistory(3, "face", [sighting(f) for f in range(21, 31)], look, pieces=[3])
    [joined] = relink([host, piece, after], max_gap=3.0)
    assert sorted(joined.pieces) == [1, 2, 3]
    assert joined.unsure == [(9, 21)]


def test_sightings_doubted_only_by_the_tracks_own_earlier_piece_are_sure_once_they_are_joined():
    # Found again while its lost piece was still waiting for it, a face's first sightings could have been that
    # piece's as well, so they were unsure. Joined to it, that doubt is gone; the frames nobody saw stay unsure,
    # and so does a sighting another track (3) also claimed.
    look = Appearance(np.array([1.0, *[0.0] * 71], np.float32), np.ones(1, np.float32))

    def sighting(frame: int, doubted_by: frozenset[int] = frozenset()) -> Sighting:
        return Sighting(frame, frame / 10, Box(0.1 + 0.01 * frame, 0.3, 0.08, 0.1), 0.8, not doubted_by, doubted_by)

    before = TrackHistory(1, "face", [sighting(f) for f in range(10)], look, pieces=[1])
    after = TrackHistory(2, "face", [sighting(f, frozenset({1}) if f < 16 else frozenset({1, 3}) if f == 20
                                              else frozenset()) for f in range(14, 25)], look, pieces=[2])
    assert after.unsure == [(14, 16), (19, 21)]
    [joined] = relink([before, after], max_gap=3.0)
    assert joined.unsure == [(9, 14), (19, 21)]
