"""`manage.py analytics`: run a live analytics worker until SIGTERM or Ctrl-C."""

import signal
import threading

from django.core.management.base import BaseCommand

from analytics.worker import AnalyticsWorker


class Command(BaseCommand):
    help = "Analyse every camera with analytics on that this process holds a lease on (run several for scale-out)."

    def handle(self, *args, **options) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        AnalyticsWorker().run(stop)
