"""The recorder service: records each camera it leases (see recordings.leases) in its own thread."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Case, Max, When
from django.utils import timezone

from devices.choices import CameraStatus, DeviceKind, RecordingMode
from devices.models import Camera
from devices.ptz_masks import scene_masks_of
from devices.ptz_position import PositionFollower
from devices.status import publish_status
from recordings import unmasked
from recordings.leases import CameraThread, LeasingProcess
from recordings.live import LivePublisher, hub
from recordings.models import Segment
from recordings.segment_files import camera_directory, held_files, rescued_path, segment_path
from recordings.standby import StandingBy
from recordings.uploader import OPEN, SegmentUploader, keeps_local_copy, segment_key
from storage import StoreUnavailable
from storage.configured import recordings_store
from video.buffered_stream import BufferedStream
from video.live import LiveChunk
from video.masking import Masker, PrivacyMask, color_from_hex
from video.probe import StreamError
from video.recording import CameraMetadata, StreamStatus, UnmaskedCopy, record
from video.segments import PART_SUFFIX, RecordedSegment, describe_segment, part_path_of, recover_partial
from video.source import open_stream

log = logging.getLogger(__name__)

# Reasons a stream fails that another try may cure (the camera is away), as opposed to a setting to fix.
OFFLINE_REASONS = {"unreachable", "refused", "timeout", "stream_lost"}
STATUS_WRITE_SECONDS = 5.0
# A keyframe a hot standby kept this much before the end of the camera's indexed footage is taken for the one it
# ended at (the two sessions place it on the camera's clock each, to within rounding); one earlier is not recorded.
SAME_KEYFRAME_SECONDS = 0.01


def eligible_cameras():
    """Every enabled camera (not a radar: it has no stream): one with recording off is still read, for live view and
    analytics. Their masks come along in one query, for the lease round's checks of every camera."""
    return Camera.objects.filter(enabled=True, kind=DeviceKind.CAMERA).prefetch_related("privacy_masks")


class CameraRecorder(CameraThread):
    """Records one camera until stopped, reconnecting with capped exponential backoff."""

    def __init__(self, camera: Camera, kept: BufferedStream | None = None) -> None:
        super().__init__(name=f"camera-{camera.pk}", daemon=True)
        self.camera_id = camera.pk
        self.config = config_of(camera)
        self.url, self.username, self.password = camera.main_url, camera.username, camera.password
        self.sub_url = camera.sub_url
        self.sub_stream: SubStreamLive | None = None
        self.rotation = camera.rotation
        self.records = camera.recording_mode != RecordingMode.OFF
        self.masker = Masker(*masking_of(camera)) if is_masked(camera) else None
        self.position: PositionFollower | None = None
        if self.masker is not None:
            self.follow_scene(camera)
        self.keep_unmasked = self.masker is not None and camera.keep_unmasked
        self.reads_metadata = camera.metadata_in_stream
        self.records_audio = camera.record_audio
        self.unmasked_live: LivePublisher | None = None
        self.stop_event = threading.Event()
        self.hand_over_event = threading.Event()
        self.live: LivePublisher | None = None
        self.live_failing = False
        self.state = ""
        self.notice = ""
        self.opened = False
        self.last_status_write = 0.0
        # Finished segments go into the store and the index from a thread of their own, in order.
        self.uploader = SegmentUploader(self.camera_id, lease=lambda: self.lease, on_camera_gone=self.stop)
        self.database_failing = False  # said once in the log until a status is written again
        # The camera's stream a hot standby of this process kept (recordings.standby): recorded first.
        self.kept = kept
        # The end of the footage handed to the uploader, which indexes it a little later.
        self.handed_until: datetime | None = None

    def run(self) -> None:
        self.uploader.start()
        try:
            self.record_until_stopped()
        finally:
            if self.kept is not None:
                self.kept.close()
            self.uploader.stop()
            self.uploader.join()
            connection.close()

    def stop(self) -> None:
        self.stop_event.set()

    def hand_over(self) -> None:
        """Stop at the end of the segment being written; at once when nothing is being recorded."""
        self.hand_over_event.set()
        if not self.records:
            self.stop()

    def record_until_stopped(self) -> None:
        backoff = 1.0
        # A camera is opened only while its lease is confirmed, and so is the rescue of an interrupted segment: another
        # recorder may hold the camera by now. Once it is open, a lapse does not stop the recording (the database may
        # only be restarting): what is recorded meanwhile is held apart until the lease is confirmed (segment_path).
        while self.lease.wait_until_valid(self.stop_event):
            self.opened = False
            self.recover_interrupted_segments()
            kept = self.continued_stream()
            self.live = hub().publisher(self.camera_id)
            self.unmasked_live = hub().publisher(unmasked.live_key(self.camera_id)) if self.keep_unmasked else None
            try:
                record(self.url, username=self.username or None, password=self.password or None,
                       segment_seconds=settings.SEGMENT_SECONDS,
                       segment_path=self.path_of if self.records else None,
                       on_segment=self.index_segment if self.records else None,
                       on_status=self.report_status, stop=self.stop_event,
                       read_timeout=settings.CAMERA_READ_TIMEOUT, on_live=self.publish_live,
                       live_wanted=self.live_wanted, masker=self.masker,
                       unmasked=self.unmasked_copy(),
                       on_metadata=self.publish_metadata if self.reads_metadata else None,
                       audio=self.records_audio and self.records, lease_end=lambda: self.lease.valid_until,
                       hand_over=self.hand_over_event, opened=kept)
            except StreamError as exc:
                state = CameraStatus.OFFLINE if exc.reason in OFFLINE_REASONS else CameraStatus.ERROR
                self.set_state(state, str(exc))
            except OSError as exc:
                self.set_state(CameraStatus.ERROR, f"Cannot write recordings to disk: {exc.strerror or exc}")
            except Exception as exc:
                log.exception("camera %s: recording failed", self.camera_id)
                self.set_state(CameraStatus.ERROR, f"Recording failed: {exc}")
            self.publish_live(None)
            if self.unmasked_live is not None:
                self.publish_live(None, self.unmasked_live)
            if self.opened:
                backoff = 1.0
            if self.hand_over_event.is_set() or self.stop_event.wait(backoff):
                break
            backoff = min(backoff * 2, settings.RECONNECT_MAX_SECONDS)
        if self.masker is not None:
            self.masker.close()
        if self.position is not None:
            self.position.close()
        log.info("camera %s: recording stopped", self.camera_id)

    def follow_scene(self, camera: Camera) -> None:
        """Mask the camera's privacy masks fixed to the scene where its position puts them on each frame (following
        its position while it has any)."""
        masks = scene_masks_of(camera)
        if masks and self.position is None:
            self.position = PositionFollower(camera, masks, camera.ptz_optics, camera.ptz_max_speed)
            self.masker.follow(self.position.masks)
        elif self.position is not None:
            self.position.set(masks, camera.ptz_optics, camera.ptz_max_speed)

    def continued_stream(self) -> BufferedStream | None:
        """The stream a hot standby kept for the camera, from the first keyframe at or after the end of the camera's
        footage (indexed, or rescued and handed to the uploader just now): the footage goes on where it ended, with at
        most a group of pictures missing and nothing recorded twice. None, once it was taken, or without one."""
        kept, self.kept = self.kept, None
        if kept is None:
            return None
        indexed = Segment.objects.filter(camera_id=self.camera_id, unmasked=False).aggregate(end=Max("end"))["end"]
        ends = [end for end in (indexed, self.handed_until) if end is not None]
        if ends:
            kept.start_at(max(ends).timestamp(), SAME_KEYFRAME_SECONDS)
        log.info("camera %s: recording from the %.1f s its standby kept", self.camera_id, kept.kept_seconds)
        return kept

    def unmasked_copy(self) -> UnmaskedCopy | None:
        """Where the camera's video goes unmasked, when the admin keeps it (and the camera records)."""
        if not (self.keep_unmasked and self.records):
            return None
        return UnmaskedCopy(segment_path=lambda start: self.path_of(start, unmasked=True),
                            on_segment=lambda segment: self.index_segment(segment, unmasked=True),
                            on_live=lambda chunk: self.publish_live(chunk, self.unmasked_live),
                            live_wanted=lambda: self.live_wanted(self.unmasked_live))

    def path_of(self, start: datetime, unmasked: bool = False) -> Path:
        """Where a new segment goes: held apart while the lease is not confirmed (and then not put into the store
        piece by piece: its time may be another recorder's)."""
        held = not self.lease.valid()
        path = segment_path(self.camera_id, start, unmasked, held=held)
        if not held:
            self.uploader.begin(path, unmasked)
        return path

    def recover_interrupted_segments(self) -> None:
        """Store and index what a killed recorder, or a full disk, left half-written for this camera, and the
        segments it had finished but not yet stored and indexed when it was killed, where no indexed footage covers
        their time (see index_unless_covered)."""
        for copy in (False, True):
            # The finished files first: a .part is newer than any of them, and indexed would hide them.
            for path in self.unindexed_files(copy):
                try:
                    segment = describe_segment(path)
                except Exception:
                    log.exception("camera %s: cannot index %s", self.camera_id, path)
                    continue
                if self.index_unless_covered(segment, copy):
                    log.info("camera %s: indexed finished segment %s", self.camera_id, path.name)
            for part in sorted(camera_directory(self.camera_id, copy).glob("*/*.part")):
                try:
                    segment = recover_partial(part)
                except Exception:
                    log.exception("camera %s: cannot recover %s", self.camera_id, part)
                    continue
                if segment is not None and self.index_unless_covered(segment, copy):
                    log.info("camera %s: recovered interrupted segment %s", self.camera_id, segment.path.name)
            self.recover_held_segments(copy)
            try:
                self.recover_open_segments(copy)
            except StoreUnavailable as exc:
                log.warning("camera %s: the segments another recorder left open in the store wait for its next "
                            "start: %s", self.camera_id, exc)

    def recover_open_segments(self, unmasked: bool) -> None:
        """Index what a recorder on another host had put into the store of the segment it was writing when it died
        or was cut off (recordings.uploader: its pieces), up to its last complete fragment, where no indexed footage
        covers its time. Named apart (`.rescued.mp4`): that recorder, if it comes back, may still hold the whole
        file and must not overwrite this one. Pieces of segments indexed since, or rescued here, are deleted."""
        store = recordings_store()
        directory = camera_directory(self.camera_id, unmasked)
        if store.local_path(directory.name) == directory:
            return  # the store is this disk: the .part files are here (recover_interrupted_segments)
        pieces: dict[str, list[tuple[int, str]]] = {}
        prefix = f"{directory.name}/{OPEN}/"
        for key in store.keys(prefix):
            name, _, offset = key.removeprefix(prefix).rpartition("/")
            pieces.setdefault(name, []).append((int(offset), key))
        for name, found in sorted(pieces.items()):
            final = directory / name
            if any(self.uploader.has(p) or p.exists() for p in (final, part_path_of(final), rescued_path(final))):
                continue  # on this disk: handed to the uploader, which deletes the pieces once it is indexed
            segment = None
            if not Segment.objects.filter(path=segment_key(final)).exists():
                segment = self.rescue_from_pieces(final, sorted(found))
            if segment is not None and self.index_unless_covered(segment, unmasked):
                log.info("camera %s: rescued %s from the store", self.camera_id, segment.path.name)
            else:
                store.delete_under(f"{prefix}{name}/")

    def rescue_from_pieces(self, final: Path, pieces: list[tuple[int, str]]) -> RecordedSegment | None:
        """The segment its pieces hold from its start to the first one missing, up to its last complete fragment."""
        part = part_path_of(rescued_path(final))
        part.parent.mkdir(parents=True, exist_ok=True)
        with open(part, "wb") as file:
            for offset, key in pieces:
                if offset != file.tell():
                    break
                file.write(recordings_store().read(key))
        return recover_partial(part)

    def recover_held_segments(self, unmasked: bool) -> None:
        """Index the segments a recorder held while its lease was not confirmed and could not index before it
        stopped (killed while the database was away), where no indexed footage covers their time."""
        for path in held_files(self.camera_id, unmasked):
            if self.uploader.has(path):
                continue
            try:
                segment = recover_partial(path) if path.suffix == PART_SUFFIX else describe_segment(path)
            except Exception:
                log.exception("camera %s: cannot recover held segment %s", self.camera_id, path)
                continue
            if segment is not None:
                self.index_unless_covered(segment, unmasked)

    def index_unless_covered(self, segment: RecordedSegment, unmasked: bool) -> bool:
        """Index a segment a recorder left behind, unless indexed footage covers any of its time: another recorder
        recorded the camera meanwhile (having taken it over while this one's database was away, or as its hot
        standby, from memory, while the segment lay on a disk it could not see). Then it is deleted. Whether it
        was indexed."""
        recorded = Segment.objects.filter(camera_id=self.camera_id, unmasked=unmasked, start__lt=segment.end,
                                          end__gt=segment.start)
        if recorded.exists():
            segment.path.unlink(missing_ok=True)
            log.warning("camera %s: recovered segment of %s deleted: other footage covers its time", self.camera_id,
                        segment.start.isoformat())
            return False
        self.index_segment(segment, unmasked)
        return True

    def unindexed_files(self, unmasked: bool) -> list[Path]:
        """Finished segment files on this disk the index does not know (and the uploader does not hold yet).

        Where the store is this folder, only those newer than the camera's newest indexed one: an older file without
        a row is one retention or a deletion was removing. Where the store is elsewhere, every file here is one not
        yet stored, or stored and indexed but not yet removed here (removed now)."""
        indexed = Segment.objects.filter(camera_id=self.camera_id, unmasked=unmasked)
        files = {segment_key(f): f for f in camera_directory(self.camera_id, unmasked).glob("*/*.mp4")
                 if not self.uploader.has(f)}
        if files and keeps_local_copy(next(iter(files.values()))):
            newest = indexed.order_by("-start").values_list("path", flat=True).first() or ""
            # Paths name the day, then the time (UTC): in one camera's directory they sort as the recordings do.
            files = {name: f for name, f in files.items() if name > newest}
        known = set(indexed.filter(path__in=list(files)).values_list("path", flat=True))
        for name in known:
            if not keeps_local_copy(files[name]):
                files[name].unlink(missing_ok=True)
        return [files[name] for name in sorted(files) if name not in known]

    def index_segment(self, segment: RecordedSegment, unmasked: bool = False) -> None:
        """Hand a finished segment to the uploader, which stores and indexes it; while the store or the database is
        away, the camera goes on recording and the segments wait on the disk, so that an outage loses no footage."""
        if not unmasked:
            self.handed_until = max(self.handed_until or segment.end, segment.end)
        self.uploader.add(segment, unmasked)

    def database_unavailable(self, what: str, exc: DatabaseError) -> None:
        """Recording goes on while the database is away: say so once; the next query opens a new connection."""
        connection.close()
        if not self.database_failing:
            log.warning("camera %s: database unavailable, %s: %s", self.camera_id, what, exc)
        self.database_failing = True

    def publish_live(self, chunk: LiveChunk | None, feed: LivePublisher | None = None) -> None:
        """Hand a frame to live viewers of the camera (or of `feed`, its unmasked copy); None: the stream ended.
        A fan-out outage never stops recording."""
        if self.sub_stream is not None and feed is None:
            return  # browsers get the H.264 sub-stream instead
        feed = feed or self.live
        try:
            if chunk is None:
                feed.ended()
            else:
                feed(chunk)
        except Exception as exc:
            if not self.live_failing:
                log.warning("camera %s: live view unavailable: %s", self.camera_id, exc)
            self.live_failing = True
        else:
            self.live_failing = False

    def live_wanted(self, feed: LivePublisher | None = None) -> bool:
        """Whether anyone watches the camera live (or `feed`, its unmasked copy): live fragments are made only then.
        Not while browsers get the H.264 sub-stream instead, nor while the fan-out is away."""
        if self.sub_stream is not None and feed is None:
            return False
        try:
            return (feed or self.live).wanted()
        except Exception as exc:
            if not self.live_failing:
                log.warning("camera %s: live view unavailable: %s", self.camera_id, exc)
            self.live_failing = True
            return False

    def publish_metadata(self, metadata: CameraMetadata) -> None:
        """Hand a document of the camera's metadata track to its analytics. Placed on the live timeline only when
        viewers watch this stream (not the H.264 sub-stream of an H.265 camera, whose timeline is its own)."""
        if self.sub_stream is not None:
            metadata = replace(metadata, pts=None)
        try:
            self.live.metadata(metadata)
        except Exception as exc:
            if not self.live_failing:
                log.warning("camera %s: metadata cannot reach the analytics: %s", self.camera_id, exc)
            self.live_failing = True

    def report_status(self, status: StreamStatus) -> None:
        # A masked camera's own stream is masked into H.264; its sub-stream is not masked, so it is never shown.
        if status.codec != "h264" and self.sub_url and self.sub_stream is None and self.masker is None:
            self.sub_stream = SubStreamLive(self)
            self.sub_stream.start()
        # A masked camera's live feed is the masked video, always H.264; its unmasked feed is as the camera sends it.
        for feed, codec in ((self.live, "h264" if self.masker else status.codec), (self.unmasked_live, status.codec)):
            if feed is not None:
                feed.describe(codec=codec, width=status.width, height=status.height, rotation=self.rotation)
        self.opened = True
        now = timezone.now().timestamp()
        # What went wrong with a stream recording survived (status.notice) is shown as soon as it happens.
        if (self.state == CameraStatus.ONLINE and status.notice == self.notice
                and now - self.last_status_write < STATUS_WRITE_SECONDS):
            return
        self.last_status_write = now
        self.notice = status.notice
        fields = {"codec": status.codec, "audio_codec": status.audio, "width": status.width, "height": status.height,
                  "fps": status.fps, "bitrate": status.bitrate, "last_frame_at": status.last_frame_at,
                  "masking_cost": None if status.masking_cost is None else round(status.masking_cost, 1)}
        self.set_state(CameraStatus.ONLINE, status.notice, **fields)

    def set_state(self, state: str, error: str, **fields) -> None:
        """Write the status; tell watching browsers only when the state changes (the rest is for the list)."""
        fields = {"status": state, "last_error": error[:500], **fields}
        changed = state != self.state
        if changed:
            fields["status_changed_at"] = timezone.now()
            if state != CameraStatus.ONLINE:
                log.warning("camera %s is %s: %s", self.camera_id, state, error)
        try:
            Camera.objects.filter(pk=self.camera_id).update(**fields)
        except DatabaseError as exc:
            self.database_unavailable("its status is written later", exc)
            return
        finally:
            # A camera's thread writes every few seconds and holds no connection between: a recorder of 64 cameras
            # held two connections a camera (this thread's and its uploader's), past PostgreSQL's default 100, and
            # the cameras past it went unindexed.
            connection.close()
        self.database_failing = False
        self.state = state
        if changed:
            publish_status(self.camera_id)


class SubStreamLive(threading.Thread):
    """Live view of a camera browsers cannot play (H.265): its H.264 sub-stream, read for live only."""

    def __init__(self, camera: CameraRecorder) -> None:
        super().__init__(name=f"camera-{camera.camera_id}-sub", daemon=True)
        self.camera = camera

    def run(self) -> None:
        camera, backoff = self.camera, 1.0
        publisher = hub().publisher(camera.camera_id)

        def describe(status: StreamStatus) -> None:
            publisher.describe(codec=status.codec, width=status.width, height=status.height,
                               rotation=camera.rotation)

        while not camera.stop_event.is_set():
            try:
                record(camera.sub_url, username=camera.username or None, password=camera.password or None,
                       segment_path=None, on_segment=None, on_status=describe, stop=camera.stop_event,
                       read_timeout=settings.CAMERA_READ_TIMEOUT, on_live=publisher, live_wanted=publisher.wanted)
            except Exception as exc:
                log.warning("camera %s: sub-stream for live view failed: %s", camera.camera_id, exc)
            try:
                publisher.ended()
            except Exception:  # noqa: BLE001  (the fan-out is down; recording goes on regardless)
                pass
            camera.stop_event.wait(backoff)
            backoff = min(backoff * 2, settings.RECONNECT_MAX_SECONDS)


def config_of(camera: Camera) -> tuple:
    """What, when changed, makes the recorder reopen the camera (changed masks do not: they apply at once)."""
    return (camera.main_url, camera.sub_url, camera.username, camera.password_encrypted, camera.rotation,
            camera.recording_mode == RecordingMode.OFF, is_masked(camera), camera.keep_unmasked,
            camera.metadata_in_stream, camera.record_audio)


def open_for_standby(camera: Camera):
    """Open the camera's stream as its recording does (record's own open_stream call), for a hot standby."""
    return open_stream(camera.main_url, camera.username or None, camera.password or None,
                       timeout=settings.CAMERA_READ_TIMEOUT, metadata=camera.metadata_in_stream,
                       audio=camera.record_audio)


def is_masked(camera: Camera) -> bool:
    """Whether the camera's video is transcoded with masks burned in, rather than recorded as it comes."""
    return bool(camera.dynamic_masking) or bool(camera.privacy_masks.all())


def masking_of(camera: Camera) -> tuple[list[PrivacyMask], str | None, str]:
    """The camera's masks as the masker takes them: static masks, dynamic mode, dynamic style. Masks fixed to a PTZ
    camera's scene are not among them: they move with its position (CameraRecorder.follow_scene)."""
    masks = [PrivacyMask(tuple(tuple(point) for point in mask.points), mask.style, color_from_hex(mask.color))
             for mask in camera.privacy_masks.all() if mask.scene_points is None]
    return masks, camera.dynamic_masking or None, camera.dynamic_mask_style


class Recorder(LeasingProcess):
    """One recorder process: records each camera it leases in its own thread."""

    kind = "recorder"
    holder_field = "recorder"
    epoch_field = "lease_epoch"

    def eligible_cameras(self):
        return eligible_cameras()

    def config_of(self, camera: Camera) -> tuple:
        return config_of(camera)

    def __init__(self, tick_seconds: float | None = None) -> None:
        super().__init__(tick_seconds)
        self.standing_by = StandingBy(self, open_for_standby) if settings.RECORDER_HOT_STANDBY else None

    def start_camera(self, camera: Camera) -> CameraRecorder:
        return CameraRecorder(camera, self.standing_by.take(camera) if self.standing_by else None)

    def claim_order(self) -> list:
        """The cameras this process stands by for first: their recording goes on from what it kept."""
        return [Case(When(standby=self.process, then=0), default=1), "pk"]

    def holders_lost(self, camera_ids: list[int]) -> None:
        """Tell the cameras' watchers that their recorder is lost (their live status says so once read)."""
        for camera_id in camera_ids:
            publish_status(camera_id)

    def after_tick(self, mine: dict[int, Camera]) -> None:
        """Changed masks take effect within a lease round, without reopening the camera; the cameras to stand by for
        are chosen."""
        for camera_id, thread in self.threads.items():
            if thread.masker is not None:
                thread.masker.set(*masking_of(mine[camera_id]))
                thread.follow_scene(mine[camera_id])
        if self.standing_by is not None:
            self.standing_by.round(len(mine))

    def shutdown(self) -> None:
        if self.standing_by is not None:
            self.standing_by.stop()
        super().shutdown()
