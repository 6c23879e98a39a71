"""Decode the live feed (fMP4 init segment + one fragment per frame) back into pictures, for the analytics.

The analytics follow the recorder's live feed instead of opening a second RTSP session to the camera. The
fragments' own timestamps are kept, so each picture's time is the media time a browser shows it at.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import av

_CODECS = {b"avc1": "h264", b"avc3": "h264", b"hvc1": "hevc", b"hev1": "hevc"}
_CONFIG_BOXES = (b"avcC", b"hvcC")
_VISUAL_SAMPLE_ENTRY_FIELDS = 78  # bytes between a visual sample entry's header and its child boxes
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf"}


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of each ISO-BMFF box in data[start:end]."""
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, start)
        header = 8
        if size == 1:
            size, header = struct.unpack_from(">Q", data, start + 8)[0], 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            raise ValueError(f"truncated MP4 box {kind!r}")
        yield kind, start + header, start + size
        start += size


def _find(data: bytes, path: list[bytes], start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    for kind, payload, box_end in boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                return payload, box_end
            found = _find(data, path[1:], payload, box_end)
            if found:
                return found
    return None


@dataclass(frozen=True)
class LiveTrack:
    codec: str
    extradata: bytes
    timescale: int
    width: int
    height: int


def parse_init(init: bytes) -> LiveTrack:
    """The codec, its configuration and the timescale from an init segment (ftyp + moov)."""
    mdhd = _find(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    stsd = _find(init, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
    if mdhd is None or stsd is None:
        raise ValueError("not an MP4 init segment")
    version = init[mdhd[0]]
    timescale = struct.unpack_from(">I", init, mdhd[0] + (20 if version == 1 else 12))[0]
    for kind, payload, end in boxes(init, stsd[0] + 8, stsd[1]):
        if kind in _CODECS:
            width, height = struct.unpack_from(">HH", init, payload + 24)
            for child, child_payload, child_end in boxes(init, payload + _VISUAL_SAMPLE_ENTRY_FIELDS, end):
                if child in _CONFIG_BOXES:
                    return LiveTrack(_CODECS[kind], init[child_payload:child_end], timescale, width, height)
        raise ValueError(f"unsupported sample entry {kind!r}")
    raise ValueError("no video sample entry")


@dataclass(frozen=True)
class LiveSample:
    pts: int  # in the track's timescale
    keyframe: bool
    data: bytes


def parse_fragment(fragment: bytes) -> list[LiveSample]:
    """The samples of a fragment (moof + mdat), with presentation times from tfdt and the trun offsets."""
    moof = _find(fragment, [b"moof"])
    traf = _find(fragment, [b"moof", b"traf"])
    mdat = _find(fragment, [b"mdat"])
    if moof is None or traf is None or mdat is None:
        raise ValueError("not an MP4 fragment")
    moof_start = moof[0] - 8
    default_duration = default_size = default_flags = 0
    decode_time = 0
    samples: list[LiveSample] = []
    for kind, payload, _end in boxes(fragment, *traf):
        flags = int.from_bytes(fragment[payload + 1 : payload + 4], "big")
        if kind == b"tfhd":
            offset = payload + 8 + (8 if flags & 0x1 else 0) + (4 if flags & 0x2 else 0)
            if flags & 0x8:
                default_duration = struct.unpack_from(">I", fragment, offset)[0]
                offset += 4
            if flags & 0x10:
                default_size = struct.unpack_from(">I", fragment, offset)[0]
                offset += 4
            if flags & 0x20:
                default_flags = struct.unpack_from(">I", fragment, offset)[0]
        elif kind == b"tfdt":
            version = fragment[payload]
            decode_time = struct.unpack_from(">Q" if version == 1 else ">I", fragment, payload + 4)[0]
        elif kind == b"trun":
            version = fragment[payload]
            count = struct.unpack_from(">I", fragment, payload + 4)[0]
            offset = payload + 8
            data_at = mdat[0]
            if flags & 0x1:
                data_at = moof_start + struct.unpack_from(">i", fragment, offset)[0]
                offset += 4
            first_flags = None
            if flags & 0x4:
                first_flags = struct.unpack_from(">I", fragment, offset)[0]
                offset += 4
            for index in range(count):
                duration, size, sample_flags, cts = default_duration, default_size, default_flags, 0
                if flags & 0x100:
                    duration = struct.unpack_from(">I", fragment, offset)[0]
                    offset += 4
                if flags & 0x200:
                    size = struct.unpack_from(">I", fragment, offset)[0]
                    offset += 4
                if flags & 0x400:
                    sample_flags = struct.unpack_from(">I", fragment, offset)[0]
                    offset += 4
                if flags & 0x800:
                    cts = struct.unpack_from(">i" if version == 1 else ">I", fragment, offset)[0]
                    offset += 4
                if index == 0 and first_flags is not None:
                    sample_flags = first_flags
                keyframe = not sample_flags & 0x10000  # sample_is_non_sync_sample
                samples.append(LiveSample(decode_time + cts, keyframe, fragment[data_at : data_at + size]))
                data_at += size
                decode_time += duration
    return samples


class LiveClock:
    """Where a live stream is in media time, from its fragments' timestamps alone (nothing is decoded): what a
    camera's metadata, which arrives by another way, is drawn against. Make it with the init segment."""

    # A fragment older than this (seconds) no longer tells where the stream is: it stopped.
    FRESH_SECONDS = 2.0

    def __init__(self, init: bytes) -> None:
        self.timescale = parse_init(init).timescale
        self.pts: float | None = None
        self.arrived = 0.0

    def fragment(self, fragment: bytes, arrived: float) -> None:
        """Take a fragment that arrived at `arrived` (seconds, any clock the caller keeps)."""
        samples = parse_fragment(fragment)
        if samples:
            self.pts, self.arrived = samples[-1].pts / self.timescale, arrived

    def pts_at(self, arrived: float) -> float | None:
        """The media time of the frame that arrived at `arrived`, by the newest fragment; None without a fresh one."""
        if self.pts is None or not 0 <= arrived - self.arrived <= self.FRESH_SECONDS:
            return None
        return self.pts + (arrived - self.arrived)


class LiveDecoder:
    """Decodes one live stream: make it with the init segment, then give it each fragment in order."""

    def __init__(self, init: bytes) -> None:
        self.track = parse_init(init)
        self.codec = av.CodecContext.create(self.track.codec, "r")
        self.codec.extradata = self.track.extradata
        # One thread per camera: many cameras share the cores, and frame threads would add a frame of delay each.
        self.codec.thread_count = 1
        self.started = False

    def decode(self, fragment: bytes) -> list[tuple[float, av.VideoFrame]]:
        """(media time in seconds, picture) of each frame the fragment completes; nothing before a keyframe."""
        pictures = []
        for sample in parse_fragment(fragment):
            if not self.started and not sample.keyframe:
                continue
            self.started = True
            packet = av.Packet(sample.data)
            packet.pts = packet.dts = sample.pts
            for frame in self.codec.decode(packet):
                pictures.append((frame.pts / self.track.timescale, frame))
        return pictures
