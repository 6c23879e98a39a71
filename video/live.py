"""Live video for browsers: a camera's frames remuxed into an fMP4 init segment and one fragment per frame.

Media Source Extensions take the init segment once and then each fragment as it comes, so a frame can
be shown as soon as it arrives; a viewer joining late gets the init segment and the fragments since the
last keyframe. Stream copy only: nothing is decoded.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av
from av.video.stream import VideoStream

from video.muxer_output import MuxerOutput
from video.parameter_sets import PictureFormat, apply_picture_format
from video.timestamps import Sample

# One fragment per frame (frag_every_frame) instead of one per keyframe: that is what keeps latency low.
_MUX_OPTIONS = {"movflags": "empty_moov+default_base_moof+frag_every_frame"}


@dataclass(frozen=True)
class LiveChunk:
    """The init segment (`init` True, with the stream's MSE `mime` type) or one frame's fragment."""

    data: bytes
    init: bool
    keyframe: bool
    mime: str = ""


def mime_type(video: VideoStream) -> str:
    """The MSE type of the stream, e.g. video/mp4; codecs="avc1.42C01F" (profile, constraints, level)."""
    codec = video.codec_context
    extradata = codec.extradata or b""
    name = codec.codec.canonical_name  # "h264" for a camera's stream and for our own encoder (libx264) alike
    if name == "h264":
        if len(extradata) >= 4 and extradata[0] == 1:  # avcC: version, profile, constraints, level
            profile = extradata[1:4]
        else:
            profile = _sps_from_annex_b(extradata) or bytes([0x42, 0xC0, 0x1F])
        return f'video/mp4; codecs="avc1.{profile.hex().upper()}"'
    return f'video/mp4; codecs="{name}"'


def _sps_from_annex_b(extradata: bytes) -> bytes | None:
    """Profile, constraints and level from the SPS in Annex B extradata (00 00 01 start codes)."""
    for start in (i for i in range(len(extradata) - 4) if extradata[i : i + 3] == b"\0\0\1"):
        if extradata[start + 3] & 0x1F == 7 and start + 7 <= len(extradata):
            return extradata[start + 4 : start + 7]
    return None


class LiveMuxer:
    """Feeds `on_chunk` with the init segment, then a fragment per sample; starts at the first keyframe.

    The MP4 muxer writes a frame's fragment when the next frame arrives (it needs the duration), so each
    fragment lags its frame by one frame interval."""

    def __init__(self, video: VideoStream, on_chunk: Callable[[LiveChunk], None]) -> None:
        self.mime = mime_type(video)
        self._video = video
        self._on_chunk = on_chunk
        self._output_buffer = MuxerOutput()
        self._output: av.container.OutputContainer | None = None
        self._stream = None
        self._first_dts = 0
        self._init = b""
        self._moof = b""
        self._keyframes: deque[bool] = deque()  # of the samples whose fragments are not out yet
        self._picture: PictureFormat | None = None  # when the camera changed it since it was opened

    def change_picture(self, picture: PictureFormat) -> None:
        """The camera changed its picture format (another resolution): end the fragments of the old one; the
        next keyframe starts with an init segment that says the new one, and viewers start over with it."""
        self.close()
        self._picture = picture
        self._init = b""

    def add(self, sample: Sample) -> None:
        if self._output is None:
            if not sample.is_keyframe:
                return
            self._output = av.open(self._output_buffer, "w", format="mp4", options=_MUX_OPTIONS)
            self._stream = self._output.add_stream_from_template(self._video)
            if self._picture is not None:
                apply_picture_format(self._stream, self._picture)
                self.mime = mime_type(self._stream)
            self._first_dts = sample.dts
        packet = av.Packet(sample.data)
        packet.dts = sample.dts - self._first_dts
        packet.pts = sample.pts - self._first_dts
        packet.duration = sample.duration
        packet.time_base = self._video.time_base
        packet.is_keyframe = sample.is_keyframe
        packet.stream = self._stream
        self._keyframes.append(sample.is_keyframe)
        self._output.mux(packet)
        self._hand_on()

    def media_seconds(self, pts: int) -> float | None:
        """Where a moment of the stream (pts in its time base, as the samples given to `add`) is in the live
        fragments' media time, which viewers and overlays go by; None before the first fragment."""
        if self._output is None:
            return None
        return float((pts - self._first_dts) * self._video.time_base)

    def _hand_on(self) -> None:
        for kind, box in self._output_buffer.take_boxes():
            if kind in (b"ftyp", b"moov"):
                self._init += box
                if kind == b"moov":
                    self._on_chunk(LiveChunk(self._init, init=True, keyframe=False, mime=self.mime))
            elif kind == b"moof":
                self._moof = box
            elif kind == b"mdat":
                self._on_chunk(LiveChunk(self._moof + box, init=False, keyframe=self._keyframes.popleft()))

    def close(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None
            self._hand_on()
