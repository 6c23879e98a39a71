"""The job progress relay of one box: what a Celery worker saved in the export rows reaches the requester's group."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from redaction.models import Export, ExportStatus
from redaction.progress import ProgressRelay
from vms.realtime import user_group

pytestmark = [pytest.mark.django_db(transaction=True)]
START = datetime(2026, 11, 20, tzinfo=UTC)


async def _received(layer, channel: str) -> list[tuple]:
    """(export, status, progress) of every message waiting on `channel`."""
    messages = []
    while True:
        try:
            data = (await asyncio.wait_for(layer.receive(channel), 0.5))["message"]["data"]
        except TimeoutError:
            return messages
        messages.append((data["export"], data["status"], data["progress"]))


def _export(camera, user, status: str, progress: float = 0.0) -> Export:
    return Export.objects.create(camera=camera, start=START, end=START + timedelta(seconds=30), reason="case",
                                 requested_by=user, status=status, progress=progress)


async def test_the_relay_publishes_each_change_of_a_job_once(camera, investigator_user):
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(user_group(investigator_user.pk), channel)
    relay, db = ProgressRelay(), database_sync_to_async
    await db(_export)(camera, investigator_user, ExportStatus.DONE, 1.0)
    await db(relay.tick)()
    assert await _received(layer, channel) == [], "what finished before the web process started is not told again"

    export = await db(_export)(camera, investigator_user, ExportStatus.RENDERING)
    await db(relay.tick)()
    await db(Export.objects.filter(pk=export.pk).update)(progress=0.4)  # as the worker saves it
    await db(relay.tick)()
    await db(relay.tick)()  # nothing changed
    await db(Export.objects.filter(pk=export.pk).update)(status=ExportStatus.DONE, progress=1.0)
    await db(relay.tick)()
    await db(relay.tick)()
    assert await _received(layer, channel) == [
        (export.pk, "rendering", 0.0), (export.pk, "rendering", 0.4), (export.pk, "done", 1.0)]
