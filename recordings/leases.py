"""Cameras shared out between worker processes by lease: recorders, the live analytics workers and the event
listeners.

A process holds the cameras it claimed for as long as its heartbeat (every RECORDER_HEARTBEAT_SECONDS, one UPDATE of
its own row) is younger than the lease (RECORDER_LEASE_SECONDS). A process whose heartbeat is older is lost: the
others claim its cameras (SELECT ... FOR UPDATE SKIP LOCKED, up to a fair share each), and each claim raises the
camera's lease epoch. So that two processes never index the same time of a camera, a holder fences itself: on its own
monotonic clock a camera's lease is valid until one lease after the start of the last heartbeat that found the camera
still its own under the same epoch (the others count from the heartbeat's time in the database, which is later): its
camera thread ends the segments it writes before then (Lease.valid_until) and holds what it records after apart
until a heartbeat confirms the lease again (the database may only have been restarting), and what it wrote is
indexed only while the database still says the camera is its own under that epoch (Lease.fenced). When a process
joins, the others hand it cameras over at segment boundaries (CameraThread.hand_over); a process that stops lets its
cameras go at once."""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Now

from devices.models import Camera
from recordings.models import RecorderProcess
from video.recording import FINISH_MARGIN

log = logging.getLogger(__name__)
FORGET_DEAD_PROCESSES_AFTER = timedelta(minutes=10)


# A camera thread that keeps dying is restarted after a pause that doubles each time, up to the cap; a thread
# that ran this long before it stopped counts as healthy again.
RESTART_FIRST_PAUSE = 2.0
RESTART_MAX_PAUSE = 120.0
HEALTHY_AFTER = 60.0
# How often a camera thread whose lease could not be confirmed looks again whether it is.
FENCED_POLL_SECONDS = 0.1


class Lease:
    """One camera's lease as its holder sees it: held under `epoch`, valid on this process's monotonic clock until
    `valid_until` unless a heartbeat extends it."""

    def __init__(self, holder: LeasingProcess, camera_id: int, epoch: int, valid_until: float) -> None:
        self.holder = holder
        self.camera_id = camera_id
        self.epoch = epoch
        self.valid_until = valid_until

    def valid(self) -> bool:
        """Whether the lease is confirmed now, with time to finish a segment before it can pass: segments begun
        while it is not are held apart."""
        return time.monotonic() < self.valid_until - FINISH_MARGIN

    def wait_until_valid(self, stop: threading.Event) -> bool:
        """Wait while the lease is not confirmed (the database is out of reach); False once `stop` is set."""
        while not self.valid():
            if stop.wait(FENCED_POLL_SECONDS):
                return False
        return not stop.is_set()

    def fenced(self, write: Callable[..., object], /, **fields: object) -> bool:
        """Run `write(**fields)` (an insert into the index) in one transaction with the camera's row locked, only if the
        database says this process still holds the camera under this epoch; False, with nothing written, if not.
        The lock keeps a claim from passing between the check and the insert."""
        holder = self.holder
        with transaction.atomic():
            held = (Camera.objects.select_for_update()
                    .filter(pk=self.camera_id, **{holder.holder_field: holder.process, holder.epoch_field: self.epoch})
                    .values_list("pk", flat=True))
            if not list(held):
                return False
            write(**fields)
        return True


class CameraThread(threading.Thread):
    """What a leasing process runs per camera; `config` is what, when changed, makes it restart. The process sets
    `lease` before starting it."""

    config: tuple
    started_at: float = 0.0
    lease: Lease

    def stop(self) -> None:
        raise NotImplementedError

    def hand_over(self) -> None:
        """Finish what is under way and stop, so that another process takes the camera over; by default at once."""
        self.stop()


class RestartBackoff:
    """When each camera whose thread died may be started again: a failing camera must not spin."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self.failures: dict[int, int] = {}
        self.not_before: dict[int, float] = {}

    def died(self, camera_id: int, ran_for: float) -> float:
        """Note that the camera's thread stopped on its own; returns the pause before its next start."""
        failures = 1 if ran_for >= HEALTHY_AFTER else self.failures.get(camera_id, 0) + 1
        self.failures[camera_id] = failures
        pause = min(RESTART_MAX_PAUSE, RESTART_FIRST_PAUSE * 2 ** (failures - 1))
        self.not_before[camera_id] = self.clock() + pause
        return pause

    def may_start(self, camera_id: int) -> bool:
        return self.clock() >= self.not_before.get(camera_id, 0.0)

    def forget(self, camera_id: int) -> None:
        self.failures.pop(camera_id, None)
        self.not_before.pop(camera_id, None)


class LeasingProcess:
    """One worker process: heartbeat (in a thread of its own, so that a slow lease round never delays it), lease
    claiming, hand-over and release, and a thread per leased camera.

    Subclasses say which cameras they handle, which Camera fields hold their lease, and what runs per camera."""

    kind = ""
    holder_field = ""
    epoch_field = ""
    # How long a camera being handed over may take to reach the end of its segment before it is stopped anyway
    # (a camera that is offline reaches none); in segments.
    HAND_OVER_SEGMENTS = 2

    def __init__(self, tick_seconds: float | None = None) -> None:
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_seconds = settings.RECORDER_LEASE_SECONDS
        self.lease = timedelta(seconds=self.lease_seconds)
        self.heartbeat_seconds = settings.RECORDER_HEARTBEAT_SECONDS
        self.tick_seconds = tick_seconds or self.heartbeat_seconds
        self.threads: dict[int, CameraThread] = {}
        # Written by the lease rounds, extended by the heartbeat thread.
        self.leases: dict[int, Lease] = {}
        self.leases_lock = threading.Lock()
        # Cameras being handed over to another process, with when to stop waiting for their segment to end.
        self.handing_over: dict[int, float] = {}
        self.announced_lost: set[tuple[int, int]] = set()
        self.process: RecorderProcess | None = None
        self.backoff = RestartBackoff()

    def eligible_cameras(self) -> QuerySet[Camera]:
        raise NotImplementedError

    def config_of(self, camera: Camera) -> tuple:
        raise NotImplementedError

    def start_camera(self, camera: Camera) -> CameraThread:
        raise NotImplementedError

    def claim_order(self) -> list:
        """The order in which free cameras are claimed."""
        return ["pk"]

    def after_tick(self, mine: dict[int, Camera]) -> None:
        """Hook: runs after each lease round with this process's cameras."""

    def holders_lost(self, camera_ids: list[int]) -> None:
        """Hook: these cameras' holders stopped answering for longer than the lease (before they are claimed)."""

    def run(self, stop: threading.Event) -> None:
        self.process = self.register()
        beating = threading.Event()
        heartbeat = threading.Thread(target=self.beat, args=(beating,), name=f"{self.kind}-heartbeat", daemon=True)
        heartbeat.start()
        log.info("%s %s started", self.kind, self.name)
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    self.tick()
                except Exception:
                    # A database outage must not stop the cameras: threads go on while their leases are valid.
                    log.exception("%s %s: lease round failed", self.kind, self.name)
                stop.wait(self.tick_seconds)
        finally:
            # The heartbeat goes on until the cameras are let go: a thread finishing its segment keeps its lease.
            try:
                self.shutdown()
            finally:
                beating.set()
                heartbeat.join()
                connection.close()

    def register(self) -> RecorderProcess:
        return RecorderProcess.objects.create(name=self.name, kind=self.kind, hostname=socket.gethostname(),
                                              pid=os.getpid(), heartbeat_at=Now())

    def beat(self, until: threading.Event) -> None:
        """The heartbeat thread: beat every heartbeat_seconds until `until` is set."""
        failing = False
        while not until.wait(self.heartbeat_seconds):
            try:
                self.heartbeat()
            except DatabaseError as exc:
                if not failing:
                    log.warning("%s %s: heartbeat failed, its cameras' footage is held apart after %g s unless it "
                                "comes back: %s",
                                self.kind, self.name, self.lease_seconds, exc)
                failing = True
                connection.close()
            else:
                failing = False
        connection.close()

    def heartbeat(self) -> None:
        """Tell the others this process is alive, and extend the leases of the cameras still its own."""
        started = time.monotonic()
        if not RecorderProcess.objects.filter(pk=self.process.pk).update(heartbeat_at=Now()):
            # Forgotten by the others after a long silence: its cameras went with its row; it claims afresh.
            self.process = self.register()
            return
        held = dict(self._mine(Camera.objects.all()).values_list("pk", self.epoch_field))
        with self.leases_lock:
            for camera_id, lease in self.leases.items():
                if held.get(camera_id) == lease.epoch:
                    lease.valid_until = max(lease.valid_until, started + self.lease_seconds)

    def _mine(self, cameras: QuerySet[Camera]) -> QuerySet[Camera]:
        return cameras.filter(**{self.holder_field: self.process})

    def _stale(self) -> Q:
        """Cameras whose holder stopped answering for longer than the lease (on the database's clock)."""
        return Q(**{f"{self.holder_field}__heartbeat_at__lt": Now() - self.lease})

    def tick(self) -> None:
        RecorderProcess.objects.filter(heartbeat_at__lt=Now() - FORGET_DEAD_PROCESSES_AFTER).exclude(
            pk=self.process.pk).delete()
        eligible = self.eligible_cameras()
        # Let go of what is no longer to be handled.
        self._mine(Camera.objects.exclude(pk__in=eligible.values("pk"))).update(**{self.holder_field: None})
        self.announce_lost(eligible)
        alive = RecorderProcess.objects.filter(kind=self.kind, heartbeat_at__gte=Now() - self.lease).count()
        share = min(settings.RECORDER_MAX_CAMERAS, math.ceil(eligible.count() / max(alive, 1)))
        self.claim(eligible, share)
        mine = {c.pk: c for c in self._mine(eligible) if self._lease_of(c) is not None}
        self.finish_hand_overs(mine)
        self.hand_over_beyond(mine, share)
        for camera_id in list(self.threads):
            thread = self.threads[camera_id]
            if camera_id in self.handing_over:
                continue
            if not thread.is_alive():
                pause = self.backoff.died(camera_id, self.backoff.clock() - thread.started_at)
                log.warning("%s %s: camera %s stopped; starting it again in %.0f s", self.kind, self.name,
                            camera_id, pause)
            elif camera_id not in mine or thread.config != self.config_of(mine[camera_id]):
                self.backoff.forget(camera_id)
            else:
                continue
            thread.stop()
            thread.join(timeout=settings.CAMERA_READ_TIMEOUT + 5)
            del self.threads[camera_id]
        with self.leases_lock:
            for camera_id in set(self.leases) - set(mine) - set(self.threads):
                del self.leases[camera_id]
        for camera_id, camera in mine.items():
            if camera_id not in self.threads and self.backoff.may_start(camera_id):
                thread = self.start_camera(camera)
                thread.lease = self.leases[camera_id]
                thread.started_at = self.backoff.clock()
                self.threads[camera_id] = thread
                thread.start()
        self.after_tick(mine)

    def _lease_of(self, camera: Camera) -> Lease | None:
        """This process's lease of a camera it holds, if under the epoch it claimed it with."""
        lease = self.leases.get(camera.pk)
        return lease if lease is not None and lease.epoch == getattr(camera, self.epoch_field) else None

    def announce_lost(self, eligible: QuerySet[Camera]) -> None:
        """Say once per camera and holder that its holder is lost, before the camera is claimed."""
        lost = set(eligible.filter(self._stale()).exclude(**{self.holder_field: self.process})
                   .values_list("pk", f"{self.holder_field}_id"))
        new = lost - self.announced_lost
        self.announced_lost = lost
        if new:
            log.warning("%s %s: the holders of cameras %s stopped answering", self.kind, self.name,
                        sorted(camera_id for camera_id, _ in new))
            self.holders_lost(sorted(camera_id for camera_id, _ in new))

    def claim(self, eligible: QuerySet[Camera], share: int) -> None:
        """Take free leases, and those of lost holders, up to this process's fair share of the eligible cameras."""
        wanted = share - self._mine(eligible).count()
        if wanted <= 0:
            return
        started = time.monotonic()
        with transaction.atomic():
            free = list(
                eligible.select_for_update(skip_locked=True, of=("self",))
                .filter(Q(**{f"{self.holder_field}__isnull": True}) | self._stale())
                .exclude(**{self.holder_field: self.process})
                .order_by(*self.claim_order())
                .values_list("pk", flat=True)[:wanted]
            )
            if not free:
                return
            # The heartbeat goes with the claim, so that the lease counts from now for the others too.
            RecorderProcess.objects.filter(pk=self.process.pk).update(heartbeat_at=Now())
            Camera.objects.filter(pk__in=free).update(
                **{self.holder_field: self.process, self.epoch_field: F(self.epoch_field) + 1})
            epochs = dict(Camera.objects.filter(pk__in=free).values_list("pk", self.epoch_field))
        with self.leases_lock:
            for camera_id, epoch in epochs.items():
                self.leases[camera_id] = Lease(self, camera_id, epoch, started + self.lease_seconds)
        log.info("%s %s claimed cameras %s", self.kind, self.name, free)

    def hand_over_beyond(self, mine: dict[int, Camera], share: int) -> None:
        """Hand over the cameras beyond this process's fair share (another process joined), each at the end of its
        current segment."""
        beyond = len(mine) - share - len(self.handing_over)
        candidates = [camera_id for camera_id in sorted(mine, reverse=True)
                      if camera_id in self.threads and camera_id not in self.handing_over]
        for camera_id in candidates[:max(beyond, 0)]:
            log.info("%s %s: handing camera %s over", self.kind, self.name, camera_id)
            self.handing_over[camera_id] = (time.monotonic()
                                            + self.HAND_OVER_SEGMENTS * settings.SEGMENT_SECONDS
                                            + settings.CAMERA_READ_TIMEOUT)
            self.threads[camera_id].hand_over()

    def finish_hand_overs(self, mine: dict[int, Camera]) -> None:
        """Let go of each camera being handed over whose thread has finished (after indexing its last segment), or
        that took too long to reach a segment's end."""
        for camera_id, give_up_at in list(self.handing_over.items()):
            thread = self.threads[camera_id]
            if thread.is_alive() and time.monotonic() < give_up_at:
                continue
            thread.stop()
            thread.join(timeout=settings.CAMERA_READ_TIMEOUT + 5)
            lease = self.leases[camera_id]
            Camera.objects.filter(pk=camera_id, **{self.holder_field: self.process, self.epoch_field: lease.epoch}
                                  ).update(**{self.holder_field: None})
            del self.threads[camera_id], self.handing_over[camera_id]
            mine.pop(camera_id, None)
            with self.leases_lock:
                del self.leases[camera_id]
            log.info("%s %s handed camera %s over", self.kind, self.name, camera_id)

    def shutdown(self) -> None:
        for thread in self.threads.values():
            thread.stop()
        for thread in self.threads.values():
            thread.join(timeout=settings.CAMERA_READ_TIMEOUT + 5)
        self._mine(Camera.objects.all()).update(**{self.holder_field: None})
        RecorderProcess.objects.filter(pk=self.process.pk).delete()
        log.info("%s %s stopped", self.kind, self.name)
