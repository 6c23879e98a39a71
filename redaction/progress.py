"""Export jobs' progress to the pages of the user who asked for them (group user.<id>, "job.progress").

The worker running a job publishes each report it saves. On one box without Redis that reaches no browser: the
channel layer lives in the web process's memory, and the Celery worker is another process. There the web process
runs a `ProgressRelay`, which reads the same reports back from the export rows (they hold the truth either way)
and publishes each change itself.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from django.db.models import Max, Q

from redaction.models import Export, ExportStatus
from vms import realtime

log = logging.getLogger(__name__)

RUNNING = (ExportStatus.DETECTING, ExportStatus.RENDERING)


def publish_progress(export: Export) -> None:
    """Tell the requester's pages where the export's job stands."""
    if export.requested_by_id:
        realtime.publish(realtime.user_group(export.requested_by_id), "job.progress", {
            "export": export.pk, "status": export.status, "progress": round(export.progress, 3),
            "error": export.error})


class ProgressRelay:
    """Publishes every change of an export job's status and progress, as read from the database every `every` s:
    jobs running, jobs that were running at the last read, and exports newer than the last read."""

    kind = "progress-relay"

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.running: dict[int, tuple] = {}  # export id -> (status, progress, error) last published
        self.newest_id: int | None = None

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.wait(self.every):
                close_old_connections()
                try:
                    self.tick()
                except Exception:  # noqa: BLE001  (a database hiccup: the next round reads again)
                    log.exception("job progress relay: round failed")
        finally:
            connection.close()

    def tick(self) -> None:
        if self.newest_id is None:  # what finished before the web process started is old news
            self.newest_id = Export.objects.aggregate(newest=Max("pk"))["newest"] or 0
        watched = Q(status__in=RUNNING) | Q(pk__in=list(self.running)) | Q(pk__gt=self.newest_id)
        running = {}
        for export in Export.objects.filter(watched).only("status", "progress", "error", "requested_by_id"):
            state = (export.status, round(export.progress, 3), export.error)
            if self.running.get(export.pk) != state:
                publish_progress(export)
            if export.status in RUNNING:
                running[export.pk] = state
            self.newest_id = max(self.newest_id, export.pk)
        self.running = running
