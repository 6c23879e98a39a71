"""A camera's sound as it is recorded and sent live: AAC as the camera sends it; G.711 (mu-law, A-law) and G.726
transcoded to AAC, the only audio transcode there is. Other codecs are not recorded (UnsupportedAudio says why).

Samples are placed on the video's repaired clock by the caller; this module only copies or transcodes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import av
from av.audio.stream import AudioStream

COPIED = "aac"
# FFmpeg's decoders of the codecs transcoded to AAC (G.726 comes with its bits packed either way; RTP's is "le").
TRANSCODED = {"pcm_mulaw": "G.711 mu-law", "pcm_alaw": "G.711 A-law", "g726": "G.726", "g726le": "G.726"}
# A gap in the sound longer than this (in samples) restarts the AAC encoder, which otherwise counts time by the
# samples it was given and would drift from the video.
_ENCODER_SLACK = 1024


class UnsupportedAudio(Exception):
    """The camera's sound is in a codec that is neither stored as it is nor transcoded; str() says so in words."""


@dataclass(frozen=True)
class AudioSample:
    """One encoded AAC frame; `pts` in the audio's time base (1 / sample rate) on the recording's clock."""

    pts: int
    duration: int
    data: bytes


def audio_description(stream: AudioStream) -> str:
    """The codec's name as admins know it, e.g. "G.711 mu-law" or "AAC"."""
    name = stream.codec_context.name
    return "AAC" if name == COPIED else TRANSCODED.get(name, name.upper())


class AudioTrack:
    """Turns a camera's audio packets into AAC samples, copied or transcoded; `add_stream` adds its AAC stream to a
    container being written (segments, live fragments)."""

    def __init__(self, stream: AudioStream) -> None:
        codec = stream.codec_context
        self.codec = audio_description(stream)
        if codec.name != COPIED and codec.name not in TRANSCODED:
            raise UnsupportedAudio(f"The camera sends its sound as {self.codec}, which is not recorded (AAC, G.711 "
                                   "and G.726 are): the video is recorded without sound.")
        self.transcoded = codec.name != COPIED
        self.sample_rate = codec.sample_rate or 8000
        self.time_base = Fraction(1, self.sample_rate)
        self.stream = stream
        self._encoder: av.AudioCodecContext | None = None
        self._next_pts: int | None = None  # where the encoder's next input continues, when it has one
        self.extradata = None if self.transcoded else codec.extradata
        if self.transcoded:
            self.extradata = self._new_encoder().extradata

    def add_stream(self, container: av.container.OutputContainer):
        """Add the AAC stream the samples are muxed into."""
        if not self.transcoded:
            return container.add_stream_from_template(self.stream)
        stream = container.add_stream("aac", rate=self.sample_rate, layout="mono")
        stream.codec_context.extradata = self.extradata
        return stream

    def add(self, packet: av.Packet, pts: int) -> list[AudioSample]:
        """Take the camera's next audio packet, whose sound starts at `pts` (in this track's time base, on the
        recording's clock); return the AAC samples ready."""
        if not self.transcoded:
            return [AudioSample(pts, packet.duration or 1024, bytes(packet))]
        samples = []
        for frame in self.stream.codec_context.decode(packet):
            if self._next_pts is not None and abs(pts - self._next_pts) > _ENCODER_SLACK:
                samples += self._encode(None)
                self._new_encoder()
            frame.pts = pts
            frame.time_base = self.time_base
            self._next_pts = pts + frame.samples
            pts += frame.samples
            samples += self._encode(frame)
        return samples

    def flush(self) -> list[AudioSample]:
        """The samples the encoder still holds, at the end of the stream."""
        return self._encode(None) if self._encoder is not None else []

    def _new_encoder(self) -> av.AudioCodecContext:
        encoder = av.CodecContext.create("aac", "w")
        encoder.sample_rate = self.sample_rate
        encoder.layout = "mono"
        encoder.format = "fltp"
        encoder.time_base = self.time_base
        encoder.bit_rate = 32000
        encoder.open()
        self._encoder, self._next_pts = encoder, None
        return encoder

    def _encode(self, frame: av.AudioFrame | None) -> list[AudioSample]:
        return [AudioSample(packet.pts, packet.duration, bytes(packet)) for packet in self._encoder.encode(frame)]
