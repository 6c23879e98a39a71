"""Cameras shared out between worker processes by lease: recorders, and the live analytics workers.

Each process claims free or expired leases (SELECT ... FOR UPDATE SKIP LOCKED) up to a fair share of the
cameras its kind handles, renews its own every few seconds and runs a thread per camera, so the cameras of
a process that dies are picked up by another once their lease runs out."""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from devices.models import Camera
from recordings.models import RecorderProcess

log = logging.getLogger(__name__)
FORGET_DEAD_PROCESSES_AFTER = timedelta(minutes=10)


# A camera thread that keeps dying is restarted after a pause that doubles each time, up to the cap; a thread
# that ran this long before it stopped counts as healthy again.
RESTART_FIRST_PAUSE = 2.0
RESTART_MAX_PAUSE = 120.0
HEALTHY_AFTER = 60.0


class CameraThread(threading.Thread):
    """What a leasing process runs per camera; `config` is what, when changed, makes it restart."""

    config: tuple
    started_at: float = 0.0

    def stop(self) -> None:
        raise NotImplementedError


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
    """One worker process: heartbeat, lease renewal and claiming, and a thread per leased camera.

    Subclasses say which cameras they handle, which Camera fields hold their lease, and what runs per camera."""

    kind = ""
    holder_field = ""
    expires_field = ""

    def __init__(self, tick_seconds: float | None = None) -> None:
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease = timedelta(seconds=settings.RECORDER_LEASE_SECONDS)
        self.tick_seconds = tick_seconds or settings.RECORDER_LEASE_SECONDS / 3
        self.threads: dict[int, CameraThread] = {}
        self.process: RecorderProcess | None = None
        self.backoff = RestartBackoff()

    def eligible_cameras(self) -> QuerySet[Camera]:
        raise NotImplementedError

    def config_of(self, camera: Camera) -> tuple:
        raise NotImplementedError

    def start_camera(self, camera: Camera) -> CameraThread:
        raise NotImplementedError

    def after_tick(self, mine: dict[int, Camera]) -> None:
        """Hook: runs after each lease round with this process's cameras."""

    def run(self, stop: threading.Event) -> None:
        self.process = RecorderProcess.objects.create(
            name=self.name, kind=self.kind, hostname=socket.gethostname(), pid=os.getpid(),
            heartbeat_at=timezone.now(),
        )
        log.info("%s %s started", self.kind, self.name)
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    self.tick()
                except Exception:
                    # A database outage must not stop the cameras: threads go on with what they have.
                    log.exception("%s %s: lease round failed", self.kind, self.name)
                stop.wait(self.tick_seconds)
        finally:
            self.shutdown()
            connection.close()

    def _mine(self, cameras: QuerySet[Camera]) -> QuerySet[Camera]:
        return cameras.filter(**{self.holder_field: self.process})

    def tick(self) -> None:
        now = timezone.now()
        RecorderProcess.objects.filter(pk=self.process.pk).update(heartbeat_at=now)
        RecorderProcess.objects.filter(heartbeat_at__lt=now - FORGET_DEAD_PROCESSES_AFTER).delete()
        # Renew what is still ours and still to be handled; let go of the rest.
        eligible = self.eligible_cameras()
        self._mine(Camera.objects.exclude(pk__in=eligible.values("pk"))).update(
            **{self.holder_field: None, self.expires_field: None})
        self._mine(eligible).update(**{self.expires_field: now + self.lease})
        self.claim(now)
        mine = {c.pk: c for c in self._mine(eligible)}
        for camera_id in list(self.threads):
            thread = self.threads[camera_id]
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
        for camera_id, camera in mine.items():
            if camera_id not in self.threads and self.backoff.may_start(camera_id):
                thread = self.start_camera(camera)
                thread.started_at = self.backoff.clock()
                self.threads[camera_id] = thread
                thread.start()
        self.after_tick(mine)

    def claim(self, now: datetime) -> None:
        """Take free or expired leases up to this process's fair share of the eligible cameras."""
        alive = RecorderProcess.objects.filter(kind=self.kind, heartbeat_at__gte=now - self.lease).count()
        eligible = self.eligible_cameras()
        share = min(settings.RECORDER_MAX_CAMERAS, math.ceil(eligible.count() / max(alive, 1)))
        wanted = share - self._mine(eligible).count()
        if wanted <= 0:
            return
        with transaction.atomic():
            free = list(
                eligible.select_for_update(skip_locked=True)
                .filter(Q(**{f"{self.holder_field}__isnull": True}) | Q(**{f"{self.expires_field}__lt": now}))
                .order_by("pk")
                .values_list("pk", flat=True)[:wanted]
            )
            if free:
                Camera.objects.filter(pk__in=free).update(
                    **{self.holder_field: self.process, self.expires_field: now + self.lease})
                log.info("%s %s claimed cameras %s", self.kind, self.name, free)

    def shutdown(self) -> None:
        for thread in self.threads.values():
            thread.stop()
        for thread in self.threads.values():
            thread.join(timeout=settings.CAMERA_READ_TIMEOUT + 5)
        self._mine(Camera.objects.all()).update(**{self.holder_field: None, self.expires_field: None})
        RecorderProcess.objects.filter(pk=self.process.pk).delete()
        log.info("%s %s stopped", self.kind, self.name)
