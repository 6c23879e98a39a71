"""Write recorded video into fragmented MP4 segment files; rescue the one being written when a recorder died.

A segment is written to `<final>.part`, hashed as the muxer writes it, fsync'd and renamed on close,
so a file with the final name is always complete and its recorded SHA-256 is the file's.
"""

import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

import av
from av.video.stream import VideoStream

from video.audio import AudioSample, AudioTrack
from video.live_decoder import parse_fragment, parse_init
from video.parameter_sets import PictureFormat, apply_picture_format
from video.sample_packets import sample_packet
from video.timestamps import Sample

PART_SUFFIX = ".part"
# Where recover_partial copies a .part before it takes the final name.
RESCUE_SUFFIX = ".rescue"
# Where each file says when its first frame was recorded, so a crashed .part can be indexed.
START_TAG = "vms_start"

_MUX_OPTIONS = {
    # empty_moov: the init segment (ftyp+moov) goes first and never changes, so HLS serves it as EXT-X-MAP.
    # frag_duration: a fragment at least every second even with long keyframe intervals, so a crash loses
    # at most about a second. flush_packets: each fragment reaches the file as soon as it is complete.
    "movflags": "frag_keyframe+empty_moov+default_base_moof+use_metadata_tags",
    "frag_duration": "1000000",
    "flush_packets": "1",
}


@dataclass(frozen=True)
class RecordedSegment:
    """A finished segment file. init_size is the bytes of ftyp+moov before the first moof (HLS EXT-X-MAP)."""

    path: Path
    start: datetime
    end: datetime
    duration: float
    size: int
    sha256: str
    init_size: int


class UnreadableSegment(Exception):
    """A finished segment no player could read (deleted, never indexed); str() says why, in words."""


class _HashingFile:
    """The muxer's output: bytes go straight to the file and into a SHA-256 as they are written.

    It has no seek(), so PyAV tells the muxer the output is not seekable: every byte is written once, in
    order, and the running hash is the file's hash (the fragmented MP4 muxer does not seek anyway: checked).
    No user-space buffer either, so a killed recorder leaves every finished fragment in the file.

    A failed write (a full disk) is kept in `failure`, and every later write is dropped; the muxer is told all went
    well. An exception raised into FFmpeg's write callback leaves the muxer half-way through a fragment, and a muxer
    finalised in that state by the garbage collector called this callback again and crashed the process.
    """

    def __init__(self, path: Path) -> None:
        self._file = open(path, "xb", buffering=0)
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.failure: OSError | None = None

    def drop_writes(self) -> None:
        """Drop every later write, as after a failure (the muxer must not be told)."""
        self.failure = self.failure or OSError("the segment was abandoned")

    @property
    def closed(self) -> bool:
        return self._file.closed  # PyAV writes no trailer into a closed file

    def write(self, data: bytes) -> int:
        if self.failure is not None:
            return len(data)
        view = memoryview(data)
        self.sha256.update(view)
        self.size += len(view)
        try:
            while view:
                view = view[self._file.write(view) :]
        except OSError as exc:
            self.failure = exc
        return len(data)

    def close(self) -> None:
        try:
            if self.failure is None:
                os.fsync(self._file.fileno())
        finally:
            self._file.close()


class SegmentWriter:
    """Writes one segment by stream copy. The first sample must be a keyframe; timestamps start at 0 in
    each file, so every segment plays on its own (an HLS playlist marks each with EXT-X-DISCONTINUITY).

    The init segment describes `video`, or `picture` when the camera changed its picture format since it
    was opened (see video.parameter_sets), and the camera's sound when `audio` is given (see write_audio).
    Without `check_playable`, close() does not decode the first picture (see _check_readable): for a recorder
    whose earlier segment with the same init segment played."""

    def __init__(self, path: Path, start: datetime, video: VideoStream, picture: PictureFormat | None = None,
                 audio: AudioTrack | None = None, check_playable: bool = True) -> None:
        if path.exists():
            raise FileExistsError(f"segment {path} already exists; refusing to overwrite a recording")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.start = start
        self.picture = picture
        self._check_playable = check_playable
        self._part = part_path_of(path)
        self._file = _HashingFile(self._part)
        self._container = av.open(self._file, "w", format="mp4", options=_MUX_OPTIONS)
        self._container.metadata[START_TAG] = start.isoformat()
        self._stream = self._container.add_stream_from_template(video)
        if picture is not None:
            apply_picture_format(self._stream, picture)
        self._time_base = video.time_base
        self._first_dts: int | None = None
        self._audio = audio.add_stream(self._container) if audio is not None else None
        self._audio_time_base = audio.time_base if audio is not None else None
        self._audio_start = 0  # the first video frame's time in the audio's time base
        self._last_audio_pts: int | None = None

    def write(self, sample: Sample) -> None:
        """Mux one sample (timestamps in the source stream's time base)."""
        if self._first_dts is None:
            if not sample.is_keyframe:
                raise ValueError("a segment must start with a keyframe")
            self._first_dts = sample.dts
        self._container.mux(sample_packet(sample, self._stream, self._time_base, self._first_dts))
        self._raise_disk_failure()

    def write_audio(self, sample: AudioSample) -> None:
        """Mux one AAC sample, whose pts is on the same clock as the video samples' dts (in the audio's time base).
        Sound from before the segment's first frame, or not after the last sample written, is left out."""
        if self._audio is None or self._first_dts is None:
            return
        if self._last_audio_pts is None:
            self._audio_start = round(self._first_dts * self._time_base / self._audio_time_base)
        pts = sample.pts - self._audio_start
        if pts < 0 or (self._last_audio_pts is not None and pts <= self._last_audio_pts):
            return
        packet = av.Packet(sample.data)
        packet.dts = packet.pts = pts
        packet.duration = sample.duration
        packet.time_base = self._audio_time_base
        packet.stream = self._audio
        self._container.mux(packet)
        self._last_audio_pts = pts
        self._raise_disk_failure()

    def close(self, end: datetime) -> RecordedSegment:
        """Finish the file, make it durable under its final name, and describe it. A file no player could
        read is deleted instead, raising UnreadableSegment; one the disk failed to take raises that OSError and
        stays a .part (see stop_writing)."""
        self.stop_writing()
        self._raise_disk_failure()
        if self._check_playable:
            _check_readable(self._part)
        os.replace(self._part, self.path)
        fsync_directory(self.path.parent)
        with open(self.path, "rb") as file:
            init_size = _init_size(file)
        return RecordedSegment(
            path=self.path,
            start=self.start,
            end=end,
            duration=(end - self.start).total_seconds(),
            size=self._file.size,
            sha256=self._file.sha256.hexdigest(),
            init_size=init_size,
        )

    def abandon(self) -> None:
        """Close the file without writing another byte into it (the muxer's last fragment is dropped): the .part
        stays as it was, for recover_partial."""
        self._file.drop_writes()
        self.stop_writing()

    def stop_writing(self) -> None:
        """Close the muxer and the file as they are; after a write failed, what the file holds up to its last
        complete fragment is rescued by recover_partial when the camera is opened again."""
        try:
            self._container.close()
        finally:
            self._file.close()

    def _raise_disk_failure(self) -> None:
        """Raise the file's own OSError (no space left, say): PyAV would only report it vaguely."""
        if self._file.failure is not None:
            raise self._file.failure


def part_path_of(path: Path) -> Path:
    """Return where the segment that will be `path` is written until it is complete."""
    return path.with_name(path.name + PART_SUFFIX)


def recover_partial(part_path: Path) -> RecordedSegment | None:
    """Rescue a `.part` segment left by a recorder that was killed or lost the camera's lease: copy it up to its last
    complete fragment to its final name, hash it and delete the .part. Returns None, and deletes the file, when no
    fragment is complete or its first picture does not decode (see _check_readable).

    A copy, not the file cut and renamed: a recorder that was frozen (not dead) checks its lease before each write
    but not within one, so it may write once more into the file it had open; that must not reach the file indexed."""
    final = part_path.with_name(part_path.name.removesuffix(PART_SUFFIX))
    rescue = final.with_name(final.name + RESCUE_SUFFIX)
    with open(part_path, "rb") as file:
        length = _complete_length(file)
        if length:
            file.seek(0)
            with open(rescue, "wb") as out:
                while out.tell() < length:
                    out.write(file.read(min(1024 * 1024, length - out.tell())))
                os.fsync(out.fileno())
    if length == 0:
        part_path.unlink()
        return None
    try:
        _check_readable(rescue)
    except UnreadableSegment:
        part_path.unlink()
        return None
    os.replace(rescue, final)
    part_path.unlink()
    fsync_directory(final.parent)
    return describe_segment(final)


def describe_segment(path: Path) -> RecordedSegment:
    """What a complete segment file holds (its start from its own metadata, duration, size, hash), to index a file
    whose recorder was killed after it was finished but before the index heard of it."""
    with av.open(str(path)) as container:
        start = datetime.fromisoformat(container.metadata[START_TAG])
        duration = _media_duration(container)
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1024 * 1024), b""):
            digest.update(chunk)
        init_size = _init_size(file)
    return RecordedSegment(
        path=path,
        start=start,
        end=start + timedelta(seconds=duration),
        duration=duration,
        size=path.stat().st_size,
        sha256=digest.hexdigest(),
        init_size=init_size,
    )


def _check_readable(path: Path) -> None:
    """Raise UnreadableSegment, deleting the file, unless its init segment describes video and the first picture of
    its first fragment decodes with it.

    What a player does first, so no unplayable file is ever indexed: garbage parameter sets make an init segment
    no decoder accepts, and nothing else would notice. The boxes are read as video.live_decoder reads the live feed,
    and the picture decoded once: opening the file with FFmpeg decoded it a second time, to learn the stream's pixel
    format (measured 2026-12-05 on a 10 s 1080p segment, 2 busy cores: 14 ms of CPU a check then, 8 ms now).
    """
    try:
        init, fragment = _first_fragment(path)
        track = parse_init(init)
        first = parse_fragment(fragment)[0]
        decoder = av.CodecContext.create(track.codec, "r")
        decoder.extradata = track.extradata
        decoder.thread_count = 1  # the picture comes out of the first packet
        if [*decoder.decode(av.Packet(first.data)), *decoder.decode(None)]:
            return
        why = "its first picture does not decode"
    except av.FFmpegError as exc:
        why = f"its first picture does not decode ({exc.strerror})"
    except (ValueError, IndexError, struct.error) as exc:
        why = f"it does not open ({exc or 'no sample in its first fragment'})"
    path.unlink(missing_ok=True)
    raise UnreadableSegment(f"a recorded segment could not be played back, so it was discarded: {why}")


def _first_fragment(path: Path) -> tuple[bytes, bytes]:
    """The init segment (ftyp + moov) and the first fragment (moof + mdat) of a segment file."""
    with open(path, "rb") as file:
        init_end = fragment_end = None
        previous = b""
        for box_type, offset, end in _boxes(file):
            if box_type == b"moof" and init_end is None:
                init_end = offset
            if box_type == b"mdat" and previous == b"moof":
                fragment_end = end
                break
            previous = box_type
        if init_end is None or fragment_end is None:
            raise ValueError("no complete fragment")
        file.seek(0)
        data = file.read(fragment_end)
    return data[:init_end], data[init_end:]


def _boxes(file: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, offset, end) of the complete top-level MP4 boxes, stopping at the first cut-off one."""
    size = os.fstat(file.fileno()).st_size
    offset = 0
    while offset + 8 <= size:
        file.seek(offset)
        header = file.read(16)
        box_size = int.from_bytes(header[:4], "big")
        box_type = header[4:8]
        if box_size == 1 and len(header) == 16:  # a 64-bit size follows the type
            box_size = int.from_bytes(header[8:16], "big")
        if box_size < 8 or offset + box_size > size:
            return
        yield box_type, offset, offset + box_size
        offset += box_size


def _complete_length(file: BinaryIO) -> int:
    """Return the length up to the end of the last complete fragment (moof then mdat); 0 if there is none."""
    length = 0
    previous = b""
    for box_type, _, end in _boxes(file):
        if box_type == b"mdat" and previous == b"moof":
            length = end
        previous = box_type
    return length


def _init_size(file: BinaryIO) -> int:
    for box_type, offset, _ in _boxes(file):
        if box_type == b"moof":
            return offset
    raise ValueError("not a fragmented MP4: no moof box")


def _media_duration(container: av.container.InputContainer) -> float:
    video = container.streams.video[0]
    first = end = None
    for packet in container.demux(video):
        if packet.dts is None:
            continue
        if first is None:
            first = packet.dts
        end = packet.dts + (packet.duration or 0)
    return 0.0 if first is None else float((end - first) * video.time_base)


def fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` survive a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
