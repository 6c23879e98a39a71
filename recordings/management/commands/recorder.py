"""`manage.py recorder`: run a recorder process until SIGTERM or Ctrl-C."""

import signal
import threading

from django.core.management.base import BaseCommand

from recordings.recorder import Recorder


class Command(BaseCommand):
    help = "Record every enabled camera this process holds a lease on (run several for scale-out)."

    def handle(self, *args, **options) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        Recorder().run(stop)
