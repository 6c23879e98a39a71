"""Who steers a PTZ camera: one person (or one alarm) at a time. Each command renews its holder's control until
PTZ_CONTROL_SECONDS after it; someone of a higher role (Admin over Operator) or an alarm takes over, anyone else waits.
Each control session is audited once when it starts and once when it ends (handed back, taken over or expired), never
per command. A tour (devices/ptz_tours.py) holds control the least: anyone, person or alarm, takes over from it, and it
takes control again only once nobody has it.

The holder is kept in the Django cache: Redis when VMS_REDIS_URL is set, so every web node and worker sees the same
one; without Redis, the web process's memory, enough on one box where that one process serves the API. A session that
expired is noticed, and its end audited, by the next look at the camera's control, or by the periodic sweep
(devices.tasks.end_expired_ptz_control) when nobody looks (with Redis: the sweep's worker sees the web's holders)."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone

from accounts import audit
from accounts.models import AuditAction
from accounts.roles import ADMIN, OPERATOR, role_of
from devices.models import Camera

log = logging.getLogger(__name__)
ALARM = "alarm"
TOUR = "tour"
# A higher rank takes over; an equal or lower one waits. An alarm takes over from an operator (and from an earlier
# alarm, whose hold it renews), not from an admin steering by hand. Anyone takes over from a tour, whatever their role.
_RANKS = {TOUR: 0, OPERATOR: 1, ALARM: 2, ADMIN: 3}
# An expired session is kept this long for its end to be audited, then the cache forgets it.
_KEEP_SECONDS = 24 * 3600
_LOCK_SECONDS = 5


@dataclass(frozen=True)
class Holder:
    """Who has control of a camera, since when, and until when unless they move it again."""

    session: str
    user_id: int | None
    username: str
    role: str  # the user's role, or "alarm"
    since: datetime
    expires_at: datetime
    reason: str = ""  # an alarm's: what raised it

    @property
    def by_alarm(self) -> bool:
        return self.role == ALARM

    @property
    def by_tour(self) -> bool:
        return self.role == TOUR

    def held_by(self, user) -> bool:
        return not self.by_alarm and not self.by_tour and self.user_id == user.pk


class ControlHeld(Exception):
    """Someone else has control of the camera, and the one asking may not take it over."""

    def __init__(self, camera: Camera, holder: Holder) -> None:
        self.holder = holder
        who = (f"An alarm ({holder.reason})" if holder.by_alarm else f"A tour ({holder.reason})" if holder.by_tour
               else f"{holder.username} ({holder.role or 'no role'})")
        super().__init__(f"{who} has control of {camera.name}: it is free when handed back, or "
                         f"{settings.PTZ_CONTROL_SECONDS:g} s after the last move.")


def holder_of(camera: Camera) -> Holder | None:
    """Who has control of the camera now, if anyone."""
    with _locked(camera.pk):
        return _current(camera)


def claim(camera: Camera, request) -> Holder:
    """Control of the camera for the person at `request`, for one more command: renewed if they have it, taken if
    it is free or theirs to take over. Raises ControlHeld otherwise."""
    user = request.user
    role = role_of(user) or ""
    with _locked(camera.pk):
        holder = _current(camera)
        now = timezone.now()
        if holder is not None and holder.held_by(user):
            return _keep(camera, replace(holder, expires_at=now + _seconds()))
        if holder is not None and not holder.by_tour and _RANKS.get(role, 0) <= _RANKS.get(holder.role, 0):
            raise ControlHeld(camera, holder)
        if holder is not None:
            _end(camera, holder, "taken_over", by=user.get_username())
        new = _keep(camera, Holder(uuid.uuid4().hex, user.pk, user.get_username(), role, now, now + _seconds()))
        audit.record(AuditAction.PTZ_CONTROL_STARTED, request=request, camera=camera, session=new.session,
                     took_over_from=holder.username if holder else "")
        return new


def hand_back(camera: Camera, request) -> None:
    """The person at `request` hands control back. Raises ControlHeld when someone else has it."""
    with _locked(camera.pk):
        holder = _current(camera)
        if holder is None:
            return
        if not holder.held_by(request.user):
            raise ControlHeld(camera, holder)
        _end(camera, holder, "handed_back")
        cache.delete(_key(camera.pk))


def take_for_alarm(camera: Camera, reason: str, seconds: float | None = None) -> Holder | None:
    """Control of the camera for an alarm (`reason`: what raised it, e.g. the rule's name), for `seconds` (default
    PTZ_CONTROL_SECONDS), for rule actions such as sending the camera to a preset. An alarm holding it already has
    its hold renewed. None when an admin steers it: the alarm must not snatch it from them."""
    with _locked(camera.pk):
        holder = _current(camera)
        until = timezone.now() + timedelta(seconds=seconds or settings.PTZ_CONTROL_SECONDS)
        if holder is not None and holder.by_alarm:
            return _keep(camera, replace(holder, expires_at=max(holder.expires_at, until), reason=reason))
        if holder is not None and _RANKS[ALARM] <= _RANKS.get(holder.role, 0):
            log.info("camera %s: the alarm (%s) leaves PTZ control with %s", camera.pk, reason, holder.username)
            return None
        if holder is not None:
            _end(camera, holder, "taken_over", by=ALARM)
        new = _keep(camera, Holder(uuid.uuid4().hex, None, ALARM, ALARM, timezone.now(), until, reason))
        audit.record(AuditAction.PTZ_CONTROL_STARTED, camera=camera, username=ALARM, session=new.session,
                     reason=reason, took_over_from=holder.username if holder else "")
        return new


def release_alarm(camera: Camera) -> None:
    """An alarm hands control back (its action is over), if it has it."""
    with _locked(camera.pk):
        holder = _current(camera)
        if holder is not None and holder.by_alarm:
            _end(camera, holder, "handed_back")
            cache.delete(_key(camera.pk))


def take_for_tour(camera: Camera, reason: str, seconds: float) -> Holder:
    """Control of the camera for a tour (`reason`: which), for `seconds` (until a little after its next step is due):
    taken only when nobody has it, renewed when a tour has it. Raises ControlHeld when anyone else has it: the tour
    waits."""
    with _locked(camera.pk):
        holder = _current(camera)
        until = timezone.now() + timedelta(seconds=seconds)
        if holder is not None and holder.by_tour:
            return _keep(camera, replace(holder, expires_at=until, reason=reason))
        if holder is not None:
            raise ControlHeld(camera, holder)
        new = _keep(camera, Holder(uuid.uuid4().hex, None, TOUR, TOUR, timezone.now(), until, reason))
        audit.record(AuditAction.PTZ_CONTROL_STARTED, camera=camera, username=TOUR, session=new.session,
                     reason=reason, took_over_from="")
        return new


def release_tour(camera: Camera) -> None:
    """A tour hands control back (it stopped), if it has it."""
    with _locked(camera.pk):
        holder = _current(camera)
        if holder is not None and holder.by_tour:
            _end(camera, holder, "handed_back")
            cache.delete(_key(camera.pk))


def forget(camera_id: int) -> None:
    """Drop whatever is kept of a camera's control, unaudited (a camera deleted, a test starting afresh)."""
    cache.delete(_key(camera_id))


def _current(camera: Camera) -> Holder | None:
    holder = cache.get(_key(camera.pk))
    if holder is not None and holder.expires_at <= timezone.now():
        _end(camera, holder, "expired")
        cache.delete(_key(camera.pk))
        return None
    return holder


def _keep(camera: Camera, holder: Holder) -> Holder:
    left = (holder.expires_at - timezone.now()).total_seconds()
    cache.set(_key(camera.pk), holder, left + _KEEP_SECONDS)
    return holder


def _end(camera: Camera, holder: Holder, why: str, by: str = "") -> None:
    ended_at = holder.expires_at if why == "expired" else timezone.now()
    user = get_user_model().objects.filter(pk=holder.user_id).first() if holder.user_id else None
    audit.record(AuditAction.PTZ_CONTROL_ENDED, user=user, camera=camera, username=holder.username,
                 session=holder.session, why=why, by=by, started_at=holder.since.isoformat(),
                 ended_at=ended_at.isoformat(), seconds=round((ended_at - holder.since).total_seconds(), 1))


def _seconds() -> timedelta:
    return timedelta(seconds=settings.PTZ_CONTROL_SECONDS)


def _key(camera_id: int) -> str:
    return f"vms:ptz-control:{camera_id}"


@contextlib.contextmanager
def _locked(camera_id: int) -> Iterator[None]:
    """One change of a camera's control at a time, across processes: a lock that lapses after _LOCK_SECONDS, should
    its holder die."""
    key = _key(camera_id) + ":lock"
    while not cache.add(key, True, _LOCK_SECONDS):
        time.sleep(0.01)
    try:
        yield
    finally:
        cache.delete(key)
