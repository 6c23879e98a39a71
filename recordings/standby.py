"""Hot standby (VMS_RECORDER_HOT_STANDBY): a recorder process reads, beside its own cameras, a fair share of those
other live recorders hold, each in its own RTSP session, keeping their last seconds in memory (video.buffered_stream)
and writing and indexing nothing. One process stands by for a camera at a time (Camera.standby, while its heartbeat
is fresh); it claims the camera first when the holder is lost, and its recording then begins with the kept packets,
at the first keyframe at or after the end of the camera's indexed footage (CameraRecorder.continued_stream): the
footage gap is at most a group of pictures, whatever the lease and the camera's opening took.

A standby counts as half a camera against VMS_RECORDER_MAX_CAMERAS: it reads the stream and keeps it, which is most
of what recording costs, but writes nothing."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Now

from devices.choices import RecordingMode
from devices.models import Camera
from recordings.models import RecorderProcess
from video.buffered_stream import BufferedStream
from video.probe import classify_error
from video.recording import CAMERA_CLOCK_TOLERANCE

if TYPE_CHECKING:
    from recordings.recorder import Recorder

log = logging.getLogger(__name__)

# Kept beyond a segment and the lease: the lease round that notices the holder is lost, and the claim.
MARGIN_SECONDS = 5.0
# At most this much of a camera is kept in memory (a 1080p camera at 8 Mbit/s sends about 20 MB in 20 s).
MAX_BYTES = 48 * 1024 * 1024


def keep_seconds() -> float:
    """How much of a camera a standby keeps: back to where the footage its holder indexed may end when it dies (a
    segment and the lease earlier), and the time to take it over."""
    return settings.SEGMENT_SECONDS + settings.RECORDER_LEASE_SECONDS + MARGIN_SECONDS


class CameraStandby(threading.Thread):
    """Reads one camera in a session of its own, keeping its last seconds, until stopped or taken; reopens it with
    a pause that doubles when it fails (a camera that refuses a second session is said in the log each time)."""

    def __init__(self, camera: Camera, config: tuple, open_camera: Callable[[], object]) -> None:
        super().__init__(name=f"standby-{camera.pk}", daemon=True)
        self.camera_id = camera.pk
        self.url = camera.main_url
        self.config = config
        self.open_camera = open_camera
        self.stop_event = threading.Event()
        self.stream: BufferedStream | None = None
        self.taken = False

    def run(self) -> None:
        backoff = 1.0
        while not self.stop_event.is_set():
            try:
                stream = BufferedStream(self.open_camera(), keep_seconds(), MAX_BYTES, CAMERA_CLOCK_TOLERANCE)
            except Exception as exc:
                log.warning("camera %s: cannot stand by for it (again in %.0f s): %s", self.camera_id, backoff,
                            classify_error(exc, self.url))
            else:
                self.stream = stream
                try:
                    stream.fill(self.stop_event)
                    lost = "the camera closed the connection"
                except Exception as exc:
                    lost = str(classify_error(exc, self.url))
                if self.taken:
                    return  # the camera's recording goes on with the stream
                if stream.first_arrival is not None:
                    backoff = 1.0  # it worked: a new failure starts afresh
                self.stream = None
                stream.close()
                if not self.stop_event.is_set():
                    log.warning("camera %s: standby stream lost (again in %.0f s): %s", self.camera_id, backoff, lost)
            if self.stop_event.wait(backoff):
                break
            backoff = min(backoff * 2, settings.RECONNECT_MAX_SECONDS)

    def stop(self) -> None:
        self.stop_event.set()

    def take(self) -> BufferedStream | None:
        """Stop reading and hand over the open stream with what it kept; None when it is not open. Waits for the
        packet being read (or the camera being opened): at most about twice VMS_CAMERA_READ_TIMEOUT."""
        self.taken = True
        self.stop_event.set()
        self.join()
        return self.stream


class StandingBy:
    """The cameras one recorder process stands by for, chosen after each of its lease rounds."""

    def __init__(self, recorder: Recorder, open_camera: Callable[[Camera], object]) -> None:
        self.recorder = recorder
        self.open_camera = open_camera
        self.threads: dict[int, CameraStandby] = {}

    def round(self, holding: int) -> None:
        """Let go of the cameras not to stand by for any more, claim a fair share of those without a live standby,
        and start or stop the threads to match. `holding`: how many cameras the process records."""
        process = self.recorder.process
        # A file played as a camera (a demo) has no clock to place what would be kept on.
        recorded = self.recorder.eligible_cameras().exclude(recording_mode=RecordingMode.OFF).exclude(
            main_url__startswith="file:").filter(recorder__isnull=False)
        others = recorded.exclude(recorder=process)
        Camera.objects.filter(standby=process).exclude(pk__in=others.values("pk")).update(standby=None)
        alive = RecorderProcess.objects.filter(kind=self.recorder.kind,
                                               heartbeat_at__gte=Now() - self.recorder.lease).count()
        # Each recorded camera has one standby among the live processes but its holder: with a share of the cameras
        # over those others, no camera is left without one for want of room; the shares may be uneven (those that
        # choose first take up to theirs).
        share = min(math.ceil(recorded.count() / max(alive - 1, 1)),
                    2 * max(settings.RECORDER_MAX_CAMERAS - holding, 0))
        mine = list(others.filter(standby=process).order_by("pk").values_list("pk", flat=True))
        if len(mine) > share:
            Camera.objects.filter(pk__in=mine[share:], standby=process).update(standby=None)
        elif len(mine) < share:
            self.claim(others, share - len(mine))
        cameras = {camera.pk: camera for camera in others.filter(standby=process)}
        for camera_id in list(self.threads):
            thread = self.threads[camera_id]
            camera = cameras.get(camera_id)
            if camera is None or not thread.is_alive() or thread.config != self.recorder.config_of(camera):
                thread.stop()
                del self.threads[camera_id]
        for camera_id, camera in cameras.items():
            if camera_id not in self.threads:
                thread = CameraStandby(camera, self.recorder.config_of(camera), lambda c=camera: self.open_camera(c))
                self.threads[camera_id] = thread
                thread.start()
                log.info("%s %s stands by for camera %s", self.recorder.kind, self.recorder.name, camera_id)

    def claim(self, others, wanted: int) -> None:
        """Stand by for up to `wanted` more cameras that have no standby, or one whose process stopped answering."""
        process = self.recorder.process
        with transaction.atomic():
            free = list(others.select_for_update(skip_locked=True, of=("self",))
                        .filter(Q(standby__isnull=True) | Q(standby__heartbeat_at__lt=Now() - self.recorder.lease))
                        .order_by("pk").values_list("pk", flat=True)[:wanted])
            Camera.objects.filter(pk__in=free).update(standby=process)

    def take(self, camera: Camera) -> BufferedStream | None:
        """The stream kept for a camera this process now records, if it stood by for it as it is now set up."""
        thread = self.threads.pop(camera.pk, None)
        if thread is None:
            return None
        if thread.config != self.recorder.config_of(camera):
            thread.stop()
            return None
        return thread.take()

    def stop(self) -> None:
        for thread in self.threads.values():
            thread.stop()
        for thread in self.threads.values():
            thread.join(timeout=settings.CAMERA_READ_TIMEOUT + 5)
        self.threads.clear()
