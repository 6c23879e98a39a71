"""PTZ tours: a camera's presets visited in turn, each for its dwell time, started and stopped by a person or by the
tour's schedule. A tour steers only while nobody else has control of the camera (it ranks below everyone in
devices/ptz_control.py), waits while someone has it, and carries on with its next step once control is free.

How it runs: a Celery beat task (devices.tasks.advance_ptz_tours) calls `tick` every VMS_PTZ_TOUR_TICK_SECONDS. The
state of each running tour (its next step and when it is due) is a row of PtzTourRun in PostgreSQL, not in a process:
so a worker or beat restart loses nothing, any worker may advance any camera, and cameras cost nothing between their
steps (one indexed query a tick for the due ones). A due run is claimed with a conditional UPDATE of its due time
before the camera is asked to move, so ticks that overlap (a slow camera) never move a camera twice. One tour runs
per camera at a time: the run is one-to-one with its camera."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction
from devices import onvif, ptz_control, ptz_presets
from devices.models import Camera, PtzTour, PtzTourRun
from video.rules import Schedule

log = logging.getLogger(__name__)
SCHEDULE = "schedule"
# A tour keeps control this much past its next step's due time, so that a late tick does not lose it to nobody.
_CONTROL_SLACK_SECONDS = 10.0
# A claimed step must be done within this; a worker that died meanwhile leaves the run due again after it.
_CLAIM_SECONDS = 60.0


def running(camera: Camera) -> PtzTourRun | None:
    """The tour running on the camera, if one is."""
    return PtzTourRun.objects.select_related("tour").filter(camera=camera).first()


def start(tour: PtzTour, request=None) -> PtzTourRun:
    """Start the tour now (by the person at `request`, else by its schedule); another tour running on the camera is
    stopped first. Starting the tour that runs already changes nothing."""
    by = request.user.get_username() if request is not None else SCHEDULE
    with transaction.atomic():
        Camera.objects.select_for_update().filter(pk=tour.camera_id).first()  # one start or stop per camera at a time
        current = PtzTourRun.objects.select_related("tour").filter(camera_id=tour.camera_id).first()
        if current is not None and current.tour_id == tour.pk:
            return current
        if current is not None:
            current.delete()
            _audit_stop(current, request, why="replaced", by=tour.name)
        run = PtzTourRun.objects.create(camera_id=tour.camera_id, tour=tour, started_by=by, due_at=timezone.now())
        audit.record(AuditAction.PTZ_TOUR_STARTED, request=request, camera=tour.camera,
                     username="" if request else SCHEDULE, tour=tour.name, tour_id=tour.pk)
    log.info("camera %s: tour %r started by %s", tour.camera_id, tour.name, by)
    return run


def stop(camera: Camera, request=None, why: str = "stopped") -> PtzTour | None:
    """Stop the tour running on the camera, if any (by the person at `request`, else by its schedule), and hand its
    control back. A person stopping a tour its schedule runs keeps it stopped until its window ends."""
    with transaction.atomic():
        Camera.objects.select_for_update().filter(pk=camera.pk).first()
        run = PtzTourRun.objects.select_related("tour").filter(camera=camera).first()
        if run is None:
            return None
        run.delete()
        if request is not None and _scheduled_now(run.tour, timezone.now()):
            PtzTour.objects.filter(pk=run.tour_id).update(stopped_in_window=True)
        _audit_stop(run, request, why=why)
    ptz_control.release_tour(camera)
    log.info("camera %s: tour %r stopped (%s)", camera.pk, run.tour.name, why)
    return run.tour


def tick(now: datetime | None = None) -> None:
    """Start and stop the tours whose schedule says so, then move every camera whose tour's next step is due."""
    now = now or timezone.now()
    _follow_schedules(now)
    for run_id, due_at in PtzTourRun.objects.filter(due_at__lte=now).values_list("pk", "due_at"):
        _advance(run_id, due_at)


def _follow_schedules(now: datetime) -> None:
    for tour in PtzTour.objects.select_related("camera").exclude(schedule=[]).exclude(camera__ptz_profile=""):
        if _scheduled_now(tour, now):
            if not tour.stopped_in_window and not PtzTourRun.objects.filter(camera_id=tour.camera_id).exists():
                try:
                    start(tour)
                except IntegrityError:  # another tick started a tour on this camera meanwhile
                    pass
            continue
        if tour.stopped_in_window:
            PtzTour.objects.filter(pk=tour.pk).update(stopped_in_window=False)
        if PtzTourRun.objects.filter(tour=tour, started_by=SCHEDULE).exists():
            stop(tour.camera, why="schedule_ended")


def _scheduled_now(tour: PtzTour, now: datetime) -> bool:
    return bool(tour.enabled and tour.schedule and Schedule.parse(tour.schedule).active_at(timezone.localtime(now)))


def _advance(run_id: int, due_at: datetime) -> None:
    """Move the camera to the run's next step, unless another tick claimed it or someone else has control."""
    now = timezone.now()
    if PtzTourRun.objects.filter(pk=run_id, due_at=due_at).update(
            due_at=now + timedelta(seconds=_CLAIM_SECONDS)) != 1:
        return
    run = PtzTourRun.objects.select_related("tour", "camera").filter(pk=run_id).first()
    if run is None:
        return
    tour, camera = run.tour, run.camera
    index = run.step % len(tour.steps)
    step = tour.steps[index]
    try:
        ptz_control.take_for_tour(camera, f"tour {tour.name}", step["dwell_seconds"] + _CONTROL_SLACK_SECONDS)
    except ptz_control.ControlHeld as exc:
        if not run.paused_by:
            log.info("camera %s: tour %r waits while %s has control", camera.pk, tour.name, exc.holder.username)
        # Asked again at the next tick: it carries on as soon as control is free.
        _save(run, due_at=timezone.now(), paused_by=exc.holder.username or "someone")
        return
    problem = ""
    try:
        ptz_presets.go_to(camera, step["preset"], by="tour", tour=tour.name, tour_id=tour.pk, step=index + 1)
    except onvif.OnvifError as exc:
        problem = f"Step {index + 1} (preset {step['preset']}): {exc.message}"
        if problem != run.problem:
            log.warning("camera %s: tour %r could not go to its step %s: %s", camera.pk, tour.name, index + 1,
                        exc.message)
    _save(run, step=(index + 1) % len(tour.steps), paused_by="", problem=problem,
          due_at=timezone.now() + timedelta(seconds=step["dwell_seconds"]))


def _save(run: PtzTourRun, **fields) -> None:
    if not PtzTourRun.objects.filter(pk=run.pk, tour_id=run.tour_id).update(**fields):
        ptz_control.release_tour(run.camera)  # stopped while it moved: the stop may have released control before


def _audit_stop(run: PtzTourRun, request, why: str, by: str = "") -> None:
    audit.record(AuditAction.PTZ_TOUR_STOPPED, request=request, camera=run.camera,
                 username="" if request else SCHEDULE, tour=run.tour.name, tour_id=run.tour_id, why=why,
                 started_by=run.started_by, **({"by": by} if by else {}))
