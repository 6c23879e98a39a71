"""A camera's video with its privacy masks burned in: each frame decoded, masked and encoded again as H.264.

What a masked camera's segments and live viewers get instead of the camera's own stream, so the pixels under a
mask never reach a disk or a browser. H.265 cameras come out as H.264, which browsers play.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from fractions import Fraction

import av
from av.video.frame import PictureType
from av.video.stream import VideoStream

from video.masking import Masker
from video.muxer_output import MuxerOutput
from video.timestamps import Sample

logger = logging.getLogger(__name__)

# ultrafast: 720p at 25 fps took 2.7 ms a frame to encode (7% of a core), veryfast 6.5 ms (16%) for 11% fewer
# bits once both are capped (measured on the vtest footage at 720p). CRF 23 is x264's default quality; the cap
# of 0.08 bit per pixel per frame (1.8 Mbit/s at 720p25, 4.1 at 1080p25) keeps a busy scene within what
# cameras themselves send, over a second's buffer.
PRESET = "ultrafast"
CRF = 23
MAX_BITS_PER_PIXEL = 0.08
# A keyframe at each of the camera's keyframes (segments roll over on them), and at least this often.
MAX_KEYFRAME_INTERVAL = 2.0


class MaskedStream:
    """Turns a camera's samples (after timestamp repair) into samples of the masked H.264 stream.

    Each output sample keeps the timestamps and camera clock of the frame it was made from, and is a keyframe
    where the camera's was. `stream` describes the output for muxers (`add_stream_from_template`) and
    `video.live.mime_type`: its parameter sets (avcC) are known from the start, before any frame.
    Decoding and encoding use one thread each, the caller's: `cpu_seconds` is what they and the masking took.
    """

    def __init__(self, source: VideoStream, masker: Masker, *, preset: str = PRESET, crf: int = CRF) -> None:
        self.masker = masker
        self._decoder = source.codec_context
        # The decoder's own threads would add a frame of delay each and hide their CPU from thread_time.
        self._decoder.thread_count = 1
        self._time_base = source.time_base
        self.width, self.height = self._decoder.width, self._decoder.height
        rate = source.average_rate or Fraction(25)
        bits = round(MAX_BITS_PER_PIXEL * self.width * self.height * float(rate) / 1000)  # kbit/s
        keyint = max(1, round(MAX_KEYFRAME_INTERVAL * float(rate)))
        # The encoder lives in an MP4 muxer (fragmented: its output cannot seek) that never gets a packet: opening
        # it there makes libx264 put its parameter sets in the stream's codec parameters (global header), which is
        # what the segment and live muxers copy from a template stream.
        self._parameters = av.open(MuxerOutput(), "w", format="mp4", options={"movflags": "empty_moov+frag_keyframe"})
        self.stream: VideoStream = self._parameters.add_stream(
            "libx264",
            rate=rate,
            options={
                "preset": preset,
                "tune": "zerolatency",  # no lookahead and no frame threads: one frame in, one packet out
                "crf": str(crf),
                "forced-idr": "1",  # a frame marked I becomes an IDR frame a viewer can start from
                "x264-params": (
                    f"keyint={keyint}:min-keyint=1:scenecut=0:bframes=0:vbv-maxrate={bits}:vbv-bufsize={bits}"
                ),
            },
        )
        encoder = self.stream.codec_context
        encoder.width, encoder.height, encoder.pix_fmt = self.width, self.height, "yuv420p"
        encoder.time_base = self._time_base
        encoder.thread_count = 1
        # Keep the camera's colour tags (as its SDP gave them), so players read the picture as the camera meant.
        encoder.colorspace = self._decoder.colorspace
        encoder.color_range = self._decoder.color_range
        self._parameters.start_encoding()
        # The MP4 header may have changed the stream's time base; the muxers must read packets in the camera's.
        self.stream.time_base = self._time_base
        self._encoder = encoder
        self._pending: dict[int, Sample] = {}  # by pts: the samples whose frames are in the decoder or encoder
        self._started = False
        self._cpu = 0.0
        self._skipped = 0

    @property
    def cpu_seconds(self) -> float:
        """CPU time spent so far decoding, masking (people analysis included) and encoding."""
        return self._cpu + self.masker.analysis_cpu_seconds

    def transcode(self, sample: Sample) -> list[Sample]:
        """The masked samples now ready: usually this sample's, at once; none before the camera's first keyframe
        (nothing before it decodes) and none for a frame that does not decode."""
        if not self._started:
            if not sample.is_keyframe:
                return []
            self._started = True
        started = time.thread_time()
        try:
            self._pending[sample.pts] = sample
            packet = av.Packet(sample.data)
            packet.pts, packet.dts, packet.time_base = sample.pts, sample.dts, self._time_base
            try:
                frames = self._decoder.decode(packet)
            except av.error.InvalidDataError as exc:
                # A damaged frame from the camera: leave it out. Later frames that refer to it decode with
                # artefacts and are masked all the same.
                self._skipped += 1
                if self._skipped == 1:
                    logger.warning("a frame from the camera does not decode, left out: %s", exc)
                del self._pending[sample.pts]
                return []
            return self._encode(frames)
        finally:
            self._cpu += time.thread_time() - started

    def flush(self) -> list[Sample]:
        """The samples of the frames still in the decoder and encoder, at the end of the stream."""
        if not self._started:
            return []
        started = time.thread_time()
        try:
            return self._encode(self._decoder.decode(None), final=True)
        finally:
            self._cpu += time.thread_time() - started

    def close(self) -> None:
        self._parameters.close()

    def _encode(self, frames: list[av.VideoFrame], final: bool = False) -> list[Sample]:
        packets: list[av.Packet] = []
        for frame in frames:
            source = self._pending.get(frame.pts)
            if source is None:
                continue  # a frame the decoder made up (no packet has its time): nothing to file it under
            if (frame.width, frame.height) != (self.width, self.height):
                # The camera changed its resolution: the output cannot (its parameter sets are out already).
                frame = frame.reformat(width=self.width, height=self.height)
            masked = self.masker.mask_frame(frame, at=float(source.pts * self._time_base))
            masked.pts, masked.time_base = source.pts, self._time_base
            masked.pict_type = PictureType.I if source.is_keyframe else PictureType.NONE
            packets += self._encoder.encode(masked)
        if final:
            packets += self._encoder.encode(None)
        ready = []
        for packet in packets:
            source = self._pending.pop(packet.pts, None)
            if source is None:
                continue
            # No B-frames come out: decoding order is display order, so the frame's pts serves as dts too.
            ready.append(replace(source, dts=source.pts, data=bytes(packet), is_keyframe=packet.is_keyframe))
        # Drop what the decoder will never return (it skipped a frame), so the table does not grow.
        if ready:
            last = ready[-1].pts
            for pts in [pts for pts in self._pending if pts < last]:
                del self._pending[pts]
        return ready
