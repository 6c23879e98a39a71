"""The recorder reads a camera's ONVIF metadata track in its own RTSP session (a GStreamer ONVIF Profile M stand-in,
tests/standins/onvif_metadata_camera.py): each document is placed on the live media time of the frame it describes,
so the camera's boxes fall on the objects in the very picture viewers see, and on the recording's wall clock."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from video.live import LiveChunk
from video.live_decoder import LiveDecoder
from video.onvif_metadata import parse_metadata_stream
from video.probe import StreamError
from video.recording import CameraMetadata, record
from video.segments import RecordedSegment

pytestmark = [pytest.mark.rtsp]
GREY = 128


def record_for(url: str, seconds: float, tmp_path: Path | None = None, with_metadata: bool = True):
    """Record `url` for about `seconds`: (metadata documents, live chunks, segments)."""
    documents: list[CameraMetadata] = []
    chunks: list[LiveChunk] = []
    segments: list[RecordedSegment] = []
    stop = threading.Event()

    def run() -> None:
        record(url, segment_seconds=2.0,
               segment_path=(lambda start: tmp_path / f"{start:%H%M%S%f}.mp4") if tmp_path else None,
               on_segment=segments.append if tmp_path else None, on_status=lambda _status: None, stop=stop,
               on_live=chunks.append, on_metadata=documents.append if with_metadata else None)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(timeout=20)
    return documents, chunks, segments


def live_pictures(chunks: list[LiveChunk]) -> dict[float, np.ndarray]:
    """The live feed's frames, decoded, by media time (rounded to the millisecond)."""
    pictures = {}
    decoder = None
    for chunk in chunks:
        if chunk.init:
            decoder = LiveDecoder(chunk.data)
            continue
        for pts, frame in decoder.decode(chunk.data):
            pictures[round(pts, 3)] = frame.to_ndarray(format="rgb24")
    return pictures


def coloured(picture: np.ndarray, x: float, y: float) -> bool:
    """Whether the pixel at fractions (x, y) of the picture is an object's colour, not the grey background."""
    height, width, _ = picture.shape
    pixel = picture[min(int(y * height), height - 1), min(int(x * width), width - 1)].astype(int)
    return int(np.abs(pixel - GREY).max()) > 40


def test_each_document_is_placed_on_the_live_frame_it_describes_and_its_boxes_cover_the_objects_there(
        onvif_metadata_camera):
    camera = onvif_metadata_camera(fps=10, max_payload=300, pixel_coordinates=True)
    documents, chunks, _segments = record_for(camera.url, 8)
    pictures = live_pictures(chunks)
    placed = [doc for doc in documents if doc.pts is not None]
    # Only the first documents, sent before the video's first frame came out, are not placed.
    assert len(placed) >= 50 and len(documents) - len(placed) <= 5
    checked = 0
    for doc in placed:
        picture = pictures.get(round(doc.pts, 3))
        if picture is None:
            continue  # a frame before the live feed's first keyframe
        (frame,) = parse_metadata_stream(doc.document)
        for item in frame.objects:
            box = item.box
            # Inside the box, the object's colour; just outside its left and right edges, the background (boxes
            # are not wider than the object). A document placed a frame early or late fails this: objects move
            # several pixels a frame.
            assert coloured(picture, box.x + box.w / 2, box.y + box.h / 2), (doc.pts, item)
            for outside in (box.x - 0.01, box.x2 + 0.01):
                if 0 <= outside <= 1:
                    assert not coloured(picture, outside, box.y + box.h / 2), (doc.pts, item, outside)
            checked += 1
    assert checked >= 50


def test_documents_carry_the_wall_time_of_their_frame_in_the_recording(onvif_metadata_camera, tmp_path):
    camera = onvif_metadata_camera(fps=10)
    documents, _chunks, segments = record_for(camera.url, 7, tmp_path)
    assert segments
    frame = timedelta(seconds=0.1)
    # Wall times are told once the recording knows the camera's clock, which is soon after the first frame.
    assert sum(doc.at is not None for doc in documents) >= len(documents) - 60
    for doc in documents:
        if doc.at is None:
            continue
        inside = [s for s in segments if s.start <= doc.at < s.end]
        if inside:
            # A whole number of frames after the start of its segment: the same clock as the video's.
            steps = (doc.at - inside[0].start) / frame
            assert abs(steps - round(steps)) < 0.01, (doc.at, inside[0].start)


@pytest.mark.parametrize("options", [{"old_class_schema": True, "prefix": ""}, {"metadata_every": 3}])
def test_documents_of_other_shapes_and_rates_are_read_too(onvif_metadata_camera, options):
    camera = onvif_metadata_camera(**options)
    documents, _chunks, _segments = record_for(camera.url, 4)
    frames = [frame for doc in documents for frame in parse_metadata_stream(doc.document)]
    assert len(frames) >= (8 if options.get("metadata_every") else 25)
    assert {item.label for frame in frames for item in frame.objects} & {"person", "car"}


def test_a_camera_without_a_metadata_track_records_as_before(gst_camera, tmp_path):
    camera = gst_camera()
    documents, chunks, segments = record_for(camera.url, 4, tmp_path)
    assert documents == [] and segments and any(not chunk.init for chunk in chunks)


def test_without_being_asked_the_metadata_track_is_not_even_set_up(onvif_metadata_camera):
    camera = onvif_metadata_camera()
    documents, chunks, _segments = record_for(camera.url, 3, with_metadata=False)
    assert documents == [] and any(not chunk.init for chunk in chunks)


def test_a_camera_whose_video_stops_while_its_metadata_goes_on_has_stopped(onvif_metadata_camera):
    camera = onvif_metadata_camera(video_stops_after=2.0)
    documents: list[CameraMetadata] = []
    with pytest.raises(StreamError) as lost:
        record(camera.url, segment_path=None, on_segment=None, on_status=lambda _status: None,
               stop=threading.Event(), read_timeout=2.0, on_metadata=documents.append)
    assert lost.value.reason == "stream_lost" and "no video arrived for 2 seconds" in str(lost.value)
    # Documents kept coming after the video stopped (20 came with it), and did not keep the stream alive.
    assert len(documents) > 25
