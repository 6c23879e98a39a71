"""Celery tasks of exports, on the queue "redaction": finding what to redact, and rendering."""

from __future__ import annotations

import logging

from celery import shared_task

from redaction import services
from redaction.models import Export, ExportStatus

log = logging.getLogger(__name__)


def _run(job, export_id: int, status: str) -> None:
    export = Export.objects.select_related("camera").filter(pk=export_id, status=status).first()
    if export is None:  # deleted, or already past this step: nothing to do
        return
    try:
        job(export)
    except Exception as exc:
        log.exception("export %s failed", export_id)
        services.fail(export_id, f"{type(exc).__name__}: {exc}")


@shared_task(name="redaction.tasks.detect", ignore_result=True)
def detect(export_id: int) -> None:
    _run(services.detect, export_id, ExportStatus.DETECTING)


@shared_task(name="redaction.tasks.render", ignore_result=True)
def render(export_id: int) -> None:
    _run(services.render_export, export_id, ExportStatus.RENDERING)
