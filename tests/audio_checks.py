"""Sound for the talk-back tests: tones to send, and the frequency of what a camera's speaker heard."""

from __future__ import annotations

import io
import wave

import numpy as np


def tone(frequency: float, seconds: float, rate: int, volume: float = 0.5) -> bytes:
    """A sine tone as s16le mono PCM."""
    t = np.arange(int(rate * seconds)) / rate
    return (np.sin(2 * np.pi * frequency * t) * volume * 32767).astype("<i2").tobytes()


def wav_file(pcm: bytes, rate: int) -> bytes:
    """s16le mono PCM as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    return out.getvalue()


def dominant_frequency(pcm: bytes, rate: int) -> float:
    """The strongest frequency (Hz) of s16le mono PCM, to the nearest 1 Hz over its loudest second."""
    samples = np.frombuffer(pcm[:len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    if samples.size > rate:
        energy = np.convolve(samples**2, np.ones(rate), mode="valid")
        start = int(np.argmax(energy))
        samples = samples[start:start + rate]
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size), n=rate))
    return float(np.argmax(spectrum))


def loud_seconds(pcm: bytes, rate: int, threshold: int = 2000) -> float:
    """How many seconds of s16le mono PCM are louder than `threshold` (a peak in each 10 ms)."""
    samples = np.abs(np.frombuffer(pcm[:len(pcm) // 2 * 2], dtype="<i2").astype(np.int32))
    block = rate // 100
    blocks = samples[:samples.size // block * block].reshape(-1, block).max(axis=1)
    return float((blocks > threshold).sum()) / 100
