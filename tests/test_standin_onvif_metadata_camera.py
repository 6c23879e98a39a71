"""The ONVIF Profile M stand-in camera: FFmpeg sees video plus a data track of ONVIF analytics documents, each at
the pts of the frame it describes, and the documents say where the drawn objects are (its --truth)."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import av
import numpy as np
import pytest

from tests.standins.rtsp_servers import OnvifMetadataCamera
from video.source import open_stream

NS = "{http://www.onvif.org/ver10/schema}"
FRAMES = 30  # video frames read per case: 3 s at the camera's 10 fps


@dataclass
class Document:
    """One metadata document as a client joins it from the data packets."""

    pts: float  # seconds
    packets: int
    xml: bytes


@dataclass
class Stream:
    """What a client read: the pts of the video packets, the pictures by pts (RGB) and the documents."""

    video_pts: list[float]
    pictures: dict[float, np.ndarray]
    documents: list[Document]


def read_stream(url: str, frames: int = FRAMES) -> Stream:
    """Read `frames` video packets with a pts, decoding them, and the documents that arrive meanwhile."""
    container = open_stream(url, timeout=10, metadata=True)
    try:
        assert [stream.type for stream in container.streams] == ["video", "data"]
        video_pts: list[float] = []
        pictures: dict[float, np.ndarray] = {}
        documents: list[Document] = []
        parts: list[bytes] = []
        for packet in container.demux():
            if packet.stream.type == "video":
                # Decode all, the first packet too: FFmpeg gives it (SPS, PPS and frame 0) no pts.
                for picture in packet.decode():
                    if picture.pts is not None:
                        pictures[float(picture.pts * picture.time_base)] = picture.to_ndarray(format="rgb24")
            if packet.pts is None:
                continue
            seconds = float(packet.pts * packet.time_base)
            if packet.stream.type == "video":
                video_pts.append(seconds)
                if len(video_pts) >= frames:
                    break
            elif packet.stream.type == "data":
                parts.append(bytes(packet))
                if parts[-1].rstrip().endswith(b"MetadataStream>"):
                    documents.append(Document(seconds, len(parts), b"".join(parts)))
                    parts = []
    finally:
        container.close()
    return Stream(video_pts, pictures, documents)


def objects_in(document: Document) -> tuple[str, list[dict]]:
    """The Frame's UtcTime and its objects as {"id", "class", "x", "y", "w", "h"}: fractions of the picture, y
    down, after the Frame's Transformation (normalised = given * Scale + Translate, ONVIF Analytics spec)."""
    root = ElementTree.fromstring(document.xml)
    assert root.tag == f"{NS}MetadataStream"
    frame = root.find(f"{NS}VideoAnalytics/{NS}Frame")
    translate = frame.find(f"{NS}Transformation/{NS}Translate")
    scale = frame.find(f"{NS}Transformation/{NS}Scale")
    tx, ty = (float(translate.get("x")), float(translate.get("y"))) if translate is not None else (0.0, 0.0)
    sx, sy = (float(scale.get("x")), float(scale.get("y"))) if scale is not None else (1.0, 1.0)
    objects = []
    for obj in frame.findall(f"{NS}Object"):
        box = obj.find(f"{NS}Appearance/{NS}Shape/{NS}BoundingBox")
        left, right = (float(box.get(side)) * sx + tx for side in ("left", "right"))
        top, bottom = (float(box.get(side)) * sy + ty for side in ("top", "bottom"))
        kind = obj.find(f"{NS}Appearance/{NS}Class/{NS}Type")
        if kind is None:
            kind = obj.find(f"{NS}Appearance/{NS}Class/{NS}ClassCandidate/{NS}Type")
        assert top > bottom  # y up
        objects.append({
            "id": int(obj.get("ObjectId")), "class": kind.text,
            "x": (left + 1) / 2, "y": (1 - top) / 2, "w": (right - left) / 2, "h": (top - bottom) / 2,
        })
    return frame.get("UtcTime"), objects


def assert_documents_match(stream: Stream, truth_path: Path) -> int:
    """Each document lies on a video frame's pts and says what the camera drew; return how many were checked."""
    truth = [json.loads(line) for line in truth_path.read_text().splitlines()]
    video_pts = stream.video_pts
    checked = 0
    for document in stream.documents:
        # FFmpeg gives the first video packet (SPS, PPS and frame 0) no pts: compare within the frames it timed.
        if not video_pts[0] <= document.pts <= video_pts[-1]:
            continue
        assert min(abs(pts - document.pts) for pts in video_pts) < 0.001
        line = next(line for line in truth if abs(line["pts"] - document.pts) < 0.001)
        utc, objects = objects_in(document)
        assert utc == line["utc"]
        assert [(o["id"], o["class"]) for o in objects] == [(o["id"], o["class"]) for o in line["objects"]]
        for parsed, drawn in zip(objects, line["objects"], strict=True):
            assert [parsed[k] for k in "xywh"] == pytest.approx([drawn[k] for k in "xywh"], abs=1e-5)
        checked += 1
    return checked


def test_it_sends_a_document_per_frame_at_the_frame_pts(
    onvif_metadata_camera: Callable[..., OnvifMetadataCamera], tmp_path: Path
) -> None:
    camera = onvif_metadata_camera(truth=tmp_path / "truth.jsonl")

    stream = read_stream(camera.url)

    assert stream.documents[0].pts == 0.0
    assert all(document.packets == 1 for document in stream.documents)
    assert assert_documents_match(stream, camera.truth) >= FRAMES - 2


def test_it_draws_the_objects_where_the_documents_put_them(
    onvif_metadata_camera: Callable[..., OnvifMetadataCamera],
) -> None:
    camera = onvif_metadata_camera()

    stream = read_stream(camera.url)

    document = next(d for d in reversed(stream.documents) if objects_in(d)[1] and d.pts in stream.pictures)
    picture = stream.pictures[document.pts].astype(int)
    height, width, _ = picture.shape
    grey = np.array([128, 128, 128])
    for obj in objects_in(document)[1]:
        x0, y0 = round(obj["x"] * width), round(obj["y"] * height)
        x1, y1 = x0 + round(obj["w"] * width), y0 + round(obj["h"] * height)
        inside = picture[y0 + 2:y1 - 2, x0 + 2:x1 - 2].reshape(-1, 3)
        assert np.abs(inside.mean(axis=0) - grey).max() > 40
        around = [picture[y0:y1, x - 4] for x in (x0, x1 + 4) if 4 <= x < width]
        around += [picture[y - 4, x0:x1] for y in (y0, y1 + 4) if 4 <= y < height]
        for strip in around:
            assert np.abs(strip - grey).max(axis=1).mean() < 8


def test_it_splits_documents_in_pixels_without_a_prefix(
    onvif_metadata_camera: Callable[..., OnvifMetadataCamera], tmp_path: Path
) -> None:
    camera = onvif_metadata_camera(
        truth=tmp_path / "truth.jsonl", max_payload=200, pixel_coordinates=True, old_class_schema=True, prefix="",
    )

    stream = read_stream(camera.url)

    assert all(document.packets > 1 for document in stream.documents)
    assert b"<MetadataStream xmlns=" in stream.documents[0].xml
    assert b"<ClassCandidate>" in b"".join(document.xml for document in stream.documents)
    assert assert_documents_match(stream, camera.truth) >= FRAMES - 2


def test_it_sends_every_nth_frame_behind_a_password(
    onvif_metadata_camera: Callable[..., OnvifMetadataCamera], tmp_path: Path
) -> None:
    camera = onvif_metadata_camera(
        truth=tmp_path / "truth.jsonl", metadata_every=3, prefix="ns7", user="viewer", password="s3cret pass",
    )

    with pytest.raises(av.error.HTTPUnauthorizedError, match="401 Unauthorized"):
        read_stream(camera.url)
    stream = read_stream(camera.url_with_credentials)

    assert [round(document.pts * 10) % 3 for document in stream.documents] == [0] * len(stream.documents)
    assert b"<ns7:MetadataStream xmlns:ns7=" in stream.documents[0].xml
    assert assert_documents_match(stream, camera.truth) >= FRAMES // 3 - 1
