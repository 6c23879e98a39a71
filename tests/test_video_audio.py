"""video.audio on sound files made here: G.711 and G.726 transcoded to AAC on the clock they were given, AAC copied,
other codecs refused in words."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from video.audio import AudioTrack, UnsupportedAudio

RATE = 8000
PACKET = 160  # samples: 20 ms, as G.711 cameras send


def sound_file(path: Path, codec: str, seconds: float = 2.0, rate: int = RATE) -> Path:
    """`seconds` of noise encoded in `codec`, in packets of PACKET samples."""
    with av.open(str(path), "w") as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        if codec == "g726":
            stream.codec_context.bit_rate = 32000
        noise = np.random.default_rng(1)
        for index in range(int(seconds * rate / PACKET)):
            samples = (noise.standard_normal((1, PACKET)) * 3000).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            frame.sample_rate, frame.pts = rate, index * PACKET
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return path


def recorded(path: Path, shift: int = 0, gap_after: int | None = None, gap: int = 0) -> tuple[AudioTrack, list]:
    """The file's packets through an AudioTrack, each at its own pts plus `shift` (plus `gap` after packet
    `gap_after`, as sound lost on the way)."""
    samples = []
    with av.open(str(path)) as container:
        track = AudioTrack(container.streams.audio[0])
        for index, packet in enumerate(container.demux(container.streams.audio[0])):
            if packet.size == 0:
                continue
            pts = round(packet.pts * packet.time_base / track.time_base) + shift
            if gap_after is not None and index > gap_after:
                pts += gap
            samples += track.add(packet, pts)
        samples += track.flush()
    return track, samples


@pytest.mark.parametrize(("codec", "words"), [("pcm_mulaw", "G.711 mu-law"), ("pcm_alaw", "G.711 A-law"),
                                              ("g726", "G.726")])
def test_g711_and_g726_become_aac_on_the_clock_they_were_given(tmp_path, codec, words):
    track, samples = recorded(sound_file(tmp_path / "sound.wav", codec), shift=4000)
    assert track.transcoded and track.codec == words and track.time_base == Fraction(1, RATE)
    frames = [sample.pts for sample in samples if sample.pts >= 4000]
    # AAC frames of 1024 samples, from where the sound was placed (the encoder's priming frame before it).
    assert frames[0] == 4000 and all(b - a == 1024 for a, b in zip(frames, frames[1:], strict=False))
    assert (frames[-1] + 1024 - 4000) / RATE == pytest.approx(2.0, abs=0.2)
    decoder = av.CodecContext.create("aac", "r")
    decoder.extradata = track.extradata
    decoded = [frame for sample in samples for frame in decoder.decode(av.Packet(sample.data))]
    assert decoded and decoded[0].sample_rate == RATE


def test_sound_lost_on_the_way_restarts_the_encoder_so_the_aac_keeps_the_clock(tmp_path):
    path = sound_file(tmp_path / "sound.wav", "pcm_mulaw")
    with av.open(str(path)) as container:
        resumed = [packet.pts for packet in container.demux(container.streams.audio[0]) if packet.size][11]
    _, samples = recorded(path, gap_after=10, gap=RATE)
    times = [sample.pts for sample in samples]
    jump = next(b for a, b in zip(times, times[1:], strict=False) if b - a > 1024)
    # The sound after the gap starts where it was placed, one second later (less the new encoder's priming frame),
    # not where counting its samples would put it.
    assert jump == resumed + RATE - 1024


def test_aac_is_copied_as_it_is(tmp_path):
    path = sound_file(tmp_path / "sound.mp4", "aac", rate=16000)
    with av.open(str(path)) as container:
        sent = [bytes(packet) for packet in container.demux(container.streams.audio[0]) if packet.size]
    track, samples = recorded(path)
    assert not track.transcoded and track.codec == "AAC"
    assert [sample.data for sample in samples] == sent


def test_other_codecs_are_refused_in_words(tmp_path):
    with av.open(str(sound_file(tmp_path / "sound.mp2", "mp2", rate=16000))) as container:
        with pytest.raises(UnsupportedAudio, match="MP2, which is not recorded"):
            AudioTrack(container.streams.audio[0])
