"""Each finished segment of a camera goes from the recorder's disk into the recordings store, checked whole, and only
then into the index; then the recorder's copy goes (unless it is the store's own file). A thread per camera, apart
from the camera's packets: a store or database outage holds the segments on the disk, in order, and the camera goes on
recording; the camera's `storage_error` says so until they are all in.

Where the store is not this disk (an object store, another host's folder), what the camera's recorder has written of
the segment it is writing goes up too, a piece about every OPEN_SEGMENT_UPLOAD_SECONDS: if this host dies, the
recorder that takes the camera over rescues the segment from those pieces (recordings.recorder), so the footage ends
about a second before the death rather than where the last finished segment did. The pieces go once the segment is
indexed."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection

from devices.models import Camera
from devices.status import publish_status
from recordings.leases import Lease
from recordings.models import Segment
from recordings.segment_files import is_held, original_path, segment_path
from recordings.services import index_segments
from storage import StoreUnavailable
from storage.configured import recordings_store
from video.segments import RecordedSegment, part_path_of

log = logging.getLogger(__name__)


class LeaseUnconfirmed(Exception):
    """A held segment waits: the recorder's lease of the camera is not confirmed yet."""
FIRST_RETRY_SECONDS = 1.0
# Where, under a camera's folder of the store, the pieces of the segments being written wait: <camera>/open/<day>/
# <time>.mp4/<offset of the piece in the file, 12 digits>.
OPEN = "open"


def segment_key(local: Path) -> str:
    """The index's and the store's name of a segment written at `local`: its path under the recordings folder."""
    return str(local.relative_to(settings.RECORDINGS_ROOT))


def open_segment_prefix(local: Path) -> str:
    """Where the pieces of the segment being written at `local` (its final name, or the name of the segment another
    recorder rescued from them) wait in the store."""
    camera, rest = segment_key(original_path(local)).split("/", 1)
    return f"{camera}/{OPEN}/{rest}/"


def keeps_local_copy(local: Path) -> bool:
    """Whether the recorder's file stays once indexed: it is the store's own file (the store is this folder)."""
    return recordings_store().local_path(segment_key(local)) == local


class SegmentUploader(threading.Thread):
    """Puts a camera's finished segments into the store and the index, in the order they were finished."""

    def __init__(self, camera_id: int, lease: Callable[[], Lease], on_camera_gone: Callable[[], None]) -> None:
        super().__init__(name=f"camera-{camera_id}-uploads", daemon=True)
        self.camera_id = camera_id
        self.lease = lease
        self.on_camera_gone = on_camera_gone
        self.waiting: queue.Queue[tuple[RecordedSegment, bool]] = queue.Queue()
        self.queued: set[Path] = set()
        self.finishing = threading.Event()
        self.problem = ""
        # Per copy (masked or unmasked), the segment being written (its final name) and how many bytes are in the store.
        self.writing: dict[bool, tuple[Path, int]] = {}
        self.writing_lock = threading.Lock()
        self.pieces_due = 0.0  # time.monotonic() when the next pieces go up

    def add(self, segment: RecordedSegment, unmasked: bool = False) -> None:
        """Take a finished segment (from the packet path: never blocks)."""
        self.queued.add(segment.path)
        self.waiting.put((segment, unmasked))

    def begin(self, local: Path, unmasked: bool = False) -> None:
        """The camera's recorder starts writing a segment to be named `local` (from the packet path: never blocks on
        the store): its pieces go up from now on, when the store is not this disk."""
        if settings.OPEN_SEGMENT_UPLOAD_SECONDS and not keeps_local_copy(local):
            with self.writing_lock:
                self.writing[unmasked] = (local, 0)

    def has(self, local: Path) -> bool:
        """Whether the segment at `local` waits here already (recovery must not add it twice)."""
        return local in self.queued

    def stop(self) -> None:
        """Store and index the segments handed over so far (the camera's last one too), then end; at the first
        failure from then on, end at once: what is left stays on the disk for the next start's recovery."""
        self.finishing.set()
        self.waiting.put(None)

    def run(self) -> None:
        try:
            while (item := self.next_segment()) is not None:
                if not self.store_until_done(*item):
                    break
                self.queued.discard(item[0].path)
                if self.waiting.empty():
                    self.report("")
                    connection.close()  # none held while waiting for the next segment (see CameraRecorder.set_state)
        finally:
            connection.close()

    def next_segment(self) -> tuple[RecordedSegment, bool] | None:
        """The next finished segment (None: stop); the open ones' pieces go up whenever they are due, between
        segments too, so that a backlog (a slow store) does not hold them back."""
        every = settings.OPEN_SEGMENT_UPLOAD_SECONDS
        while True:
            if every and time.monotonic() >= self.pieces_due:
                self.upload_open_pieces()
                self.pieces_due = time.monotonic() + every
            try:
                return self.waiting.get(timeout=max(self.pieces_due - time.monotonic(), 0.01) if every else None)
            except queue.Empty:
                continue

    def upload_open_pieces(self) -> None:
        """Put what was written of each open segment since the last piece into the store, as a piece of its own.
        A store away for now loses nothing: the next piece starts where the last stored one ended."""
        with self.writing_lock:
            writing = list(self.writing.items())
        for unmasked, (final, stored) in writing:
            try:
                with open(part_path_of(final), "rb") as file:
                    file.seek(stored)
                    piece = file.read()
            except FileNotFoundError:
                continue  # finished: the whole file comes through the queue
            if not piece:
                continue
            try:
                recordings_store().put_bytes(f"{open_segment_prefix(final)}{stored:012d}", piece)
            except StoreUnavailable as exc:
                log.debug("camera %s: a piece of the open segment waits: %s", self.camera_id, exc)
                continue
            with self.writing_lock:
                if self.writing.get(unmasked, (None,))[0] == final:
                    self.writing[unmasked] = (final, stored + len(piece))

    def store_until_done(self, segment: RecordedSegment, unmasked: bool) -> bool:
        """Upload and index one segment, trying again after a doubling pause; False when the camera stopped first."""
        pause = FIRST_RETRY_SECONDS
        while True:
            try:
                self.store(segment, unmasked)
                return True
            except LeaseUnconfirmed:
                self.report(f"The recorder cannot confirm it still records this camera (the database is out of "
                            f"reach); {self.backlog()} held on its disk until it can.")
            except StoreUnavailable as exc:
                self.report(f"Recordings cannot be stored ({exc}); {self.backlog()} kept on the recorder's disk "
                            "until they can.")
            except DatabaseError as exc:
                connection.close()  # the next query opens a new connection
                self.report(f"Recordings cannot be indexed (database unavailable: {exc}); {self.backlog()} kept "
                            "on the recorder's disk until they can.")
            if self.finishing.is_set() or self.finishing.wait(pause):
                return False
            pause = min(pause * 2, settings.STORAGE_RETRY_MAX_SECONDS)

    def store(self, segment: RecordedSegment, unmasked: bool) -> None:
        """Store and index one segment; a held one (recorded while the lease was not confirmed) first waits for the
        lease and moves beside the others. Indexed only while the camera is still this recorder's (Lease.fenced)."""
        if not segment.path.exists():
            return  # added twice (a recovery raced the camera's own report): the first one took it
        held = is_held(segment.path, self.camera_id, unmasked)
        if held:
            if not self.lease().valid():
                raise LeaseUnconfirmed
            final = segment_path(self.camera_id, segment.start, unmasked)
            final.parent.mkdir(parents=True, exist_ok=True)
            segment.path.rename(final)
            segment = replace(segment, path=final)
        store, key = recordings_store(), segment_key(segment.path)
        store.put(key, segment.path, segment.sha256)
        try:
            indexed = self.lease().fenced(index_segments, segments=[Segment(
                camera_id=self.camera_id, start=segment.start, end=segment.end, duration=segment.duration,
                size=segment.size, sha256=segment.sha256, init_size=segment.init_size, unmasked=unmasked, path=key)])
        except IntegrityError:
            # Indexed already (the connection broke after the commit), or the camera was deleted meanwhile.
            if not Segment.objects.filter(path=key).exists():
                store.delete(key)
                segment.path.unlink(missing_ok=True)
                self.on_camera_gone()
                return
            indexed = True
        except DatabaseError:
            if held:  # back to where it waits, until the database answers
                segment.path.rename(segment_path(self.camera_id, segment.start, unmasked, held=True))
            raise
        if not indexed:
            self.left_out(segment, key, held)
            return
        if not keeps_local_copy(segment.path):
            self.forget_open_pieces(segment.path)
            segment.path.unlink(missing_ok=True)

    def forget_open_pieces(self, local: Path) -> None:
        """Delete the pieces of a segment that is indexed whole now (left behind: the next rescue deletes them)."""
        try:
            recordings_store().delete_under(open_segment_prefix(local))
        except StoreUnavailable as exc:
            log.warning("camera %s: the pieces of %s stay in the store until the camera's next start: %s",
                        self.camera_id, local.name, exc)

    def left_out(self, segment: RecordedSegment, key: str, held: bool) -> None:
        """The database says another recorder holds the camera now, and the segment's time may be its own: it stays
        out of the index and the store. Recorded while the lease was not confirmed, it is deleted; else it stays on
        this disk."""
        if not keeps_local_copy(segment.path):
            recordings_store().delete(key)
        if held:
            segment.path.unlink(missing_ok=True)
            log.warning("camera %s: segment of %s recorded while cut off deleted: another recorder holds the camera",
                        self.camera_id, segment.start.isoformat())
        else:
            log.warning("camera %s: %s left out of the index: another recorder holds the camera now",
                        self.camera_id, segment.path.name)

    def backlog(self) -> str:
        count = self.waiting.qsize() + 1
        return "1 segment is" if count == 1 else f"{count} segments are"

    def report(self, problem: str) -> None:
        """Say in the camera's status (and once in the log) that segments wait, or that they no longer do."""
        if problem == self.problem:
            return
        if problem and not self.problem:
            log.warning("camera %s: %s", self.camera_id, problem)
        elif not problem:
            log.info("camera %s: the recordings that waited on the recorder's disk are stored and indexed",
                     self.camera_id)
        try:
            Camera.objects.filter(pk=self.camera_id).update(storage_error=problem[:500])
        except DatabaseError:
            connection.close()
            return  # said once the database is back
        if bool(problem) != bool(self.problem):
            publish_status(self.camera_id)
        self.problem = problem
