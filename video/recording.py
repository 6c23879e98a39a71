"""Record one camera: demux its stream, repair timestamps and write contiguous segments by stream copy, or, for a
camera with privacy masks, of its video decoded, masked and encoded again (video.masked_stream).

The recorder service runs `record` in a thread per camera and reconnects when it raises.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import av
from av.video.stream import VideoStream

from video.audio import AudioSample, AudioTrack, UnsupportedAudio
from video.buffered_stream import BufferedStream
from video.live import LiveChunk, LiveMuxer
from video.masked_stream import MaskedStream
from video.masking import Masker
from video.onvif_metadata import MetadataDocuments
from video.parameter_sets import DamagedParameterSets, ParameterSetWatch, PictureFormat
from video.probe import StreamError, classify_error, recordable_video
from video.segments import RecordedSegment, SegmentWriter, UnreadableSegment
from video.source import FileCamera, camera_address, open_stream
from video.timestamps import Sample, TimestampRepair

logger = logging.getLogger(__name__)

STATUS_INTERVAL = 2.0
# Video held back (in memory) at the start while waiting for the camera's first RTCP sender report, which
# tells its clock: RFC 3550 cameras send one within about 2.5 s (3.75 s at worst), some every 5 s.
CAMERA_CLOCK_WAIT = 5.0
# A camera whose clock is further off than this from ours has no working NTP: use our clock instead.
CAMERA_CLOCK_TOLERANCE = 10.0
# How much later or earlier than its timestamps say a camera's frames may arrive (network, FFmpeg's buffering):
# a forward jump of its clock longer than the time that passed give or take this is closed (see TimestampRepair).
ARRIVAL_SLACK = 1.0
# How long the status keeps saying what went wrong with a stream that recording survived.
NOTICE_SECONDS = 60.0
# A metadata document further than this from the latest video frame on the camera's clock is on a clock the video
# has left or not yet reached (FFmpeg re-times each track on its first RTCP report): it is placed by its arrival.
METADATA_CLOCK_TOLERANCE = 2.0
# The same for the camera's sound: a packet that far from the latest video frame is left out.
AUDIO_CLOCK_TOLERANCE = 2.0
# How long a finished segment stays open for its last sound after the next segment started: an AAC encoder hands
# out its frames up to about 0.3 s after their sound came in (at 8 kHz), and sound and video arrive unevenly.
SOUND_LAG = 1.0
# With `lease_end`, how long before it recording stops, so that the segment is finished in time: finishing one took
# tens of milliseconds (flushing the last frames, fsync, the playability check).
FINISH_MARGIN = 0.5


class HandedOver(Exception):
    """Raised inside the recording at the end of a segment once `hand_over` is set: nothing more is written."""


@dataclass
class StreamStatus:
    """How a camera's stream is doing: fps and bitrate measured over the last few seconds (of the camera's own
    stream, masked or not), and for a masked camera the % of one core its masking transcode took meanwhile
    (decoding, masking, people analysis and encoding; None until first measured, and for an unmasked camera)."""

    codec: str
    width: int
    height: int
    fps: float | None
    bitrate: int | None
    last_frame_at: datetime
    masking_cost: float | None = None
    # What went wrong with the stream in the last NOTICE_SECONDS that recording survived, as a sentence; "" if
    # nothing did (a camera that changed its picture size, sent damaged parameter sets or an unplayable segment).
    notice: str = ""
    # What the recording does with the camera's sound, when asked to record it: "AAC", "G.711 mu-law (as AAC)",
    # or "" when it records none (the notice says why).
    audio: str = ""


@dataclass(frozen=True)
class CameraMetadata:
    """One document of the camera's metadata track (video.onvif_metadata reads it), placed on the recording's
    timelines: `pts`, the live fragments' media time of the frame it describes, and `at`, the wall time of that
    frame in the recording; each None when it cannot be told (then the document belongs to the frame that arrived
    with it): `at` in the first seconds of a stream, while the recording waits for the camera's clock."""

    pts: float | None
    at: datetime | None
    document: bytes


@dataclass(frozen=True)
class UnmaskedCopy:
    """Where a masked camera's video goes as it comes, for the few allowed to see it: its own segments and,
    optionally, its own live feed."""

    segment_path: Callable[[datetime], Path]
    on_segment: Callable[[RecordedSegment], None]
    on_live: Callable[[LiveChunk], None] | None = None
    live_wanted: Callable[[], bool] | None = None  # as record()'s


def record(
    url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    segment_seconds: float = 10.0,
    segment_path: Callable[[datetime], Path] | None,
    on_segment: Callable[[RecordedSegment], None] | None,
    on_status: Callable[[StreamStatus], None],
    stop: threading.Event,
    read_timeout: float = 5.0,
    on_live: Callable[[LiveChunk], None] | None = None,
    live_wanted: Callable[[], bool] | None = None,
    masker: Masker | None = None,
    unmasked: UnmaskedCopy | None = None,
    on_metadata: Callable[[CameraMetadata], None] | None = None,
    audio: bool = False,
    lease_end: Callable[[], float] | None = None,
    hand_over: threading.Event | None = None,
    opened: BufferedStream | None = None,
) -> None:
    """Record the camera at `url` until `stop` is set (then return) or the stream fails (raise StreamError).

    Each segment starts on a keyframe and ends at the first keyframe after `segment_seconds`; it is
    written to segment_path(start) and reported through on_segment once it is complete. On failure the
    segment being written is closed and reported too, so a lost camera leaves a gap, never a broken
    file. Segment times are the camera's clock (RTCP sender reports) when it is within
    CAMERA_CLOCK_TOLERANCE of ours, else the arrival time of the first packet, plus media time: the end of
    one segment is exactly the start of the next. `stop` is noticed at the next packet. With `on_live`,
    each frame also goes out at once as an fMP4 fragment for live viewers (see video.live); with `live_wanted` as
    well, only while it says someone wants them (it is asked at each frame). Without `segment_path` nothing is
    written: the stream only feeds `on_live` (an H.265 camera's H.264 sub-stream).

    With a `masker`, segments and live fragments are of the camera's video with the masks burned in, encoded as
    H.264 (from H.265 too), with the camera's timestamps and keyframes; nothing of the unmasked video is stored
    or sent. `masker.set` changes the masks from the next frame. The transcode lasts as long as this call, even
    if the masks are all removed: restart the recording to go back to stream copy. With `unmasked` as well, the
    camera's video as it comes is also recorded (stream copy) into segments and a live feed of its own.

    With `on_metadata`, the camera's metadata track (ONVIF Profile M) is read in the same session, and each of its
    documents goes to on_metadata placed on the recording's timelines; a stream without one is recorded all the
    same. Only the video counts for the stream's health: a camera whose video stops while its metadata goes on
    has stopped.

    With `audio`, the camera's sound is read in the same session and goes into the segments and live fragments
    with the video, on its clock (see video.audio): AAC as it is, G.711 and G.726 as AAC. A camera that sends no
    sound, or sound in another codec, is recorded without, and its status says so; without `audio` no sound is
    read at all.

    With `lease_end` (a time on time.monotonic's clock, asked at each packet: the recorder's lease of the camera,
    which may be extended meanwhile), the segments being written end FINISH_MARGIN before it and recording goes on
    into new ones, which `segment_path` puts aside until the lease is confirmed again (the database may only be
    restarting); if it has passed all the same (the process was frozen), the segment being written is left as it
    is, without another byte: the recorder that took the camera over rescues it. With `hand_over`, once it is set,
    recording ends at the end of the segment being written (the next one is not started) and this returns.

    With `opened`, the camera's stream opened ahead (with the same options) is recorded, from the packets it kept
    on, instead of opening the camera at `url`; it is closed all the same.
    """
    try:
        container = opened or open_stream(url, username, password, timeout=read_timeout,
                                          metadata=on_metadata is not None, audio=audio)
    except Exception as exc:
        # from None: the PyAV error in the chain may name the URL with its password.
        raise classify_error(exc, url) from None
    with container:
        video = recordable_video(container, url)
        masked = MaskedStream(video, masker) if masker is not None else None
        output = masked.stream if masked is not None else video
        meter = _StreamMeter(video, masking_cpu=(lambda: masked.cpu_seconds) if masked is not None else None)
        sound = _audio_track(container, meter) if audio else None
        recording = _SegmentedRecording(
            meter,
            video,
            masked=masked,
            segment_seconds=segment_seconds,
            segment_path=segment_path,
            on_segment=on_segment,
            hand_over=hand_over,
            # A forward jump longer than read_timeout cannot be a real pause: we would have given up first.
            max_gap_seconds=read_timeout,
            camera_clock=urlsplit(url).scheme != "file",
            live=LiveMuxer(output, on_live, audio=sound, wanted=live_wanted) if on_live else None,
            audio=sound,
            first_arrival=opened.first_arrival if opened else None,
        )
        recordings = [recording]
        if masked is not None and unmasked is not None:
            recordings.append(_SegmentedRecording(
                meter, video, segment_seconds=segment_seconds, segment_path=unmasked.segment_path,
                on_segment=unmasked.on_segment, max_gap_seconds=read_timeout,
                camera_clock=urlsplit(url).scheme != "file",
                live=LiveMuxer(video, unmasked.on_live, wanted=unmasked.live_wanted) if unmasked.on_live else None,
                first_arrival=opened.first_arrival if opened else None,
            ))
        metadata = _metadata_track(container, recording, on_metadata)
        on_status(meter.status())
        silent = f"no video arrived for {read_timeout:g} seconds"
        lost = "the camera closed the connection"
        aside = False  # the lease lapsed: segments are written aside (segment_path's choice) until it is confirmed
        try:
            last_arrival = time.monotonic()
            extra = ([metadata.stream] if metadata else []) + ([sound.stream] if sound else [])
            for packet in container.demux(video, *extra):
                if stop.is_set():
                    return
                arrival = time.monotonic()
                if lease_end is not None:
                    end = lease_end()
                    lapsed = arrival >= end - FINISH_MARGIN
                    if lapsed and not aside:
                        for copy in recordings:
                            copy.cut(abandon=arrival >= end)
                    aside = lapsed
                if arrival - last_arrival >= read_timeout:
                    # When PyAV's timeout interrupts FFmpeg, FFmpeg hands out the partial frame it holds
                    # and waits all over again (measured): a packet this late means the camera went silent.
                    lost = silent
                    break
                if packet.size == 0:  # PyAV's end-of-stream marker
                    continue
                if metadata is not None and packet.stream is metadata.stream:
                    metadata.add(packet)
                    continue
                if sound is not None and packet.stream is sound.stream:
                    recording.add_audio(packet)
                    continue
                last_arrival = arrival
                for copy in recordings:
                    copy.add(packet, container.start_time_realtime, arrival)
                if (status := meter.add(packet, arrival)) is not None:
                    on_status(status)
        except HandedOver:
            return
        except av.error.ExitError:
            lost = silent
        except av.FFmpegError as exc:
            lost = exc.strerror or type(exc).__name__
        finally:
            fenced = lease_end is not None and time.monotonic() >= lease_end()
            for copy in recordings:
                try:
                    if fenced:
                        copy.abandon()
                    else:
                        copy.finish()
                except av.FFmpegError:
                    # The muxer failed above and fails again here: the camera's error is the one to report.
                    # What its segment held is rescued from the .part file when the camera is opened again.
                    logger.exception("cannot finish the segment being written")
            if masked is not None:
                masked.close()
    raise StreamError("stream_lost", f"The stream from {camera_address(url)} stopped: {lost}.")


def _audio_track(container, meter: _StreamMeter) -> AudioTrack | None:
    """The camera's sound as it is recorded; None, said in the status, when it sends none or in a codec we cannot
    record (a file plays its video only)."""
    if isinstance(container, FileCamera) or not container.streams.audio:
        meter.lasting_notice("The camera sends no sound: the video is recorded without. Turn its audio on in the "
                             "camera's settings, or turn off recording sound here.")
        return None
    try:
        track = AudioTrack(container.streams.audio[0])
    except UnsupportedAudio as problem:
        meter.lasting_notice(str(problem))
        return None
    meter.audio = f"{track.codec} (as AAC)" if track.transcoded else track.codec
    return track


def _metadata_track(container, recording: _SegmentedRecording,
                    on_metadata: Callable[[CameraMetadata], None] | None) -> _MetadataTrack | None:
    """The camera's metadata track, when asked for and the camera sends one (a file plays its video only)."""
    if on_metadata is None or isinstance(container, FileCamera) or not container.streams.data:
        return None
    return _MetadataTrack(container.streams.data[0], recording, on_metadata)


class _MetadataTrack:
    """Gathers the metadata track's payloads into documents and places each on the recording's timelines by its
    RTP time, which FFmpeg puts on the video's clock (both tracks' RTCP reports tell it)."""

    def __init__(self, stream, recording: _SegmentedRecording, on_metadata: Callable[[CameraMetadata], None]) -> None:
        self.stream = stream
        self._recording = recording
        self._on_metadata = on_metadata
        self._documents = MetadataDocuments()

    def add(self, packet: av.Packet) -> None:
        documents = self._documents.add(bytes(packet))
        if not documents:
            return
        camera_pts = None
        if packet.pts is not None:
            camera_pts = round(packet.pts * packet.time_base / self._recording.time_base)
        pts, at = self._recording.place(camera_pts)
        for document in documents:
            self._on_metadata(CameraMetadata(pts, at, document))


class _SegmentedRecording:
    """Turns a camera's packets into contiguous segments on the wall clock, masked first when `masked` is given.

    A keyframe that brings another picture format (new parameter sets: another resolution) starts a new segment
    whose init segment says so; one whose parameter sets are garbage is left out with its frames up to the next
    keyframe, and a finished segment no player could read is discarded (its first picture is decoded to tell, until
    a segment of the same picture format has played); `meter` tells the status of all three.
    """

    def __init__(
        self,
        meter: _StreamMeter,
        video: VideoStream,
        *,
        masked: MaskedStream | None = None,
        segment_seconds: float,
        segment_path: Callable[[datetime], Path] | None,
        on_segment: Callable[[RecordedSegment], None] | None,
        max_gap_seconds: float,
        camera_clock: bool,
        live: LiveMuxer | None,
        audio: AudioTrack | None = None,
        hand_over: threading.Event | None = None,
        first_arrival: datetime | None = None,
    ) -> None:
        self._meter = meter
        self._video = video
        self._masked = masked
        # Our own encoder's output (masked) keeps its format; a camera's stream is watched for changes.
        codec = video.codec_context
        self._formats = None if masked is not None else ParameterSetWatch(codec.name, codec.extradata)
        # The picture format when it changed since the camera was opened: as the camera sends it now, and
        # as the segments have it (they lag behind while the clock is awaited).
        self._picture: PictureFormat | None = None
        self._segment_picture: PictureFormat | None = None
        self._skipping = False  # from a keyframe with damaged parameter sets to the next keyframe
        # The picture formats (None: the stream's own) of segments that played back: a later segment with the same
        # init segment is not decoded again to check it (6 to 8 ms of CPU per 10 s 1080p segment, some 6% of
        # recording the camera).
        self._playable: set[PictureFormat | None] = set()
        # What the segments hold: the camera's stream, or the masked one (same time base and timestamps).
        self._output = masked.stream if masked is not None else video
        self.time_base = video.time_base
        # The time base as a float: Fraction arithmetic on every packet cost more than the rest of its timing.
        self._seconds_per_tick = float(video.time_base)
        self._segment_seconds = segment_seconds
        self._segment_path = segment_path
        self._on_segment = on_segment
        frame_duration = _frame_duration(video)
        self._repair = TimestampRepair(
            frame_duration, max_gap=max(frame_duration, round(max_gap_seconds / self.time_base)),
            arrival_slack=round(ARRIVAL_SLACK / self.time_base),
        )
        self._wait_for_camera_clock = camera_clock
        self._live = live
        # When the first packet arrived (earlier than it is taken, when it was kept in memory: BufferedStream).
        self._first_arrival = first_arrival
        self._clock_start: datetime | None = None  # wall time at media time 0
        # Samples that arrived before the clock was known, each with the new picture format it brings, if any.
        self._waiting: list[tuple[Sample, PictureFormat | None]] = []
        self._writer: SegmentWriter | None = None
        self._segment_first_dts = 0
        self._last: Sample | None = None
        self._audio = audio
        # Sound waiting for the video to pass it, so that each sample goes into the segment of its moment.
        self._sound: list[AudioSample] = []
        # The segment before the current one, with the dts its video ended at and its end on the wall clock, while
        # it waits for the last of its sound (see SOUND_LAG).
        self._ending: tuple[SegmentWriter, int, datetime] | None = None
        self._hand_over = hand_over
        self._handed_over = False

    def add(self, packet: av.Packet, camera_start_us: int | None, arrival: float) -> None:
        """Take the next packet, which arrived at `arrival` (time.monotonic()); camera_start_us is the container's
        start_time_realtime, None until known. The sample holds the packet itself, not a copy of its bytes."""
        if self._first_arrival is None:
            self._first_arrival = datetime.now(UTC)
        pts = packet.pts
        wallclock = None
        if camera_start_us is not None and pts is not None:
            wallclock = camera_start_us / 1e6 + pts * self._seconds_per_tick
        sample = Sample(
            packet.dts, pts, packet.duration or 0, packet.is_keyframe, packet, wallclock,
            arrival=round(arrival / self._seconds_per_tick),
        )
        # Masked after the repair: the decoder needs whole frames (the repair merges a keyframe sent in several
        # packets) and the encoder strictly increasing timestamps (the repair closes the camera's clock jumps).
        for ready in self._transcoded(self._repair.push(sample)):
            self._take(ready, live=True)

    def add_audio(self, packet: av.Packet) -> None:
        """Take the camera's next audio packet: placed on the video's repaired clock by its RTP time (FFmpeg puts
        both tracks on one clock), it goes to live viewers at once and waits for its segment; left out when it is
        further than AUDIO_CLOCK_TOLERANCE from the latest frame (around a jump of the camera's clock)."""
        if packet.pts is None:
            return
        camera_pts = round(packet.pts * packet.time_base / self.time_base)
        repaired = self._repair.repaired(camera_pts, round(AUDIO_CLOCK_TOLERANCE / self.time_base))
        if repaired is None:
            return
        self._take_sound(self._audio.add(packet, round(repaired * self.time_base / self._audio.time_base)))

    def _take_sound(self, samples: list[AudioSample]) -> None:
        for sample in samples:
            if self._live is not None:
                self._live.add_audio(sample)
        if self._segment_path is not None:
            self._sound += samples

    def _write_sound(self, until: int) -> None:
        """Write the sound that starts before `until` (video dts) into the segment of its moment; sound from before
        the first segment is left out. The segment before the current one is finished once its sound is all in:
        sound from after its end came, or the video went SOUND_LAG past it."""
        while self._sound and self._sound[0].pts * self._audio.time_base < until * self.time_base:
            sample = self._sound.pop(0)
            if self._ending is not None:
                writer, ended, end = self._ending
                if sample.pts * self._audio.time_base < ended * self.time_base:
                    writer.write_audio(sample)
                    continue
                self._finish_ending()
            if self._writer is not None:
                self._writer.write_audio(sample)
        if self._ending is not None and (until - self._ending[1]) * self.time_base >= SOUND_LAG:
            self._finish_ending()

    def _finish_ending(self) -> None:
        writer, _, end = self._ending
        self._ending = None
        self._report(writer, end)

    def cut(self, *, abandon: bool) -> None:
        """End the segments being written here; recording goes on into a new one from the next keyframe. Abandoned
        (the lease of the camera ran out before this was told), their .part files stay as they were, without another
        byte, for the recorder that may hold the camera now to rescue; else they are finished."""
        if abandon:
            self._abandon_segments()
            return
        if self._writer is not None:
            end = self._last.dts + self._last.duration
            self._write_sound(end)
            self._close_segment(end)
        if self._ending is not None:
            self._finish_ending()

    def abandon(self) -> None:
        """Close the segments being written without another byte (the lease of the camera ran out): their .part
        files stay as they are, for the recorder that holds the camera now to rescue."""
        self._abandon_segments()
        if self._live is not None:
            self._live.close()

    def _abandon_segments(self) -> None:
        for writer in (self._writer, self._ending[0] if self._ending is not None else None):
            if writer is not None:
                writer.abandon()
        self._writer = self._ending = None

    def finish(self) -> None:
        """Write what is left and close the current segment."""
        ready = self._transcoded(self._repair.flush())
        if self._masked is not None:
            ready += self._masked.flush()
        for sample in ready:
            self._take(sample, live=False)
        if self._clock_start is None and self._waiting:
            self._start_clock(self._waiting[0][0], use_camera=False)
        if self._audio is not None:
            self._take_sound(self._audio.flush())
        if self._writer is not None:
            last = self._last
            self._write_sound(last.dts + last.duration)
            self._close_segment(last.dts + last.duration)
        if self._ending is not None:
            self._finish_ending()
        if self._live is not None:
            self._live.close()

    def place(self, camera_pts: int | None) -> tuple[float | None, datetime | None]:
        """Where a moment of the camera's clock (in the video's time base) falls: in the live fragments' media time
        and on the recording's wall clock; each None when it is not near the latest frame, or nothing is live, or
        the recording's clock is not known yet."""
        repaired = None
        if camera_pts is not None:
            repaired = self._repair.repaired(camera_pts, round(METADATA_CLOCK_TOLERANCE / self.time_base))
        if repaired is None:
            return None, None
        pts = self._live.media_seconds(repaired) if self._live is not None else None
        return pts, self._wall(repaired) if self._clock_start is not None else None

    def _transcoded(self, samples: list[Sample]) -> list[Sample]:
        if self._masked is None:
            return samples
        return [out for sample in samples for out in self._masked.transcode(sample)]

    def _take(self, sample: Sample, *, live: bool) -> None:
        """Hand a repaired sample to live viewers and the segments, unless its keyframe's parameter sets are
        garbage; a keyframe with a new picture format goes with it, to start a new init segment."""
        picture = None
        if sample.is_keyframe and self._formats is not None:
            try:
                picture = self._formats.new_format(bytes(sample.data))
            except DamagedParameterSets:
                self._notice("The camera sent a keyframe with damaged stream parameters (SPS/PPS); "
                             "the video up to its next keyframe was left out of the recording.")
                self._skipping = True
                return
            self._skipping = False
            if picture is not None:
                self._picture_changed(picture)
        if self._skipping:
            return
        if self._live is not None and live:
            # Before the wait for the camera's clock: live viewers need no wall time.
            self._live.add(sample)
        if self._segment_path is not None:
            self._accept(sample, picture)

    def _picture_changed(self, picture: PictureFormat) -> None:
        before = self._picture or PictureFormat(b"", self._video.codec_context.width, self._video.codec_context.height)
        self._picture = picture
        self._meter.picture_changed(picture)
        if self._live is not None:
            self._live.change_picture(picture)
        if (picture.width, picture.height) != (before.width, before.height):
            self._notice(f"The camera changed its picture size from {before.width}x{before.height} to "
                         f"{picture.width}x{picture.height}; recording went on in a new segment.")

    def _notice(self, text: str) -> None:
        logger.warning("%s", text)
        self._meter.notice(text)

    def _accept(self, sample: Sample, picture: PictureFormat | None) -> None:
        if self._clock_start is not None:
            self._write(sample, picture)
            return
        self._waiting.append((sample, picture))
        waited = float((sample.dts - self._waiting[0][0].dts) * self.time_base)
        if sample.wallclock is not None:
            self._start_clock(sample, use_camera=True)
        elif not self._wait_for_camera_clock or waited >= CAMERA_CLOCK_WAIT:
            self._start_clock(sample, use_camera=False)

    def _start_clock(self, sample: Sample, *, use_camera: bool) -> None:
        by_arrival = self._first_arrival - timedelta(seconds=float(self._waiting[0][0].pts * self.time_base))
        self._clock_start = by_arrival
        if use_camera:
            by_camera = datetime.fromtimestamp(sample.wallclock, UTC) - timedelta(
                seconds=float(sample.pts * self.time_base)
            )
            off = (by_camera - by_arrival).total_seconds()
            if abs(off) <= CAMERA_CLOCK_TOLERANCE:
                self._clock_start = by_camera
            else:
                logger.warning("camera clock is %.1f s off ours; recording on this server's clock", off)
        waiting, self._waiting = self._waiting, []
        for early, picture in waiting:
            self._write(early, picture)

    def _write(self, sample: Sample, picture: PictureFormat | None = None) -> None:
        """Write a sample into the current segment; a new one starts at a keyframe `segment_seconds` after it, or
        with a new `picture` format. The sound before it goes first, into the segment it belongs to. Once handed
        over, nothing is."""
        if self._handed_over:
            return
        self._write_sound(sample.dts)
        if picture is not None:
            if self._writer is not None:
                self._close_segment(sample.dts)
            self._segment_picture = picture
        if self._writer is None:
            if not sample.is_keyframe:
                return  # a segment must start with a keyframe: skip to the first one
            self._open_segment(sample)
        elif (
            sample.is_keyframe
            and float((sample.dts - self._segment_first_dts) * self.time_base) >= self._segment_seconds
        ):
            self._close_segment(sample.dts)
            if self._hand_over is not None and self._hand_over.is_set():
                self._handed_over = True
                raise HandedOver
            self._open_segment(sample)
        try:
            self._writer.write(sample)
        except OSError:
            # The disk is full or failing: the segment's .part is rescued when the camera is opened again.
            writer, self._writer = self._writer, None
            writer.stop_writing()
            raise
        self._last = sample

    def _open_segment(self, sample: Sample) -> None:
        start = self._wall(sample.dts)
        self._writer = SegmentWriter(self._segment_path(start), start, self._output, self._segment_picture,
                                     audio=self._audio, check_playable=self._segment_picture not in self._playable)
        self._segment_first_dts = sample.dts

    def _close_segment(self, end_dts: int) -> None:
        """Close the current segment, whose video ends at `end_dts`; with sound, once its last sound is in."""
        writer, self._writer = self._writer, None
        if self._ending is not None:
            self._finish_ending()
        if self._audio is not None:
            self._ending = (writer, end_dts, self._wall(end_dts))
        else:
            self._report(writer, self._wall(end_dts))

    def _report(self, writer: SegmentWriter, end: datetime) -> None:
        try:
            segment = writer.close(end)
        except UnreadableSegment as problem:
            self._notice(str(problem))
            return
        self._playable.add(writer.picture)
        self._on_segment(segment)

    def _wall(self, dts: int) -> datetime:
        return self._clock_start + timedelta(seconds=float(dts * self.time_base))


class _StreamMeter:
    """Measures the stream's frame rate and bitrate as packets arrive, and the masking's CPU, for StreamStatus."""

    def __init__(self, video: VideoStream, masking_cpu: Callable[[], float] | None = None) -> None:
        self._video = video
        self._masking_cpu = masking_cpu  # CPU seconds the masking transcode has used so far
        self._masking_cpu_before = masking_cpu() if masking_cpu else 0.0
        self._masking_cost: float | None = None
        self._fps = float(video.average_rate) if video.average_rate else None
        self._bitrate: int | None = None
        self._last_frame_at = time.time()  # made a datetime only for a status, not at every packet
        self._window_start = time.monotonic()
        self._frames = 0
        self._bytes = 0
        self._last_dts: int | None = None
        # The frame rate is measured on the camera's own clock, from the last frame of the previous window: on a
        # busy machine packets arrive in bursts, and counting them against our clock misses the rate by 10 % or
        # more in a 2 s window.
        self._mark_dts: int | None = None
        self._mark_frames = 0  # frames counted up to and including the mark
        self._size: tuple[int, int] | None = None  # the picture's, when it changed since the camera was opened
        self._notice = ""
        self._notice_at = 0.0
        self._lasting_notice = ""  # what is wrong for as long as the stream is open (it sends no sound)
        self.audio = ""  # StreamStatus.audio
        self._changed = False  # a status is due before the end of the window

    def notice(self, text: str) -> None:
        """Say in the status, from now for NOTICE_SECONDS, what went wrong with the stream."""
        self._notice, self._notice_at, self._changed = text, time.monotonic(), True

    def lasting_notice(self, text: str) -> None:
        """Say in the status, for as long as the stream is open, what is wrong with it."""
        logger.warning("%s", text)
        self._lasting_notice, self._changed = text, True

    def picture_changed(self, picture: PictureFormat) -> None:
        self._size, self._changed = (picture.width, picture.height), True

    def add(self, packet: av.Packet, arrival: float) -> StreamStatus | None:
        """Count a packet that arrived at `arrival` (time.monotonic()); return a fresh status every STATUS_INTERVAL
        seconds or after a change, else None."""
        self._last_frame_at = time.time()
        self._bytes += packet.size
        dts = packet.dts
        if dts is None or dts != self._last_dts:  # a keyframe may come as two packets
            self._frames += 1
            if dts is not None and self._mark_dts is None:
                self._mark_dts, self._mark_frames = dts, self._frames
        self._last_dts = dts
        elapsed = arrival - self._window_start
        if elapsed >= STATUS_INTERVAL:
            self._measure(elapsed)
        elif not self._changed:
            return None
        self._changed = False
        return self.status()

    def _measure(self, elapsed: float) -> None:
        self._fps = self._frames / elapsed
        if self._mark_dts is not None and self._last_dts is not None and self._video.time_base:
            span = float((self._last_dts - self._mark_dts) * self._video.time_base)
            frames = self._frames - self._mark_frames
            # A camera whose clock jumped (restarted, wrapped) is measured on ours for this window.
            if frames > 0 and 0 < span < 4 * elapsed:
                self._fps = frames / span
            self._mark_dts, self._mark_frames = self._last_dts, 0
        self._bitrate = round(self._bytes * 8 / elapsed)
        if self._masking_cpu is not None:
            used = self._masking_cpu()
            self._masking_cost = round((used - self._masking_cpu_before) / elapsed * 100, 2)
            self._masking_cpu_before = used
        self._window_start += elapsed
        self._frames = self._bytes = 0

    def status(self) -> StreamStatus:
        codec = self._video.codec_context
        width, height = self._size or (codec.width, codec.height)
        return StreamStatus(
            codec=codec.name,
            width=width,
            height=height,
            fps=self._fps,
            bitrate=self._bitrate,
            last_frame_at=datetime.fromtimestamp(self._last_frame_at, UTC),
            masking_cost=self._masking_cost,
            notice=self._notice if time.monotonic() - self._notice_at < NOTICE_SECONDS else self._lasting_notice,
            audio=self.audio,
        )


def _frame_duration(video: VideoStream) -> int:
    """One frame in the stream's time base, for packets that do not say their duration."""
    # Not guessed_rate: FFmpeg guesses field rate (50) for some 25 fps RTSP streams.
    rate = video.average_rate or 25
    return max(1, round(1 / (rate * video.time_base)))
