"""A camera's relay outputs (a siren, a light, a door strike), switched over ONVIF Device Management
(GetRelayOutputs, SetRelayOutputState): each switch is audited, and the camera keeps the last state of each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from onvif import ONVIFService

from accounts import audit
from accounts.models import AuditAction
from devices import onvif
from devices.models import Camera

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class RelayOutput:
    token: str
    mode: str  # Monostable or Bistable
    idle_state: str  # open or closed


def relay_outputs(camera: Camera) -> list[RelayOutput]:
    """The camera's relay outputs, as it lists them. Raises onvif.OnvifError."""

    async def ask() -> list[RelayOutput]:
        async with asyncio.timeout(TIMEOUT_SECONDS), _device(camera) as device:
            outputs = await device.GetRelayOutputs()
        return [RelayOutput(str(output.token), str(output.Properties.Mode), str(output.Properties.IdleState))
                for output in outputs or []]

    return _run(ask, camera)


def switch(camera: Camera, token: str, active: bool, **why: object) -> str:
    """Switch the relay output on (`active`) or off; keep and audit what happened (`why`: the rule and event
    that asked). Returns "" when the camera did it, otherwise why it did not, in plain words."""

    async def ask() -> None:
        async with asyncio.timeout(TIMEOUT_SECONDS), _device(camera) as device:
            await device.SetRelayOutputState({"RelayOutputToken": token, "LogicalState":
                                              "active" if active else "inactive"})

    try:
        _run(ask, camera)
        error = ""
    except onvif.OnvifError as exc:
        error = exc.message
        log.warning("camera %s: relay output %s not switched: %s", camera.pk, token, error)
    with transaction.atomic():
        fresh = Camera.objects.select_for_update().get(pk=camera.pk)
        # A switch that failed leaves the output as it was, as far as anyone knows.
        known = fresh.relay_outputs.get(token, {}).get("active") if error else active
        fresh.relay_outputs[token] = {"active": known, "changed_at": timezone.now().isoformat(), "error": error}
        fresh.save(update_fields=["relay_outputs"])
    audit.record(AuditAction.RELAY_SWITCHED, camera=camera, username="rule", relay=token,
                 state="on" if active else "off", error=error, **why)
    return error


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
