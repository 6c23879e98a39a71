"""Live video for browsers: a camera's frames remuxed into an fMP4 init segment and one fragment per frame.

Media Source Extensions take the init segment once and then each fragment as it comes, so a frame can
be shown as soon as it arrives; a viewer joining late gets the init segment and the fragments since the
last keyframe. Stream copy only: nothing is decoded. The camera's sound, when it is recorded, goes in the same
fragmented MP4 as a second track (AAC, see video.audio), its fragments sent with the next video frame's.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import av
from av.video.stream import VideoStream

from video.audio import AudioSample, AudioTrack
from video.muxer_output import MuxerOutput
from video.parameter_sets import PictureFormat, apply_picture_format
from video.sample_packets import sample_packet
from video.timestamps import Sample

# One fragment per frame (frag_every_frame) instead of one per keyframe: that is what keeps latency low.
_MUX_OPTIONS = {"movflags": "empty_moov+default_base_moof+frag_every_frame"}
# With sound, a fragment per sample of either track by a fragment duration of 1 us: with frag_every_frame, FFmpeg's
# muxer gives two fragments of sound in a row the same start time (tfdt; seen with PyAV 18's FFmpeg), and players
# would play them over each other.
_MUX_OPTIONS_WITH_SOUND = {"movflags": "empty_moov+default_base_moof", "frag_duration": "1"}


@dataclass(frozen=True)
class LiveChunk:
    """The init segment (`init` True, with the stream's MSE `mime` type, and whether it has sound) or one frame's
    fragment (of the video or the sound). A `backlog` fragment is of a frame from before fragments were wanted (see
    LiveMuxer): a new viewer starts with it, but it is not live."""

    data: bytes
    init: bool
    keyframe: bool
    mime: str = ""
    audio: bool = False
    backlog: bool = False


# AAC-LC, the only sound the recorder keeps.
AAC_CODEC = "mp4a.40.2"


def mime_type(video: VideoStream, audio: bool = False) -> str:
    """The MSE type of the stream, e.g. video/mp4; codecs="avc1.42C01F" (profile, constraints, level), with
    ", mp4a.40.2" when it has sound."""
    codecs = _video_codec(video) + (f", {AAC_CODEC}" if audio else "")
    return f'video/mp4; codecs="{codecs}"'


def _video_codec(video: VideoStream) -> str:
    codec = video.codec_context
    extradata = codec.extradata or b""
    name = codec.codec.canonical_name  # "h264" for a camera's stream and for our own encoder (libx264) alike
    if name == "h264":
        if len(extradata) >= 4 and extradata[0] == 1:  # avcC: version, profile, constraints, level
            profile = extradata[1:4]
        else:
            profile = _sps_from_annex_b(extradata) or bytes([0x42, 0xC0, 0x1F])
        return f"avc1.{profile.hex().upper()}"
    return name


def _sps_from_annex_b(extradata: bytes) -> bytes | None:
    """Profile, constraints and level from the SPS in Annex B extradata (00 00 01 start codes)."""
    for start in (i for i in range(len(extradata) - 4) if extradata[i : i + 3] == b"\0\0\1"):
        if extradata[start + 3] & 0x1F == 7 and start + 7 <= len(extradata):
            return extradata[start + 4 : start + 7]
    return None


class LiveMuxer:
    """Feeds `on_chunk` with the init segment, then a fragment per sample; starts at the first keyframe.

    The MP4 muxer writes a frame's fragment when the next frame arrives (it needs the duration), so each
    fragment lags its frame by one frame interval. With `audio`, add_audio takes the sound's AAC samples.

    With `wanted` (asked at each frame), fragments are made only while it says someone wants them: remuxing every
    frame of a camera nobody watches was the recorder's largest cost. Meanwhile the samples since the last keyframe
    are kept (the camera's packets themselves, not copies), so that once wanted the muxer starts at once with that
    keyframe and the frames since (their fragments marked `backlog`): a viewer still starts at once, on a new init
    segment."""

    def __init__(self, video: VideoStream, on_chunk: Callable[[LiveChunk], None],
                 audio: AudioTrack | None = None, wanted: Callable[[], bool] | None = None) -> None:
        self.mime = mime_type(video, audio is not None)
        self._video = video
        self._audio = audio
        self._audio_stream = None
        self._last_audio_pts: int | None = None
        self._on_chunk = on_chunk
        self._wanted = wanted
        self._gop: list[Sample] = []  # with `wanted`: the samples from the last keyframe on
        self._output_buffer = MuxerOutput()
        self._output: av.container.OutputContainer | None = None
        self._stream = None
        self._video_track = 1  # the MP4 track ID of the video
        self._first_dts = 0
        self._init = b""
        self._moof = b""
        self._sound = bytearray()  # fragments of sound waiting for the next video fragment
        # Whether each sample whose fragment is not out yet is a keyframe, and of the backlog.
        self._pending: deque[tuple[bool, bool]] = deque()
        self._picture: PictureFormat | None = None  # when the camera changed it since it was opened

    def change_picture(self, picture: PictureFormat) -> None:
        """The camera changed its picture format (another resolution): end the fragments of the old one; the
        next keyframe starts with an init segment that says the new one, and viewers start over with it."""
        self.close()
        self._picture = picture
        self._gop = []

    def add(self, sample: Sample) -> None:
        if self._wanted is not None:
            if sample.is_keyframe:
                self._gop = [sample]
            elif self._gop:
                self._gop.append(sample)
            if not self._wanted():
                self.close()
                return
        if self._output is None:
            start = self._gop or ([sample] if sample.is_keyframe else [])
            if not start:
                return  # a fragmented MP4 starts with a keyframe
            self._open(start[0].dts)
            for early in start[:-1]:
                self._mux(early, backlog=True)
        self._mux(sample)

    def _open(self, first_dts: int) -> None:
        options = _MUX_OPTIONS_WITH_SOUND if self._audio is not None else _MUX_OPTIONS
        self._output = av.open(self._output_buffer, "w", format="mp4", options=options)
        self._stream = self._output.add_stream_from_template(self._video)
        self._video_track = self._stream.index + 1
        if self._picture is not None:
            apply_picture_format(self._stream, self._picture)
            self.mime = mime_type(self._stream, self._audio is not None)
        if self._audio is not None:
            self._audio_stream = self._audio.add_stream(self._output)
            self._last_audio_pts = None
            self._sound = bytearray()
        self._first_dts = first_dts
        self._init = b""

    def _mux(self, sample: Sample, backlog: bool = False) -> None:
        self._pending.append((sample.is_keyframe, backlog))
        self._output.mux(sample_packet(sample, self._stream, self._video.time_base, self._first_dts))
        self._hand_on()

    def add_audio(self, sample: AudioSample) -> None:
        """Send a sample of the sound (its pts on the same clock as the video samples'); sound from before the first
        video fragment is left out."""
        if self._output is None or self._audio_stream is None:
            return
        pts = sample.pts - round(self._first_dts * self._video.time_base / self._audio.time_base)
        if pts < 0 or (self._last_audio_pts is not None and pts <= self._last_audio_pts):
            return
        packet = av.Packet(sample.data)
        packet.dts = packet.pts = pts
        packet.duration = sample.duration
        packet.time_base = self._audio.time_base
        packet.stream = self._audio_stream
        self._last_audio_pts = pts
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
                    self._on_chunk(LiveChunk(self._init, init=True, keyframe=False, mime=self.mime,
                                             audio=self._audio is not None))
            elif kind == b"moof":
                self._moof = box
            elif kind == b"mdat":
                # One sample per fragment: a video frame (in the order they were muxed) or a frame of sound. The
                # sound's fragments go out with the next video frame's, in one chunk: a third of the messages to
                # each viewer at 48 kHz, for at most a frame interval more latency of the sound.
                if _track_of(self._moof) != self._video_track:
                    self._sound += self._moof + box
                    continue
                data, self._sound = bytes(self._sound) + self._moof + box, bytearray()
                keyframe, backlog = self._pending.popleft()
                self._on_chunk(LiveChunk(data, init=False, keyframe=keyframe, backlog=backlog))

    def close(self) -> None:
        if self._output is not None:
            self._output.close()
            self._output = None
            self._hand_on()


def _track_of(moof: bytes) -> int:
    """The track ID of a fragment's first track fragment (moof > traf > tfhd)."""
    offset = 8
    while offset + 8 <= len(moof):
        size, kind = int.from_bytes(moof[offset : offset + 4], "big"), moof[offset + 4 : offset + 8]
        if kind == b"traf":
            # traf's first box is its tfhd: size, type, version and flags, then the track ID.
            return int.from_bytes(moof[offset + 20 : offset + 24], "big")
        offset += max(size, 8)
    return 0
