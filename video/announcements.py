"""Announcements for cameras' speakers: an uploaded sound file checked and turned into 16-bit mono PCM at 8 kHz
(what a G.711 back channel carries), and the built-in chime, made of tones here so that nothing is downloaded.

Pure: no Django.
"""

from __future__ import annotations

import io

import av
import numpy as np

RATE = 8000
MAX_SECONDS = 30.0
MAX_BYTES = 10 * 1024 * 1024


class AnnouncementError(ValueError):
    """A sound file that cannot be an announcement. str() is a sentence for the admin."""


def decode_announcement(data: bytes) -> bytes:
    """The sound of an uploaded file (WAV, MP3, Ogg, FLAC, AAC, ... whatever FFmpeg reads) as s16le mono PCM at
    RATE. Raises AnnouncementError for a file that is empty, too big, not sound, silent or too long."""
    if not data:
        raise AnnouncementError("The file is empty.")
    if len(data) > MAX_BYTES:
        raise AnnouncementError(f"The file is {len(data) / 1048576:.1f} MB; an announcement file may be at most "
                                f"{MAX_BYTES // 1048576} MB.")
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    pcm = bytearray()
    try:
        with av.open(io.BytesIO(data)) as container:
            if not container.streams.audio:
                raise AnnouncementError("The file has no sound in it: upload a sound file (WAV, MP3, Ogg, FLAC).")
            for frame in container.decode(container.streams.audio[0]):
                for resampled in resampler.resample(frame):
                    pcm += resampled.to_ndarray().astype("<i2").tobytes()
                if len(pcm) > MAX_SECONDS * RATE * 2:
                    raise AnnouncementError(f"The sound is longer than {MAX_SECONDS:g} s: an announcement must be "
                                            "short.")
            for resampled in resampler.resample(None):
                pcm += resampled.to_ndarray().astype("<i2").tobytes()
    except (av.FFmpegError, UnicodeDecodeError, IndexError) as exc:
        raise AnnouncementError("This is not a sound file that can be read (WAV, MP3, Ogg, FLAC, AAC).") from exc
    samples = np.frombuffer(bytes(pcm), dtype="<i2")
    if samples.size > MAX_SECONDS * RATE:
        raise AnnouncementError(f"The sound is longer than {MAX_SECONDS:g} s: an announcement must be short.")
    if not samples.size or int(np.abs(samples.astype(np.int32)).max()) < 64:
        raise AnnouncementError("The sound is silent.")
    return samples.tobytes()


def tones(parts: list[tuple[float, float]], volume: float = 0.5) -> bytes:
    """`parts` ([(frequency Hz, seconds)], 0 Hz a pause) as s16le mono PCM at RATE, each tone faded in and out over
    10 ms so that it does not click."""
    pieces = []
    fade = int(RATE * 0.01)
    for frequency, seconds in parts:
        t = np.arange(int(RATE * seconds)) / RATE
        wave = np.sin(2 * np.pi * frequency * t) if frequency else np.zeros_like(t)
        envelope = np.ones_like(t)
        if t.size > 2 * fade:
            envelope[:fade] = np.linspace(0, 1, fade)
            envelope[-fade:] = np.linspace(1, 0, fade)
        pieces.append(wave * envelope)
    return (np.concatenate(pieces) * volume * 32767).astype("<i2").tobytes()


def recording_chime() -> bytes:
    """The built-in "you are being recorded" chime: three rising notes (C6, E6, G6), twice."""
    notes = [(1046.5, 0.25), (1318.5, 0.25), (1568.0, 0.5), (0, 0.4)]
    return tones(notes * 2)
