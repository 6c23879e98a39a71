"""A camera's relay outputs (a siren, a light, a door strike), switched over ONVIF Device Management
(GetRelayOutputs, SetRelayOutputState) by rules and by hand: each switch is audited, and the camera keeps the last
state of each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import zeep.exceptions
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from onvif import ONVIFService

from accounts import audit
from accounts.models import AuditAction
from devices import onvif
from devices.models import Camera

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10
RELEASE_TASK = "analytics.tasks.release_relay"


@dataclass(frozen=True)
class RelayOutput:
    token: str
    mode: str  # Monostable or Bistable
    idle_state: str  # open or closed


def relay_outputs(camera: Camera) -> list[RelayOutput]:
    """The camera's relay outputs, as it lists them (none when it does not do relay outputs at all: ONVIF's
    ter:ActionNotSupported, "Optional Action Not Implemented", which some cameras say only in words). Raises
    onvif.OnvifError."""

    async def ask() -> list[RelayOutput]:
        async with asyncio.timeout(TIMEOUT_SECONDS), _device(camera) as device:
            try:
                outputs = await device.GetRelayOutputs()
            except zeep.exceptions.Fault as exc:
                reason = (exc.message or "").lower()
                if ("actionnotsupported" in onvif.fault_names(exc) or "not supported" in reason
                        or "not implemented" in reason):
                    return []
                raise
        return [RelayOutput(str(output.token), str(output.Properties.Mode), str(output.Properties.IdleState))
                for output in outputs or []]

    return _run(ask, camera)


def switch(camera: Camera, token: str, active: bool, *, by: Literal["rule", "hand"] = "rule", request=None,
           user=None, **why: object) -> onvif.OnvifError | None:
    """Switch the relay output on (`active`) or off and audit it: by a rule (`why`: the rule and event that asked)
    or by hand (`request`: of the person switching it; `user`: whose pulse ends). Returns None when the camera did
    it, otherwise the error that says why not.

    The camera keeps the output's last state, and a failure with it for whoever looks later; a failure the person
    at the `request` is told of at once is not kept (the output is as it was)."""

    async def ask() -> None:
        async with asyncio.timeout(TIMEOUT_SECONDS), _device(camera) as device:
            try:
                await device.SetRelayOutputState({"RelayOutputToken": token, "LogicalState":
                                                  "active" if active else "inactive"})
            except zeep.exceptions.Fault as exc:
                # ONVIF's answer to a token the camera does not have: ter:InvalidArgVal / ter:RelayToken.
                if "relaytoken" in onvif.fault_names(exc):
                    raise onvif.OnvifError("no_relay_output", f"{camera.name} has no relay output {token!r}: "
                                                              "pick one of those the camera lists.") from exc
                raise

    try:
        _run(ask, camera)
        error = None
    except onvif.OnvifError as exc:
        error = exc
        log.warning("camera %s: relay output %s not switched: %s", camera.pk, token, exc.message)
    if error is None or request is None:
        _keep(camera, token, active, error.message if error else "")
    audit.record(AuditAction.RELAY_SWITCHED, request=request, user=user, camera=camera,
                 username="rule" if by == "rule" else "", relay=token, state="on" if active else "off", by=by,
                 error=error.message if error else "", **why)
    return error


def switch_by_hand(camera: Camera, token: str, active: bool, request, seconds: int | None = None) -> dict:
    """Switch the output as the person at `request` asked; with `seconds`, on for that long only (a pulse, ended by
    the release task). Returns its state as kept; raises onvif.OnvifError when the camera did not do it."""
    error = switch(camera, token, active, by="hand", request=request,
                   **({"pulse_seconds": seconds} if seconds else {}))
    if error is not None:
        raise error
    camera.refresh_from_db(fields=["relay_outputs"])
    state = camera.relay_outputs[token]
    if seconds:
        pulse = {"camera_id": camera.pk, "user_id": request.user.pk, "seconds": seconds, "since": state["changed_at"]}
        transaction.on_commit(lambda: _release_later(token, pulse))
    return state


def end_pulse(token: str, *, camera_id: int, user_id: int, seconds: int, since: str) -> None:
    """Switch off an output pulsed by hand, as the person who pulsed it; unless it was switched since (by hand or by
    a rule), whose switch then stands."""
    camera = Camera.objects.filter(pk=camera_id).first()
    if camera is None or camera.relay_outputs.get(token, {}).get("changed_at") != since:
        return
    user = get_user_model().objects.filter(pk=user_id).first()
    switch(camera, token, False, by="hand", user=user, pulse_seconds=seconds)


def _keep(camera: Camera, token: str, active: bool, error: str) -> None:
    with transaction.atomic():
        fresh = Camera.objects.select_for_update().get(pk=camera.pk)
        # A switch that failed leaves the output as it was, as far as anyone knows.
        known = fresh.relay_outputs.get(token, {}).get("active") if error else active
        fresh.relay_outputs[token] = {"active": known, "changed_at": timezone.now().isoformat(), "error": error}
        fresh.save(update_fields=["relay_outputs"])


def _release_later(token: str, pulse: dict) -> None:
    # By the task's name: the analytics' tasks import this module.
    from vms.celery import app

    app.send_task(RELEASE_TASK, args=[None, token], kwargs={"pulse": pulse}, countdown=pulse["seconds"])


@contextlib.asynccontextmanager
async def _device(camera: Camera) -> AsyncIterator[ONVIFService]:
    """The camera's Device Management service, in an ONVIF session."""
    async with onvif.session(camera.onvif_host, camera.onvif_port, camera.username, camera.password,
                             settings.OUTBOUND_ALLOW, TIMEOUT_SECONDS) as client:
        await onvif.find_services(client)
        yield await client.create_devicemgmt_service()


def _run(ask, camera: Camera):
    if not camera.onvif_host:
        raise onvif.OnvifError("not_onvif", "The camera's relay outputs are switched over ONVIF: give its ONVIF "
                                            "host.")
    try:
        return asyncio.run(ask())
    except TimeoutError as exc:
        raise onvif.explain(exc, camera.onvif_host, camera.onvif_port, TIMEOUT_SECONDS) from exc
