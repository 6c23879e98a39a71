"""Celery tasks of exports, on the queue "redaction": finding what to redact, and rendering; and sending again
the jobs whose worker died. Each job is claimed first, so a task delivered twice runs once."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from celery import shared_task
from django.conf import settings
from django.db import connection

from redaction import services
from redaction.models import ExportStatus

log = logging.getLogger(__name__)


def _heartbeat(export, stop: threading.Event) -> None:
    """Tell the database the job still runs, until `stop`; quiet once another worker has taken it over."""
    try:
        while not stop.wait(settings.EXPORT_HEARTBEAT_SECONDS):
            if not services.still_claimed(export):
                log.warning("export %s: another worker took the job over", export.pk)
                return
    finally:
        connection.close()


def _run(job, export_id: int, status: str) -> None:
    worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    export = services.claim(export_id, status, worker)
    if export is None:  # deleted, done, or another worker runs it: nothing to do
        return
    stop = threading.Event()
    beating = threading.Thread(target=_heartbeat, args=(export, stop), daemon=True, name=f"export-{export_id}")
    beating.start()
    try:
        job(export)
    except services.ClaimLost:
        log.warning("export %s: dropped this worker's result, another worker took the job over", export_id)
    except Exception as exc:
        log.exception("export %s failed", export_id)
        services.fail(export_id, f"{type(exc).__name__}: {exc}", worker=worker)
    finally:
        stop.set()
        beating.join()


@shared_task(name="redaction.tasks.detect", ignore_result=True)
def detect(export_id: int) -> None:
    _run(services.detect, export_id, ExportStatus.DETECTING)


@shared_task(name="redaction.tasks.render", ignore_result=True)
def render(export_id: int) -> None:
    _run(services.render_export, export_id, ExportStatus.RENDERING)


@shared_task(name="redaction.tasks.resume_stalled_exports", ignore_result=True)
def resume_stalled_exports() -> None:
    services.resume_stalled()
