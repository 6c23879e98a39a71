"""A camera's stream opened ahead of its recording and kept reading, its last seconds held in memory from a keyframe
on, so that a recording started later (by a hot standby taking the camera over, see recordings.standby) begins with
footage from before it started. Nothing is decoded: packets wait as the camera sent them.

Packets are placed on the camera's clock (its RTCP sender reports), so that the recording can start where footage
recorded elsewhere ended: packets that arrive before the camera told its clock are not kept. A camera whose clock is
further off ours than the recording tolerates (video.recording.CAMERA_CLOCK_TOLERANCE) is placed by when its packets
arrived, as the recording then places it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

import av
from av.container import InputContainer


@dataclass
class _GroupOfPictures:
    """A keyframe and the packets after it up to the next keyframe (of every stream read), with when the keyframe
    was on the camera's clock (or ours, see above) and when it arrived here."""

    keyframe_at: float  # seconds since the epoch
    arrived_at: datetime
    packets: list[av.Packet] = field(default_factory=list)
    size: int = 0


class BufferedStream:
    """An open camera stream (as video.source.open_stream returns it) whose packets `fill` keeps, at least the last
    `keep_seconds` of them and at most `max_bytes`, in whole groups of pictures. `start_at` drops those before a
    moment; `demux` then yields the rest before the packets still to come, as the container's own demux would. It
    offers the part of InputContainer that video.recording.record uses.

    The kept packets come out as fast as they are read: video.timestamps.TimestampRepair then sees no time pass
    between them, and closes a gap of more than its arrival slack in them as a jump of the camera's clock."""

    def __init__(self, container: InputContainer, keep_seconds: float, max_bytes: int, clock_tolerance: float) -> None:
        self._container = container
        self._clock_tolerance = clock_tolerance
        self.streams = container.streams
        self._video = container.streams.video[0]
        self._keep_seconds = keep_seconds
        self._max_bytes = max_bytes
        self._groups: deque[_GroupOfPictures] = deque()
        self._bytes = 0
        self._frame_dts: int | None = None  # the DTS of the latest video frame (a keyframe may come in several packets)
        self._frame_index = 0  # where that frame's first packet is in the newest group

    @property
    def start_time_realtime(self) -> int | None:
        return self._container.start_time_realtime

    @property
    def first_arrival(self) -> datetime | None:
        """When the first packet `demux` yields arrived here; None when none is kept."""
        return self._groups[0].arrived_at if self._groups else None

    @property
    def kept_seconds(self) -> float:
        """From the oldest kept keyframe to the newest, on the camera's clock."""
        return self._groups[-1].keyframe_at - self._groups[0].keyframe_at if self._groups else 0.0

    def fill(self, until: threading.Event) -> None:
        """Read and keep the camera's packets until `until` is set; PyAV's error when the stream fails."""
        for packet in self._container.demux():
            if until.is_set():
                return
            if packet.size:
                self._keep(packet)

    def _keep(self, packet: av.Packet) -> None:
        start_us = self._container.start_time_realtime
        if packet.stream is self._video and packet.pts is not None and start_us is not None:
            if packet.is_keyframe:
                self._start_group(packet, start_us / 1e6 + float(packet.pts * packet.time_base))
            if packet.dts != self._frame_dts:
                self._frame_dts = packet.dts
                self._frame_index = len(self._groups[-1].packets) if self._groups else 0
        if not self._groups:
            return  # nothing kept before the first keyframe on the camera's clock
        group = self._groups[-1]
        group.packets.append(packet)
        group.size += packet.size
        self._bytes += packet.size
        self._drop_old()

    def _start_group(self, keyframe: av.Packet, keyframe_at: float) -> None:
        """Begin a group at the keyframe; with the packets of its frame already kept (a keyframe in several packets,
        the flag on a later one) moved into it."""
        arrived_at = datetime.now(UTC)
        if abs(keyframe_at - arrived_at.timestamp()) > self._clock_tolerance:
            keyframe_at = arrived_at.timestamp()
        group = _GroupOfPictures(keyframe_at, arrived_at)
        if self._groups and keyframe.dts == self._frame_dts:
            before = self._groups[-1]
            group.packets = before.packets[self._frame_index:]
            del before.packets[self._frame_index:]
            moved = sum(p.size for p in group.packets)
            before.size -= moved
            group.size = moved
            if not before.packets:
                self._groups.pop()
            self._frame_index = 0
        self._groups.append(group)

    def _drop_old(self) -> None:
        """Drop the oldest groups the others cover `keep_seconds` without, and those beyond `max_bytes`; never the
        newest."""
        while len(self._groups) > 1 and (
            self._groups[-1].keyframe_at - self._groups[1].keyframe_at >= self._keep_seconds
            or self._bytes > self._max_bytes
        ):
            self._bytes -= self._groups.popleft().size

    def start_at(self, moment: float, tolerance: float) -> None:
        """Drop the kept groups whose keyframe is more than `tolerance` seconds before `moment` (seconds since the
        epoch, the camera's clock): `demux` begins at the first keyframe at or after it. Everything when all are
        before: the recording then begins at the camera's next keyframe."""
        while self._groups and self._groups[0].keyframe_at < moment - tolerance:
            self._bytes -= self._groups.popleft().size

    def demux(self, *streams) -> Iterator[av.Packet]:
        """Yield the kept packets of `streams` (all when none are given), then those that come."""
        while self._groups:
            group = self._groups.popleft()
            self._bytes -= group.size
            yield from (p for p in group.packets if not streams or p.stream in streams)
        yield from self._container.demux(*streams)

    def close(self) -> None:
        self._groups.clear()
        self._container.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
