"""Privacy masks on pictures: each style in BGR and in YUV, motion masking, people and background masking on real
footage, masks changed from another thread, and masks that follow a PTZ camera frame by frame."""

import threading
import time

import av
import cv2
import numpy as np
import pytest

from tests.standins.footage import decode_frames, labelled_frames
from video.masking import Masker, PrivacyMask, color_from_hex
from video.person_segmentation import Person

pytest_plugins = ["tests.standins.fixtures"]

WIDTH, HEIGHT = 640, 360
POLYGON = ((0.2, 0.15), (0.7, 0.25), (0.6, 0.8), (0.3, 0.7), (0.15, 0.4))
COLOR = (10, 200, 30)  # BGR
EDGE = 2.0  # pixels either side of an outline where rasterising may go either way


def noise(width: int = WIDTH, height: int = HEIGHT, seed: int = 1) -> np.ndarray:
    """A BGR picture of pure detail: every pixel independent, so any masking shows."""
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def signed_distance(points, width: int, height: int) -> np.ndarray:
    """For each pixel, its distance in pixels to the polygon's outline: positive inside, negative outside."""
    vertices = [(x * width, y * height) for x, y in points]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    inside = np.zeros((height, width), bool)
    distance = np.full((height, width), np.inf)
    for (x1, y1), (x2, y2) in zip(vertices, vertices[1:] + vertices[:1], strict=True):
        crosses = (y1 > ys) != (y2 > ys)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_cross = x1 + (ys - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (xs < x_cross)
        dx, dy = x2 - x1, y2 - y1
        t = np.clip(((xs - x1) * dx + (ys - y1) * dy) / (dx * dx + dy * dy), 0, 1)
        distance = np.minimum(distance, np.hypot(xs - (x1 + t * dx), ys - (y1 + t * dy)))
    return np.where(inside, distance, -distance)


def regions(points=POLYGON, width: int = WIDTH, height: int = HEIGHT) -> tuple[np.ndarray, np.ndarray]:
    """(surely inside, surely outside) the polygon, leaving out EDGE pixels either side of its outline."""
    distance = signed_distance(points, width, height)
    return distance > EDGE, distance < -EDGE


def high_frequency(image: np.ndarray, where: np.ndarray) -> float:
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    return float(cv2.Laplacian(gray, cv2.CV_64F)[where].var())


def yuv_frame(picture: np.ndarray) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(picture, format="bgr24").reformat(format="yuv420p")
    frame.pts = 0
    return frame


def planes(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = frame.to_ndarray()
    h, w = frame.height, frame.width
    return data[:h], data[h : h * 5 // 4].reshape(h // 2, w // 2), data[h * 5 // 4 :].reshape(h // 2, w // 2)


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    return noise()


def test_solid_fills_the_polygon_with_exactly_its_colour_and_nothing_else(picture):
    original = picture.copy()
    out = Masker([PrivacyMask(POLYGON, "solid", COLOR)]).apply(picture)
    inside, outside = regions()
    assert (out[inside] == COLOR).all()
    assert (out[outside] == picture[outside]).all()
    assert (picture == original).all(), "the caller's picture was changed"


def test_mosaic_turns_each_block_into_the_mean_of_what_it_covered(picture):
    out = Masker([PrivacyMask(POLYGON, "mosaic")]).apply(picture)
    inside, outside = regions()
    block = WIDTH // 40  # 16 px
    whole_blocks = 0
    for y in range(0, HEIGHT - block + 1, block):
        for x in range(0, WIDTH - block + 1, block):
            if not inside[y : y + block, x : x + block].all():
                continue
            whole_blocks += 1
            cell = out[y : y + block, x : x + block].reshape(-1, 3)
            assert (cell == cell[0]).all(), f"block at {x},{y} is not one colour"
            mean = picture[y : y + block, x : x + block].reshape(-1, 3).mean(axis=0)
            assert np.abs(cell[0] - mean).max() <= 1
    assert whole_blocks >= 100
    assert (out[outside] == picture[outside]).all()


def test_blur_leaves_no_detail_inside_and_the_rest_untouched(picture):
    out = Masker([PrivacyMask(POLYGON, "blur")]).apply(picture)
    inside, outside = regions()
    assert high_frequency(picture, inside) > 1000
    assert high_frequency(out, inside) < 0.001 * high_frequency(picture, inside)
    # Strong: pixel noise with a spread of 74 levels comes out within a couple of levels of its mean.
    assert out[inside].std() < 3 < 70 < picture[inside].std()
    assert (out[outside] == picture[outside]).all()


@pytest.mark.parametrize("style", ["solid", "mosaic", "blur"])
def test_yuv_frames_are_masked_in_their_own_planes_and_only_inside(picture, style):
    frame = yuv_frame(picture)
    masked = Masker([PrivacyMask(POLYGON, style, COLOR)]).mask_frame(frame)
    assert (masked.format.name, masked.width, masked.height, masked.pts) == ("yuv420p", WIDTH, HEIGHT, 0)
    inside, outside = regions()
    _, outside_half = regions(width=WIDTH // 2, height=HEIGHT // 2)
    for before, after, where in zip(planes(frame), planes(masked), (outside, outside_half, outside_half), strict=True):
        assert (after[where] == before[where]).all()
    y_before, y_after = planes(frame)[0], planes(masked)[0]
    if style == "solid":
        bgr = masked.to_ndarray(format="bgr24")
        assert np.abs(bgr[inside].astype(int) - COLOR).max() <= 3
    elif style == "mosaic":
        for y in range(0, HEIGHT - 16 + 1, 16):
            for x in range(0, WIDTH - 16 + 1, 16):
                if inside[y : y + 16, x : x + 16].all():
                    cell = y_after[y : y + 16, x : x + 16]
                    assert (cell == cell[0, 0]).all()
    else:
        assert high_frequency(y_after, inside) < 0.001 * high_frequency(y_before, inside)


def test_a_later_mask_is_painted_over_an_earlier_one(picture):
    top = PrivacyMask(((0, 0), (1, 0), (1, 0.5), (0, 0.5)), "solid", (255, 0, 0))
    square = PrivacyMask(((0.4, 0.3), (0.6, 0.3), (0.6, 0.7), (0.4, 0.7)), "solid", (0, 0, 255))
    out = Masker([top, square]).apply(picture)
    assert (out[150, 320] == (0, 0, 255)).all()  # in both: the later one wins
    assert (out[50, 50] == (255, 0, 0)).all()
    assert (out[300, 50] == picture[300, 50]).all()


def test_motion_masking_covers_a_moving_square_and_not_the_still_background():
    background = noise(seed=2)
    masker = Masker(dynamic="motion", dynamic_style="solid")
    size, y = 48, 150
    for index in range(60):
        x = 20 + 8 * index
        frame = background.copy()
        frame[y : y + size, x : x + size] = 255
        out = masker.apply(frame, at=index * 0.04)
        if index >= 2:  # the first frame starts the scene's average: nothing has moved yet
            assert (out[y : y + size, x : x + size] == 0).all(), f"the square is not masked in frame {index}"
    # Far from its path, the still background is shown as it is.
    assert (out[:90] == frame[:90]).all() and (out[260:] == frame[260:]).all()
    assert (out[:, x + size + 40 :] == frame[:, x + size + 40 :]).all()


def test_set_from_another_thread_takes_effect_on_the_next_frame(picture):
    left = PrivacyMask(((0, 0), (0.5, 0), (0.5, 1), (0, 1)), "solid", (0, 0, 255))
    right = PrivacyMask(((0.5, 0), (1, 0), (1, 1), (0.5, 1)), "mosaic")
    expected = {"left": Masker([left]).apply(picture), "right": Masker([right]).apply(picture)}
    masker = Masker([left])

    setter = threading.Thread(target=masker.set, args=([right],))
    setter.start()
    setter.join()
    assert (masker.apply(picture) == expected["right"]).all()

    # Settings changing all the time from another thread: every frame is masked with one of them, whole.
    stop = threading.Event()

    def flip() -> None:
        while not stop.is_set():
            masker.set([left])
            masker.set([right])

    flipper = threading.Thread(target=flip)
    flipper.start()
    seen = set()
    try:
        for _ in range(200):
            out = masker.apply(picture)
            matches = [name for name, image in expected.items() if (out == image).all()]
            assert len(matches) == 1, "a frame was masked with a mix of two settings"
            seen.add(matches[0])
    finally:
        stop.set()
        flipper.join()
    assert seen == {"left", "right"}


def test_followed_masks_are_asked_for_each_frame_on_top_of_the_set_ones(picture):
    left = PrivacyMask(((0, 0), (0.5, 0), (0.5, 1), (0, 1)), "solid", (0, 0, 255))
    top = PrivacyMask(((0, 0), (1, 0), (1, 0.3), (0, 0.3)), "solid", (255, 0, 0))
    bottom = PrivacyMask(((0, 0.7), (1, 0.7), (1, 1), (0, 1)), "mosaic")
    now = [top]  # where a PTZ camera's position puts its masks, frame by frame
    masker = Masker([left])
    masker.follow(lambda: now)

    assert (masker.apply(picture) == Masker([left, top]).apply(picture)).all()
    now = [bottom]
    assert (masker.apply(picture) == Masker([left, bottom]).apply(picture)).all()
    now = []
    assert (masker.apply(picture) == Masker([left]).apply(picture)).all()
    masker.follow(None)
    now = [top]
    assert (masker.apply(picture) == Masker([left]).apply(picture)).all()


class HeldSegmenter:
    """A person segmenter that finds nobody, once allowed to answer."""

    def __init__(self) -> None:
        self.answer = threading.Event()

    def find(self, frame: np.ndarray) -> list[Person]:
        self.answer.wait(30)
        return []


def wait_for(condition, timeout: float, what: str) -> None:
    """Poll until `condition()` holds; fail naming `what` after `timeout` seconds (not a timing claim)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.02)


def test_people_masking_masks_the_whole_picture_until_it_knows_where_people_are(picture):
    segmenter = HeldSegmenter()
    masker = Masker(dynamic="people", dynamic_style="solid", segmenter=segmenter)
    try:
        assert (masker.apply(picture, at=10.0) == 0).all()
        segmenter.answer.set()
        wait_for(lambda: masker.people_seen_at == 10.0, 30, "the people analysis")
        # Nobody there: nothing to mask.
        assert (masker.apply(picture, at=10.04) == picture).all()
        # An analysis that has fallen far behind says nothing about now.
        assert (masker.apply(picture, at=20.0) == 0).all()
    finally:
        masker.close()


def test_an_invalid_mask_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="at least 3 points"):
        PrivacyMask(((0, 0), (1, 1)))
    with pytest.raises(ValueError, match="between 0 and 1"):
        PrivacyMask(((0, 0), (1.5, 0), (1, 1)))
    with pytest.raises(ValueError, match="style"):
        PrivacyMask(((0, 0), (1, 0), (1, 1)), "pixelate")
    with pytest.raises(ValueError, match="dynamic masking"):
        Masker(dynamic="faces")
    assert color_from_hex("#1a2b3c") == (0x3C, 0x2B, 0x1A)


# Real footage: OpenCV's vtest.avi, a labelled frame with five people walking.
LABELLED_INDEX = 50


@pytest.fixture(scope="module")
def people_frame(real_people_clip):
    label = next(frame for frame in labelled_frames() if frame.index == LABELLED_INDEX)
    return decode_frames(real_people_clip.path, [LABELLED_INDEX])[LABELLED_INDEX], label


def analysed(masker: Masker, frame: np.ndarray) -> np.ndarray:
    """`frame` masked once the people analysis has seen it (the model loads on first use)."""
    at = 100.0

    def seen() -> bool:
        masker.apply(frame, at=at)
        return masker.people_seen_at == at or masker.error is not None

    wait_for(seen, 120, "the people analysis")
    assert masker.error is None, masker.error
    return masker.apply(frame, at=at)


def people_areas(label, shape) -> tuple[np.ndarray, list[np.ndarray]]:
    """(far from every person: background for sure, the core of each clearly visible person)."""
    height, width = shape[:2]
    near = np.zeros((height, width), bool)
    for x, y, w, h in label.people + label.partial:
        grow = h // 3
        near[max(0, y - grow) : y + h + grow, max(0, x - grow) : x + w + grow] = True
    cores = []
    for x, y, w, h in label.people:
        core = np.zeros((height, width), bool)
        core[y + h // 4 : y + h * 3 // 4, x + w // 3 : x + w * 2 // 3] = True  # the torso
        cores.append(core)
    return ~near, cores


def test_background_masking_shows_only_the_people(people_frame):
    frame, label = people_frame
    masker = Masker(dynamic="background", dynamic_style="solid")
    try:
        out = analysed(masker, frame)
    finally:
        masker.close()
    background, cores = people_areas(label, frame.shape)
    masked = (out == 0).all(axis=2)
    assert masked[background].mean() > 0.99
    shown = [(out[core] == frame[core]).all(axis=1).mean() for core in cores]
    assert sum(share > 0.5 for share in shown) >= len(cores) - 1, f"people shown: {shown}"


def test_people_masking_hides_the_people_and_shows_the_rest(people_frame):
    frame, label = people_frame
    masker = Masker(dynamic="people", dynamic_style="solid")
    try:
        out = analysed(masker, frame)
    finally:
        masker.close()
    background, cores = people_areas(label, frame.shape)
    unchanged = (out == frame).all(axis=2)
    assert unchanged[background].mean() > 0.99
    hidden = [(out[core] == 0).all(axis=1).mean() for core in cores]
    assert sum(share > 0.9 for share in hidden) >= len(cores) - 1, f"people hidden: {hidden}"
