"""Stream one MP4 of a span of recorded segments, remuxed on the fly: no transcode, nothing on disk. The sound goes
with the video when the segments have it. A segment is a file's path, or a function that opens it (a store's file
read as it is read), called only when the clip comes to that segment."""

from collections.abc import Callable, Iterator
from contextlib import closing, nullcontext
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
from av.audio.stream import AudioStream
from av.video.stream import VideoStream

from video.muxer_output import MuxerOutput

SegmentSource = Path | Callable[[], BinaryIO]

# Fragmented, so the muxer never seeks back and every byte can go to the client as soon as it is written.
_MUX_OPTIONS = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}


def iter_clip(
    segments: list[SegmentSource], start_offset: float, end: float, chunk_size: int = 256 * 1024
) -> Iterator[bytes]:
    """Yield one fragmented MP4 of consecutive segments, from `start_offset` to `end` seconds after the start
    of the first segment, as the muxer writes it.

    The segments are laid back to back (gaps between them are left out) with continuous timestamps. The
    clip starts at the last keyframe at or before `start_offset` and stops before the first keyframe at or
    after `end`, or at the end of the data. Raises ValueError when the span holds no video.

    The sound is in the clip when the first segment has some: from the clip's first frame on, each segment's where
    it has any (sound that overlaps the next segment's is left out there).
    """
    chunks = MuxerOutput()
    with av.open(chunks, "w", format="mp4", options=_MUX_OPTIONS) as output:
        stream = sound = None
        origin = None
        last_sound = -1
        for packet, dts, pts, video, audio in _packets_in_span(segments, Fraction(start_offset), Fraction(end)):
            if stream is None:
                stream = output.add_stream_from_template(video)
                stream.time_base = video.time_base
                if audio is not None:
                    sound = output.add_stream_from_template(audio)
                    sound.time_base = audio.time_base
                origin = dts
            if packet.stream.type == "audio":
                if sound is None:
                    continue
                packet.stream, packet.time_base = sound, sound.time_base
                packet.dts = packet.pts = round((dts - origin) / sound.time_base)
                if packet.dts <= last_sound:
                    continue
                last_sound = packet.dts
                output.mux(packet)
                continue
            packet.stream = stream
            packet.time_base = stream.time_base
            packet.dts = round((dts - origin) / stream.time_base)
            packet.pts = round((pts - origin) / stream.time_base)
            output.mux(packet)
            if len(chunks.buffer) >= chunk_size:
                yield chunks.take()
        if stream is None:
            raise ValueError("no recorded video in this span")
    if chunks.buffer:
        yield chunks.take()


def clip_lead(segments: list[SegmentSource], start_offset: float) -> float:
    """How many seconds before `start_offset` the clip iter_clip makes really starts (at the keyframe before it)."""
    for packet, dts, *_ in _packets_in_span(segments, Fraction(start_offset), Fraction(start_offset)):
        if packet.stream.type == "video":
            return max(0.0, start_offset - float(dts))
    raise ValueError("no recorded video in this span")


def _packets_in_span(
    segments: list[SegmentSource], start_offset: Fraction, end: Fraction
) -> Iterator[tuple[av.Packet, Fraction, Fraction, VideoStream, AudioStream | None]]:
    """Yield (packet, dts, pts, the segment's video, its sound or None) of the span, times in seconds since the first
    segment's start; sound from the first frame yielded on (its keyframe), placed by the video's first dts."""
    segment_start = Fraction(0)
    opening_gop: list[tuple[av.Packet, Fraction, Fraction]] = []  # from the last keyframe before the start, with sound
    started = False
    for index, source in enumerate(segments):
        # FFmpeg reads a path itself; a file object it reads through Python, which closes it afterwards.
        with (nullcontext(str(source)) if isinstance(source, Path) else closing(source())) as file, \
                av.open(file) as container:
            # Yielded with every packet, even earlier segments' ones, because the output stream is made
            # from it and a closed container's stream must not be used.
            video = container.streams.video[0]
            audio = container.streams.audio[0] if container.streams.audio else None
            first_dts = None
            segment_end = segment_start
            for packet in container.demux(video, *([audio] if audio is not None else [])):
                if packet.size == 0:
                    continue
                if packet.stream is audio:
                    if first_dts is None:
                        continue
                    at = segment_start + packet.pts * audio.time_base - first_dts * video.time_base
                    if started:
                        yield packet, at, at, video, audio
                    elif opening_gop and at >= opening_gop[0][1]:
                        opening_gop.append((packet, at, at))
                    continue
                if first_dts is None:
                    first_dts = packet.dts
                dts = segment_start + (packet.dts - first_dts) * video.time_base
                pts = segment_start + (packet.pts - first_dts) * video.time_base
                segment_end = dts + (packet.duration or 0) * video.time_base
                if not started and dts <= start_offset:
                    if packet.is_keyframe:
                        opening_gop = []
                    if packet.is_keyframe or opening_gop:
                        opening_gop.append((packet, dts, pts))
                    continue
                if not started:
                    started = True
                    for early in opening_gop:
                        yield (*early, video, audio)
                if packet.is_keyframe and dts >= end:
                    return
                yield packet, dts, pts, video, audio
            if not started and index == len(segments) - 1 and start_offset < segment_end:
                # The span starts in the recording's last GOP.
                for early in opening_gop:
                    yield (*early, video, audio)
            segment_start = segment_end
