"""record() with privacy masks on live RTSP stand-ins: every stored segment and every live fragment carries only
masked pixels, segments stay whole and contiguous, masks changed mid-recording apply at once, H.265 comes out as
H.264, and the transcode's CPU is reported."""

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import av
import numpy as np
import pytest

from tests.standins.rtsp_servers import GstCamera
from tests.test_video_masking import signed_distance
from tests.test_video_recording import Recording
from tests.test_video_segments import assert_valid_segment
from video.live import LiveChunk
from video.masking import Masker, PrivacyMask

pytest_plugins = ["tests.standins.fixtures"]
pytestmark = [pytest.mark.rtsp, pytest.mark.slow]

SECONDS_BEFORE_CHANGE = 8
SECONDS_AFTER_CHANGE = 8
WIDTH, HEIGHT = 1280, 720  # of h264_clip, whose frames show their number at the bottom left
# Over the frame number (black text on a colour ramp, crossed by a white bar every two seconds).
NUMBER = ((0.03, 0.74), (0.40, 0.74), (0.42, 0.85), (0.38, 0.96), (0.03, 0.96))
# Upper middle, where the bar crosses: sharp edges for a mosaic to destroy.
MIDDLE = ((0.30, 0.10), (0.70, 0.10), (0.70, 0.45), (0.30, 0.45))
# Added by the change, upper right.
CORNER = ((0.75, 0.05), (0.95, 0.05), (0.95, 0.35), (0.75, 0.35))
# Colours well inside what YUV holds (a pure primary may come back a few levels off after the round trip), and
# far from the clip's ramp, whose red is 90 throughout.
RED, PURPLE, YELLOW, ORANGE = (40, 40, 200), (180, 60, 160), (40, 200, 210), (40, 140, 240)
# The H.265 camera shows a ball bouncing about on black: the left half is masked.
HALF = ((0, 0), (0.5, 0), (0.5, 1), (0, 1))
BEFORE = [PrivacyMask(NUMBER, "solid", RED), PrivacyMask(MIDDLE, "mosaic")]
AFTER = [PrivacyMask(NUMBER, "solid", PURPLE), PrivacyMask(MIDDLE, "mosaic"), PrivacyMask(CORNER, "solid", YELLOW)]
# H.264 of a flat area is exact to a few levels except near its edge: a 4x4 chroma block spans 8 px of the
# picture, and chroma upsampling and the deblocking filter reach a little further. Over 600 frames with the masks
# changed 12 times, pixels 10-12 px in were off by up to 5, pixels 12 px or more in by 3 at most.
TOLERANCE = 3
EDGE = 12
MOSAIC_BLOCK = WIDTH // 40


class WatchedMasker(Masker):
    """A Masker that notes the media time of each frame it masks."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.times: list[float] = []

    def mask_frame(self, frame: av.VideoFrame, at: float | None = None) -> av.VideoFrame:
        self.times.append(at)
        return super().mask_frame(frame, at)


@dataclass
class MaskedRecording:
    run: Recording
    masker: WatchedMasker
    live: list[LiveChunk] = field(default_factory=list)
    # Frames masked when masks.set was called and when it had returned: the frames in between may have either.
    changed_between: tuple[int, int] = (0, 0)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory, h264_clip, file_rtsp_server) -> Iterator[dict[str, MaskedRecording]]:
    """The clip from the RTSP file server and a live H.265 camera, recorded with masks at once; the clip's
    masks are changed half way."""
    out = tmp_path_factory.mktemp("masked")
    with GstCamera("/h265", codec="h265") as h265:
        recordings = {
            "clip": MaskedRecording(
                Recording(file_rtsp_server.url_for(h264_clip), out / "clip"), WatchedMasker(BEFORE)
            ),
            "h265": MaskedRecording(
                Recording(h265.url, out / "h265"), WatchedMasker([PrivacyMask(HALF, "solid", ORANGE)])
            ),
        }
        for recording in recordings.values():
            recording.run.start(masker=recording.masker, on_live=recording.live.append)
        time.sleep(SECONDS_BEFORE_CHANGE)
        clip = recordings["clip"]
        masked_before = len(clip.masker.times)
        clip.masker.set(AFTER)
        clip.changed_between = (masked_before, len(clip.masker.times))
        time.sleep(SECONDS_AFTER_CHANGE)
        for recording in recordings.values():
            recording.run.stop.set()
        for recording in recordings.values():
            recording.run.finish()
    yield recordings
    for recording in recordings.values():
        recording.masker.close()


def segment_frames(recording: MaskedRecording) -> Iterator[av.VideoFrame]:
    for segment in recording.run.segments:
        with av.open(str(segment.path)) as container:
            yield from container.decode(video=0)


def live_frames(recording: MaskedRecording) -> Iterator[av.VideoFrame]:
    """The live feed as a viewer's player gets it: the init segment, then every fragment."""
    chunks = recording.live
    assert chunks and chunks[0].init and not any(chunk.init for chunk in chunks[1:])
    with av.open(io.BytesIO(b"".join(chunk.data for chunk in chunks))) as container:
        yield from container.decode(video=0)


class Regions:
    """The pixels surely inside each mask of the clip (EDGE px off their outline)."""

    def __init__(self) -> None:
        self.number = signed_distance(NUMBER, WIDTH, HEIGHT) > EDGE
        self.corner = signed_distance(CORNER, WIDTH, HEIGHT) > EDGE
        inside_middle = signed_distance(MIDDLE, WIDTH, HEIGHT) > 0
        b = MOSAIC_BLOCK
        # Whole mosaic blocks inside the mask, less the 4 px next to their neighbours that the codec blurs.
        self.blocks = [
            (slice(y + 4, y + b - 4), slice(x + 4, x + b - 4))
            for y in range(0, HEIGHT - b + 1, b)
            for x in range(0, WIDTH - b + 1, b)
            if inside_middle[y : y + b, x : x + b].all()
        ]

    def setting(self, image: np.ndarray) -> str:
        """Which masks the picture carries, "before" or "after" the change; fails on anything else."""
        number = np.abs(image[self.number] - np.array(RED)).max()
        if number <= TOLERANCE:
            assert np.abs(image[self.corner] - np.array(YELLOW)).max() > 50, "the corner is masked before the change"
            found = "before"
        else:
            assert np.abs(image[self.number] - np.array(PURPLE)).max() <= TOLERANCE, "the frame number shows"
            assert np.abs(image[self.corner] - np.array(YELLOW)).max() <= TOLERANCE, "the added mask is missing"
            found = "after"
        detail = max(image[rows, cols].reshape(-1, 3).std(axis=0).max() for rows, cols in self.blocks)
        assert detail < 2, f"detail under the mosaic (std {detail:.1f} within a block)"
        return found


@pytest.fixture(scope="module")
def regions() -> Regions:
    return Regions()


@pytest.fixture(scope="module")
def detail_under_the_masks(h264_clip, regions) -> None:
    """Checks that, unmasked, the areas masked are neither flat nor the masks' colours: else the checks of the
    recordings would prove nothing."""
    with av.open(str(h264_clip)) as container:
        images = [
            frame.to_ndarray(format="bgr24").astype(int)
            for index, frame in enumerate(container.decode(video=0))
            if index % 10 == 0
        ]
    assert all(np.abs(image[regions.number] - np.array(RED)).max() > 100 for image in images)
    assert max(image[r, c].reshape(-1, 3).std(axis=0).max() for image in images for r, c in regions.blocks) > 50


@pytest.mark.parametrize("feed", ["segments", "live"])
def test_only_masked_pixels_are_stored_and_sent_and_a_change_applies_from_the_next_frame(
    recordings, regions, detail_under_the_masks, feed
):
    recording = recordings["clip"]
    assert recording.run.error is None, str(recording.run.error)
    frames = segment_frames(recording) if feed == "segments" else live_frames(recording)
    settings = []
    times = []
    for frame in frames:
        settings.append(regions.setting(frame.to_ndarray(format="bgr24").astype(int)))
        times.append(frame.time)
    assert len(settings) > 20 * (SECONDS_BEFORE_CHANGE + SECONDS_AFTER_CHANGE) * 0.5
    changed = settings.index("after")
    assert settings == ["before"] * changed + ["after"] * (len(settings) - changed), "the masks flicker"
    if feed == "live":
        # The live feed starts at the first frame masked and keeps the camera's timestamps: its frames are the
        # masked frames, one for one (but the last, which only the segment gets at the end), so the change's
        # media time can be read off the masker.
        masked_at = recording.masker.times
        assert len(masked_at) - 1 <= len(times) <= len(masked_at)
        assert all(abs(t - (at - masked_at[0])) < 0.002 for t, at in zip(times, masked_at, strict=False))
        masked_before, masked_after = recording.changed_between
        assert masked_before - 1 <= changed <= masked_after
        assert masked_at[changed] - masked_at[masked_before - 1] <= 1.0


@pytest.mark.parametrize("source", ["clip", "h265"])
def test_masked_segments_are_whole_contiguous_h264(recordings, source):
    run = recordings[source].run
    assert run.error is None, str(run.error)
    assert len(run.segments) >= 3
    for segment in run.segments:
        assert_valid_segment(segment)
        with av.open(str(segment.path)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
    for before, after in zip(run.segments, run.segments[1:], strict=False):
        assert before.end == after.start
    assert recordings[source].live[0].mime.startswith('video/mp4; codecs="avc1.')


def test_an_h265_camera_with_a_mask_comes_out_masked(recordings):
    recording = recordings["h265"]
    inside = signed_distance(HALF, 640, 360) > EDGE  # GstCamera's picture
    for frames in (segment_frames(recording), live_frames(recording)):
        count = 0
        for frame in frames:
            image = frame.to_ndarray(format="bgr24").astype(int)
            assert np.abs(image[inside] - np.array(ORANGE)).max() <= TOLERANCE
            count += 1
        assert count > 0


@pytest.mark.parametrize("source", ["clip", "h265"])
def test_the_masking_cost_is_reported_with_the_status(recordings, source):
    opened, *measured = recordings[source].run.statuses
    assert opened.masking_cost is None
    assert measured and all(status.masking_cost > 0 for status in measured)
    assert opened.codec == ("hevc" if source == "h265" else "h264")  # the camera's own, as before
